"""The benchmark suite: every operation as a user meets it, with the floor.

Run it through ``bench/run`` (see bench/README.md); ``bench/run --help`` lists the
options. It prepares the database (SQLite under /tmp or PostgreSQL database
``uutu_bench_<scale>``), fills it once (``manage.py generate``, or the demo when the
generator is not there), then times:

- figures: ``targets.progress.figures(by_child=True)`` + ``progress()``, the
  dashboard page and the six-month report's figures, for the national root, one
  province and one commune, each next to its floor (hand-written SQL, see
  ``bench/floor.py``), whose numbers must equal ours;
- pages (Django test client, in-process): member search (accent-free query, first
  page) at province and national scope, the member list, a case page, each with
  its floor and SQL query count;
- the six-month report of a province with all its communes exported to .docx,
  .xlsx and .pdf;
- the member import (rows per second, peak memory), in a child process and a
  database of its own;
- concurrent load: gunicorn on 127.0.0.1 driven by wrk with many logged-in users.

It prints one table and writes ``bench/results/<scale>-<db>.json``. Benchmarks
print figures; the only failures are wrong numbers (ours ≠ floor), load errors and
— reported, not raised — missed targets.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(BENCH))

PG_SERVER = "postgres://postgres@127.0.0.1:5432/"
PG_PREFIX = "uutu_bench"
SECRET_KEY = "uutu-bench-only-" + "k" * 48  # shared by the suite and gunicorn (sessions)
BENCH_PASSWORD = "uutu-bench-2026"
GENERATOR_USERS = {
    "national": "bench_national",
    "province": "bench_province",
    "commune": "bench_commune",
    "cell": "bench_cell",
}
DEMO_USERS = {"national": "admin", "province": "tinh", "commune": "xa", "cell": "chibo"}
QUICK_MEMBERS, QUICK_COMMUNES = 1500, 3

# Targets of issue 6 (PostgreSQL, the 2-core machine): (kind, value).
TARGETS = {
    ("dashboard page", "national"): ("ms", 300),
    ("dashboard page", "province"): ("ms", 50),
    ("member search, page 1", "national"): ("ms", 100),
    ("import", None): ("rows/s", 5000),
    ("concurrent load", None): ("p95 ms", 500),
}


# --- small helpers ---------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timed(fn, runs: int, warmup: int) -> dict:
    """Warm-up calls, one call whose SQL queries are counted, then ``runs`` timed
    calls: median, p95 and fastest in ms."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        fn()
    reset_queries()  # a request resets the log too: start from an empty one
    with CaptureQueriesContext(connection) as ctx:
        fn()
    queries = len(ctx.captured_queries)  # read now: later requests reset the log
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return {
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 95),
        "min_ms": min(times),
        "runs": runs,
        "queries": queries,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids=None, name: str | None = None) -> float:
    """CPU seconds (user + system) used so far by the processes ``pids`` and their
    children, or by every process whose command is ``name``, with what their exited
    children used (Linux ``/proc``; 0.0 elsewhere). The load section reads it
    before and after wrk: the server's CPU per request is a steadier figure than a
    p95 on a shared machine (PostgreSQL's includes its background processes:
    autovacuum, checkpoints)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return 0.0
    chosen = set(pids or ())
    total = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        head, _, rest = stat.rpartition(")")
        fields = rest.split()
        comm, ppid = head.split("(", 1)[1], int(fields[1])
        if int(entry.name) in chosen or ppid in chosen or (name and comm == name):
            # utime, stime, and those of its exited children (PostgreSQL's backends
            # end when a gunicorn worker renews its connection), in clock ticks
            total += sum(int(v) for v in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def calibration() -> float:
    """CPU seconds of a fixed pure-Python loop in this process: how fast the machine
    is at the moment (it varied by a third within one session on the benchmark VM)."""
    start, s = time.process_time(), 0
    for i in range(5_000_000):
        s += i * i
    return round(time.process_time() - start, 3)


def machine() -> dict:
    info = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return info


# --- the database --------------------------------------------------------------------


def database_url(args) -> str:
    if args.database_url:
        return args.database_url
    if args.db == "postgres":
        return f"{PG_SERVER}{PG_PREFIX}_{args.scale}"
    return f"sqlite:////tmp/{PG_PREFIX}_{args.scale}.sqlite3"


def ensure_pg_database(url: str, *, fresh: bool = False) -> None:
    """Create the PostgreSQL database of ``url`` if missing (dropped first when
    ``fresh``). Only names starting with ``uutu_`` are touched."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    assert name.startswith("uutu_"), name
    with psycopg.connect(f"{PG_SERVER}postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def generator_available() -> bool:
    from django.core.management import get_commands

    return "generate" in get_commands()


def fill(args, env: dict) -> str:
    """Fill the database unless it holds members already; returns how it was filled."""
    from uutu.people.models import Person

    if Person.objects.exists():
        return "already filled"
    if generator_available():
        scale = "commune" if args.scale == "quick" else args.scale
        cmd = [sys.executable, "manage.py", "generate", "--scale", scale, "--seed", "1"]
        print("  $", " ".join(cmd[1:]), flush=True)
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)
        return f"manage.py generate --scale {scale} --seed 1"
    if args.scale == "national":
        raise SystemExit(
            "National scale needs `manage.py generate` (app uutu.scale), or an existing "
            "database: --national-db URL."
        )
    from uutu.core.demo import build_demo

    if args.scale == "quick":
        build_demo(members=QUICK_MEMBERS, communes=QUICK_COMMUNES)
        return f"demo (build_demo members={QUICK_MEMBERS} communes={QUICK_COMMUNES})"
    build_demo()
    return "demo (manage.py load_demo: Cao Bằng, 6,000 members)"


