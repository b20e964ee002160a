"""Open every page that takes no argument, as each scope's user, and list the slow ones.

Run from the repository root, on a generated database (``manage.py generate``):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/uutu_gen_national \\
        .venv/bin/python bench/survey_pages.py [--users bench_commune,bench_province]
        [--slower-than 150] [--runs 2] [--only pipeline:bulk,…] [--extra /path?q=…]

The suite (``bench/run``) times chosen pages against their floors; this looks for
the pages nobody chose. Each URL pattern without an argument (downloads, the admin
and log-out left out) is requested through the Django test client ``--runs`` times
as each user; the fastest time is kept, so a cold cache does not count. It prints
the pages slower than ``--slower-than`` ms, and every answer that is not 200, 302,
403 or 405, with the user, the time, the status and the URL's name. It prints
figures only: no thresholds. Session 9 found the case list this way.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import suite  # noqa: E402 - beside this file: the suite's settings and client

SKIP = ("xuat", "export", "dang-xuat", "admin", "tai-ve", "mau", "static", "__")
USERS = "bench_commune,bench_province,bench_national"


def routes():
    """(path, name) of every URL pattern without an argument."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix="", namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if "<" not in route and "(?P" not in route:
                    yield "/" + route.lstrip("^").rstrip("$"), f"{namespace}:{p.name}"

    return [(r, n) for r, n in walk(get_resolver().url_patterns) if not any(s in r for s in SKIP)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default=USERS, help="comma-separated usernames")
    parser.add_argument("--slower-than", type=float, default=150.0, help="ms")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--only", default="", help="comma-separated parts of URL names (pipeline:bulk,…) to open"
    )
    parser.add_argument("--extra", default="", help="comma-separated extra paths, e.g. with ?q=")
    args = parser.parse_args(argv)
    suite.setup_django(suite.django_env(os.environ.get("DATABASE_URL", "")))
    from uutu.accounts.models import User

    pages = routes()
    if args.only:
        pages = [(p, n) for p, n in pages if any(part in n for part in args.only.split(","))]
    pages += [(p, "extra") for p in args.extra.split(",") if p]
    print(f"{'user':<16} {'fastest ms':>10} {'status':>6}  page")
    slow = 0
    for username in args.users.split(","):
        client = suite.client_for(User.objects.get(username=username))
        for path, name in pages:
            best, status = None, None
            for _ in range(args.runs):
                start = time.perf_counter()
                try:
                    status = client.get(path).status_code
                except Exception as exc:  # a page that raises is a finding too
                    status = type(exc).__name__
                elapsed = (time.perf_counter() - start) * 1000
                best = elapsed if best is None else min(best, elapsed)
            if best > args.slower_than or status not in (200, 302, 403, 405):
                slow += 1
                print(f"{username:<16} {best:>10.0f} {status!s:>6}  {path} ({name})", flush=True)
    print(f"\n{len(pages)} pages × {len(args.users.split(','))} users: {slow} listed")


if __name__ == "__main__":
    main()
