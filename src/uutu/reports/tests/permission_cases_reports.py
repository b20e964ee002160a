"""The periodic report pages in the permission matrix (GET only).

Commune A's reports are used: a draft (edit / submit) and a submitted one (approve
/ return). Commune B never sees them (404); the branch head and the cell secretary
have no scope over commune A (404); the commune party committee has commune A in
scope through the counterpart link but no report action there (403). Only the
parent (the province) approves: commune A's own cadre gets 403 on approve / return.
"""

import datetime

from uutu.core.permission_matrix import Case, everyone


def _reports(w):
    """Commune A's draft (six-monthly) and submitted (annual) reports, cached."""
    reports = getattr(w, "reports_a", None)
    if reports is None:
        from uutu.reports import services
        from uutu.targets.models import Period

        year = datetime.date.today().year
        draft = services.create_report(
            unit=w.commune_a, period=Period.half(year), kind="six_monthly", actor=None
        )
        submitted = services.create_report(
            unit=w.commune_a, period=Period.year(year), kind="annual", actor=None
        )
        services.submit_report(submitted, actor=None)
        w.reports_a = reports = (draft, submitted)
    return reports


def _draft(w):
    return {"pk": _reports(w)[0].pk}


def _submitted(w):
    return {"pk": _reports(w)[1].pk}


# Commune A's report, read: the province and commune A; the party committee has
# it in scope (counterpart) but no report action on the Hội unit.
READ = everyone(200, commune_b=404, branch_head=404, party_a=403, cell_secretary=404)
APPROVE = everyone(
    200, commune_a=403, commune_b=404, branch_head=404, party_a=403, cell_secretary=404
)
PARENTS = everyone(200, branch_head=403, cell_secretary=403)  # hold reports.approve

CASES = [
    Case("reports:report_list", expect=everyone(200)),
    Case("reports:report_create", expect=everyone(200, branch_head=403)),
    Case("reports:report_detail", kwargs=_draft, expect=READ),
    Case("reports:report_detail", kwargs=_submitted, expect=READ),
    Case("reports:report_edit", kwargs=_draft, expect=READ),
    Case("reports:report_submit", kwargs=_draft, expect=READ),
    Case("reports:report_approve", kwargs=_submitted, expect=APPROVE),
    Case("reports:report_return", kwargs=_submitted, expect=APPROVE),
    Case(
        "reports:report_export", kwargs=lambda w: {**_submitted(w), "format": "docx"}, expect=READ
    ),
    Case(
        "reports:report_export", kwargs=lambda w: {**_submitted(w), "format": "xlsx"}, expect=READ
    ),
    Case("reports:report_export", kwargs=lambda w: {**_draft(w), "format": "pdf"}, expect=READ),
    Case("reports:report_children", expect=PARENTS),
    Case("reports:deadline_set", expect=PARENTS),
]
