"""Time the member list and member detail pages on the demo data set.

Run from the repository root:

    .venv/bin/python bench/bench_member_list.py [--members 4000] [--runs 30]

It builds the demo (``uutu.core.demo.build_demo``) in a throwaway SQLite database
under a temporary directory, or in the database named by ``DATABASE_URL`` when set
(migrated first; the demo is only added if missing). It then logs in with
Django's test client as the commune cadre ``xa`` and the province cadre ``tinh``
and requests each page ``--runs`` times, printing the median and 95th
percentile time and the number of SQL queries per request. It prints figures
only: no thresholds, no pass or fail.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _measure(client, url: str, runs: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up (template loading, caches)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    n_queries = len(ctx.captured_queries)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return {
        "median": statistics.median(times),
        "p95": _percentile(times, 95),
        "min": min(times),
        "queries": n_queries,
        "bytes": len(response.content),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--users",
        default="xa,tinh",
        help="comma-separated demo users to log in as (default: xa,tinh: the commune "
        "cadre of commune A and the province cadre)",
    )
    args = parser.parse_args(argv)

    tmp = None
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.TemporaryDirectory(prefix="uutu-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
        os.environ.setdefault("UUTU_VAR_DIR", tmp.name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "uutu.test_settings")

    import warnings

    import django

    # No collected static files in a throwaway run: whitenoise warns about it.
    warnings.filterwarnings("ignore", message="No directory at")

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from uutu.accounts.models import RoleAssignment
    from uutu.core.demo import build_demo
    from uutu.people.models import Person

    setup_test_environment()  # allows the test client's host name, locmem e-mail
    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        demo = build_demo(members=args.members, seed=args.seed)
        print(
            f"Database: {connection.vendor} ({'temporary' if tmp else 'DATABASE_URL'}); "
            f"demo: {demo.members_total} members, {demo.branches} branches in "
            f"{len(demo.communes)} communes, built in {time.perf_counter() - started:.1f} s"
            + (" (already there)" if demo.skipped else "")
        )

        header = f"{'user':<7} {'page':<26} {'median ms':>10} {'p95 ms':>10} {'min ms':>10} "
        header += f"{'queries':>8} {'KiB':>7}"
        rows = []
        for username in [u.strip() for u in args.users.split(",") if u.strip()]:
            client = Client()
            if not client.login(username=username, password=demo.password):
                raise SystemExit(f"Cannot log in as {username!r} with the demo password.")
            unit = RoleAssignment.objects.filter(user__username=username).first().unit
            in_scope = Person.objects.filter(branch__path__startswith=unit.path)
            person = in_scope.order_by("sort_key", "id").first()
            if person is None:
                raise SystemExit(f"No member in the scope of {username!r}.")
            print(f"{username!r} at {unit.name}: {in_scope.count()} members in scope")
            list_url = reverse("people:list")
            pages = [
                ("member list, page 1", list_url),
                ("member list, search 'thi'", f"{list_url}?q=thi"),
                ("member detail", reverse("people:detail", args=[person.pk])),
            ]
            for label, url in pages:
                rows.append((username, label, _measure(client, url, args.runs)))
        print(f"\n{args.runs} timed runs per page (after one warm-up request).\n")
        print(header)
        print("-" * len(header))
        for username, label, r in rows:
            print(
                f"{username:<7} {label:<26} {r['median']:>10.1f} {r['p95']:>10.1f} "
                f"{r['min']:>10.1f} {r['queries']:>8} {r['bytes'] / 1024:>7.1f}"
            )
    finally:
        connection.close()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
