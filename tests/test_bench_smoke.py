"""Smoke test of the benchmark suite (bench/): it runs on a small demo, and its
floor — the figures computed again by hand-written SQL — gives the same numbers as
the application. No timing is asserted: benchmarks measure, tests check."""

import sys
from pathlib import Path

import pytest

from uutu.core.demo import build_demo
from uutu.pipeline.models import CaseEvent, Organisation, Step
from uutu.targets.models import Period
from uutu.targets.progress import figures

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import floor  # noqa: E402
import suite  # noqa: E402


@pytest.fixture
def demo(db):
    return build_demo(members=300, seed=7, communes=3)


def _scopes():
    return suite.resolve_scopes(suite.parse(["--quick"]))


def test_floor_counts_what_the_events_say_and_compare_sees_differences(demo):
    _user, province = _scopes()["province"]
    year = suite.bench_year(suite.parse(["--quick"]))
    period = Period.year(year)
    by_hand = CaseEvent.objects.filter(
        kind=CaseEvent.Kind.STEP,
        organisation=Organisation.HOI,
        step=Step.SOURCE,
        date__range=(period.start, period.end),
        hoi_unit__path__startswith=province.path,
    ).count()
    assert by_hand > 0
    result = floor.figures(province, period.start, period.end, period.pk, province.counterpart.path)
    assert result["total"]["sources"] == by_hand
    assert sum(c.get("sources", 0) for c in result["children"].values()) == by_hand
    assert result["cells"], "the province's chi bộ are listed"

    # compare() finds the same numbers, and a difference when there is one
    ours = figures(province, period, by_child=True)
    theirs = floor.figures(province, period.start, period.end, period.pk)
    assert floor.compare(ours, theirs) == []
    ours["total"]["introduced"] += 1
    assert floor.compare(ours, theirs) == [
        f"total introduced: ours {ours['total']['introduced']} "
        f"floor {ours['total']['introduced'] - 1}"
    ]


def test_suite_runs_and_the_floor_gives_the_same_numbers(demo, capsys):
    args = suite.parse(["--quick", "--runs", "1", "--warmup", "0"])
    scopes = suite.resolve_scopes(args)
    assert set(scopes) >= {"national", "province", "commune"}
    bench = suite.Suite(args)
    year = suite.bench_year(args)
    bench.figures(scopes, year)
    bench.pages(scopes)

    assert bench.checks, "the floor was compared"
    assert [c for c in bench.checks if not c["same"]] == []
    ops = {(r["operation"], r["scope"]) for r in bench.rows}
    assert ("dashboard page", "national") in ops
    assert ("member search, page 1", "province") in ops
    assert ("case page", "province") in ops
    for row in bench.rows:
        assert row["median_ms"] > 0 and row["floor_ms"] > 0
        assert row["queries"] > 0, row["operation"]
    dashboard = next(r for r in bench.rows if r["operation"] == "dashboard page")
    assert dashboard["target"] == "< 300 ms"
    table = suite.table(bench.rows, "sqlite")
    assert table.count("\n") == len(bench.rows) + 1
    assert "MISMATCH" not in capsys.readouterr().out


def test_the_import_benchmark_replaces_the_cccds_the_database_holds(demo):
    """bench_import can import into a large database: a CCCD of the file that a
    member already has is replaced by a free one of the same place and year (the
    first six digits), the others are kept."""
    import bench_import

    from uutu.people.models import Person

    taken = list(
        Person.objects.exclude(cccd=None).order_by("id").values_list("cccd", flat=True)[:3]
    )
    assert len(taken) == 3
    free = "001185999999"
    assert not Person.objects.filter(cccd=free).exists()
    rows = [["A", None, cccd, "x"] for cccd in [*taken, free]]
    out = bench_import._free_cccds([list(r) for r in rows])
    new = [r[2] for r in out]
    assert new[3] == free
    for old, replaced in zip(taken, new[:3], strict=True):
        assert replaced != old and replaced[:6] == old[:6] and len(replaced) == 12
    assert len(set(new)) == 4
    assert not Person.objects.filter(cccd__in=new).exists()
