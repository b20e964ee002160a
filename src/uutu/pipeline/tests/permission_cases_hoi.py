"""The case pages and the Hội's steps in the permission matrix (GET only).

The case used is Nguyễn Thị Hoa's (person A1, chi hội A1), opened, cultivated and
introduced to chi bộ A1 through the services, so she belongs both to the Hội side
(chi hội A1) and to the party side (chi bộ A1). Commune B never sees her: 404. A
branch head may read and add notes; the party side may read, pause or reopen.
"""

import datetime

from uutu.core.permission_matrix import Case, everyone


def introduced_case(w):
    """Open, cultivate and introduce person A1 to chi bộ A1 (cached on the world)."""
    case = getattr(w, "case_a1", None)
    if case is None:
        from uutu.pipeline import services

        today = datetime.date.today()
        case = services.open_case(w.person_a1, on=today - datetime.timedelta(days=30), actor=None)
        services.start_cultivation(case, on=today - datetime.timedelta(days=20), actor=None)
        services.introduce(case, cell=w.cell_a1, on=today - datetime.timedelta(days=10), actor=None)
        w.case_a1 = case
    return case


def _case(w):
    return {"pk": introduced_case(w).pk}


HOI_ONLY = everyone(200, commune_b=404, branch_head=403, party_a=403, cell_secretary=403)

CASES = [
    Case("pipeline:case_list", expect=everyone(200)),
    Case("pipeline:deadlines", expect=everyone(200)),
    Case("pipeline:branch_heads", expect=everyone(200)),
    Case("pipeline:bulk", expect=everyone(200, branch_head=403, cell_secretary=403)),
    Case("pipeline:case_detail", kwargs=_case, expect=everyone(200, commune_b=404)),
    # Person A2 (chi hội A2, no case yet): outside the branch head's and the cell
    # secretary's scope; the commune's party committee sees the commune but not the
    # Hội's step.
    Case(
        "pipeline:case_open",
        kwargs=lambda w: {"person_pk": w.person_a2.pk},
        expect=everyone(200, commune_b=404, branch_head=404, party_a=403, cell_secretary=404),
    ),
    Case("pipeline:case_cultivate", kwargs=_case, expect=HOI_ONLY),
    Case("pipeline:case_mentor", kwargs=_case, expect=HOI_ONLY),
    Case("pipeline:case_introduce", kwargs=_case, expect=HOI_ONLY),
    Case("pipeline:case_hoi_comment", kwargs=_case, expect=HOI_ONLY),
    Case(
        "pipeline:case_note",
        kwargs=_case,
        expect=everyone(200, commune_b=404, party_a=403, cell_secretary=403),
    ),
    Case("pipeline:case_exit", kwargs=_case, expect=everyone(200, commune_b=404, branch_head=403)),
    Case(
        "pipeline:case_reopen", kwargs=_case, expect=everyone(200, commune_b=404, branch_head=403)
    ),
]
