"""The roles a user can hold, with their rank and the actions they grant.

A role applies to one tree (Hội or Đảng). ``rank`` orders roles for delegation: a
user may grant only roles whose rank is no higher than her own.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSADMIN = "sysadmin", _("Quản trị hệ thống")
    PROVINCE_CADRE = "province_cadre", _("Cán bộ Hội LHPN tỉnh")
    COMMUNE_CADRE = "commune_cadre", _("Cán bộ Hội LHPN xã")
    BRANCH_HEAD = "branch_head", _("Chi hội trưởng")
    PARTY_COMMITTEE = "party_committee", _("Cán bộ Đảng ủy xã")
    CELL_SECRETARY = "cell_secretary", _("Bí thư chi bộ")


# Actions
PEOPLE_VIEW = "people.view"
PEOPLE_ADD = "people.add"
PEOPLE_CHANGE = "people.change"  # every field
PEOPLE_CHANGE_CONTACT = "people.change_contact"  # phone, address, working away
PEOPLE_MOVE = "people.move"
PEOPLE_ARCHIVE = "people.archive"
ORGS_VIEW = "orgs.view"
ORGS_CHANGE = "orgs.change"
AUDIT_VIEW = "audit.view"
ACCOUNTS_MANAGE = "accounts.manage"
PIPELINE_VIEW = "pipeline.view"  # see cases and their timelines
PIPELINE_NOTE = "pipeline.note"  # add cultivation notes
PIPELINE_HOI = "pipeline.hoi"  # the Hội's steps: source, cultivation, mentor, introduction
PIPELINE_PARTY = "pipeline.party"  # the party cell's steps
PIPELINE_COMMITTEE = "pipeline.committee"  # the party committee's resolution and decision
PIPELINE_CLASS = "pipeline.class"  # awareness classes: create, enrol, results, certificates
REPORTS_VIEW = "reports.view"  # read periodic reports and export them
REPORTS_EDIT = "reports.edit"  # create, write and submit the unit's own reports
REPORTS_APPROVE = "reports.approve"  # approve / return children's reports, set deadlines
DASHBOARD_VIEW = "dashboard.view"  # the dashboard of a unit and year
EMULATION_VIEW = "emulation.view"  # year-end emulation: criteria and ranking
EMULATION_MANAGE = "emulation.manage"  # define criteria, enter manual scores
TARGETS_VIEW = "targets.view"  # see quotas, progress and manual figures
TARGETS_MANAGE = "targets.manage"  # set and allocate quotas, enter manual figures
TARGETS_PERIODS = "targets.periods"  # create reporting periods (years, terms)

_HOI_CADRE = frozenset(
    {
        PEOPLE_VIEW,
        PEOPLE_ADD,
        PEOPLE_CHANGE,
        PEOPLE_CHANGE_CONTACT,
        PEOPLE_MOVE,
        PEOPLE_ARCHIVE,
        ORGS_VIEW,
        ORGS_CHANGE,
        AUDIT_VIEW,
        ACCOUNTS_MANAGE,
        PIPELINE_VIEW,
        PIPELINE_NOTE,
        PIPELINE_HOI,
        PIPELINE_CLASS,
        TARGETS_VIEW,
        TARGETS_MANAGE,
        DASHBOARD_VIEW,
        EMULATION_VIEW,
        EMULATION_MANAGE,
        REPORTS_VIEW,
        REPORTS_EDIT,
        REPORTS_APPROVE,
    }
)


@dataclass(frozen=True)
class RoleSpec:
    rank: int
    tree: str | None  # None: both trees
    actions: frozenset


ROLE_SPECS: dict[str, RoleSpec] = {
    Role.SYSADMIN: RoleSpec(100, None, frozenset({"*"})),
    Role.PROVINCE_CADRE: RoleSpec(80, "hoi", _HOI_CADRE | {TARGETS_PERIODS}),
    Role.COMMUNE_CADRE: RoleSpec(60, "hoi", _HOI_CADRE),
    Role.PARTY_COMMITTEE: RoleSpec(
        60,
        "dang",
        frozenset(
            {
                ORGS_VIEW,
                AUDIT_VIEW,
                ACCOUNTS_MANAGE,
                PIPELINE_VIEW,
                PIPELINE_PARTY,
                PIPELINE_COMMITTEE,
                PIPELINE_CLASS,
                TARGETS_VIEW,
                DASHBOARD_VIEW,
                REPORTS_VIEW,
                REPORTS_EDIT,
                REPORTS_APPROVE,
            }
        ),
    ),
    Role.CELL_SECRETARY: RoleSpec(
        30,
        "dang",
        frozenset(
            {
                ORGS_VIEW,
                PIPELINE_VIEW,
                PIPELINE_PARTY,
                TARGETS_VIEW,
                DASHBOARD_VIEW,
                REPORTS_VIEW,
                REPORTS_EDIT,
            }
        ),
    ),
    Role.BRANCH_HEAD: RoleSpec(
        20,
        "hoi",
        frozenset(
            {
                PEOPLE_VIEW,
                PEOPLE_CHANGE_CONTACT,
                ORGS_VIEW,
                PIPELINE_VIEW,
                PIPELINE_NOTE,
                TARGETS_VIEW,
                DASHBOARD_VIEW,
                REPORTS_VIEW,
            }
        ),
    ),
}


def grants(role: str, action: str | None) -> bool:
    spec = ROLE_SPECS[role]
    return action is None or "*" in spec.actions or action in spec.actions
