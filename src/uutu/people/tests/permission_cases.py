from uutu.core.permission_matrix import Case, everyone

NO_PEOPLE = dict(party_a=403, cell_secretary=403)


def _person(name):
    return lambda w: {"pk": getattr(w, name).pk}


# Person A1 lives in chi hội A1 (commune A). The party committee of commune A and
# the cell secretary of chi bộ A1 have her unit in scope (counterpart) but may not
# see the Hội registry: 403. Commune B never sees her: 404.
A1_VIEW = everyone(200, commune_b=404, **NO_PEOPLE)
A1_FULL_EDIT = everyone(200, commune_b=404, branch_head=403, **NO_PEOPLE)
# Person A2 is in chi hội A2: outside the branch head's and the cell secretary's scope.
A2_VIEW = everyone(200, commune_b=404, branch_head=404, party_a=403, cell_secretary=404)

CASES = [
    Case("people:list", expect=everyone(200, **NO_PEOPLE)),
    Case("people:create", expect=everyone(200, branch_head=403, **NO_PEOPLE)),
    Case("people:detail", kwargs=_person("person_a1"), expect=A1_VIEW),
    Case("people:detail", kwargs=_person("person_a2"), expect=A2_VIEW),
    Case(
        "people:detail",
        kwargs=_person("person_b1"),
        expect=everyone(200, commune_a=404, branch_head=404, party_a=404, cell_secretary=404),
    ),
    Case("people:edit", kwargs=_person("person_a1"), expect=A1_FULL_EDIT),
    Case("people:contact", kwargs=_person("person_a1"), expect=A1_VIEW),
    Case("people:move", kwargs=_person("person_a1"), expect=A1_FULL_EDIT),
    Case("people:archive", kwargs=_person("person_a1"), expect=A1_FULL_EDIT),
    Case("people:restore", kwargs=_person("person_a1"), expect=everyone(405)),
    Case("people:position_add", kwargs=_person("person_a1"), expect=A1_FULL_EDIT),
    Case("people:position_end", kwargs=lambda w: {"pk": w.position_a1.pk}, expect=A1_FULL_EDIT),
    Case("people:party_status", kwargs=_person("person_a1"), expect=A1_FULL_EDIT),
]
