"""Synthetic data at three scales, written in bulk: ``manage.py generate``.

* ``commune``: one commune of ~3,000 members;
* ``province``: one province (Đắk Lắk by default: 102 communes), ~600,000 members,
  ~4,000 chi hội, ~30,000 cases;
* ``national``: every province and commune of ``vietnam-provinces`` (34 / 3,321),
  ~20,000,000 members, ~100,000 chi hội, ~1,000,000 cases.

Provinces and communes come from :func:`load_province` (both trees, counterparts
linked). Below each populated commune the generator writes its chi hội and chi bộ
(linked as counterparts), the members with their membership, positions (chi hội
trưởng, chi hội phó, the commune chair, earlier branch heads) and party-status
periods, then the cases of the last five years with one event per step reached,
awareness classes and certificates, dossiers and introducers, and finally quotas
for every level and year, manual figures and a few periodic reports.

Everything is drawn from ``random.Random`` streams seeded from ``seed`` and the
commune's code, with a fixed "today", so a seed always gives the same data. Rows
skip the services and the audit trail (generated data is not a user's change);
derived columns (name parts, ``search_name``, ``sort_key``, case step and
deadline, party status) are computed exactly as the models and services do.
"""

import datetime
import importlib
import json
import math
import multiprocessing
import random
import time
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction

from uutu.core import context, names
from uutu.core.demo import CASE_NOTES, EXIT_REASONS, WORK_AWAY, _apportion, sample_manual_figures
from uutu.core.text import fold, name_fields
from uutu.people import counts as member_counts
from uutu.people import namewords

from . import reference as ref
from .writer import (
    BulkWriter,
    dangling_foreign_keys,
    drop_secondary_indexes,
    prepare_connection,
    recreate_indexes,
    skip_fk_triggers,
)

TODAY = datetime.date(2026, 11, 21)
DEFAULT_PROVINCE = 66  # Đắk Lắk: 102 communes
BENCH_PASSWORD = "uutu-bench-2026"


@dataclass(frozen=True)
class Scale:
    members: int
    communes: int | None  # populated communes per province (None: all)
    branch_size: int  # average members per chi hội
    national: bool = False


SCALES = {
    "commune": Scale(members=3_000, communes=1, branch_size=150),
    "province": Scale(members=600_000, communes=None, branch_size=150),
    "national": Scale(members=20_000_000, communes=None, branch_size=200, national=True),
}

# Cases (Hội members' and other organisations') per member over the five years.
CASES_PER_MEMBER = 0.05
NAME_POOL = 8192  # names drawn per ethnic group and generation
# With several workers, province i takes its ids from (i + 1) * ID_BLOCK on (units:
# from UNIT_BLOCK + i * UNIT_BLOCK_SIZE, as unit ids must fit the 8-digit path).
ID_BLOCK = 1_000_000_000
UNIT_BLOCK = 10_000_000
UNIT_BLOCK_SIZE = 200_000
_ACTIVE = None


def _province_job(i: int) -> dict:
    """Run by a worker process: generate province ``i`` of the active generator."""
    return _ACTIVE._province_job(i)


EXTERNAL_SHARE = 0.12
CCCD_SHARE = 0.70
PHONE_SHARE = 0.65
HEAD_PARTY = (0.28, 0.42)
DEPUTY_PARTY = (0.24, 0.36)
MEMBER_PARTY = 0.05
MOVED_SHARE = 0.02
PREVIOUS_HEAD_SHARE = 0.3

STEPS = [
    "source",
    "cultivation",
    "introduced",
    "sympathiser",
    "class",
    "dossier",
    "cell_resolution",
    "committee_resolution",
    "decision",
    "ceremony",
    "official",
]
# The chance that a case goes on to each step once the previous one is done.
CONTINUE = {
    "cultivation": 0.86,
    "introduced": 0.80,
    "sympathiser": 0.93,
    "class": 0.90,
    "dossier": 0.86,
    "cell_resolution": 0.92,
    "committee_resolution": 0.96,
    "decision": 0.985,
    "ceremony": 0.99,
    "official": 0.985,
}
# Days from the previous step (drawn uniformly in the range).
GAPS = {
    "cultivation": (7, 60),
    "introduced": (60, 300),
    "sympathiser": (7, 35),
    "class": (20, 150),
    "dossier": (30, 120),
    "cell_resolution": (7, 40),
    "committee_resolution": (10, 75),
    "decision": (3, 20),
    "ceremony": (5, 40),
}
EXIT_BY_STEP = {
    "source": [("withdrawn", 45), ("paused", 40), ("not_eligible", 15)],
    "cultivation": [("withdrawn", 45), ("paused", 40), ("not_eligible", 15)],
    "introduced": [("withdrawn", 35), ("paused", 40), ("not_eligible", 25)],
    "sympathiser": [("withdrawn", 30), ("paused", 30), ("not_eligible", 40)],
    "class": [("withdrawn", 30), ("paused", 30), ("not_eligible", 40)],
    "dossier": [("not_eligible", 45), ("not_admitted", 35), ("withdrawn", 20)],
    "cell_resolution": [("not_admitted", 70), ("not_eligible", 30)],
    "committee_resolution": [("not_admitted", 100)],
    "decision": [("not_admitted", 100)],
}
EXTERNAL_ORGS = [("doan", 45), ("nong_dan", 25), ("cong_doan", 12), ("mttq", 10), ("ccb", 8)]
EDU_OK = {"lower_secondary", "upper_secondary", "vocational", "college", "university"}
EDU_OK.add("postgraduate")
POSITION_RANK = {"branch_head": 0, "branch_deputy": 1}

# The tables whose secondary indexes are dropped during a national load and
# rebuilt afterwards (a sorted build beats millions of random index inserts).
BIG_TABLES = [
    "people_person",
    "people_membership",
    "people_partystatusperiod",
    "people_position",
    "pipeline_case",
    "pipeline_caseevent",
    "pipeline_dossier",
    "pipeline_introducer",
    "pipeline_enrolment",
    "targets_quota",
]

COLUMNS = {
    "Unit": (
        "id tree level_id name area_name code parent_id path depth counterpart_id "
        "remote_area is_active established_on dissolved_on successor_id created_at updated_at"
    ),
    "UnitVersion": "id unit_id name parent_id valid_from valid_to event_id",
    "Person": (
        "id full_name family_name middle_name given_name search_name sort_key birth_date "
        "cccd ethnicity religion education occupation phone residence joined_hoi_on "
        "working_away is_core_member is_exemplar exemplar_citation branch_id party_status "
        "archived_at archive_reason created_at updated_at"
    ),
    "Membership": "id person_id branch_id start end reason",
    "Position": "id person_id unit_id kind start end",
    "PartyStatusPeriod": "id person_id status start end doc_no",
    "Case": (
        "id person_id organisation full_name birth_date education ethnicity left_party_on "
        "branch_id party_unit_id step status status_reason mentor_id helper_name plan "
        "education_exception age_approval sympathiser_review_on due_step due_on opened_on "
        "created_at updated_at search_name"
    ),
    "CaseEvent": (
        "id case_id kind step status date doc_no note unit_id hoi_unit_id position "
        "organisation actor_id data created_at"
    ),
    "Dossier": (
        "id case_id application_on history_on verification_on hoi_comment hoi_comment_on "
        "residence_comment_on"
    ),
    "Introducer": "id case_id full_name is_official party_unit_name known_since",
    "AwarenessClass": "id organiser_id title start end place created_at",
    "Enrolment": "id klass_id case_id result certificate_no certificate_on",
    "Quota": "id unit_id period_id indicator value note updated_at",
    "ManualFigure": "id unit_id period_id indicator value updated_at",
}


class Picker:
    """A weighted choice drawn with one ``random()`` and a bisection."""

    __slots__ = ("values", "cum", "total")

    def __init__(self, weighted):
        self.values = [v for v, _w in weighted]
        self.cum, total = [], 0
        for _v, w in weighted:
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, rnd):
        return self.values[bisect_right(self.cum, rnd() * self.total)]


