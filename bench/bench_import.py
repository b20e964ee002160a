"""Time the member import on generated files and report its memory.

Run from the repository root:

    .venv/bin/python bench/bench_import.py                    # 10,000 and 100,000 rows
    .venv/bin/python bench/bench_import.py --rows 10000 --format csv
    .venv/bin/python bench/bench_import.py --tracemalloc      # Python heap peaks too (slower)
    .venv/bin/python bench/bench_import.py --path rows        # the row-by-row commit

For each size a child process generates a member file (.xlsx by default: real
Excel dates, CCCD as text, names with diacritics; or .csv in UTF-8), then runs the
preview (``run_validation``: read, match and check every row, write nothing) and
the commit (``run_commit``: the rows the preview kept, the whole file in one
transaction, written in bulk per chunk of rows, with COPY on PostgreSQL; ``--path
rows`` commits row by row through ``people.services.create_person``, the old path,
for comparison). It prints rows per second for each phase, by the wall clock and
by the process's CPU time (steadier on a shared machine; on PostgreSQL the
server's work is outside it), the process's peak resident memory
(``resource.getrusage``) before and after each phase, so a phase that held the
whole file in memory would show, and the overall figure, rows / (preview seconds
+ commit seconds), which the target (≥ 5,000 rows/s on PostgreSQL) is about.
Before timing, the child runs the CCCD check once, as a worker has after its first
import (printed as "warm-up s": near 0 now that the province codes are a constant
table; 0.5-1 s while they were loaded from vietnam-provinces). With
``--tracemalloc`` it also prints the peak of the Python heap during each phase; with
``--profile DIR`` it writes a cProfile of each phase (``python -m pstats`` reads it).

Without ``DATABASE_URL`` each child uses a throwaway SQLite database in a
temporary directory. With ``DATABASE_URL`` (e.g. ``postgres://localhost/uutu_bench``)
it migrates that database and adds a new commune with its own branches for each
run, so runs do not collide. CCCDs the database already holds are replaced in the
file by free ones, so it can also import into a large database, closer to what a
province or the country meets than an empty one (a copy of the national database,
since every run adds its members for good):

    createdb -h 127.0.0.1 -U postgres -T uutu_gen_national uutu_imp_national
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/uutu_imp_national \
        .venv/bin/python bench/bench_import.py --rows 10000

It prints figures only: no thresholds.
"""

