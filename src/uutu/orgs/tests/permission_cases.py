"""Expected status of every orgs URL for every persona (see core.permission_matrix).

Scopes in the test world: commune_a manages Hội commune A (and may see Đảng bộ xã A,
its counterpart, without any orgs action there); branch_head views chi hội A1 only
(chi bộ A1 is in her scope, without actions); party_a views Đảng bộ xã A and has Hội
commune A in her scope without orgs.view; cell_secretary views chi bộ A1 and has chi
hội A1 in her scope without orgs.view.
"""

from uutu.core.permission_matrix import Case, everyone

# Actions on chi hội A1 need orgs.change: in scope without it → 403.
_CHANGE_ON_BRANCH_A1 = everyone(
    200, commune_b=404, branch_head=403, party_a=403, cell_secretary=403
)
# Pages on Hội commune A: branch_head and cell_secretary do not reach it (404);
# party_a has it in scope (counterpart) but no orgs action there (403).
_ON_COMMUNE_A = everyone(200, commune_b=404, branch_head=404, party_a=403, cell_secretary=404)

CASES = [
    Case("orgs:list", expect=everyone(200)),
    Case(
        "orgs:detail",
        kwargs=lambda w: {"pk": w.branch_a1.pk},
        expect=everyone(200, commune_b=404, party_a=403, cell_secretary=403),
    ),
    Case("orgs:create_child", kwargs=lambda w: {"pk": w.commune_a.pk}, expect=_ON_COMMUNE_A),
    Case("orgs:rename", kwargs=lambda w: {"pk": w.branch_a1.pk}, expect=_CHANGE_ON_BRANCH_A1),
    Case("orgs:move", kwargs=lambda w: {"pk": w.branch_a1.pk}, expect=_CHANGE_ON_BRANCH_A1),
    Case("orgs:merge", kwargs=lambda w: {"pk": w.branch_a1.pk}, expect=_CHANGE_ON_BRANCH_A1),
    Case("orgs:split", kwargs=lambda w: {"pk": w.branch_a1.pk}, expect=_CHANGE_ON_BRANCH_A1),
    Case(
        "orgs:dissolve",
        kwargs=lambda w: {"pk": w.branch_a2.pk},
        expect=everyone(200, commune_b=404, branch_head=404, party_a=403, cell_secretary=404),
    ),
    Case("orgs:link", kwargs=lambda w: {"pk": w.branch_a1.pk}, expect=_CHANGE_ON_BRANCH_A1),
    Case(
        "orgs:tree_as_of",
        kwargs=lambda w: {"pk": w.commune_a.pk},
        expect=_ON_COMMUNE_A,
        query="ngay=2020-01-01",
    ),
    # The unit pickers of the member and case lists: party_a and cell_secretary may
    # not browse the Hội registry (403); everyone else gets the units of her scope.
    Case(
        "orgs:unit_search",
        query="for=people&q=thon",
        expect=everyone(200, party_a=403, cell_secretary=403),
    ),
    Case("orgs:unit_search", query="for=cases&q=thon", expect=everyone(200)),
    Case("orgs:unit_search", query="for=other&q=thon", expect=everyone(404)),
    # The dashboard's selector: every persona has a dashboard. The emulation pages':
    # the branch head and the party side have no emulation role.
    Case("orgs:unit_search", query="for=dashboard&q=xa", expect=everyone(200)),
    Case(
        "orgs:unit_search",
        query="for=emulation&q=xa",
        expect=everyone(200, branch_head=403, party_a=403, cell_secretary=403),
    ),
]