def data_size() -> dict:
    from uutu.orgs.models import Unit
    from uutu.people.models import Person
    from uutu.pipeline.models import Case, CaseEvent

    return {
        "units": Unit.objects.count(),
        "members": Person.objects.count(),
        "cases": Case.objects.count(),
        "case_events": CaseEvent.objects.count(),
    }


def pg_settings() -> dict:
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    out = {}
    with connection.cursor() as cursor:
        for name in (
            "server_version",
            "shared_buffers",
            "work_mem",
            "effective_cache_size",
            "maintenance_work_mem",
            "max_connections",
            "random_page_cost",
            "jit",
        ):
            cursor.execute(f"SHOW {name}")
            out[name] = cursor.fetchone()[0]
    return out


# --- who and where -------------------------------------------------------------------


def resolve_scopes(args) -> dict:
    """{scope: (user, unit)} for national, province, commune (and the cell user)."""
    from uutu.accounts.models import User
    from uutu.emulation.selection import top_unit
    from uutu.orgs.models import Unit

    if args.users:
        names = dict(DEMO_USERS)
        names.update(dict(p.split("=", 1) for p in args.users.split(",") if "=" in p))
    elif User.objects.filter(username=GENERATOR_USERS["national"]).exists():
        names = dict(GENERATOR_USERS)
    else:
        names = dict(DEMO_USERS)
    scopes = {}
    for scope, username in names.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            print(f"  ! no user {username!r} for scope {scope}: skipped")
            continue
        unit = top_unit(user, "dashboard.view")
        if unit is not None:
            unit = Unit.objects.select_related("level", "counterpart").get(pk=unit.pk)
        scopes[scope] = (user, unit)
    return scopes


def bench_year(args) -> int:
    from django.db.models import Max

    from uutu.pipeline.models import CaseEvent, Organisation

    if args.year:
        return args.year
    last = CaseEvent.objects.filter(
        kind=CaseEvent.Kind.STEP,
        organisation=Organisation.HOI,
        date__lte=datetime.date.today(),
    ).aggregate(d=Max("date"))["d"]
    return (last or datetime.date.today()).year


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def reverse(name, args=None) -> str:
    from django.urls import reverse as django_reverse

    return django_reverse(name, args=args)


def get_ok(client, url: str):
    def fn():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        return response

    return fn


# --- the benchmarks ------------------------------------------------------------------