_DATE_STR: dict[int, str] = {}


def ds(ordinal: int | None) -> str | None:
    """ISO date string of a proleptic ordinal (cached: the same days recur)."""
    if ordinal is None:
        return None
    s = _DATE_STR.get(ordinal)
    if s is None:
        s = _DATE_STR[ordinal] = datetime.date.fromordinal(ordinal).isoformat()
    return s


def add_years(ordinal: int, years: int) -> int:
    """About ``years`` later (365.2425 days a year: at most a day off the calendar
    date, which the margins on every age rule absorb)."""
    return ordinal + int(years * 365.2425)


_YEAR: dict[int, int] = {}


def year_of(ordinal: int) -> int:
    y = _YEAR.get(ordinal)
    if y is None:
        y = _YEAR[ordinal] = datetime.date.fromordinal(ordinal).year
    return y


def add_months_o(ordinal: int, months: int) -> int:
    from uutu.pipeline.workdays import add_months

    return add_months(datetime.date.fromordinal(ordinal), months).toordinal()


def add_working_days_o(ordinal: int, days: int) -> int:
    from uutu.pipeline.workdays import add_working_days

    return add_working_days(datetime.date.fromordinal(ordinal), days).toordinal()


@dataclass
class Result:
    scale: str
    seed: int
    provinces: int = 0
    communes: int = 0
    counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    phases: dict = field(default_factory=dict)


class _Names:
    """Vietnamese women's (and a few men's) names, with the derived columns cached:
    the same name recurs thousands of times at national scale."""

    def __init__(self):
        self.family = {
            e: Picker(t) for e, t in {**names.FAMILY_BY_ETHNICITY, **ref.EXTRA_FAMILY}.items()
        }
        self.kinh_family = Picker(names.KINH_FAMILY)
        self.given_ethnic = {e: Picker(t) for e, t in names.GIVEN_BY_ETHNICITY.items()}
        self.given = Picker(names.GIVEN_NAMES)
        self.middle_old = Picker(names.MIDDLE_NAMES)
        self.middle_young = Picker([(m, w if m != "Thị" else 45) for m, w in names.MIDDLE_NAMES])
        self.male_middle = Picker(names.MALE_MIDDLE)
        self.male_given = Picker(names.MALE_GIVEN)
        self.cache: dict[tuple, tuple] = {}
        self.pools: dict[tuple, list] = {}

    def woman(self, rnd, ethnicity: str, birth_year: int) -> tuple:
        """(full, family, middle, given, search_name, sort_key)."""
        family = self.family.get(ethnicity, self.kinh_family)(rnd)
        ethnic_given = self.given_ethnic.get(ethnicity)
        if ethnic_given is not None and rnd() < 0.7:
            given, middle = ethnic_given(rnd), "Thị"
        else:
            given = self.given(rnd)
            middle = (self.middle_young if birth_year >= 1990 else self.middle_old)(rnd)
            if middle.endswith(given):
                middle = "Thị"
        return self.derived(family, middle, given)

    def pool(self, seed, ethnicity: str, young: bool) -> list[tuple]:
        """:data:`NAME_POOL` names drawn once (with their weights) for an ethnic group
        and generation; members then take one at random: one draw instead of
        three, the same frequencies."""
        key = (ethnicity, young)
        pool = self.pools.get(key)
        if pool is None:
            rnd = random.Random(f"{seed}:names:{ethnicity}:{young}").random
            year = 1995 if young else 1970
            pool = self.pools[key] = [self.woman(rnd, ethnicity, year) for _ in range(NAME_POOL)]
        return pool

    def man(self, rnd) -> str:
        return f"{self.kinh_family(rnd)} {self.male_middle(rnd)} {self.male_given(rnd)}"

    def derived(self, family, middle, given) -> tuple:
        key = (family, middle, given)
        row = self.cache.get(key)
        if row is None:
            row = self.cache[key] = name_fields(f"{family} {middle} {given}")
        return row