import argparse
import datetime
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Lý"]
MIDDLE = ["Thị", "Thị Ngọc", "Thị Thu", "Thị Hồng", "Thị Minh", "Thị Thanh"]
GIVEN = ["Hoa", "Lan", "Hường", "Mai", "Ánh", "Tuyết", "Hằng", "Nga", "Yến", "Thảo", "Duyên"]
PLACES = [1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33]
HEADER = ["Họ và tên", "Ngày sinh", "Số CCCD", "Chi hội", "Điện thoại", "Dân tộc", "Nghề nghiệp"]


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _rows(n: int, branches: list[str], seed: int):
    rnd = random.Random(seed)
    base = random.SystemRandom().randrange(0, 900_000)  # new CCCDs on every run
    for i in range(n):
        year = 1960 + (i % 40)
        birth = datetime.date(year, 1 + i % 12, 1 + i % 28)
        place = PLACES[(i // 40) % len(PLACES)]
        serial = (base + i // (40 * len(PLACES))) % 1_000_000
        cccd = f"{place:03d}1{year % 100:02d}{serial:06d}"
        name = f"{FAMILY[i % 12]} {MIDDLE[(i // 12) % 6]} {GIVEN[(i // 72) % 11]} {i:06d}"
        # the names carry a number so that none repeats within a branch
        yield [
            name,
            birth,
            cccd,
            branches[i % len(branches)],
            f"09{rnd.randrange(10**8):08d}",
            "Kinh",
            "Làm ruộng",
        ]


def _free_cccds(rows: list[list]) -> list[list]:
    """The rows with every CCCD that is already in the database (a large database,
    e.g. a copy of the national one, holds millions) replaced by a free one of the
    same birth place and year, so that the file imports without errors."""
    from uutu.people.models import Person

    def taken(numbers):
        found = set()
        for start in range(0, len(numbers), 5000):
            batch = numbers[start : start + 5000]
            found.update(Person.objects.filter(cccd__in=batch).values_list("cccd", flat=True))
        return found

    used = {row[2] for row in rows}
    clashes = taken(sorted(used))
    while clashes:
        replaced = []
        for row in rows:
            if row[2] in clashes:
                serial = int(row[2][6:])
                while row[2] in used:
                    serial = (serial + 7919) % 1_000_000
                    row[2] = f"{row[2][:6]}{serial:06d}"
                used.add(row[2])
                replaced.append(row[2])
        clashes = taken(sorted(replaced))
    return rows


def _write(path: Path, fmt: str, rows) -> None:
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Hội viên")
        ws.append(HEADER)
        for row in rows:
            ws.append(row)
        wb.save(path)
    else:
        import csv

        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            for row in rows:
                writer.writerow(
                    [v.strftime("%d/%m/%Y") if hasattr(v, "strftime") else v for v in row]
                )


def _setup(branch_count: int):
    """A commune of its own (unique codes per run) with ``branch_count`` branches and
    a commune cadre."""
    import uuid

    from uutu.accounts.models import RoleAssignment, User
    from uutu.accounts.roles import Role
    from uutu.orgs import services as org_services
    from uutu.orgs.models import Unit

    lv = org_services.ensure_levels()
    tag = uuid.uuid4().hex[:8]
    root = Unit.objects.filter(parent=None, level=lv["hoi_central"]).first()
    if root is None:
        root = org_services.create_unit(
            parent=None, level=lv["hoi_central"], name="Hội LHPN Việt Nam", code="VN"
        )
    commune = org_services.create_unit(
        parent=root, level=lv["hoi_commune"], name=f"Hội LHPN Xã Bench {tag}", code=f"B{tag}"
    )
    names = []
    for i in range(branch_count):
        unit = org_services.create_unit(
            parent=commune,
            level=lv["hoi_branch"],
            name=f"Chi hội Thôn {tag} {i:03d}",
            code=f"B{tag}-{i:03d}",
        )
        names.append(unit.name.replace("Chi hội ", "").lower())  # written as users write it
    user = User.objects.create_user(username=f"bench-{tag}", password=None, full_name="Bench")
    RoleAssignment.objects.create(user=user, unit=commune, role=Role.COMMUNE_CADRE)
    return user, names


def child(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.files import File
    from django.core.management import call_command
    from django.db import connection

    from uutu.imports import services
    from uutu.imports.models import Kind

    call_command("migrate", verbosity=0)
    user, branches = _setup(args.branches)
    tmp = Path(tempfile.mkdtemp(prefix="uutu-bench-file-"))
    settings.IMPORT_DIR = tmp / "store"  # the stored upload goes away with the rest
    settings.IMPORT_BULK = args.path == "bulk"
    path = tmp / f"hoi-vien.{args.format}"
    start = time.perf_counter()
    _write(path, args.format, _free_cccds(list(_rows(args.one, branches, args.seed))))
    generated = time.perf_counter() - start

    figures = {
        "rows": args.one,
        "db": connection.vendor,
        "format": args.format,
        "path": args.path,
        "file_mb": path.stat().st_size / 2**20,
        "generate_s": generated,
        "rss_start_mb": _maxrss_mb(),
    }
    # What a worker has run after its first import: the CCCD check (its province
    # codes were a large module to load, 0.5-1 s; a constant table now). Timed apart.
    start = time.perf_counter()
    from uutu.people.validators import validate_cccd

    validate_cccd("001190000000")
    figures["warmup_s"] = time.perf_counter() - start
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    with open(path, "rb") as fh:
        imp = services.start_import(user=user, kind=Kind.PEOPLE, uploaded=File(fh, name=path.name))
    for phase in ("validate", "commit"):
        if args.tracemalloc:
            tracemalloc.reset_peak()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        start, cpu = time.perf_counter(), time.process_time()
        if phase == "validate":
            imp = services.run_validation(imp.pk)
            assert imp.error_count == 0, imp.errors[:5]
        else:
            assert services.queue_commit(imp)
            imp = services.run_commit(imp.pk)
            assert imp.status == "done", imp.failure
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        if profiler is not None:
            profiler.disable()
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(Path(args.profile) / f"{phase}-{args.one}.pstats")
        figures[f"{phase}_s"] = elapsed
        # CPU time of this process (the database's own work is outside it on
        # PostgreSQL): a steadier figure than the wall clock on a shared machine.
        figures[f"{phase}_cpu_s"] = cpu
        figures[f"{phase}_cpu_rows_per_s"] = args.one / cpu if cpu else 0.0
        figures[f"{phase}_rows_per_s"] = args.one / elapsed
        figures[f"rss_after_{phase}_mb"] = _maxrss_mb()
        if args.tracemalloc:
            figures[f"{phase}_heap_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    figures["created"] = imp.created
    figures["rows_per_s"] = args.one / (figures["validate_s"] + figures["commit_s"])
    figures["cpu_rows_per_s"] = args.one / (figures["validate_cpu_s"] + figures["commit_cpu_s"])
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(figures))


def run_size(
    size: int,
    fmt: str = "xlsx",
    branches: int = 40,
    seed: int = 2026,
    *,
    tracemalloc: bool = False,
    database_url: str | None = None,
    path: str = "bulk",
    profile: str | None = None,
) -> dict:
    """Import ``size`` generated rows in a child process and return its figures
    (rows per second of each phase, peak RSS). The database is ``database_url``, else
    ``DATABASE_URL``, else a throwaway SQLite file. ``bench/suite.py`` calls this."""
    env = dict(os.environ)
    if database_url:
        env["DATABASE_URL"] = database_url
    env.setdefault("DJANGO_SETTINGS_MODULE", "uutu.test_settings")
    tmp = None
    if not env.get("DATABASE_URL"):
        tmp = tempfile.TemporaryDirectory(prefix="uutu-bench-")
        env["DATABASE_URL"] = f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
        env["UUTU_VAR_DIR"] = tmp.name
    cmd = [
        sys.executable,
        __file__,
        "--one",
        str(size),
        "--format",
        fmt,
        "--branches",
        str(branches),
        "--seed",
        str(seed),
        "--path",
        path,
    ]
    if tracemalloc:
        cmd.append("--tracemalloc")
    if profile:
        cmd += ["--profile", str(Path(profile).resolve())]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if tmp is not None:
        tmp.cleanup()
    if out.returncode != 0:
        print(out.stdout, out.stderr, sep="\n")
        raise SystemExit(f"run with {size} rows failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--branches", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument(
        "--path",
        choices=("bulk", "rows"),
        default="bulk",
        help="commit in bulk (default) or row by row through the services (the old path)",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="write a cProfile of each phase to DIR/<phase>-<rows>.pstats (slower)",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args(argv)

    if args.one:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "uutu.test_settings")
        child(args)
        return

    print(
        f"# member import, {args.format}, {args.branches} branches, {args.path} commit, "
        f"{'PostgreSQL/DATABASE_URL' if os.environ.get('DATABASE_URL') else 'SQLite (temporary)'}"
    )
    cols = (
        f"{'rows':>8} {'db':>10} {'file MB':>8} {'preview s':>10} {'preview r/s':>12} "
        f"{'commit s':>9} {'commit r/s':>11} {'RSS start':>10} {'RSS preview':>12} "
        f"{'RSS commit':>11} {'prev cpu r/s':>12} {'commit cpu r/s':>14} "
        f"{'overall r/s':>11} {'overall cpu r/s':>15} {'warm-up s':>9}"
    )
    if args.tracemalloc:
        cols += f" {'heap prev':>10} {'heap commit':>12}"
    print(cols + "   (memory in MB, peak so far)")
    for size in [int(s) for s in args.rows.split(",") if s]:
        f = run_size(
            size,
            args.format,
            args.branches,
            args.seed,
            tracemalloc=args.tracemalloc,
            path=args.path,
            profile=args.profile,
        )
        line = (
            f"{f['rows']:>8} {f['db']:>10} {f['file_mb']:>8.1f} {f['validate_s']:>10.1f} "
            f"{f['validate_rows_per_s']:>12.0f} {f['commit_s']:>9.1f} "
            f"{f['commit_rows_per_s']:>11.0f} {f['rss_start_mb']:>10.0f} "
            f"{f['rss_after_validate_mb']:>12.0f} {f['rss_after_commit_mb']:>11.0f} "
            f"{f['validate_cpu_rows_per_s']:>12.0f} {f['commit_cpu_rows_per_s']:>14.0f} "
            f"{f['rows_per_s']:>11.0f} {f['cpu_rows_per_s']:>15.0f} {f['warmup_s']:>9.2f}"
        )
        if args.tracemalloc:
            line += f" {f['validate_heap_peak_mb']:>10.1f} {f['commit_heap_peak_mb']:>12.1f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
