"""The party dashboard's cell table (figures.cell_summary): the counts, the totals
and the best cells equal what every cell's figures (cell_figures) give, without
loading every cell; and the party dashboard's queries do not grow with the cells."""

import datetime

from django.urls import reverse

from uutu.orgs import services as org_services
from uutu.pipeline import figures as F
from uutu.pipeline.models import Step
from uutu.pipeline.tests.test_services import ago, walk
from uutu.targets.models import Period


def _expected(party_unit, start, end, top):
    cells = F.cell_figures(party_unit, start, end)
    rows = sorted(
        (
            (-c["admitted"], -sum(c["introduced"].values()), c["name"], pk, c)
            for pk, c in cells.items()
        ),
    )
    return {
        "count": len(cells),
        "met": sum(1 for c in cells.values() if c["admitted"] >= 1),
        "admitted": sum(c["admitted"] for c in cells.values()),
        "introduced": sum(sum(c["introduced"].values()) for c in cells.values()),
        "top": [(pk, -a, -i) for a, i, _name, pk, _c in rows[:top]],
    }


def _got(summary):
    out = {k: summary[k] for k in ("count", "met", "admitted", "introduced")}
    out["top"] = [(r["pk"], r["admitted"], r["introduced"]) for r in summary["top"]]
    return out


def test_summary_equals_every_cell(world):
    w = world
    for i in range(3):  # quiet cells
        org_services.create_unit(
            parent=w.party_a, level=w.levels["dang_cell"], name=f"Chi bộ Yên {i}", code=f"Y{i}"
        )
    walk(w, w.person_a1, Step.DECISION, on=ago(20), anonymous=True)
    walk(w, w.person_a2, Step.INTRODUCED, on=ago(40), anonymous=True)
    year = Period.year(ago(0).year)
    periods = [
        (year.start, year.end),
        (ago(30), ago(0)),  # not whole months: counted from the events
        (datetime.date(ago(0).year - 1, 1, 1), datetime.date(ago(0).year - 1, 12, 31)),
    ]
    for unit in (w.dang_root, w.party_province, w.party_a, w.cell_a1):
        for start, end in periods:
            for top in (1, 2, 50):
                summary = F.cell_summary(unit, start, end, top=top)
                assert _got(summary) == _expected(unit, start, end, top), (unit.name, start, top)
    summary = F.cell_summary(w.party_a, year.start, year.end, top=50)
    assert summary["admitted"] >= 1 and summary["top"][0]["admitted"] >= 1
    assert any(o["n"] for o in summary["top"][0]["by_org"])


def test_party_dashboard_queries_do_not_grow_with_cells(
    world, login, django_assert_max_num_queries
):
    w = world
    client = login(w.users["admin"])
    url = reverse("reports:dashboard")
    params = {"unit": w.dang_root.pk, "year": ago(0).year}
    client.get(url, params)
    for i in range(60):
        org_services.create_unit(
            parent=w.party_a, level=w.levels["dang_cell"], name=f"Chi bộ {i:02d}", code=f"C{i}"
        )
    with django_assert_max_num_queries(30):
        response = client.get(url, params)
    assert response.status_code == 200
    assert len(response.context["cells"]) == 50
    assert response.context["cells_count"] > 60
    assert "trong tổng số" in response.content.decode()