class Generator:
    """One run of ``manage.py generate``; see the module docstring."""

    def __init__(
        self,
        scale: str,
        *,
        seed: int = 2026,
        province=None,
        members: int | None = None,
        communes: int | None = None,
        today: datetime.date = TODAY,
        stdout=None,
        drop_indexes: bool | None = None,
        workers: int | None = None,
    ):
        if scale not in SCALES:
            raise ValueError(f"Quy mô không hợp lệ: {scale}.")
        self.scale_name = scale
        self.scale = SCALES[scale]
        self.seed = seed
        self.province_arg = province
        self.members = members if members is not None else self.scale.members
        self.communes_limit = communes if communes is not None else self.scale.communes
        self.today = today
        self.t = today.toordinal()
        self.window_start = add_years(self.t, -5)
        self.stdout = stdout
        self.drop_indexes = self.scale.national if drop_indexes is None else drop_indexes
        if connection.vendor != "postgresql":
            workers = 1  # one writer at a time
        self.workers = workers or (2 if self.scale.national else 1)
        self.names = _Names()
        self.cccd_counter: Counter = Counter()
        self.result = Result(scale=scale, seed=seed)
        self.classes: dict[tuple, list] = {}  # (party commune, year, month) → [id, end, n]
        self.first = {}  # bench units
        self.chair_name: dict[int, str] = {}
        self.cell_names: dict[int, str] = {}
        self.exit_pick = {step: Picker(t) for step, t in EXIT_BY_STEP.items()}
        self.root_quota = defaultdict(lambda: defaultdict(float))
        self.all_chairs: dict[int, str] = {}
        self.total_root_quota = defaultdict(lambda: defaultdict(float))
        self.bench: dict = {}

    # --- output ---------------------------------------------------------------------

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text + "\n")
            if hasattr(self.stdout, "flush"):
                self.stdout.flush()

    # --- the run --------------------------------------------------------------------

    def run(self) -> Result:
        from django.core.management.base import CommandError

        from uutu.orgs.management.commands.load_province import find_province
        from uutu.people.models import Person

        started = time.perf_counter()
        if Person.objects.exists():
            raise CommandError(
                "Cơ sở dữ liệu đã có hội viên: lệnh generate chỉ chạy trên cơ sở dữ liệu "
                "trống (đã migrate)."
            )
        if self.members < 20:
            raise CommandError("Cần ít nhất 20 hội viên.")
        from vietnam_provinces import Province

        if self.scale.national:
            provinces = sorted(Province.iter_all(), key=lambda p: int(p.code))
        else:
            provinces = [find_province(self.province_arg or DEFAULT_PROVINCE)]
        prepare_connection()
        self.provinces = provinces
        self.started = started
        self.w = BulkWriter()
        self._register()
        self._load_units(provinces)
        self._periods()
        self._plan_members(provinces)
        self.phase("đơn vị hành chính", started)
        t0 = time.perf_counter()
        dropped = drop_secondary_indexes(BIG_TABLES) if self.drop_indexes else []
        self.fk_fast = connection.vendor == "postgresql" and self.scale_name != "commune"
        member_counts.disable_triggers()  # the loaded members are counted once, below
        namewords.set_triggers(False)  # and their names' words listed once, below
        try:
            order = sorted(range(len(provinces)), key=lambda i: -self._province_size(i))
            if self.workers > 1:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT MAX(id) FROM orgs_unit")
                    if (cursor.fetchone()[0] or 0) >= UNIT_BLOCK:
                        raise RuntimeError("Too many units before the load for the id blocks.")
                global _ACTIVE  # noqa: PLW0603 - read by the forked workers
                _ACTIVE = self
                from django.db import connections

                connections.close_all()
                ctx = multiprocessing.get_context("fork")
                with ctx.Pool(self.workers) as pool:
                    outcomes = list(pool.imap_unordered(_province_job, order))
                _ACTIVE = None
            else:
                outcomes = [self._province_job(i) for i in order]
            for outcome in outcomes:
                self._merge(outcome)
            self.w = BulkWriter()
            self._register()
            with transaction.atomic():
                self._root_quotas()
                self.w.finish()
        finally:
            member_counts.enable_triggers()
            namewords.set_triggers(True)
            self.phase("hội viên, hồ sơ, chỉ tiêu", t0)
            if dropped:
                t1 = time.perf_counter()
                self.say(f"  Tạo lại {len(dropped)} chỉ mục…")
                recreate_indexes(dropped)
                self.phase("tạo lại chỉ mục", t1)
        if self.fk_fast:
            t1 = time.perf_counter()
            problems = dangling_foreign_keys(self.M.values())
            if problems:
                raise RuntimeError(f"Khóa ngoại không trỏ tới dòng nào: {problems}")
            self.phase("kiểm tra khóa ngoại (anti-join)", t1)
        with transaction.atomic():
            self._users()
        if connection.vendor == "postgresql":
            t0 = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            self.phase("ANALYZE", t0)
        t0 = time.perf_counter()
        rebuilt = self._rebuild_counters()
        if rebuilt is not None:
            self.say(f"  Đã dựng lại bộ đếm kết quả: {rebuilt} dòng.")
            self.phase("bộ đếm kết quả (counters.rebuild)", t0)
        if connection.vendor == "postgresql":
            t0 = time.perf_counter()
            with connection.cursor() as cursor:
                added = namewords.rebuild(cursor)
            self.say(f"  Đã liệt kê {added} từ trong họ tên.")
            self.phase("từ trong họ tên (people.namewords.rebuild)", t0)
        t0 = time.perf_counter()
        branches = member_counts.rebuild()
        self.say(f"  Đã đếm lại số hội viên: {branches} chi hội.")
        self.phase("bộ đếm hội viên (people.counts.rebuild)", t0)
        if connection.vendor == "postgresql":
            # The counter tables were filled after the ANALYZE above: without their
            # statistics the planner sorted 100,000 branch-head rows on disk. VACUUM
            # sets the visibility map, so covering indexes answer from the index alone
            # (the overdue count reads case_open_due only).
            t0 = time.perf_counter()
            # (VACUUM cannot run in a transaction: a test's generation gets ANALYZE.)
            verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cursor:
                cursor.execute(
                    f"{verb} pipeline_case, pipeline_figurecount, "
                    "pipeline_branchheadfact, people_membercount"
                )
            self.phase("VACUUM ANALYZE (hồ sơ, bộ đếm)", t0)
        t0 = time.perf_counter()
        with transaction.atomic():
            self._reports()
        self.phase("báo cáo", t0)
        self.result.counts.update(self.w.counts)  # the root's quotas
        self.result.seconds = time.perf_counter() - started
        return self.result

    def _province_size(self, i: int) -> int:
        return sum(size for _h, _d, size in self.plan[int(self.provinces[i].code)])

    def _province_job(self, i: int) -> dict:
        """Generate province ``i`` in one transaction (in a worker process when
        ``workers`` > 1: then its ids come from a block of its own, so the data do
        not depend on which worker ran first)."""
        prov = self.provinces[i]
        t1 = time.perf_counter()
        bases = None
        if self.workers > 1:
            bases = {m: (i + 1) * ID_BLOCK for m in self.M.values()}
            bases[self.M["Unit"]] = UNIT_BLOCK + i * UNIT_BLOCK_SIZE
        self.w = BulkWriter(id_bases=bases)
        self._register()
        self.root_quota = defaultdict(lambda: defaultdict(float))
        self.chair_name, self.first, self.classes = {}, {}, {}
        self.job_communes = 0
        self.cccd_counter = Counter()
        slot = 1_000_000 // len(self.provinces)
        step = 370_373
        while math.gcd(step, slot) != 1:
            step += 2
        self.cccd_slot, self.cccd_base, self.cccd_step = slot, i * slot, step
        fk = skip_fk_triggers(True) if self.fk_fast else False
        with transaction.atomic():
            self._province(prov)
            self.w.flush()
        if fk:
            skip_fk_triggers(False)
        now = time.perf_counter()
        self.say(
            f"  [{i + 1}/{len(self.provinces)}] {prov.name}: {self.prov_counts['members']:,} "
            f"hội viên, {self.prov_counts['cases']:,} hồ sơ, {now - t1:.1f} giây "
            f"(tổng {now - self.started:.0f})"
        )
        if self.workers > 1:
            connection.close()
        return {
            "index": i,
            "counts": Counter(self.w.counts),
            "root_quota": {k: dict(v) for k, v in self.root_quota.items()},
            "chairs": self.chair_name,
            "first": self.first,
            "communes": self.job_communes,
        }

    def _merge(self, outcome: dict) -> None:
        self.result.counts.update(outcome["counts"])
        for pk, values in outcome["root_quota"].items():
            for code, v in values.items():
                self.total_root_quota[pk][code] += v
        self.all_chairs.update(outcome["chairs"])
        if outcome["index"] == 0:
            self.bench = outcome["first"]
        self.result.communes += outcome["communes"]
        self.result.provinces += 1

    def phase(self, name, since):
        self.result.phases[name] = time.perf_counter() - since

    def _register(self):
        from uutu.orgs.models import Unit, UnitVersion
        from uutu.people.models import Membership, PartyStatusPeriod, Person, Position
        from uutu.pipeline.models import (
            AwarenessClass,
            Case,
            CaseEvent,
            Dossier,
            Enrolment,
            Introducer,
        )
        from uutu.targets.models import ManualFigure, Quota

        self.M = {}
        for model in (
            Unit,
            UnitVersion,
            Person,
            Membership,
            Position,
            PartyStatusPeriod,
            Case,
            CaseEvent,
            Dossier,
            Introducer,
            AwarenessClass,
            Enrolment,
            Quota,
            ManualFigure,
        ):
            cols = tuple(COLUMNS[model.__name__].split())
            actual = {f.column for f in model._meta.concrete_fields}
            if set(cols) != actual:
                raise RuntimeError(
                    f"{model.__name__}: the generator's columns {sorted(set(cols) ^ actual)} "
                    "differ from the model; update uutu.scale.generator.COLUMNS."
                )
            self.w.register(model, cols)
            self.M[model.__name__] = model

    # --- units ----------------------------------------------------------------------

    def _load_units(self, provinces):
        from uutu.orgs.management.commands.load_province import load_province
        from uutu.orgs.services import ensure_levels

        self.levels = ensure_levels()
        self.loaded = {}
        with context.acting(source="command"), transaction.atomic():
            for prov in provinces:
                self.loaded[int(prov.code)] = load_province(int(prov.code))
        first = self.loaded[int(provinces[0].code)]
        self.hoi_root = first.hoi_province.parent
        self.dang_root = first.party_province.parent

    def _periods(self):
        from uutu.targets.models import Period

        y0 = datetime.date.fromordinal(self.window_start).year
        self.years = list(range(y0, self.today.year + 1))
        self.year_periods = {y: Period.year(y) for y in self.years}
        self.half_periods = {y: Period.half(y) for y in self.years}
        self.term, _ = Period.objects.get_or_create(
            kind=Period.Kind.TERM,
            start=datetime.date(y0, 1, 1),
            end=datetime.date(self.today.year, 12, 31),
            defaults={"name": f"Nhiệm kỳ {y0}–{self.today.year}"},
        )

    def _plan_members(self, provinces):
        """Members per province (national: in proportion to its communes, cities
        denser) and which communes are populated, with their member counts."""
        rng = random.Random(f"{self.seed}:plan")
        weights = []
        for prov in provinces:
            n = len(self.loaded[int(prov.code)].hoi_communes)
            weights.append(n * (1.5 if prov.name.startswith("Thành phố") else 1.0))
        per_province = _apportion(self.members, weights)
        self.plan = {}
        for prov, total in zip(provinces, per_province, strict=True):
            loaded = self.loaded[int(prov.code)]
            pairs = list(zip(loaded.hoi_communes, loaded.party_communes, strict=True))
            if self.communes_limit is not None:
                pairs = pairs[: self.communes_limit]
            cw = [
                rng.lognormvariate(0, 0.35) * (1.0 if h.area_name.startswith("Xã") else 1.3)
                for h, _d in pairs
            ]
            sizes = _apportion(total, cw)
            self.plan[int(prov.code)] = [(h, d, s) for (h, d), s in zip(pairs, sizes, strict=True)]

    # --- one province ---------------------------------------------------------------

    def _province(self, prov):
        code = int(prov.code)
        loaded = self.loaded[code]
        self.prov_counts = Counter()
        self.prov_name = prov.name
        self.place = prov.name.removeprefix("Tỉnh ").removeprefix("Thành phố ")
        eth = ref.ETHNICITY_BY_PROVINCE.get(code) or names.ETHNICITY_WEIGHTS.get(code)
        eth = eth or names.DEFAULT_ETHNICITY_WEIGHTS
        self.eth_rural = Picker(eth)
        self.eth_urban = Picker([(e, w * 6 if e == "Kinh" else w) for e, w in eth])
        self.religion = Picker(
            names.RELIGION_WEIGHTS.get(code)
            or (
                [("none", 700), ("buddhism", 150), ("caodai", 60), ("hoahao", 60), ("catholic", 30)]
                if code in ref.SOUTH
                else names.DEFAULT_RELIGION_WEIGHTS
            )
        )
        self.education = Picker(names.EDUCATION_WEIGHTS)
        self.occ_rural = Picker(names.OCCUPATIONS_RURAL)
        self.occ_urban = Picker(names.OCCUPATIONS_URBAN)
        from uutu.people.validators import _birth_place_codes

        valid = _birth_place_codes()
        home = [c for c in ref.LEGACY_CODES.get(code, [code]) if c in valid] or [min(valid)]
        self.home_places = home
        self.all_places = sorted(valid)
        self.highland = code in ref.HIGHLAND
        self.south = code in ref.SOUTH
        self.prov_quota = defaultdict(lambda: defaultdict(float))  # period → indicator → v
        plan = [row for row in self.plan[code] if row[2] > 0]
        every = max(10, len(plan) // 5)
        for i, (hoi, dang, size) in enumerate(plan, 1):
            self._commune(hoi, dang, size)
            self.job_communes += 1
            if i % every == 0 and i < len(plan):
                self.say(f"    {i}/{len(plan)} xã, {self.prov_counts['members']:,} hội viên")
        self._province_quotas(loaded.hoi_province)
        if "province" not in self.first:
            self.first["province"] = loaded.hoi_province

    def _commune(self, hoi, dang, size):
        rng = random.Random(f"{self.seed}:{hoi.code}")
        rnd = rng.random
        urban = not hoi.area_name.startswith("Xã")
        n_branches = max(3, round(size / self.scale.branch_size * rng.uniform(0.8, 1.2)))
        n_branches = min(n_branches, max(3, size // 8))
        villages = self._villages(rng, n_branches, urban)
        branches = self._branch_units(hoi, dang, villages)
        if "commune" not in self.first:
            self.first["commune"] = hoi
            self.first["cell"] = branches[0][1]
        self.cell_names = {b[1]: b[3] for b in branches}
        # members per chi hội: uneven (lognormal), each at least its officers + 2
        deputies = [1 if rnd() < 0.45 else 2 for _ in branches]
        floor = [d + 3 for d in deputies]
        extra = max(0, size - sum(floor))
        sizes = [
            f + e
            for f, e in zip(
                floor,
                _apportion(extra, [rng.lognormvariate(0, 0.45) for _ in branches]),
                strict=True,
            )
        ]
        people = self._members(rng, hoi, branches, villages, sizes, deputies, urban)
        self._cases(rng, hoi, dang, branches, people)
        self._write_members(rng, people)
        self._commune_targets(rng, hoi, branches)
        self.prov_counts["members"] += len(people)

    def _villages(self, rng, count, urban):
        if urban:
            return [f"Tổ dân phố {i}" for i in range(1, count + 1)]
        if self.south:
            return [f"Ấp {i}" for i in range(1, count + 1)]
        if self.highland:
            prefix = "Xóm" if rng.random() < 0.6 else "Thôn"
            seen, out = set(), []
            while len(out) < count:
                name = f"{rng.choice(names.VILLAGE_HEADS)} {rng.choice(names.VILLAGE_TAILS)}"
                if name in seen:
                    if len(seen) >= len(names.VILLAGE_HEADS) * len(names.VILLAGE_TAILS) // 2:
                        name = f"{name} {len(out) + 1}"
                    else:
                        continue
                seen.add(name)
                out.append(f"{prefix} {name}")
            return out
        if rng.random() < 0.5:
            return [f"Thôn {i}" for i in range(1, count + 1)]
        out = []
        base = list(names.LOWLAND_VILLAGES)
        rng.shuffle(base)
        for i in range(count):
            name = base[i % len(base)]
            out.append(f"Thôn {name}" + (f" {i // len(base) + 1}" if i >= len(base) else ""))
        return out

    def _branch_units(self, hoi, dang, villages):
        """Write the chi hội under ``hoi`` and the chi bộ under ``dang`` (counterparts);
        returns [(branch id, cell id, branch name, cell name)]."""
        Unit, UnitVersion = self.M["Unit"], self.M["UnitVersion"]
        n = len(villages)
        first_b = self.w.ids(Unit, 2 * n)
        first_v = self.w.ids(UnitVersion, 2 * n)
        ts = self.w.ts(f"{self.today.isoformat()} 00:00:00")
        lv_b, lv_c = self.levels["hoi_branch"].pk, self.levels["dang_cell"].pk
        out = []
        for i, village in enumerate(villages):
            bid, cid = first_b + 2 * i, first_b + 2 * i + 1
            bname, cname = f"Chi hội {village}", f"Chi bộ {village}"
            for uid, tree, lv, name, parent, code, other in (
                (bid, "hoi", lv_b, bname, hoi, f"{hoi.code}-CH{i + 1:02d}", cid),
                (cid, "dang", lv_c, cname, dang, f"{hoi.code}-CB{i + 1:02d}", bid),
            ):
                path = f"{parent.path}{uid:08d}."
                self.w.add(
                    Unit,
                    (
                        uid,
                        tree,
                        lv,
                        name,
                        village,
                        code,
                        parent.pk,
                        path,
                        parent.depth + 1,
                        other,
                        parent.remote_area,
                        True,
                        None,
                        None,
                        None,
                        ts,
                        ts,
                    ),
                )
                self.w.add(UnitVersion, (first_v, uid, name, parent.pk, None, None, None))
                first_v += 1
            out.append((bid, cid, bname, cname))
        return out

    # --- members --------------------------------------------------------------------

    def _cccd(self, rnd, birth_year):
        places = self.home_places if rnd() < 0.92 else self.all_places
        place = places[int(rnd() * len(places))]
        century_sex = 1 if birth_year < 2000 else 3
        key = (place, birth_year)
        k = self.cccd_counter[key]
        self.cccd_counter[key] = k + 1
        if k >= self.cccd_slot:
            raise RuntimeError(f"CCCD numbers exhausted for {key}: use fewer members.")
        shift = place * 7919 + birth_year * 104_729
        serial = self.cccd_base + (k * self.cccd_step + shift) % self.cccd_slot
        return f"{place:03d}{century_sex}{birth_year % 100:02d}{serial:06d}"

    def _members(self, rng, hoi, branches, villages, sizes, deputies, urban):
        """The members of every chi hội as lists (written later, once the cases have
        set the party status of those admitted)."""
        rnd = rng.random
        t = self.t
        eth_pick = self.eth_urban if urban else self.eth_rural
        occ = self.occ_urban if urban else self.occ_rural
        o1951 = datetime.date(1951, 1, 1).toordinal()
        o1966 = datetime.date(1966, 1, 1).toordinal()
        o1997 = datetime.date(1997, 1, 1).toordinal()
        youngest = add_years(t, -18)
        people = []
        away, n_away = names.WORK_AWAY_PLACES, len(names.WORK_AWAY_PLACES)
        citations, n_cit = names.EXEMPLAR_CITATIONS, len(names.EXEMPLAR_CITATIONS)
        prefixes = ("09", "09", "03", "08", "07", "05")
        pools = {}
        eth_vals, eth_cum, eth_tot = eth_pick.values, eth_pick.cum, eth_pick.total
        occ_vals, occ_cum, occ_tot = occ.values, occ.cum, occ.total
        edu_vals, edu_cum, edu_tot = (
            self.education.values,
            self.education.cum,
            self.education.total,
        )
        rel_vals, rel_cum, rel_tot = self.religion.values, self.religion.cum, self.religion.total
        first_id = self.w.ids(self.M["Person"], sum(sizes))
        pid = first_id
        ward = hoi.area_name
        for (bid, cid, _bn, _cn), village, n, n_dep in zip(
            branches, villages, sizes, deputies, strict=True
        ):
            residence = f"{village}, {ward}, {self.prov_name}"
            n_off = 1 + n_dep
            for k in range(n):
                officer = k < n_off
                if officer:
                    birth = o1966 + int(rnd() * (o1997 - o1966))
                elif rnd() < 0.2:
                    birth = o1951 + int(rnd() * (o1966 - o1951))
                else:
                    birth = o1966 + int(rnd() * (youngest - o1966))
                by = year_of(birth)
                ethnicity = eth_vals[bisect_right(eth_cum, rnd() * eth_tot)]
                pool = pools.get((ethnicity, by >= 1990))
                if pool is None:
                    pool = pools[(ethnicity, by >= 1990)] = self.names.pool(
                        self.seed, ethnicity, by >= 1990
                    )
                nm = pool[int(rnd() * NAME_POOL)]
                joined = min(add_years(birth, 18) + int(rnd() * 8 * 365), t - 30 - int(rnd() * 300))
                joined = max(joined, add_years(birth, 16))
                age = (t - birth) // 365
                working_away = (not officer) and rnd() < (0.10 if age < 40 else 0.03)
                occupation = occ_vals[bisect_right(occ_cum, rnd() * occ_tot)]
                if working_away:
                    occupation = "Công nhân, lao động tại " + away[int(rnd() * n_away)]
                education = edu_vals[bisect_right(edu_cum, rnd() * edu_tot)]
                if by < 1975 and education in ("college", "university", "postgraduate"):
                    education = "lower_secondary"
                exemplar = rnd() < (0.1 if officer else 0.03)
                p = {
                    "id": pid,
                    "nm": nm,
                    "birth": birth,
                    "cccd": self._cccd(rnd, by) if rnd() < CCCD_SHARE else None,
                    "ethnicity": ethnicity,
                    "religion": rel_vals[bisect_right(rel_cum, rnd() * rel_tot)],
                    "education": education,
                    "occupation": occupation,
                    "phone": (
                        f"{prefixes[int(rnd() * 6)]}{int(rnd() * 100_000_000):08d}"
                        if rnd() < PHONE_SHARE
                        else ""
                    ),
                    "residence": residence,
                    "joined": joined,
                    "working_away": working_away,
                    "core": rnd() < (0.5 if officer else 0.08),
                    "exemplar": exemplar,
                    "citation": citations[int(rnd() * n_cit)] if exemplar else "",
                    "branch": bid,
                    "cell": cid,
                    "party": None,  # (admitted, official, doc1, doc2) for party members
                    "positions": [],  # (kind, unit, start, end)
                    "moved": None,  # (previous branch, date)
                    "off": None,  # current position in the chi hội
                }
                if officer:
                    kind = "branch_head" if k == 0 else "branch_deputy"
                    p["off"] = kind
                    lo = max(joined, add_years(birth, 22), t - 12 * 365)
                    start = lo + int(rnd() * max(1, t - 60 - lo))
                    p["positions"].append((kind, bid, start, None))
                people.append(p)
                pid += 1
        # earlier branch heads: an ordinary member held the post before the current one
        by_branch = defaultdict(list)
        for p in people:
            by_branch[p["branch"]].append(p)
        for bid, group in by_branch.items():
            head = group[0]
            start = head["positions"][0][2]
            others = [p for p in group[3:] if p["joined"] < start - 400]
            if others and rnd() < PREVIOUS_HEAD_SHARE:
                prev = others[int(rnd() * len(others))]
                prev_start = max(prev["joined"], start - 5 * 365)
                prev["positions"].append(("branch_head", bid, prev_start, start))
        # the commune chair: an experienced member of one of its chi hội
        chair = people[int(rnd() * len(people))]
        chair["positions"].append(
            ("chair", hoi.pk, max(chair["joined"], t - 5 * 365 + int(rnd() * 900)), None)
        )
        self.chair_name[hoi.pk] = chair["nm"][0]
        # a few members moved from another chi hội of the commune before the window
        branch_ids = [b[0] for b in branches]
        for p in people:
            if rnd() < MOVED_SHARE and len(branch_ids) > 1 and not p["positions"]:
                moved_on = p["joined"] + int(rnd() * max(1, self.window_start - p["joined"]))
                if p["joined"] < moved_on < self.window_start:
                    prev = branch_ids[int(rnd() * len(branch_ids))]
                    if prev != p["branch"]:
                        p["moved"] = (prev, moved_on)
        # party members before the window: a share of heads, deputies and members
        head_share = rng.uniform(*HEAD_PARTY)
        dep_share = rng.uniform(*DEPUTY_PARTY)
        shares = {None: MEMBER_PARTY, "branch_head": head_share, "branch_deputy": dep_share}
        for p in people:
            share = shares[p["off"]]
            if rnd() < share and (t - p["birth"]) > 22 * 365:
                lo = max(add_years(p["birth"], 19), p["joined"])
                hi = min(t - 40, add_years(p["birth"], 58))
                admitted = lo + int(rnd() * max(1, hi - lo))
                official = add_years(admitted, 1)
                p["party"] = (
                    admitted,
                    official if official <= t else None,
                    f"{rng.randint(12, 480)}-QĐ/ĐU",
                    f"{rng.randint(12, 480)}-QĐ/ĐU",
                )
        return people

    def _write_members(self, rng, people):
        w, M = self.w, self.M
        Person, Membership, Position, PSP = (
            M["Person"],
            M["Membership"],
            M["Position"],
            M["PartyStatusPeriod"],
        )
        ts = w.ts(f"{self.today.isoformat()} 00:00:00")
        n_pos = sum(len(p["positions"]) for p in people)
        n_mem = len(people) + sum(1 for p in people if p["moved"])
        n_psp = sum(1 if p["party"] is None else (3 if p["party"][1] else 2) for p in people)
        pos_id, mem_id, psp_id = w.ids(Position, n_pos), w.ids(Membership, n_mem), w.ids(PSP, n_psp)
        add_person, add_mem = w.buffers[Person._meta.db_table], w.buffers[Membership._meta.db_table]
        add_psp = w.buffers[PSP._meta.db_table]
        for p in people:
            nm = p["nm"]
            party = p["party"]
            status = "none"
            if party is not None:
                status = "official" if party[1] is not None else "probationary"
            add_person.append(
                (
                    p["id"],
                    nm[0],
                    nm[1],
                    nm[2],
                    nm[3],
                    nm[4],
                    nm[5],
                    ds(p["birth"]),
                    p["cccd"],
                    p["ethnicity"],
                    p["religion"],
                    p["education"],
                    p["occupation"],
                    p["phone"],
                    p["residence"],
                    ds(p["joined"]),
                    p["working_away"],
                    p["core"],
                    p["exemplar"],
                    p["citation"],
                    p["branch"],
                    status,
                    None,
                    "",
                    ts,
                    ts,
                )
            )
            if p["moved"]:
                prev, on = p["moved"]
                add_mem.append((mem_id, p["id"], prev, ds(p["joined"]), ds(on), "Đăng ký"))
                add_mem.append((mem_id + 1, p["id"], p["branch"], ds(on), None, "Chuyển sinh hoạt"))
                mem_id += 2
            else:
                add_mem.append((mem_id, p["id"], p["branch"], ds(p["joined"]), None, "Đăng ký"))
                mem_id += 1
            for kind, unit, start, end in p["positions"]:
                w.add(Position, (pos_id, p["id"], unit, kind, ds(start), ds(end)))
                pos_id += 1
            if party is None:
                add_psp.append((psp_id, p["id"], "none", ds(p["joined"]), None, ""))
                psp_id += 1
            else:
                admitted, official, doc1, doc2 = party
                start = min(p["joined"], admitted)
                add_psp.append((psp_id, p["id"], "none", ds(start), ds(admitted), ""))
                add_psp.append(
                    (psp_id + 1, p["id"], "probationary", ds(admitted), ds(official), doc1)
                )
                psp_id += 2
                if official is not None:
                    add_psp.append((psp_id, p["id"], "official", ds(official), None, doc2))
                    psp_id += 1
        for model in (Person, Membership, PSP):
            if len(w.buffers[model._meta.db_table]) >= w.flush_rows:
                w.flush(model._meta.db_table)

    # --- cases ----------------------------------------------------------------------

    def _klass(self, party_commune, on: int, not_before: int):
        """The awareness class of the commune party committee whose certificate date
        (its last day, the 12th) is the first one on or after both dates."""
        d = datetime.date.fromordinal(max(on, not_before))
        y, m = d.year, d.month
        if d.day > 12:
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        key = (party_commune.pk, y, m)
        klass = self.classes.get(key)
        if klass is None:
            AwarenessClass = self.M["AwarenessClass"]
            kid = self.w.ids(AwarenessClass)
            start, end = datetime.date(y, m, 8), datetime.date(y, m, 12)
            self.w.add(
                AwarenessClass,
                (
                    kid,
                    party_commune.pk,
                    f"Lớp bồi dưỡng nhận thức về Đảng tháng {m:02d}/{y}",
                    start.isoformat(),
                    end.isoformat(),
                    f"Trung tâm chính trị – {party_commune.name}",
                    self.w.ts(f"{start.isoformat()} 07:30:00"),
                ),
            )
            klass = self.classes[key] = [kid, end.toordinal(), 0]
        return klass

    def _cases(self, rng, hoi, dang, branches, people):
        rnd = rng.random
        t = self.t
        total = max(1, round(len(people) * CASES_PER_MEMBER))
        n_ext = round(total * EXTERNAL_SHARE)
        n_hoi = total - n_ext
        ws = self.window_start
        # candidates: not party members, lower secondary or more, 20–55 in the window
        heads, deputies, others = [], [], []
        for p in people:
            if p["party"] is not None or p["education"] not in EDU_OK:
                continue
            if add_years(p["birth"], 55) < ws or add_years(p["birth"], 20) > t:
                continue
            if p["off"] == "branch_head":
                heads.append(p)
            elif p["off"] == "branch_deputy":
                deputies.append(p)
            else:
                others.append(p)
        chosen = [p for p in heads if rnd() < 0.5] + [p for p in deputies if rnd() < 0.3]
        chosen = chosen[:n_hoi]
        rest = n_hoi - len(chosen)
        if rest > 0 and others:
            chosen += rng.sample(others, min(rest, len(others)))
        mentors = [p for p in people if p["party"] is not None and p["party"][1] is not None]
        self.case_stats = Counter()  # (branch, year, indicator) → n
        for p in chosen:
            lo = max(ws, p["joined"] + 30, add_years(p["birth"], 19))
            hi = min(t - 3, add_years(p["birth"], 55))
            if hi <= lo:
                continue
            opened = lo + int(rnd() * (hi - lo))
            self._case(rng, hoi, dang, p, opened, mentors, None)
        # candidates of other organisations, entered by the party side
        org_pick = Picker(EXTERNAL_ORGS)
        eth_pick = self.eth_rural
        for _ in range(n_ext):
            org = org_pick(rnd)
            bid, cid, _bn, cname = branches[int(rnd() * len(branches))]
            opened = ws + int(rnd() * (t - 3 - ws))
            young = org == "doan"
            age_years = 19 + int(rnd() * (12 if young else 30))
            birth = add_years(opened, -age_years) - int(rnd() * 300)
            ethnicity = eth_pick(rnd)
            if rnd() < 0.5:
                full = self.names.woman(rnd, ethnicity, datetime.date.fromordinal(birth).year)[0]
            else:
                full = self.names.man(rnd)
            ext = {
                "full": full,
                "birth": birth,
                "education": "upper_secondary" if rnd() < 0.7 else "university",
                "ethnicity": ethnicity,
                "cell": cid,
                "cell_name": cname,
                "org": org,
            }
            self._case(rng, hoi, dang, None, opened, mentors, ext)
        self.prov_counts["cases"] += len(chosen) + n_ext

    def _case(self, rng, hoi, dang, p, opened, mentors, ext):  # noqa: C901 - one walk
        """Walk one case through the steps from ``opened`` and write it."""
        rnd = rng.random
        t = self.t
        w, M = self.w, self.M
        Case, CaseEvent = M["Case"], M["CaseEvent"]
        case_id = w.ids(Case)
        dates = {"source": opened}
        d = opened
        stopped_at = None
        klass = None
        for step in STEPS[1:]:
            if ext is not None and step in ("cultivation", "introduced"):
                dates[step] = opened
                continue
            if rnd() > CONTINUE[step]:
                stopped_at = step
                break
            if step == "official":
                on = add_months_o(dates["ceremony"], 12) + 3 + int(rnd() * 38)
            elif step == "class":
                lo_, hi_ = GAPS[step]
                k = self._klass(dang, d + lo_ + int(rnd() * (hi_ - lo_)), d)
                on = k[1]
                klass = k if on <= t else ("pending", k)
            else:
                lo_, hi_ = GAPS[step]
                on = d + lo_ + int(rnd() * (hi_ - lo_))
            if on > t:
                break
            dates[step] = on
            d = on
        last = max(dates, key=STEPS.index)
        status, exit_on, reason = "open", None, ""
        if "official" in dates:
            status = "done"
        elif stopped_at is not None and last in EXIT_BY_STEP and (t - d > 540 or rnd() < 0.5):
            status = self.exit_pick[last](rnd)
            if status == "not_admitted" and "introduced" not in dates:
                status = "withdrawn"
            exit_on = min(t, d + 10 + int(rnd() * 110))
            reason = rng.choice(EXIT_REASONS[status]).format(place=rng.choice(WORK_AWAY))
        # the case row
        cell = ext["cell"] if ext else p["cell"]
        party_unit = cell if "introduced" in dates else None
        branch = None if ext else p["branch"]
        due_step, due_on = "", None
        if status == "open":
            if "cell_resolution" in dates and "decision" not in dates:
                due_step, due_on = "decision", add_working_days_o(dates["cell_resolution"], 60)
            elif "decision" in dates and "ceremony" not in dates:
                due_step, due_on = "ceremony", add_working_days_o(dates["decision"], 30)
            elif "ceremony" in dates and "official" not in dates:
                due_step = "official"
                due_on = add_working_days_o(add_months_o(dates["ceremony"], 12), 30)
        helper = self.names.man(rnd) if "sympathiser" in dates else ""
        mentor = None
        if p is not None and "cultivation" in dates and mentors and rnd() < 0.35:
            m = mentors[int(rnd() * len(mentors))]
            if m is not p:
                mentor = m
        review = None
        if "sympathiser" in dates:
            review = dates["sympathiser"]
            if status == "open" and last in ("sympathiser", "class", "dossier"):
                review = max(review, datetime.date.fromordinal(t).replace(day=5).toordinal())
                review = review if review <= t else dates["sympathiser"]
        last_day = max(d, exit_on or d)
        if ext:
            full, birth, edu, eth, org = (
                ext["full"],
                ext["birth"],
                ext["education"],
                ext["ethnicity"],
                ext["org"],
            )
        else:
            full, birth, edu, eth, org = (
                p["nm"][0],
                p["birth"],
                p["education"],
                p["ethnicity"],
                "hoi",
            )
        # the case's search text (pipeline.models.search_name_for): her name, folded
        search_name = fold(full) if ext else p["nm"][4]
        w.add(
            Case,
            (
                case_id,
                None if ext else p["id"],
                org,
                full,
                ds(birth),
                edu,
                eth,
                None,
                branch,
                party_unit,
                last,
                status,
                reason,
                mentor["id"] if mentor else None,
                helper,
                "Giao nhiệm vụ, kèm cặp hằng tháng" if "cultivation" in dates else "",
                "",
                "",
                ds(review),
                due_step,
                ds(due_on),
                ds(opened),
                w.ts(f"{ds(opened)} 08:00:00"),
                w.ts(f"{ds(last_day)} 16:00:00"),
                search_name,
            ),
        )
        # events
        events = []
        cell_members = 6 + int(rnd() * 20)
        docs = {}
        hoi_unit = None if ext else branch
        commune_party = dang.pk
        for step in STEPS:
            if step not in dates:
                continue
            on = dates[step]
            unit, doc, data, note = branch, "", "{}", ""
            if ext:
                unit = cell
            if step == "source" and not ext:
                note = "Chi hội đề xuất tạo nguồn"
            elif step == "introduced":
                doc = f"{rng.randint(3, 90)}/GT-HPN" if not ext else f"{rng.randint(3, 60)}/GT"
                data = json.dumps({"cell": cell})
            elif step == "sympathiser":
                unit, note = cell, helper
            elif step == "class":
                unit = commune_party
                klass[2] += 1
                doc = f"{klass[2]:03d}/GCN-TTCT"
                data = json.dumps({"class": klass[0]})
            elif step in ("dossier", "ceremony"):
                unit = cell
            elif step == "cell_resolution":
                unit = cell
                doc = f"{rng.randint(1, 30):02d}-NQ/CB"
                votes = rng.randint(math.ceil(2 * cell_members / 3), cell_members)
                data = json.dumps({"votes_for": votes, "members": cell_members})
            elif step in ("committee_resolution", "decision"):
                unit = commune_party
                kind = "NQ" if step == "committee_resolution" else "QĐ"
                doc = f"{rng.randint(100, 900)}-{kind}/ĐU"
            elif step == "official":
                unit = commune_party
                doc = f"{rng.randint(100, 900)}-QĐ/ĐU"
                effective = add_months_o(dates["ceremony"], 12)
                data = json.dumps({"effective": ds(effective)})
            docs[step] = doc
            position = "" if ext else self._position_on(p, on)
            events.append(("step", step, "", on, doc, note, unit, hoi_unit, position, org, data))
            if step == "cultivation" and mentor is not None:
                events.append(
                    (
                        "mentor",
                        "",
                        "",
                        on,
                        "",
                        mentor["nm"][0],
                        branch,
                        None,
                        "",
                        "hoi",
                        json.dumps({"mentor": mentor["id"]}),
                    )
                )
            if step == "cultivation" and not ext and rnd() < 0.3:
                note_on = on + int(rnd() * max(1, min(t, last_day) - on))
                text = rng.choice(CASE_NOTES)
                events.append(("note", "", "", note_on, "", text, branch, None, "", "hoi", "{}"))
        if exit_on is not None:
            events.append(
                (
                    "exit",
                    "",
                    status,
                    exit_on,
                    "",
                    reason,
                    party_unit or branch,
                    None,
                    "",
                    org,
                    "{}",
                )
            )
        first_ev = w.ids(CaseEvent, len(events))
        buf = w.buffers[CaseEvent._meta.db_table]
        for i, (kind, step, st, on, doc, note, unit, hu, pos, orgn, data) in enumerate(events):
            day = ds(on)
            buf.append(
                (
                    first_ev + i,
                    case_id,
                    kind,
                    step,
                    st,
                    day,
                    doc,
                    note,
                    unit,
                    hu,
                    pos,
                    orgn,
                    None,
                    data,
                    w.ts(f"{day} 09:00:00"),
                )
            )
        if len(buf) >= w.flush_rows:
            w.flush(CaseEvent._meta.db_table)
        # enrolment, dossier, introducers
        if klass is not None:
            Enrolment = M["Enrolment"]
            if klass[0] == "pending":
                k = klass[1]
                w.add(Enrolment, (w.ids(Enrolment), k[0], case_id, "pending", "", None))
            else:
                row = (w.ids(Enrolment), klass[0], case_id, "passed", docs["class"])
                w.add(Enrolment, (*row, ds(dates["class"])))
        if "introduced" in dates and not ext or "dossier" in dates:
            Dossier = M["Dossier"]
            intro = dates["introduced"]
            row = [w.ids(Dossier), case_id, None, None, None, "", None, None]
            if not ext:
                row[5] = "Có phẩm chất đạo đức tốt, nhiệt tình với công tác Hội."
                row[6] = ds(intro)
            if "dossier" in dates:
                dd = dates["dossier"]
                row[2] = ds(dd - 20 - int(rnd() * 20))
                row[3] = ds(dd - 15 - int(rnd() * 5))
                row[4] = ds(dd - 1 - int(rnd() * 9))
                row[7] = ds(dd - 1 - int(rnd() * 9))
                Introducer = M["Introducer"]
                cname = ext["cell_name"] if ext else self.cell_names[cell]
                for k in range(2):
                    if k == 0:
                        iname = self.names.man(rnd)
                    else:
                        iname = self.names.woman(rnd, "Kinh", 1975)[0]
                    known = opened - 400 - int(rnd() * 1600)
                    w.add(Introducer, (w.ids(Introducer), case_id, iname, True, cname, ds(known)))
            w.add(Dossier, tuple(row))
        # party status of the admitted, and the figures for the quotas
        if p is not None and "ceremony" in dates:
            official = add_months_o(dates["ceremony"], 12) if "official" in dates else None
            p["party"] = (dates["ceremony"], official, docs["decision"], docs.get("official", ""))
        if hoi_unit is not None:
            for step in ("introduced", "decision"):
                if step in dates:
                    year = datetime.date.fromordinal(dates[step]).year
                    head = self._position_on(p, dates[step]) == "branch_head"
                    self.case_stats[(hoi_unit, year, step)] += 1
                    if step == "introduced" and head:
                        self.case_stats[(hoi_unit, year, "introduced_head")] += 1

    @staticmethod
    def _position_on(p, on: int) -> str:
        best = ""
        for kind, _unit, start, end in p["positions"]:
            if (
                kind in POSITION_RANK
                and start <= on
                and (end is None or end > on)
                and (not best or POSITION_RANK[kind] < POSITION_RANK[best])
            ):
                best = kind
        return best

    # --- quotas and figures ---------------------------------------------------------

    def _quota(self, unit_id, period, indicator, value):
        Quota = self.M["Quota"]
        self.w.add(
            Quota,
            (
                self.w.ids(Quota),
                unit_id,
                period.pk,
                indicator,
                f"{value:.1f}",
                "",
                self.w.ts(f"{period.start.isoformat()} 08:00:00"),
            ),
        )

    def _commune_targets(self, rng, hoi, branches):
        """Quotas of the commune and its chi hội for every year (near what they
        achieved: some ahead, some behind), the term quota, and manual figures."""
        stats = self.case_stats
        Manual = self.M["ManualFigure"]
        term_intro = term_adm = 0
        for year, period in self.year_periods.items():
            intro = sum(stats[(b[0], year, "introduced")] for b in branches)
            adm = sum(stats[(b[0], year, "decision")] for b in branches)
            share = 1.0
            if year == self.today.year:  # the current year is not over
                share = 365 / max(60, self.today.timetuple().tm_yday)
            q_intro = max(1, round(intro * share * rng.uniform(0.85, 1.25)))
            q_adm = max(1, round(adm * share * rng.uniform(0.85, 1.25)))
            q_heads = round(q_intro * 0.3)
            term_intro += q_intro
            term_adm += q_adm
            values = {
                "introduced": q_intro,
                "introduced_branch_heads": q_heads,
                "introduced_others": q_intro - q_heads,
                "admitted": q_adm,
                "propaganda_sessions": rng.randint(10, 30),
                "branch_heads_party_pct": rng.choice((40, 45, 50)),
                "nonparty_heads_cultivated_pct": 50,
                "model_1plus1_pct": 100,
            }
            for code, v in values.items():
                self._quota(hoi.pk, period, code, v)
                self.prov_quota[period.pk][code] += v
            for code, q in (("introduced", q_intro), ("admitted", q_adm)):
                key = "introduced" if code == "introduced" else "decision"
                weights = [
                    (stats[(b[0], year, key)] + 0.3) * rng.uniform(0.8, 1.2) for b in branches
                ]
                for b, v in zip(branches, _apportion(q, weights), strict=True):
                    self._quota(b[0], period, code, v)
            figures = sample_manual_figures(rng)
            for code, v in figures.items():
                self.w.add(
                    Manual,
                    (
                        self.w.ids(Manual),
                        hoi.pk,
                        period.pk,
                        code,
                        f"{v:.1f}",
                        self.w.ts(f"{period.end.isoformat()} 08:00:00"),
                    ),
                )
        for code, v in (("introduced", term_intro), ("admitted", term_adm)):
            self._quota(hoi.pk, self.term, code, v)
            self.prov_quota[self.term.pk][code] += v

    def _province_quotas(self, hoi_prov):
        periods = {p.pk: p for p in [*self.year_periods.values(), self.term]}
        for pk, values in self.prov_quota.items():
            for code, v in values.items():
                if code.endswith("_pct"):
                    v = {"branch_heads_party_pct": 45, "nonparty_heads_cultivated_pct": 50}.get(
                        code, 100
                    )
                self._quota(hoi_prov.pk, periods[pk], code, v)
                self.root_quota[pk][code] += 0 if code.endswith("_pct") else v
            if pk != self.term.pk:
                self._quota(hoi_prov.pk, periods[pk], "new_members_per_cell", 1)

    def _root_quotas(self):
        periods = {p.pk: p for p in [*self.year_periods.values(), self.term]}
        for pk, values in self.total_root_quota.items():
            for code, v in values.items():
                if not code.endswith("_pct"):
                    self._quota(self.hoi_root.pk, periods[pk], code, v)

    # --- users, counters, reports ---------------------------------------------------

    def _users(self):
        from uutu.accounts.models import RoleAssignment, User
        from uutu.accounts.roles import Role
        from uutu.orgs.models import Unit

        cell = Unit.objects.get(pk=self.bench["cell"])
        plan = [
            ("bench_national", Role.SYSADMIN, self.hoi_root, "Quản trị toàn quốc", True),
            ("bench_province", Role.PROVINCE_CADRE, self.bench["province"], "Cán bộ tỉnh", False),
            ("bench_commune", Role.COMMUNE_CADRE, self.bench["commune"], "Cán bộ xã", False),
            ("bench_cell", Role.CELL_SECRETARY, cell, "Bí thư chi bộ", False),
        ]
        for username, role, unit, full_name, admin in plan:
            if User.objects.filter(username=username).exists():
                continue
            user = User(username=username, full_name=full_name, is_staff=admin, is_superuser=admin)
            user.set_password(BENCH_PASSWORD)
            user.save()
            RoleAssignment.objects.create(user=user, unit=unit, role=role)
        self.result.counts["accounts_user"] += len(plan)

    def _rebuild_counters(self):
        try:
            counters = importlib.import_module("uutu.pipeline.counters")
        except ImportError:
            return None
        rebuild = getattr(counters, "rebuild", None)
        if rebuild is None:
            return None
        return rebuild()

    def _reports(self, cap: int = 100):
        """Six-monthly reports of the current year's first half and annual reports of
        last year, for every populated commune and province: drafts, submitted and
        approved ones (approved with their frozen figures, up to ``cap`` of them;
        beyond that they stay submitted, waiting for approval)."""
        from django.utils import timezone

        from uutu.orgs.models import Unit
        from uutu.reports import services as rs
        from uutu.reports.models import Kind, Report

        rng = random.Random(f"{self.seed}:reports")
        communes = list(
            Unit.objects.filter(level__code="hoi_commune", children__isnull=False)
            .distinct()
            .select_related("parent", "level")
            .order_by("path")
        )
        provinces = list(
            Unit.objects.filter(pk__in={c.parent_id for c in communes})
            .select_related("parent", "level")
            .order_by("path")
        )
        year = self.today.year
        jobs = []
        for unit in [*provinces, *communes]:
            jobs.append((unit, Kind.ANNUAL, self.year_periods[year - 1], (0.75, 0.25, 0.0)))
            jobs.append((unit, Kind.SIX_MONTHLY, self.half_periods[year], (0.35, 0.45, 0.2)))
        approved_left = cap
        made = []
        for unit, kind, period, (p_app, p_sub, _p_draft) in jobs:
            r = rng.random()
            status = "approved" if r < p_app else "submitted" if r < p_app + p_sub else "draft"
            if status == "approved" and approved_left <= 0:
                status = "submitted"
            dated = min(self.today, period.end + datetime.timedelta(days=rng.randint(3, 20)))
            when = timezone.make_aware(datetime.datetime.combine(dated, datetime.time(9)))
            prov = unit if unit.level.code == "hoi_province" else unit.parent
            report = Report(
                unit=unit,
                period=period,
                kind=kind,
                status=status,
                subtitle=rs.default_subtitle(kind, period),
                results="",
                difficulties=(
                    "Hội viên trẻ đi làm ăn xa nhiều; một số chi hội trưởng lớn tuổi, trình độ "
                    "học vấn chưa đáp ứng điều kiện."
                ),
                proposals="Đề nghị Đảng ủy mở thêm lớp bồi dưỡng nhận thức về Đảng.",
                number=f"{rng.randint(5, 90)}/BC-HPN",
                place=(prov.area_name or self.place)
                .removeprefix("Tỉnh ")
                .removeprefix("Thành phố "),
                dated=dated,
                signer_name=self.all_chairs.get(unit.pk, ""),
                recipients=rs.default_recipients(unit),
                submitted_at=when if status != "draft" else None,
                decided_at=when + datetime.timedelta(days=3) if status == "approved" else None,
                approved_at=when + datetime.timedelta(days=3) if status == "approved" else None,
            )
            if status == "approved":
                approved_left -= 1
                figures = rs.build_figures(unit, period)
                figures["taken_at"] = report.approved_at.isoformat()
                report.snapshot = figures
                report.results = rs.prefilled_results(unit, period, figures)
            made.append(report)
        Report.objects.bulk_create(made, batch_size=1000)
        # auto_now fields took the clock's time: give them the fixed "today" instead
        stamp = timezone.make_aware(datetime.datetime.combine(self.today, datetime.time(8)))
        Report.objects.filter(pk__in=[r.pk for r in made if r.pk]).update(
            created_at=stamp, updated_at=stamp
        )
        self.result.counts["reports_report"] += len(made)
