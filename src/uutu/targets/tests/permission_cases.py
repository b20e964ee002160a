"""Who sees which quota page.

Seeing quotas ("targets.view") is granted to every role; party users see the Hội
units matching theirs (the counterparts: the commune party committee sees Hội xã A
and its chi hội, the cell secretary chi hội A1). Allocating, importing and entering
figures ("targets.manage") is for the Hội cadres of the unit or above; a unit's own
quota is set from the level above (the province's by its own cadres). Periods are
managed by the province cadre and the administrator.
"""

from uutu.core.permission_matrix import Case, everyone


def _unit(name):
    return lambda w: {"pk": getattr(w, name).pk}


# Commune A: in scope of the commune A cadre, the province, and (through the
# counterpart) of the commune party committee; outside the others' scope: 404.
A_VIEW = everyone(200, commune_b=404, branch_head=404, cell_secretary=404)
A_MANAGE = everyone(200, commune_b=404, branch_head=404, party_a=403, cell_secretary=404)
# The commune's own quota is handed down by the province: the commune cadre may not.
A_SET_OWN = everyone(
    200, commune_a=403, commune_b=404, branch_head=404, party_a=403, cell_secretary=404
)
# Chi hội A1: the branch head and the cell secretary of chi bộ A1 see it too.
A1_VIEW = everyone(200, commune_b=404)
A1_MANAGE = everyone(200, commune_b=404, branch_head=403, party_a=403, cell_secretary=403)
# The province: only the province cadre (and the administrator).
PROVINCE = everyone(
    200,
    commune_a=404,
    commune_b=404,
    branch_head=404,
    party_a=404,
    cell_secretary=404,
)
PERIODS = everyone(403, admin=200, province=200)

CASES = [
    Case("targets:quota_list", expect=everyone(200)),
    Case("targets:quota_list", query="unit=0", expect=everyone(200)),
    Case("targets:progress", kwargs=_unit("commune_a"), expect=A_VIEW),
    Case("targets:progress", kwargs=_unit("branch_a1"), expect=A1_VIEW),
    Case("targets:progress", kwargs=_unit("province"), expect=PROVINCE),
    Case("targets:progress", kwargs=_unit("party_a"), expect=everyone(404, admin=404)),
    Case("targets:quota_export", kwargs=_unit("commune_a"), expect=A_VIEW),
    Case("targets:quota_export", kwargs=_unit("province"), expect=PROVINCE),
    Case("targets:quota_export_docx", kwargs=_unit("commune_a"), expect=A_VIEW),
    Case("targets:allocation", kwargs=_unit("commune_a"), expect=A_MANAGE),
    Case("targets:allocation", kwargs=_unit("province"), expect=PROVINCE),
    Case(
        "targets:allocation",
        kwargs=_unit("commune_a"),
        method="post",
        data=lambda w: {"indicator": "introduced"},
        expect=everyone(302, commune_b=404, branch_head=404, party_a=403, cell_secretary=404),
    ),
    Case("targets:quota_import", kwargs=_unit("commune_a"), expect=A_MANAGE),
    Case("targets:quota_edit", kwargs=_unit("commune_a"), expect=A_SET_OWN),
    Case("targets:quota_edit", kwargs=_unit("province"), expect=PROVINCE),
    Case("targets:manual_figures", kwargs=_unit("commune_a"), expect=A_MANAGE),
    Case("targets:manual_figures", kwargs=_unit("branch_a1"), expect=A1_MANAGE),
    Case("targets:period_list", expect=PERIODS),
    Case("targets:period_create", expect=PERIODS),
]
