from uutu.core.permission_matrix import Case, everyone

CASES = [
    Case("core:home", expect=everyone(200)),
    Case("core:activity", expect=everyone(200, branch_head=403, cell_secretary=403)),
    # Commune A's Hội unit: the party committee of A has it as counterpart (in scope)
    # and holds audit.view — but only over the party tree, so 403.
    Case(
        "core:unit_activity",
        kwargs=lambda w: {"unit_id": w.commune_a.pk},
        expect=everyone(200, commune_b=404, branch_head=404, party_a=403, cell_secretary=404),
    ),
]