class Suite:
    def __init__(self, args):
        self.args = args
        self.rows: list[dict] = []
        self.checks: list[dict] = []
        self.vendor = None

    # a row of the table
    def add(self, operation, scope, ours=None, floor=None, *, notes="", value=None, **extra):
        row = {"operation": operation, "scope": scope or "", "notes": notes, **extra}
        if ours:
            row.update(ours)
        if floor:
            row["floor_ms"] = floor["median_ms"]
            row["floor_queries"] = floor["queries"]
            if ours and floor["median_ms"] > 0:
                row["ratio"] = ours["median_ms"] / floor["median_ms"]
        target = TARGETS.get((operation, scope)) or TARGETS.get((operation, None))
        if target:
            kind, limit = target
            row["target"] = f"≥ {limit:,} {kind}" if kind == "rows/s" else f"< {limit} {kind}"
            measured = value if value is not None else row.get("median_ms")
            if measured is not None:
                ok = measured >= limit if kind == "rows/s" else measured < limit
                row["pass"] = ok
        self.rows.append(row)
        self.print_row(row)
        return row

    def check(self, what, problems: list[str]) -> None:
        self.checks.append({"what": what, "same": not problems, "problems": problems[:50]})
        if problems:
            print(f"\n!!!!! MISMATCH ours ≠ floor: {what} ({len(problems)} differences)")
            for line in problems[:20]:
                print("!!!!!   ", line)
            print()

    @staticmethod
    def print_row(row) -> None:
        print(
            f"  {row['operation']:<34} {row['scope']:<9} "
            f"{_fmt(row.get('median_ms')):>9} {_fmt(row.get('p95_ms')):>9} "
            f"floor {_fmt(row.get('floor_ms')):>8}  {row.get('notes', '')}",
            flush=True,
        )

    # figures, dashboard and report figures
    def figures(self, scopes, year):
        import floor
        from django.core.cache import cache

        from uutu.pipeline import figures as F
        from uutu.reports.services import build_figures
        from uutu.targets.models import Period
        from uutu.targets.progress import figures, progress

        args = self.args
        period, half = Period.year(year), Period.half(year)
        for scope in ("national", "province", "commune"):
            if scope not in scopes or scopes[scope][1] is None:
                continue
            user, unit = scopes[scope]
            party = unit.counterpart
            for per in (period, half):
                sc = F.scope_as_of(unit, per.end)
                if sc.ids is not None:
                    print(
                        f"  ! {unit.name}: reorganised after {per.end}; the floor uses today's tree"
                    )
            ours_fig = figures(unit, period, by_child=True)
            cells = F.cell_figures(party, period.start, period.end) if party else None
            floor_args = (unit, period.start, period.end, period.pk, party.path if party else None)
            self.check(
                f"figures {scope} {period.name}",
                floor.compare(ours_fig, floor.figures(*floor_args), cells),
            )
            half_args = (unit, half.start, half.end, half.pk, party.path if party else None)
            self.check(
                f"figures {scope} {half.name}",
                floor.compare(
                    figures(unit, half, by_child=True),
                    floor.figures(*half_args),
                    F.cell_figures(party, half.start, half.end) if party else None,
                ),
            )
            floor_t = timed(lambda a=floor_args: floor.figures(*a), args.runs, args.warmup)
            half_floor_t = timed(lambda a=half_args: floor.figures(*a), args.runs, args.warmup)

            def ours(unit=unit):
                cache.clear()  # counted every time, as the floor is
                values = figures(unit, period, by_child=True)["total"]
                return progress(unit, period, values=values)

            self.add(
                "figures + progress (year)",
                scope,
                timed(ours, args.runs, args.warmup),
                floor_t,
                notes=unit.name,
            )
            client = client_for(user)
            url = f"{reverse('reports:dashboard')}?unit={unit.pk}&year={year}"
            self.add(
                "dashboard page",
                scope,
                timed(get_ok(client, url), args.runs, args.warmup),
                floor_t,
                notes=f"GET {url} (figures from the cache, as between two changes)",
            )
            page = get_ok(client, url)

            def cold(page=page):
                cache.clear()  # the first view after a change in the province
                return page()

            self.add(
                "dashboard page, cold cache",
                scope,
                timed(cold, args.runs, args.warmup),
                floor_t,
                notes="the same, the cache emptied before each call",
            )

            def report(unit=unit):
                cache.clear()
                return build_figures(unit, half)

            self.add(
                "6-month report figures",
                scope,
                timed(report, args.runs, args.warmup),
                half_floor_t,
                notes=f"reports.services.build_figures, {half.name} (counted, no cache)",
            )

    # member list, search, case page
    def pages(self, scopes):
        import floor
        from django.conf import settings
        from django.core.paginator import Paginator
        from django.db.models import Count

        from uutu.core.text import fold
        from uutu.people.models import Person
        from uutu.people.views import filter_people
        from uutu.pipeline.models import Case

        args = self.args
        term = args.search
        if not term and "province" in scopes:
            sample = (
                Person.objects.filter(branch__path__startswith=scopes["province"][1].path)
                .order_by("id")
                .values_list("full_name", flat=True)
                .first()
            )
            term = " ".join(fold(sample or "thi").split()[-2:])
        term = fold(term or "thi")
        words = term.split()
        size = settings.PAGE_SIZE
        # The province whose members come last in the members' table (the national
        # user, filtered by it): the scope's first province is also the table's
        # first, where a scan that ignores the scope finds its rows at once.
        targets = {scope: (user, unit, {}) for scope, (user, unit) in scopes.items()}
        last = self._last_province(scopes)
        if last is not None:
            targets["province, last in table"] = last
        for label, query, wanted in (
            (
                "member search, page 1",
                {"q": term},
                ("province", "province, last in table", "national"),
            ),
            (
                "member list, page 1",
                {},
                ("commune", "province", "province, last in table", "national"),
            ),
        ):
            for scope in wanted:
                if scope not in targets:
                    continue
                user, unit, unit_filter = targets[scope]
                params = dict(query, **unit_filter)
                # ours, through the view's own filter and order: count and first
                # page ids (a search is sorted by name, as the view sorts the
                # matches it shows)
                _form, qs = filter_people(user, params)
                if query:
                    qs = qs.order_by("sort_key", "id")
                page = Paginator(qs, size).get_page(1)
                ours_ids = [p.pk for p in page.object_list]
                prefix = unit.path if unit is not None else ""
                f_count, f_ids = floor.member_page(prefix, words if query else [], size)
                problems = []
                if page.paginator.count != f_count:
                    problems.append(f"count: ours {page.paginator.count} floor {f_count}")
                if ours_ids != f_ids:
                    problems.append(
                        f"first page ids differ: ours {ours_ids[:5]}… floor {f_ids[:5]}…"
                    )
                self.check(f"{label} {scope}", problems)
                client = client_for(user)
                url = reverse("people:list")
                if params:
                    url += "?" + "&".join(f"{k}={v}".replace(" ", "+") for k, v in params.items())
                self.add(
                    label,
                    scope,
                    timed(get_ok(client, url), args.runs, args.warmup),
                    timed(
                        lambda p=prefix, w=(words if query else []): floor.member_page(p, w, size),
                        args.runs,
                        args.warmup,
                    ),
                    notes=f"GET {url} ({f_count:,} found)",
                )
        self._case_lists(scopes, term, size)
        if "province" in scopes:
            user, unit = scopes["province"]
            case = (
                Case.objects.filter(branch__path__startswith=unit.path)
                .annotate(n=Count("events"))
                .order_by("-n", "id")
                .first()
            )
            if case is not None:
                url = reverse("pipeline:case_detail", args=[case.pk])
                self.add(
                    "case page",
                    "province",
                    timed(get_ok(client_for(user), url), args.runs, args.warmup),
                    timed(lambda: floor.case_page(case.pk), args.runs, args.warmup),
                    notes=f"GET {url} ({case.n} events)",
                )

    def _case_lists(self, scopes, term: str, size: int) -> None:
        """The case list's first page, plain and searched, against its floor: the
        same count (capped as the list caps it) and, for the plain list and a
        search with fewer matches than the cap, the same page."""
        import floor

        from uutu.accounts.permissions import ALL, scope_prefixes
        from uutu.core.pagination import COUNT_CAP, SEARCH_CAP
        from uutu.core.text import fold
        from uutu.pipeline.views_cases import case_page

        args = self.args
        words = fold(term).split(" ")
        for label, query, wanted in (
            ("case list, page 1", {}, ("commune", "province", "national")),
            ("case search, page 1", {"q": term}, ("commune", "province", "national")),
        ):
            for scope in wanted:
                if scope not in scopes:
                    continue
                user, _unit = scopes[scope]
                prefixes = scope_prefixes(user, "pipeline.view")
                prefixes = [] if prefixes is ALL else sorted(prefixes)
                client = client_for(user)
                url = reverse("pipeline:case_list")
                if query:
                    url += "?q=" + term.replace(" ", "+")
                _form, page = case_page(user, query)
                ours = [c.pk for c in page.object_list]
                cap = SEARCH_CAP if query else COUNT_CAP
                count, ids = floor.case_list(prefixes, words if query else [], size, cap)
                problems = []
                shown = min(count, cap)
                if page.paginator.count != shown or bool(page.paginator.more) != (count > cap):
                    problems.append(f"count: ours {page.paginator.count} floor {count}")
                if (not query or count <= cap) and ours != ids:
                    problems.append(f"first page ids differ: ours {ours[:5]}… floor {ids[:5]}…")
                if query and any(
                    not all(w in c.search_name for w in words) for c in page.object_list
                ):
                    problems.append("a case on the page lacks a typed word")
                self.check(f"{label} {scope}", problems)
                self.add(
                    label,
                    scope,
                    timed(get_ok(client, url), args.runs, args.warmup),
                    timed(
                        lambda p=prefixes, w=(words if query else []), c=cap: floor.case_list(
                            p, w, size, c
                        ),
                        args.runs,
                        args.warmup,
                    ),
                    notes=f"GET {url} ({count:,}{'+' if count > cap else ''} found)",
                )

    @staticmethod
    def _last_province(scopes):
        """(national user, the province of the member written last, {"unit": its id}),
        or None without a national scope or with one province only."""
        from uutu.orgs.models import Unit
        from uutu.people.models import Person

        if "national" not in scopes or "province" not in scopes:
            return None
        user, root = scopes["national"]
        newest = Person.objects.order_by("-id").values_list("branch__path", flat=True).first()
        if root is None or newest is None:
            return None
        depth = len(scopes["province"][1].path.split(".")) - 1
        path = ".".join(newest.split(".")[:depth]) + "."
        unit = Unit.objects.filter(path=path).first()
        if unit is None or unit.pk == scopes["province"][1].pk:
            return None
        return user, unit, {"unit": unit.pk}

    # report exports
    def exports(self, scopes, year):
        import floor

        from uutu.reports import exporters
        from uutu.reports import services as S
        from uutu.reports.models import Kind, Report
        from uutu.targets.models import Period

        if "province" not in scopes:
            return
        _user, unit = scopes["province"]
        half = Period.half(year)
        figures = S.build_figures(unit, half)
        on_behalf, title, name = S.default_signer(unit)
        report = Report(  # as create_report makes it, but not saved: nothing is written
            unit=unit,
            period=half,
            kind=Kind.SIX_MONTHLY,
            subtitle=S.default_subtitle(Kind.SIX_MONTHLY, half),
            results=S.prefilled_results(unit, half, figures),
            place=S.place_for(unit),
            dated=datetime.date.today(),
            signer_on_behalf=on_behalf,
            signer_title=title,
            signer_name=name,
            recipients=S.default_recipients(unit),
        )
        party = unit.counterpart
        floor_t = timed(
            lambda: floor.figures(
                unit, half.start, half.end, half.pk, party.path if party else None
            ),
            self.args.runs,
            self.args.warmup,
        )
        runs = self.args.export_runs
        for fmt in ("docx", "xlsx", "pdf"):
            size = len(exporters.export(report, fmt))
            self.add(
                f"report export .{fmt}",
                "province",
                timed(lambda f=fmt: exporters.export(report, f), runs, 0),
                floor_t,
                notes=f"{half.name}, {len(figures['children'])} communes, {size / 1024:.0f} KiB",
            )

    # member import
    def imports(self):
        import bench_import

        args = self.args
        sizes = [args.import_rows] + ([100_000] if args.import_large else [])
        for size in sizes:
            if args.db == "postgres":
                url = f"{PG_SERVER}{PG_PREFIX}_import"
                ensure_pg_database(url, fresh=True)
            else:
                # a throwaway file: the benchmark database's 600,000 members hold CCCDs
                # the generated file may repeat (the import would rightly refuse them)
                url = f"sqlite:///{tempfile.mkdtemp(prefix='uutu-bench-import-')}/import.sqlite3"
            f = bench_import.run_size(size, "xlsx", database_url=url)
            total = f["validate_s"] + f["commit_s"]
            rate = size / total
            self.add(
                "import",
                f"{size:,} rows",
                {"median_ms": total * 1000, "p95_ms": None, "runs": 1, "queries": None},
                notes=(
                    f"{rate:,.0f} rows/s (preview {f['validate_rows_per_s']:,.0f}, "
                    f"commit {f['commit_rows_per_s']:,.0f}); peak RSS "
                    f"{f['rss_after_commit_mb']:.0f} MB"
                ),
                value=rate,
                rows_per_s=rate,
                detail=f,
            )

    # concurrent load
    def load(self, scopes, year, env):
        from uutu.pipeline.models import Case

        args = self.args
        wrk = shutil.which("wrk")
        if wrk is None:
            print("  ! wrk is not installed (apt-get install -y wrk): load skipped")
            self.add("concurrent load", "", notes="skipped: no wrk")
            return
        static_root = Path(tempfile.gettempdir()) / "uutu-bench-static"
        genv = dict(env)
        genv.update(
            DJANGO_SETTINGS_MODULE="uutu.settings",
            DEBUG="0",
            UUTU_HTTPS="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            STATIC_ROOT=str(static_root),
            LOG_LEVEL="ERROR",
        )
        manifest = static_root / "staticfiles.json"
        sources = [ROOT / "src" / "uutu" / "static", ROOT / "node_modules" / "chart.js"]
        newest = max(
            (f.stat().st_mtime for d in sources if d.is_dir() for f in d.rglob("*")), default=0
        )
        if not manifest.exists() or manifest.stat().st_mtime < newest:
            print(f"  collectstatic into {static_root} (once: compressing takes minutes)")
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                cwd=ROOT,
                env=genv,
                check=True,
            )
        # Sessions of several logged-in users, pages of their own scope.
        lines = []
        for scope in ("national", "province", "commune"):
            if scope not in scopes:
                continue
            user, unit = scopes[scope]
            case = (
                Case.objects.filter(branch__path__startswith=unit.path).order_by("id").first()
                if unit
                else None
            )
            paths = [
                f"/bao-cao/bang-dieu-khien/?unit={unit.pk}&year={year}",
                "/hoi-vien/",
                "/hoi-vien/?q=thi+h",
                "/hoi-vien/?page=2",
                "/phat-trien-dang/",
                "/phat-trien-dang/?q=thi+h",
            ]
            if case is not None:
                paths.append(f"/phat-trien-dang/{case.pk}/")
            for _ in range(args.load_sessions):
                cookie = client_for(user).cookies["sessionid"].value
                lines += [f"{cookie}\t{p}" for p in paths]
        plan = Path(tempfile.mkstemp(prefix="uutu-wrk-", suffix=".tsv")[1])
        plan.write_text("\n".join(lines) + "\n")
        port = free_port()
        cmd = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "uutu.wsgi",
            "--pythonpath",
            "src",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--backlog",
            "2048",
            "--keep-alive",
            str(args.keep_alive),
            "--log-level",
            "warning",
        ]
        # Extra gunicorn options for a diagnosis, e.g. an access log with each
        # request's worker and time: UUTU_BENCH_GUNICORN_ARGS="--access-logfile
        # /tmp/access.log --access-logformat '%(p)s %(L)s %(U)s'".
        cmd += shlex.split(os.environ.get("UUTU_BENCH_GUNICORN_ARGS", ""))
        server = subprocess.Popen(cmd, cwd=ROOT, env=genv)
        try:
            self._wait_ready(port, server)
            bad = self._precheck(port, lines)
            if bad:
                raise SystemExit(f"load test pages do not answer 200: {bad[:5]}")
            wenv = dict(os.environ)
            wenv.update(
                UUTU_WRK_PLAN=str(plan),
                UUTU_WRK_THINK=args.think_ms,
                UUTU_WRK_MAX=str(args.load_max_requests // max(args.load_threads, 1)),
            )
            wcmd = [
                wrk,
                "-t",
                str(args.load_threads),
                "-c",
                str(args.load_connections),
                "-d",
                f"{args.load_duration}s",
                "--timeout",
                "30s",
                "-s",
                str(BENCH / "load.lua"),
                f"http://127.0.0.1:{port}",
            ]
            if args.load_warmup:
                # The same load for a few seconds, not measured: every gunicorn
                # process loads its templates and fills its caches (a national
                # dashboard costs 0.8 s the first time in a process, 0.1 s after).
                warm = list(wcmd)
                warm[warm.index("-d") + 1] = f"{args.load_warmup}s"
                print(f"  warm-up: {args.load_warmup} s of the same load, not measured")
                subprocess.run(warm, env=wenv, capture_output=True, text=True, check=True)
            print("  $", " ".join(wcmd[:9]), "…", flush=True)
            calib = calibration()
            cpu_web, cpu_db = cpu_seconds([server.pid]), cpu_seconds(name="postgres")
            out = subprocess.run(wcmd, env=wenv, capture_output=True, text=True, check=True)
            cpu_web = cpu_seconds([server.pid]) - cpu_web
            cpu_db = cpu_seconds(name="postgres") - cpu_db
            data = None
            for line in out.stdout.splitlines():
                if line.startswith("UUTU_WRK_JSON "):
                    data = json.loads(line.split(" ", 1)[1])
            if data is None:
                raise SystemExit(f"wrk gave no figures:\n{out.stdout}\n{out.stderr}")
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            plan.unlink(missing_ok=True)
        errors = sum(v for k, v in data.items() if k.startswith("errors_"))
        rps = data["requests"] / data["duration_s"] if data["duration_s"] else 0
        per_request = 1000 / max(data["requests"], 1)
        data.update(
            web_cpu_ms_per_request=round(cpu_web * per_request, 1),
            db_cpu_ms_per_request=round(cpu_db * per_request, 1),
            calibration_s=calib,
        )
        row = self.add(
            "concurrent load",
            f"{args.load_connections} users",
            {
                "median_ms": data["p50_ms"],
                "p95_ms": data["p95_ms"],
                "runs": data["requests"],
                "queries": None,
            },
            notes=(
                f"{rps:.1f} req/s, p99 {data['p99_ms']:.0f} ms, {errors} errors; "
                f"server CPU per request: gunicorn {data['web_cpu_ms_per_request']} ms, "
                f"PostgreSQL {data['db_cpu_ms_per_request']} ms (calibration {calib} s); "
                f"gunicorn {args.workers}×{args.threads} {args.worker_class}, "
                f"keep-alive {args.keep_alive} s, "
                f"think {args.think_ms} ms, "
                f"{args.load_duration} s after {args.load_warmup} s of warm-up"
            ),
            value=data["p95_ms"],
            requests_per_s=rps,
            errors=errors,
            detail=data,
        )
        if errors:
            row["pass"] = False
            print(f"\n!!!!! concurrent load: {errors} errors ({data})\n")

    @staticmethod
    def _wait_ready(port, server, timeout=60):
        import http.client

        deadline = time.time() + timeout
        while time.time() < deadline:
            if server.poll() is not None:
                raise SystemExit("gunicorn stopped while starting")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/tai-khoan/dang-nhap/")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("gunicorn did not answer in time")

    @staticmethod
    def _precheck(port, lines) -> list[str]:
        """Each planned page once, and each session once, must answer 200 (a
        redirect to the log-in page would count as a success in wrk)."""
        import http.client

        first_cookie, cookies = {}, {}
        for line in lines:
            cookie, path = line.split("\t")
            first_cookie.setdefault(path, cookie)
            cookies.setdefault(cookie, "/hoi-vien/?page=2")
        checks = [(c, p) for p, c in first_cookie.items()] + list(cookies.items())
        bad = []
        for cookie, path in dict.fromkeys(checks):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                bad.append(f"{path}: {response.status}")
            conn.close()
        return bad


def _fmt(v) -> str:
    if v is None:
        return "—"
    return f"{v:,.1f}" if v < 1000 else f"{v:,.0f}"


def table(rows: list[dict], vendor: str) -> str:
    result_head = "result" if vendor == "postgresql" else "result (targets are for PostgreSQL)"
    header = (
        "| operation | scope | median ms | p95 ms | runs | SQL queries | floor ms | "
        f"ours / floor | target | {result_head} | notes |"
    )
    out = [header, "|" + "---|" * 11]
    for r in rows:
        ratio = f"{r['ratio']:.1f}×" if r.get("ratio") else "—"
        result = ("pass" if r["pass"] else "**FAIL**") if "pass" in r else ""
        out.append(
            f"| {r['operation']} | {r['scope']} | {_fmt(r.get('median_ms'))} | "
            f"{_fmt(r.get('p95_ms'))} | {r.get('runs') or '—'} | "
            f"{r.get('queries') if r.get('queries') is not None else '—'} | "
            f"{_fmt(r.get('floor_ms'))} | {ratio} | {r.get('target', '')} | {result} | "
            f"{r.get('notes', '')} |"
        )
    return "\n".join(out)


SECTIONS = ("figures", "pages", "export", "import", "load")


def parse(argv=None):
    p = argparse.ArgumentParser(
        prog="bench/run",
        description="uutu benchmark suite: figures, pages, exports, import, load (with floors).",
    )
    p.add_argument("--scale", choices=("quick", "province", "national"), default="province")
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--quick", action="store_true", help="demo subset, 3 runs, short load")
    p.add_argument("--reuse", action="store_true", help="use the database as it is")
    p.add_argument("--national-db", metavar="URL", help="benchmark this existing database")
    p.add_argument("--database-url", metavar="URL", help="override the database (any scale)")
    p.add_argument("--runs", type=int, default=None, help="timed runs (default 20, quick 3)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--export-runs", type=int, default=None, help="default 3, quick 1")
    p.add_argument("--year", type=int, help="period year (default: year of the last event)")
    p.add_argument("--users", help="scope=username,... (default: bench_* or the demo users)")
    p.add_argument("--search", help="search text (default: two words of a member's name)")
    p.add_argument("--skip", default="", help=f"comma-separated: {','.join(SECTIONS)}")
    p.add_argument("--only", default="", help=f"comma-separated: {','.join(SECTIONS)}")
    p.add_argument("--import-rows", type=int, default=None, help="default 10000, quick 1000")
    p.add_argument("--import-large", action="store_true", help="also import 100,000 rows")
    p.add_argument("--load-connections", type=int, default=None, help="default 200, quick 20")
    p.add_argument("--load-duration", type=int, default=None, help="seconds, default 60")
    p.add_argument(
        "--load-warmup", type=int, default=None, help="seconds of unmeasured load first (15)"
    )
    p.add_argument("--load-threads", type=int, default=2, help="wrk threads")
    p.add_argument("--load-max-requests", type=int, default=50_000)
    p.add_argument("--load-sessions", type=int, default=4, help="sessions per user")
    p.add_argument("--think-ms", default="1000,5000", help="min,max think time per user")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    p.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker")
    p.add_argument(
        "--worker-class", default="gthread", help="gunicorn worker class (gthread, sync)"
    )
    p.add_argument(
        "--keep-alive",
        type=int,
        default=120,
        help="seconds gunicorn keeps an idle connection (see bench/README.md)",
    )
    p.add_argument("--out", help="JSON file (default bench/results/<scale>-<db>.json)")
    args = p.parse_args(argv)
    if args.quick:
        args.scale = "quick"
    if args.national_db:
        args.scale, args.reuse, args.database_url = "national", True, args.national_db
        args.db = "postgres"
    quick = args.scale == "quick"
    args.runs = args.runs or (3 if quick else 20)
    args.export_runs = args.export_runs or (1 if quick else 3)
    args.import_rows = args.import_rows or (1000 if quick else 10_000)
    args.load_connections = args.load_connections or (20 if quick else 200)
    args.load_duration = args.load_duration or (10 if quick else 60)
    if args.load_warmup is None:
        args.load_warmup = 3 if quick else 15
    skip = {s for s in args.skip.split(",") if s}
    only = {s for s in args.only.split(",") if s}
    args.sections = [s for s in SECTIONS if s not in skip and (not only or s in only)]
    return args


def django_env(url: str) -> dict:
    """This process's environment with the benchmark's Django settings for the
    database ``url`` (plain HTTP, the test client's host), for it and its children."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="uutu.test_settings",
        SECRET_KEY=SECRET_KEY,
        UUTU_VAR_DIR=str(Path(tempfile.gettempdir()) / "uutu-bench-var"),
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        UUTU_HTTPS="0",
    )
    return env


def setup_django(env: dict) -> None:
    """Set up Django in this process with ``env`` (:func:`django_env`)."""
    import warnings

    import django

    os.environ.update(env)
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()


def main(argv=None) -> int:
    args = parse(argv)
    url = database_url(args)
    if url.startswith("postgres") and not args.reuse:
        ensure_pg_database(url)
    env = django_env(url)
    setup_django(env)
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    print(f"==> database {url} ({'reused as is' if args.reuse else 'migrate, fill if empty'})")
    if not args.reuse:
        call_command("migrate", verbosity=0)
        t = time.perf_counter()
        filled = fill(args, env)
        print(f"  data: {filled} ({time.perf_counter() - t:.0f} s)")
    else:
        filled = "reused"
    size = data_size()
    print(f"  {size}")
    scopes = resolve_scopes(args)
    year = bench_year(args)
    for scope, (user, unit) in scopes.items():
        print(f"  {scope:<9} {user.username:<16} {unit.name if unit else '—'}")
    print(f"  year {year}; {args.runs} timed runs after {args.warmup} warm-up runs\n")

    suite = Suite(args)
    suite.vendor = connection.vendor
    if "figures" in args.sections:
        print("==> figures, dashboard and report figures")
        suite.figures(scopes, year)
    if "pages" in args.sections:
        print("==> member list, search and case pages")
        suite.pages(scopes)
    if "export" in args.sections:
        print("==> report exports")
        suite.exports(scopes, year)
    if "import" in args.sections:
        print("==> member import")
        suite.imports()
    if "load" in args.sections:
        print("==> concurrent load (gunicorn + wrk)")
        connection.close()
        suite.load(scopes, year, env)

    result = {
        "scale": args.scale,
        "db": connection.vendor,
        "database": url.rsplit("/", 1)[-1],
        "filled_by": filled,
        "data": size,
        "year": year,
        "users": {s: (u.username, unit.name if unit else None) for s, (u, unit) in scopes.items()},
        "runs": args.runs,
        "warmup": args.warmup,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "postgresql": pg_settings(),
        "gunicorn": {"workers": args.workers, "threads": args.threads, "class": "gthread"},
        "rows": suite.rows,
        "checks": suite.checks,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    out = Path(args.out) if args.out else BENCH / "results" / f"{args.scale}-{args.db}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str) + "\n")
    print()
    print(table(suite.rows, connection.vendor))
    mismatches = [c for c in suite.checks if not c["same"]]
    load_errors = sum(r.get("errors", 0) for r in suite.rows)
    print(
        f"\n{len(suite.checks) - len(mismatches)}/{len(suite.checks)} floor checks give the same "
        f"numbers; written to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} "
        f"in {result['elapsed_s']:.0f} s"
    )
    if mismatches:
        print(f"!!!!! {len(mismatches)} MISMATCHES between ours and the floor (see above)")
    return 1 if mismatches or load_errors else 0


if __name__ == "__main__":
    sys.exit(main())
