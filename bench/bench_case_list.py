"""Time the case list page, plain and searched, for many kinds of name, at every scope.

Run from the repository root, on a generated database (``manage.py generate``):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/uutu_gen_national \\
        .venv/bin/python bench/bench_case_list.py [--runs 3] [--terms "lan,tran thi tuyet"]

The suite (``bench/run``) times the case list and one case search per scope and
checks them against a floor; this times more names (an empty search is the plain
list), each requested through the Django test client (``/phat-trien-dang/?q=…``)
as the generator's national, province and commune users. For each it prints the
median and p95 in ms and the SQL queries. It checks that every case on the first
page holds every typed word in its search text. It prints figures only: no
thresholds.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import suite  # noqa: E402 - beside this file: the suite's settings and timing

TERMS = ["", "lan", "tran thi tuyet", "hoang thi thu trang", "ha giang", "nguyen", "zzq"]
USERS = ("bench_national", "bench_province", "bench_commune")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--terms", default=",".join(TERMS), help="comma-separated")
    args = parser.parse_args(argv)
    suite.setup_django(suite.django_env(os.environ.get("DATABASE_URL", "")))
    from uutu.accounts.models import User
    from uutu.core.text import fold
    from uutu.pipeline.views_cases import case_page

    print(f"{'search':<22} {'user':<16} {'median':>8} {'p95':>8} {'q':>3}  found")
    medians = []
    for username in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise SystemExit(f"no user {username}: run manage.py generate first")
        client = suite.client_for(user)
        for term in args.terms.split(","):
            url = suite.reverse("pipeline:case_list")
            if term:
                url += "?q=" + term.replace(" ", "+")
            timing = suite.timed(suite.get_ok(client, url), args.runs, 1)
            _form, page = case_page(user, {"q": term} if term else {})
            words = fold(term).split()
            wrong = [c.pk for c in page.object_list if not all(w in c.search_name for w in words)]
            if wrong:
                raise SystemExit(f"{term!r} as {username}: cases {wrong} lack a word")
            found = f"{page.paginator.count:,}{'+' if page.paginator.more else ''}"
            medians.append(timing["median_ms"])
            print(
                f"{term or '(plain list)':<22} {username:<16} {timing['median_ms']:>8.1f} "
                f"{timing['p95_ms']:>8.1f} {timing['queries']:>3}  {found}",
                flush=True,
            )
    print(
        f"\n{len(medians)} pages: median of medians {statistics.median(medians):.1f} ms, "
        f"slowest {max(medians):.1f} ms"
    )


if __name__ == "__main__":
    main()
