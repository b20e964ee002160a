"""Time the member search page for many kinds of name, at every scope.

Run from the repository root, on a generated database (``manage.py generate``):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/uutu_gen_national \\
        .venv/bin/python bench/bench_search.py [--runs 5] [--terms "tran thi tuyet,lan"]

The suite (``bench/run``) times one search; a name search's cost depends on how
common its words are, so this times a set of them: a given name alone, a common
and a rare word, full names of three and four words, a family and a given name.
Each is requested through the Django test client (``/hoi-vien/?q=…``) as the
generator's national, province and commune users, and as the national user
filtered to the province whose members come last in the table. For each it prints
the median and p95 in ms, the SQL queries, the way the search went
(``uutu.people.namewords.plan``: the word index, a scan, or LIKE), its estimated
cost, and how many it found (">1000" when the list says "hơn 1.000").

It checks what it shows: every member on the first page holds every typed word,
and a search that found fewer than the cap found exactly the members that
``LIKE '%word%'`` finds in the same scope. It prints figures only: no thresholds.
It writes ``bench/results/search-<database>.json``.
"""

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import suite  # noqa: E402 - beside this file: the suite's settings and timing

TERMS = [
    "lan",
    "tuyet",
    "thi mai",
    "ha giang",
    "nguyen thi lan",
    "tran thi tuyet",
    "le thi hong nhung",
    "hoang thi thu trang",
    "vu thi my hanh",
]
USERS = {"national": "bench_national", "province": "bench_province", "commune": "bench_commune"}


def _check(user, params: dict, page, term: str) -> str:
    """'' when the page shows only matches and, under the cap, all of them."""
    from django.db.models import Q

    from uutu.core.text import fold
    from uutu.people.models import Person
    from uutu.people.views import VIEW, _in_unit

    words = fold(term).split(" ")
    ids = [int(row.url.rstrip("/").rsplit("/", 1)[-1]) for row in page.object_list]
    names = dict(Person.objects.filter(pk__in=ids).values_list("pk", "search_name"))
    wrong = [pk for pk in ids if not all(w in names.get(pk, "") for w in words)]
    if wrong:
        return f"shown but not matching: {wrong[:5]}"
    if page.paginator.more:
        return ""
    like = Q()
    for word in words:
        like &= Q(search_name__contains=word)
    expected = Person.objects.restrict(user, VIEW).filter(like, archived_at__isnull=True)
    if "unit" in params:
        from uutu.orgs.models import Unit

        expected = _in_unit(expected, Unit.objects.get(pk=params["unit"]).path)
    n = expected.count()
    if n != page.paginator.count:
        return f"found {page.paginator.count}, LIKE finds {n}"
    return ""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--terms", help="comma-separated search texts")
    parser.add_argument("--no-check", action="store_true", help="skip the LIKE recount")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("DATABASE_URL: a generated database (manage.py generate).")
    suite.setup_django(suite.django_env(os.environ["DATABASE_URL"]))
    from django.db import connection
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    setup_test_environment()  # response.context, for the page the view rendered

    from uutu.accounts.models import User
    from uutu.core.text import fold
    from uutu.emulation.selection import top_unit
    from uutu.orgs.models import Unit
    from uutu.people import namewords
    from uutu.people.views import _search_scope

    terms = [t.strip() for t in args.terms.split(",")] if args.terms else TERMS
    scopes = {}
    for scope, username in USERS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            print(f"  ! no user {username}: scope {scope} skipped")
            continue
        scopes[scope] = (user, top_unit(user, "dashboard.view"))
    targets = [(scope, user, {}) for scope, (user, _unit) in scopes.items()]
    last = suite.Suite._last_province(scopes)
    if last is not None:
        user, unit, params = last
        targets.insert(1, (f"{unit.name} (last in table)", user, params))
    rows = []
    print(f"{'search':22} {'scope':34} {'median':>8} {'p95':>8} {'q':>3}  way     est.ms  found")
    for term in terms:
        for label, user, params in targets:
            query = "&".join(f"{k}={v}".replace(" ", "+") for k, v in {"q": term, **params}.items())
            fetch = suite.get_ok(suite.client_for(user), reverse("people:list") + "?" + query)
            unit = Unit.objects.get(pk=params["unit"]) if "unit" in params else None
            plan = namewords.plan(fold(term).split(" "), _search_scope(user, unit))
            response = fetch()  # the page checked below, and the warm-up
            timing = suite.timed(fetch, args.runs, warmup=0)
            page = response.context["page"]
            found = ">1000" if page.paginator.more else str(page.paginator.count)
            problem = "" if args.no_check else _check(user, params, page, term)
            row = {
                "search": term,
                "scope": label,
                "median_ms": round(timing["median_ms"], 1),
                "p95_ms": round(timing["p95_ms"], 1),
                "queries": timing["queries"],
                "way": plan.way,
                "estimated_ms": round(plan.cost / 1000, 1),
                "found": found,
                "problem": problem,
            }
            rows.append(row)
            print(
                f"{term:22} {label[:34]:34} {row['median_ms']:8.1f} {row['p95_ms']:8.1f} "
                f"{row['queries']:3}  {plan.way:6} {row['estimated_ms']:7.1f}  {found}"
                + (f"  !! {problem}" if problem else "")
            )
    name = connection.settings_dict["NAME"]
    out = ROOT / "bench" / "results" / f"search-{name}.json"
    out.write_text(json.dumps({"database": name, "runs": args.runs, "rows": rows}, indent=1))
    medians = [r["median_ms"] for r in rows]
    print(
        f"\n{len(rows)} searches: median of medians {statistics.median(medians):.1f} ms, "
        f"slowest {max(medians):.1f} ms; {sum(1 for m in medians if m < 100)} under 100 ms; "
        f"{sum(1 for r in rows if r['problem'])} with wrong results. Written to {out}"
    )
    if any(r["problem"] for r in rows):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
