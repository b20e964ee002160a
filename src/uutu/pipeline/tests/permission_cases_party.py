"""The party side of the pipeline in the permission matrix (GET only).

The case used is Nguyễn Thị Hoa's (person A1, chi hội A1), opened, cultivated and
introduced to chi bộ A1 through the services (actor=None). The party committee of
commune A and the secretary of chi bộ A1 record the cell's steps; only the
committee records its resolution, the decision and the recognition. Hội cadres
and the branch head see the case (pipeline.view) but record no party step: 403.
Commune B never sees it: 404.

The class is organised by the party committee of commune A, with Hoa enrolled.
"""

import datetime

from uutu.core.permission_matrix import Case, everyone


def party_case(w):
    """Person A1's case, introduced to chi bộ A1 (cached on the world)."""
    case = getattr(w, "party_views_case", None)
    if case is None:
        from uutu.pipeline import services

        today = datetime.date.today()
        case = services.open_case(w.person_a1, on=today - datetime.timedelta(days=30), actor=None)
        services.start_cultivation(case, on=today - datetime.timedelta(days=20), actor=None)
        services.introduce(case, cell=w.cell_a1, on=today - datetime.timedelta(days=10), actor=None)
        w.party_views_case = case
    return case


def party_class(w):
    """A class organised by the party committee of commune A, with Hoa enrolled."""
    klass = getattr(w, "party_views_class", None)
    if klass is None:
        from uutu.pipeline import services

        today = datetime.date.today()
        klass = services.create_class(
            organiser=w.party_a,
            title="Lớp bồi dưỡng nhận thức về Đảng khóa I",
            start=today - datetime.timedelta(days=5),
            end=today - datetime.timedelta(days=1),
            actor=None,
        )
        w.party_views_enrolment = services.enrol(party_case(w), klass=klass, actor=None)
        w.party_views_class = klass
    return klass


def _case(w):
    return {"pk": party_case(w).pk}


def _class(w):
    return {"pk": party_class(w).pk}


def _enrolment(w):
    party_class(w)
    return {"pk": w.party_views_enrolment.pk}


# Hội cadres hold pipeline.view and pipeline.class, not pipeline.party.
HOI_CADRES_NO_PARTY = dict(province=403, commune_a=403, commune_b=403, branch_head=403)
CELL_STEP = everyone(200, province=403, commune_a=403, commune_b=404, branch_head=403)
COMMITTEE_STEP = {**CELL_STEP, "cell_secretary": 403}
# The class belongs to the party committee of commune A: commune A's Hội sees the
# counterpart unit (403 without the action there); the others never see it.
PARTY_A_CLASS = everyone(
    200, province=404, commune_a=403, commune_b=404, branch_head=404, cell_secretary=404
)

CASES = [
    Case("pipeline:party_candidates", expect=everyone(200)),
    Case("pipeline:external_create", expect=everyone(200, **HOI_CADRES_NO_PARTY)),
    Case("pipeline:case_sympathiser", kwargs=_case, expect=CELL_STEP),
    Case("pipeline:case_dossier", kwargs=_case, expect=CELL_STEP),
    Case("pipeline:case_cell_resolution", kwargs=_case, expect=CELL_STEP),
    Case(
        "pipeline:case_committee",
        kwargs=lambda w: {**_case(w), "step": "committee_resolution"},
        expect=COMMITTEE_STEP,
    ),
    Case(
        "pipeline:case_committee",
        kwargs=lambda w: {**_case(w), "step": "decision"},
        expect=COMMITTEE_STEP,
    ),
    Case("pipeline:case_ceremony", kwargs=_case, expect=CELL_STEP),
    Case("pipeline:case_recognise", kwargs=_case, expect=COMMITTEE_STEP),
    # Chi bộ A1: commune A's Hội and the branch head reach it as a counterpart unit.
    Case(
        "pipeline:sympathiser_review",
        kwargs=lambda w: {"pk": w.cell_a1.pk},
        expect=everyone(200, province=404, commune_a=403, commune_b=404, branch_head=403),
    ),
    Case("pipeline:class_list", expect=everyone(200, branch_head=403, cell_secretary=403)),
    Case("pipeline:class_create", expect=everyone(200, branch_head=403, cell_secretary=403)),
    Case("pipeline:class_detail", kwargs=_class, expect=PARTY_A_CLASS),
    Case("pipeline:class_enrol", kwargs=_class, expect=everyone(405)),
    Case("pipeline:class_certify", kwargs=_class, expect=PARTY_A_CLASS),
    Case("pipeline:class_result", kwargs=_enrolment, expect=PARTY_A_CLASS),
]
