"""Emulation in the permission matrix. Hội cadres (province, commune) and the
administrator set criteria and see the ranking of their own unit's children; the
branch head and the party side have no emulation role (403).

Objects: criteria of commune A for this year. Commune B and the cell secretary
do not have commune A in scope (404), nor does the branch head (her scope is her
chi hội); the party committee has it in scope through the counterpart link but no
emulation role (403). The province's cadre reaches commune A from above."""

import datetime

from uutu.core.permission_matrix import Case, everyone


def _criteria(w):
    """A data criterion and a manual one for commune A (cached on the world)."""
    made = getattr(w, "emulation_criteria", None)
    if made is None:
        from uutu.emulation import services

        year = datetime.date.today().year
        data = services.create_criterion(
            actor=None,
            unit=w.commune_a,
            year=year,
            name="Giới thiệu",
            kind="indicator",
            indicator="introduced",
            method="completion",
            weight=60,
        )
        manual = services.create_criterion(
            actor=None, unit=w.commune_a, year=year, name="Đánh giá chung", kind="manual", weight=40
        )
        made = w.emulation_criteria = (data, manual)
    return made


def _data_criterion(w):
    return {"pk": _criteria(w)[0].pk}


def _manual_criterion(w):
    return {"pk": _criteria(w)[1].pk}


def _commune_a(w):
    return {"unit_pk": w.commune_a.pk, "year": datetime.date.today().year}


NO_ROLE = {"branch_head": 403, "party_a": 403, "cell_secretary": 403}
COMMUNE_A = everyone(200, commune_b=404, branch_head=404, party_a=403, cell_secretary=404)

CASES = [
    Case("emulation:criteria", expect=everyone(200, **NO_ROLE)),
    Case("emulation:ranking", expect=everyone(200, **NO_ROLE)),
    Case("emulation:ranking_export", expect=everyone(200, **NO_ROLE)),
    Case("emulation:criterion_add", kwargs=_commune_a, expect=COMMUNE_A),
    Case("emulation:criteria_defaults", kwargs=_commune_a, expect=COMMUNE_A),
    Case("emulation:criterion_edit", kwargs=_data_criterion, expect=COMMUNE_A),
    Case("emulation:criterion_delete", kwargs=_data_criterion, expect=COMMUNE_A),
    Case("emulation:manual_scores", kwargs=_manual_criterion, expect=COMMUNE_A),
]
