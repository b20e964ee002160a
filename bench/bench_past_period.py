"""Time a past period's report figures after the tree changed since that period.

Run from the repository root, on a generated database (``manage.py generate``):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/uutu_gen_national \\
        .venv/bin/python bench/bench_past_period.py [--runs 3]

A past period's figures are counted on the tree as it stood on the period's end
(docs/figures.md). With no reorganisation since, or only creations and renamings,
they come from the counters; after a move, a merger or a split the tree of that day
is rebuilt from the unit versions and the events are counted. This prints, for the
first half of the latest year with events, the 6-month report figures
(``reports.services.build_figures``, the cache cleared before each call) of the
national root and of the first province:

- as the database is;
- after a commune is founded today under that province;
- after, in addition, one of its chi hội is moved to another commune.

The changes are made in a transaction that is rolled back: the database is left as
it was. It checks that the province's figures are the same in the first two states
(a new commune adds nothing to a past period). It prints figures only.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import suite  # noqa: E402 - beside this file: the suite's settings and timing


class Rollback(Exception):
    pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    suite.setup_django(suite.django_env(os.environ.get("DATABASE_URL", "")))
    from django.core.cache import cache
    from django.db import connection, transaction
    from django.db.models import Max
    from django.test.utils import CaptureQueriesContext

    from uutu.orgs import services as org_services
    from uutu.orgs.models import Level, Tree, Unit
    from uutu.pipeline import figures as F
    from uutu.pipeline.models import CaseEvent
    from uutu.reports.services import build_figures
    from uutu.targets.models import Period

    latest = CaseEvent.objects.aggregate(d=Max("date"))["d"]
    if latest is None:
        raise SystemExit("no events: run manage.py generate first")
    period = Period.half(latest.year)
    root = Unit.objects.get(tree=Tree.HOI, parent__isnull=True)
    province = Unit.objects.filter(parent=root, is_active=True).order_by("path").first()
    units = [("national", root), ("province", province)]

    def measure(state: str) -> dict:
        out = {}
        for label, unit in units:
            times, queries, data = [], 0, None
            for _ in range(args.runs):
                cache.clear()
                with CaptureQueriesContext(connection) as ctx:
                    start = time.perf_counter()
                    data = build_figures(unit, period)
                    times.append((time.perf_counter() - start) * 1000)
                queries = len(ctx)
            path = "counters" if F.scope_as_of(unit, period.end).current else "rebuilt tree"
            print(
                f"{state:<34} {label:<9} {statistics.median(times):>9.1f} {max(times):>9.1f}"
                f" {queries:>4}  {path}"
            )
            out[label] = data
        return out

    print(f"{period.name}; {args.runs} runs; calibration {suite.calibration()} s")
    print(f"{'state':<34} {'unit':<9} {'median ms':>9} {'max ms':>9} {'q':>4}  path")
    before = measure("as it is")
    today = datetime.date.today()
    try:
        with transaction.atomic():
            commune = org_services.create_unit(
                parent=province,
                level=Level.objects.get(code="hoi_commune"),
                name="Hội LHPN Xã Thử Đo",
                code=f"BENCH-{os.getpid()}",
                on=today,
            )
            after = measure("a commune founded today")
            same = {k: v for k, v in before["province"].items() if k != "taken_at"}
            if {k: v for k, v in after["province"].items() if k != "taken_at"} != same:
                raise SystemExit("the new commune changed a past period's figures")
            communes = Unit.objects.filter(parent=province, is_active=True).exclude(pk=commune.pk)
            branch = Unit.objects.filter(parent=communes.first(), is_active=True).first()
            org_services.move_unit(branch, new_parent=communes.last(), on=today)
            measure("and a chi hội moved today")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
