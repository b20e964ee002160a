"""The demo data set: one real province (Cao Bằng by default) with its communes in
both trees, 8–20 chi hội (each with its chi bộ) in every commune, a few thousand
members with realistic Vietnamese names, a chi hội trưởng and one or two chi hội
phó in every chi hội, party status, and one user per role.

The province also gets pipeline cases (hồ sơ phát triển đảng viên) at every step
and every exit, walked through :mod:`uutu.pipeline.services` so that they carry
their events, deadlines and audit rows: overdue and due-soon deadlines, awareness
classes with certificates (one older than 60 months), "1+1" mentors, notes and a few
candidates of Đoàn and Hội Nông dân. They are denser in the two demo communes and
in the chi hội of ``chihoi`` (the chi bộ of ``chibo``).

Members are spread unevenly: the two communes of the demo users ``xa`` and ``xa2``
get a dense membership (:data:`DENSE_SHARE` of the members each), every other chi
hội gets a smaller, varying number, and no chi hội has fewer members than its
officers (when ``members`` is below that floor, the floor is used and the summary
says so). The chi hội of a commune (how many, their names) depend only on the seed
and the commune, not on ``members`` or ``communes``.

:func:`build_demo` is what ``manage.py load_demo`` runs; tests and the benchmark
call it directly with a small size. Everything is drawn from one seeded random
generator, so a given ``seed`` always gives the same names and numbers. A second
run finds the demo members already there and creates nothing.

Rows are written with ``bulk_create`` for speed, which skips ``Person.save()``:
the derived name columns (family / middle / given name, ``search_name``,
``sort_key``) are computed here with the same helpers ``save()`` uses.
"""

import datetime
import random
import time
from dataclasses import dataclass, field

from django.db import transaction

from uutu.core import audit, context, names
from uutu.core.text import fold, normalize_name, sort_key, split_full_name

DEMO_PASSWORD = "uutu-demo-2026"
DEFAULT_MEMBERS = 6000
# Share of all members in each of the two demo communes (users ``xa`` and ``xa2``).
DENSE_SHARE = 0.15
# A chi hội gets at least this many members when ``members`` allows it (and never
# fewer than its officers).
MIN_BRANCH_SIZE = 3
BRANCHES_PER_COMMUNE = (8, 20)
CCCD_SHARE = 0.70
PHONE_SHARE = 0.65
# Party members among branch heads and among deputies: each share is drawn in this
# range (the seeds report 23.2 % in Nam Định and 43.7 % in Lạng Sơn).
HEAD_PARTY_SHARE = (0.28, 0.40)
DEPUTY_PARTY_SHARE = (0.26, 0.38)
MEMBER_PARTY_SHARE = 0.03


@dataclass
class DemoUser:
    username: str
    role: str
    role_label: str
    unit_name: str
    full_name: str
    created: bool


@dataclass
class DemoResult:
    province_name: str
    communes: list = field(default_factory=list)  # populated commune Hội units
    branches: int = 0
    cells: int = 0
    members_requested: int = 0
    members_created: int = 0
    members_total: int = 0
    units_created: int = 0
    skipped: bool = False
    users: list[DemoUser] = field(default_factory=list)
    cases_created: int = 0
    cases_total: int = 0
    cases_overdue: int = 0
    classes_created: int = 0
    case_errors: list[str] = field(default_factory=list)
    quotas_created: int = 0
    figures_created: int = 0
    criteria_created: int = 0
    reports_created: int = 0
    password: str = DEMO_PASSWORD
    seconds: float = 0.0


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _add_years(d: datetime.date, years: int) -> datetime.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _random_date(rng: random.Random, lo: datetime.date, hi: datetime.date) -> datetime.date:
    if hi <= lo:
        return lo
    return lo + datetime.timedelta(days=rng.randint(0, (hi - lo).days))


def _birthplace_code(province_code: int) -> int:
    """The CCCD birthplace code (pre-2025 province code) for people born in the
    province: its own code when it still exists in the legacy list."""
    from vietnam_provinces.legacy import Province as LegacyProvince

    legacy = {int(p.code) for p in LegacyProvince.iter_all()}
    return province_code if province_code in legacy else min(legacy)


def _select_communes(hoi_communes: list, count: int) -> list[int]:
    """Indices of the communes that get branches and members: the first (commune A
    of user ``xa``), the middle one (commune B of ``xa2``), then evenly spaced
    others; ``count`` = all of them gives every index."""
    n = len(hoi_communes)
    count = max(1, min(count, n))
    chosen = [0]
    if count > 1 and n // 2 not in chosen:
        chosen.append(n // 2)
    i = 0
    while len(chosen) < count:
        idx = round(i * n / count) % n
        while idx in chosen:
            idx = (idx + 1) % n
        chosen.append(idx)
        i += 1
    return chosen


def _village_names(rng: random.Random, count: int, urban: bool, highland: bool) -> list[str]:
    if urban:
        return [f"Tổ dân phố {i}" for i in range(1, count + 1)]
    prefix = "Xóm" if highland and rng.random() < 0.75 else "Thôn"
    seen: list[str] = []
    while len(seen) < count:
        if highland:
            name = f"{rng.choice(names.VILLAGE_HEADS)} {rng.choice(names.VILLAGE_TAILS)}"
        else:
            base = name = rng.choice(names.LOWLAND_VILLAGES)
            k = 2
            while name in seen:  # "Thôn Đông", then "Thôn Đông 2"
                name = f"{base} {k}"
                k += 1
        if name not in seen:
            seen.append(name)
    return [f"{prefix} {n}" for n in seen]


class _PersonFactory:
    """Draws one member after another from the seeded generator."""

    def __init__(
        self,
        rng: random.Random,
        province_code: int,
        province_name: str,
        today: datetime.date,
        taken_cccd: set[str],
    ):
        self.rng = rng
        self.today = today
        self.province_name = province_name
        self.ethnicities = names.ETHNICITY_WEIGHTS.get(
            province_code, names.DEFAULT_ETHNICITY_WEIGHTS
        )
        self.religions = names.RELIGION_WEIGHTS.get(province_code, names.DEFAULT_RELIGION_WEIGHTS)
        self.home_code = _birthplace_code(province_code)
        self.neighbours = names.NEIGHBOUR_BIRTHPLACES.get(province_code, [self.home_code])
        self.taken_cccd = taken_cccd
        self.young_middle = [(m, w if m != "Thị" else 45) for m, w in names.MIDDLE_NAMES]

    def name(self, ethnicity: str, birth_year: int) -> str:
        rng = self.rng
        family = _pick(rng, names.FAMILY_BY_ETHNICITY.get(ethnicity, names.KINH_FAMILY))
        if ethnicity in names.GIVEN_BY_ETHNICITY and rng.random() < 0.7:
            given = _pick(rng, names.GIVEN_BY_ETHNICITY[ethnicity])
            middle = "Thị"
        else:
            given = _pick(rng, names.GIVEN_NAMES)
            middle = _pick(rng, self.young_middle if birth_year >= 1990 else names.MIDDLE_NAMES)
        if middle.endswith(given):  # "Thị Thu Thu"
            middle = "Thị"
        return f"{family} {middle} {given}"

    def cccd(self, birth: datetime.date) -> str:
        rng = self.rng
        place = self.home_code if rng.random() < 0.93 else rng.choice(self.neighbours)
        century_sex = 1 if birth.year < 2000 else 3
        while True:
            value = f"{place:03d}{century_sex}{birth.year % 100:02d}{rng.randrange(10**6):06d}"
            if value not in self.taken_cccd:
                self.taken_cccd.add(value)
                return value

    def phone(self) -> str:
        rng = self.rng
        prefix = rng.choice(["09", "09", "03", "08", "07", "05"])
        return prefix + f"{rng.randrange(10**8):08d}"

    def person(self, branch, village: str, ward_name: str, urban: bool, officer: bool = False):
        """One member of ``branch``; an ``officer`` (future head or deputy) is born
        between 1966 and 1996, so she is 30–60 years old."""
        from uutu.people.models import Party, Person

        rng, today = self.rng, self.today
        ethnicity = _pick(
            rng, [(e, w * 6 if e == "Kinh" and urban else w) for e, w in self.ethnicities]
        )
        if officer:
            birth = _random_date(rng, datetime.date(1966, 1, 1), datetime.date(1996, 12, 31))
        else:
            birth = _random_date(rng, datetime.date(1965, 1, 1), datetime.date(2004, 12, 31))
        full_name = normalize_name(self.name(ethnicity, birth.year))
        family, middle, given = split_full_name(full_name)
        joined = _random_date(rng, _add_years(birth, 18), _add_years(birth, 26))
        joined = min(joined, today - datetime.timedelta(days=30))
        age = today.year - birth.year
        working_away = rng.random() < (0.10 if age < 40 else 0.03)
        occupation = _pick(rng, names.OCCUPATIONS_URBAN if urban else names.OCCUPATIONS_RURAL)
        if working_away:
            occupation = f"Công nhân, lao động tại {rng.choice(names.WORK_AWAY_PLACES)}"
        education = _pick(rng, names.EDUCATION_WEIGHTS)
        if birth.year < 1975 and education in ("college", "university", "postgraduate"):
            education = "lower_secondary"
        is_exemplar = rng.random() < 0.03
        return Person(
            full_name=full_name,
            family_name=family,
            middle_name=middle,
            given_name=given,
            search_name=fold(full_name),
            sort_key=sort_key(full_name),
            birth_date=birth,
            cccd=self.cccd(birth) if rng.random() < CCCD_SHARE else None,
            ethnicity=ethnicity,
            religion=_pick(rng, self.religions),
            education=education,
            occupation=occupation,
            phone=self.phone() if rng.random() < PHONE_SHARE else "",
            residence=f"{village}, {ward_name}, {self.province_name}",
            joined_hoi_on=joined,
            working_away=working_away,
            is_core_member=rng.random() < 0.08,
            is_exemplar=is_exemplar,
            exemplar_citation=rng.choice(names.EXEMPLAR_CITATIONS) if is_exemplar else "",
            branch=branch,
            party_status=Party.NONE,
        )

    def admission(self, person) -> tuple[datetime.date, datetime.date | None]:
        """A plausible admission date for a party member and, once the 12 probationary
        months are over, the date she became an official member."""
        rng, today = self.rng, self.today
        lo = max(_add_years(person.birth_date, 19), person.joined_hoi_on)
        hi = min(today - datetime.timedelta(days=40), _add_years(person.birth_date, 58))
        admitted = _random_date(rng, min(lo, hi), hi)
        official = _add_years(admitted, 1)
        return admitted, (official if official <= today else None)

    def male_name(self) -> str:
        family = _pick(self.rng, names.TAY_NUNG_FAMILY)
        return f"{family} {_pick(self.rng, names.MALE_MIDDLE)} {_pick(self.rng, names.MALE_GIVEN)}"


def _commune_villages(seed: int, hoi, highland: bool) -> tuple[list[str], bool]:
    """The villages (one chi hội each) of a commune and whether it is urban: 8–20
    names drawn from a generator of its own, so they depend only on the seed and the
    commune. Xã get xóm / thôn, phường and đặc khu get tổ dân phố."""
    crng = random.Random(f"{seed}:{hoi.code}")
    urban = not hoi.area_name.startswith("Xã")
    count = crng.randint(*BRANCHES_PER_COMMUNE)
    return _village_names(crng, count, urban, highland), urban


def sample_manual_figures(rng: random.Random) -> dict[str, int]:
    """A commune's self-reported figures for a year (propaganda sessions and
    attendance, exemplars, 8/3–20/10 activities, the "1+1" and "3 có, 3 biết" yes/no),
    in plausible ranges; the demo and the data generator both draw them here."""
    sessions = rng.randint(8, 30)
    return {
        "propaganda_sessions": sessions,
        "propaganda_attendance": sessions * rng.randint(35, 90),
        "exemplars": rng.randint(1, 6),
        "activities_8_3_20_10": rng.randint(1, 4),
        "model_1plus1_pct": 1 if rng.random() < 0.8 else 0,
        "model_3co3biet_pct": 1 if rng.random() < 0.6 else 0,
    }


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    if not weights or total <= 0:
        return [0] * len(weights)
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    out = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in by_remainder[: total - sum(out)]:
        out[i] += 1
    return out


def _branch_sizes(
    rng: random.Random, officers: list[int], communes: list[int], members: int
) -> list[int]:
    """Members per branch. ``officers[i]`` is the head and deputies of branch ``i``
    (its hard minimum), ``communes[i]`` the index of its commune among the chosen
    ones; communes 0 and 1 are the dense demo communes. Returns sizes that add up
    to ``members``, or to the floor ``sum(officers)`` when ``members`` is smaller."""
    n = len(officers)
    if members <= sum(officers):
        return list(officers)
    base = [max(o, MIN_BRANCH_SIZE) for o in officers]
    if sum(base) > members:
        base = list(officers)
    rest = members - sum(base)
    # Uneven but plausible: some communes are more active, some chi hội larger.
    factor: dict[int, float] = {}
    weights = []
    for c in communes:
        if c not in factor:
            factor[c] = rng.lognormvariate(0, 0.35)
        weights.append(factor[c] * rng.lognormvariate(0, 0.5))
    pools: list[tuple[list[int], int]] = []
    others = [i for i in range(n) if communes[i] > 1]
    if others:
        for dense in (0, 1):
            idx = [i for i in range(n) if communes[i] == dense]
            if idx:
                want = round(DENSE_SHARE * members) - sum(base[i] for i in idx)
                give = max(0, min(want, rest))
                pools.append((idx, give))
                rest -= give
        pools.append((others, rest))
    else:
        pools.append((list(range(n)), rest))
    sizes = list(base)
    for idx, amount in pools:
        for i, extra in zip(idx, _apportion(amount, [weights[i] for i in idx]), strict=True):
            sizes[i] += extra
    return sizes


def _create_members(rng, factory, branch_rows, sizes, deputies, today, stats):
    """Write the members of every branch, with memberships, positions (one head and
    ``deputies[i]`` deputies in branch ``i``) and party-status periods, in bulk."""
    from uutu.people.models import (
        Membership,
        Party,
        PartyStatusPeriod,
        Person,
        Position,
        PositionKind,
    )

    persons, officers = [], []  # officers: (person, branch, kind)
    rows = zip(branch_rows, sizes, deputies, strict=True)
    for (branch, village, ward_name, urban), size, n_deputies in rows:
        n_officers = 1 + n_deputies
        group = [
            factory.person(branch, village, ward_name, urban, officer=k < n_officers)
            for k in range(size)
        ]
        persons.extend(group)
        for k, person in enumerate(group[:n_officers]):
            kind = PositionKind.BRANCH_HEAD if k == 0 else PositionKind.BRANCH_DEPUTY
            person.working_away = False
            if person.occupation.startswith("Công nhân, lao động tại"):
                person.occupation = "Làm ruộng" if not urban else "Buôn bán"
            person.is_core_member = person.is_core_member or rng.random() < 0.5
            if not person.is_exemplar and rng.random() < 0.08:
                person.is_exemplar = True
                person.exemplar_citation = rng.choice(names.EXEMPLAR_CITATIONS)
            officers.append((person, branch, kind))

    # Party members: a drawn share of heads, of deputies, and a few ordinary members.
    party: set[int] = set()
    for kind, (lo, hi) in (
        (PositionKind.BRANCH_HEAD, HEAD_PARTY_SHARE),
        (PositionKind.BRANCH_DEPUTY, DEPUTY_PARTY_SHARE),
    ):
        group = [p for p, _b, k in officers if k == kind]
        n = round(rng.uniform(lo, hi) * len(group))
        party.update(id(p) for p in rng.sample(group, n))
    officer_ids = {id(p) for p, _b, _k in officers}
    for p in persons:
        if (
            id(p) not in officer_ids
            and today.year - p.birth_date.year >= 22
            and rng.random() < MEMBER_PARTY_SHARE
        ):
            party.add(id(p))

    periods = []
    for p in persons:
        if id(p) not in party:
            periods.append((p, Party.NONE, p.joined_hoi_on, None, ""))
            continue
        admitted, official = factory.admission(p)
        periods.append((p, Party.NONE, p.joined_hoi_on, admitted, ""))
        doc = f"{rng.randint(12, 480)}-QĐ/ĐU"
        periods.append((p, Party.PROBATIONARY, admitted, official, doc))
        if official:
            periods.append((p, Party.OFFICIAL, official, None, f"{rng.randint(12, 480)}-QĐ/ĐU"))
            p.party_status = Party.OFFICIAL
        else:
            p.party_status = Party.PROBATIONARY

    Person.objects.bulk_create(persons, batch_size=500)
    Membership.objects.bulk_create(
        (
            Membership(person=p, branch=p.branch, start=p.joined_hoi_on, reason="Đăng ký")
            for p in persons
        ),
        batch_size=1000,
    )
    PartyStatusPeriod.objects.bulk_create(
        (
            PartyStatusPeriod(person=p, status=s, start=start, end=end, doc_no=doc)
            for p, s, start, end, doc in periods
        ),
        batch_size=1000,
    )
    positions = []
    for p, branch, kind in officers:
        earliest = max(p.joined_hoi_on, _add_years(p.birth_date, 22))
        start = _random_date(
            rng,
            max(earliest, today - datetime.timedelta(days=365 * 7)),
            today - datetime.timedelta(days=60),
        )
        positions.append(Position(person=p, unit=branch, kind=kind, start=start))
    Position.objects.bulk_create(positions, batch_size=1000)
    from uutu.pipeline import counters

    counters.rebuild_heads()  # the branch-head figures' rows (bulk bypassed the services)
    stats["members"] = len(persons)
    stats["officers"] = len(officers)
    stats["party"] = len(party)
    return persons, officers


# --- pipeline cases -------------------------------------------------------------------

# One case per this many members, within these bounds (the default demo gets 240).
MEMBERS_PER_CASE = 25
CASES_BOUNDS = (60, 300)
# Cases in the chi hội of user ``chihoi`` (and so in the chi bộ of ``chibo``), and the
# shares of the two demo communes (the rest is spread over the other communes).
CASES_IN_DEMO_BRANCH = 14
CASES_COMMUNE_SHARE = (0.25, 0.18)
# Where a case stands, with a weight. Every scenario appears at least once (in the
# order below), so a small build still has every step, exit and kind of deadline.
CASE_SCENARIOS = [
    ("source", 14),
    ("cultivation", 16),
    ("introduced", 12),
    ("sympathiser", 9),
    ("class", 6),
    ("dossier", 5),
    ("cell_resolution", 3),
    ("decision_soon", 2),
    ("decision_overdue", 2),
    ("committee_resolution", 2),
    ("decision", 2),
    ("ceremony_soon", 1),
    ("ceremony_overdue", 2),
    ("ceremony", 6),
    ("recognition_soon", 1),
    ("recognition_overdue", 2),
    ("official", 8),
    ("paused", 4),
    ("withdrawn", 2),
    ("not_eligible", 2),
    ("not_admitted", 2),
    ("expired_certificate", 1),
]
# The first cases go to the chi hội of ``chihoi`` in this order, so that even a small
# build shows her (and ``chibo``) the deadlines and the party's steps.
DEMO_BRANCH_SCENARIOS = [
    "decision_overdue",
    "ceremony",
    "sympathiser",
    "recognition_overdue",
    "cell_resolution",
    "introduced",
    "ceremony_soon",
    "dossier",
    "cultivation",
    "decision_soon",
    "official",
    "paused",
    "class",
    "source",
]
CASE_EXITS = {
    "paused": ("paused", ("cultivation", "introduced", "sympathiser")),
    "withdrawn": ("withdrawn", ("source", "cultivation", "introduced")),
    "not_eligible": ("not_eligible", ("introduced", "sympathiser", "class")),
    "not_admitted": ("not_admitted", ("dossier", "cell_resolution")),
}
EXIT_REASONS = {
    "paused": ["Đi làm ăn xa tại {place}", "Sinh con, nuôi con nhỏ", "Đi học tập trung"],
    "withdrawn": ["Xin rút vì hoàn cảnh gia đình khó khăn", "Chuyển đi nơi khác sinh sống"],
    "not_eligible": [
        "Thẩm tra lý lịch: người thân chưa rõ về lịch sử chính trị",
        "Vi phạm chính sách dân số",
    ],
    "not_admitted": [
        "Chi bộ biểu quyết không đạt 2/3 số đảng viên chính thức",
        "Đảng ủy chưa đồng ý, đề nghị tiếp tục bồi dưỡng",
    ],
}
WORK_AWAY = ["Bắc Ninh", "Bình Dương", "Thái Nguyên", "Hà Nội", "Đồng Nai", "Hàn Quốc"]
CASE_NOTES = [
    "Đã gặp gỡ, trao đổi về kế hoạch phấn đấu vào Đảng.",
    "Tham gia tốt buổi sinh hoạt chi hội tháng này, nhiệt tình vận động hội viên.",
    "Giao nhiệm vụ vận động hội viên tham gia mô hình tiết kiệm.",
    "Gia đình ủng hộ chị phấn đấu vào Đảng.",
    "Đã đọc tài liệu Điều lệ Đảng do chi bộ cung cấp.",
    "Tích cực tham gia phong trào xây dựng nông thôn mới.",
]
EXTERNAL_CANDIDATES = [
    ("doan", "introduced"),
    ("nong_dan", "sympathiser"),
    ("doan", "sympathiser"),
    ("nong_dan", "introduced"),
    ("doan", "class"),
]
# Days between a step and the one before it (drawn in the range).
STEP_GAPS = {
    "cultivation": (10, 60),
    "introduced": (30, 120),
    "sympathiser": (7, 30),
    "class": (10, 60),
    "dossier": (15, 60),
    "cell_resolution": (5, 20),
    "committee_resolution": (7, 25),
    "decision": (3, 15),
    "ceremony": (5, 20),
}


def _working_days_before(day: datetime.date, count: int) -> datetime.date:
    """The date ``count`` working days before ``day``."""
    from uutu.pipeline.workdays import is_working_day

    while count > 0:
        day -= datetime.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


class _CaseBuilder:
    """Walks demo cases through the pipeline services (actor None: a command), so
    they get their events, deadlines and audit rows like any other case."""

    def __init__(self, rng: random.Random, today: datetime.date, namer: "_PersonFactory"):
        self.rng = rng
        self.today = today
        self.namer = namer
        self.classes: dict = {}
        self.certificates = 0
        self.errors: list[str] = []
        self.made = 0

    def days_ago(self, lo: int, hi: int) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randint(lo, hi))

    def plan(self, scenario: str) -> tuple[str, dict, tuple | None]:
        """The last step, the step dates and the exit (status, date) of a scenario."""
        from uutu.pipeline.models import Step
        from uutu.pipeline.workdays import add_months

        rng, today = self.rng, self.today
        exit_ = None
        anchor = None
        if scenario in CASE_EXITS:
            status, steps = CASE_EXITS[scenario]
            until = rng.choice(steps)
            anchor = self.days_ago(40, 400)
            exit_ = (status, min(today, anchor + datetime.timedelta(days=rng.randint(10, 60))))
        elif scenario == "expired_certificate":
            until = Step.CLASS
            anchor = add_months(today, -rng.randint(61, 68))
        elif scenario in ("source", "cultivation", "introduced", "sympathiser", "class"):
            until = scenario
            anchor = self.days_ago(3, 240)
        elif scenario == "dossier":
            until, anchor = Step.DOSSIER, self.days_ago(3, 60)
        elif scenario == "cell_resolution":
            until = Step.CELL_RESOLUTION
            anchor = _working_days_before(today, rng.randint(1, 45))
        elif scenario == "decision_soon":
            until = Step.CELL_RESOLUTION
            anchor = _working_days_before(today, 60 - rng.randint(1, 8))
        elif scenario == "decision_overdue":
            until = Step.CELL_RESOLUTION
            anchor = _working_days_before(today, 60 + rng.randint(3, 50))
        elif scenario == "committee_resolution":
            until = Step.COMMITTEE_RESOLUTION
            anchor = _working_days_before(today, rng.randint(1, 20))
        elif scenario == "decision":
            until = Step.DECISION
            anchor = _working_days_before(today, rng.randint(1, 18))
        elif scenario == "ceremony_soon":
            until = Step.DECISION
            anchor = _working_days_before(today, 30 - rng.randint(1, 8))
        elif scenario == "ceremony_overdue":
            until = Step.DECISION
            anchor = _working_days_before(today, 30 + rng.randint(3, 40))
        elif scenario == "ceremony":
            until, anchor = Step.CEREMONY, self.days_ago(20, 330)
        elif scenario in ("recognition_soon", "recognition_overdue"):
            until = Step.CEREMONY
            extra = -rng.randint(1, 8) if scenario == "recognition_soon" else rng.randint(3, 50)
            anchor = add_months(_working_days_before(today, 30 + extra), -12)
        else:  # official
            until = Step.OFFICIAL
            anchor = self.days_ago(400, 1100)  # the ceremony
        steps = list(Step)[: list(Step).index(until) + 1]
        dates = {}
        last = until if until != Step.OFFICIAL else Step.CEREMONY
        dates[last] = anchor
        for i in range(steps.index(last), 0, -1):
            lo, hi = STEP_GAPS[steps[i]]
            dates[steps[i - 1]] = dates[steps[i]] - datetime.timedelta(days=rng.randint(lo, hi))
        if until == Step.OFFICIAL:
            ends = add_months(anchor, 12)
            dates[Step.OFFICIAL] = min(today, ends + datetime.timedelta(days=rng.randint(3, 40)))
        return until, dates, exit_

    def klass(self, party_commune, day: datetime.date):
        """The awareness class of the commune party committee in ``day``'s month."""
        from uutu.pipeline import services

        key = (party_commune.pk, day.year, day.month)
        if key not in self.classes:
            start = day.replace(day=1)
            self.classes[key] = services.create_class(
                organiser=party_commune,
                title=f"Lớp bồi dưỡng nhận thức về Đảng tháng {day.month:02d}/{day.year}",
                start=start,
                end=min(self.today, start + datetime.timedelta(days=4)),
                place=f"Trung tâm chính trị – {party_commune.name}",
                actor=None,
            )
        return self.classes[key]

    def take_class(self, case, party_commune, day, result="passed"):
        from uutu.pipeline import services

        klass = self.klass(party_commune, day)
        enrolment = services.enrol(case, klass=klass, actor=None)
        if result == "pending":
            return enrolment
        self.certificates += 1
        return services.record_result(
            enrolment,
            result=result,
            certificate_no=f"{self.certificates:03d}/GCN-TTCT" if result == "passed" else "",
            certificate_on=day if result == "passed" else None,
            actor=None,
        )

    def introducers(self, since: datetime.date, cell) -> list[dict]:
        rng = self.rng
        return [
            {
                "full_name": self.namer.male_name() if k == 0 else self.namer.name("Kinh", 1975),
                "is_official": True,
                "party_unit_name": cell.name,
                "known_since": since - datetime.timedelta(days=rng.randint(400, 2000)),
            }
            for k in range(2)
        ]

    def walk(
        self, case, dates: dict, until: str, cell, party_commune, *, mentor=None, notes: int = 0
    ):
        """Record the steps after the first one up to ``until``."""
        from uutu.pipeline import services
        from uutu.pipeline.models import Step

        rng = self.rng
        steps = list(Step)
        for step in steps[steps.index(case.step) + 1 : steps.index(until) + 1]:
            day = dates[step]
            if step == Step.CULTIVATION:
                services.start_cultivation(
                    case, on=day, plan="Giao nhiệm vụ, kèm cặp hằng tháng", actor=None
                )
                if mentor is not None:
                    services.assign_mentor(case, mentor=mentor, on=day, actor=None)
                for _ in range(notes):  # while the case is open: notes need an open case
                    note_day = _random_date(rng, day, dates[until])
                    services.add_note(case, on=note_day, text=rng.choice(CASE_NOTES), actor=None)
            elif step == Step.INTRODUCED:
                services.introduce(
                    case, cell=cell, on=day, doc_no=f"{rng.randint(5, 90)}/GT-HPN", actor=None
                )
                services.record_hoi_comment(
                    case,
                    text="Có phẩm chất đạo đức tốt, nhiệt tình với công tác Hội.",
                    on=day,
                    actor=None,
                )
            elif step == Step.SYMPATHISER:
                services.add_sympathiser(
                    case, on=day, helper_name=self.namer.male_name(), actor=None
                )
            elif step == Step.CLASS:
                self.take_class(case, party_commune, day)
            elif step == Step.DOSSIER:
                services.complete_dossier(
                    case,
                    on=day,
                    application_on=day - datetime.timedelta(days=rng.randint(20, 40)),
                    history_on=day - datetime.timedelta(days=rng.randint(15, 20)),
                    verification_on=day - datetime.timedelta(days=rng.randint(1, 10)),
                    residence_comment_on=day - datetime.timedelta(days=rng.randint(1, 10)),
                    introducers=self.introducers(dates[Step.SOURCE], cell),
                    actor=None,
                )
            elif step == Step.CELL_RESOLUTION:
                members = rng.randint(6, 25)
                services.cell_resolution(
                    case,
                    on=day,
                    doc_no=f"{rng.randint(1, 30):02d}-NQ/CB",
                    votes_for=rng.randint(-(-2 * members // 3), members),
                    members=members,
                    actor=None,
                )
            elif step in (Step.COMMITTEE_RESOLUTION, Step.DECISION):
                kind = "NQ" if step == Step.COMMITTEE_RESOLUTION else "QĐ"
                services.committee_step(
                    case,
                    step=step,
                    on=day,
                    doc_no=f"{rng.randint(100, 900)}-{kind}/ĐU",
                    actor=None,
                )
            elif step == Step.CEREMONY:
                services.ceremony(case, on=day, actor=None)
            elif step == Step.OFFICIAL:
                services.recognise(
                    case, on=day, doc_no=f"{rng.randint(100, 900)}-QĐ/ĐU", actor=None
                )
        return case


def _create_cases(seed, total, pairs, branch_a1, today, namer) -> dict:
    """Cases at every step and exit, denser in the two demo communes and in the chi
    hội of ``chihoi``; classes, "1+1" mentors, notes and a few candidates of other
    organisations. Returns counts for the summary."""
    from django.core.exceptions import ValidationError

    from uutu.orgs.models import Unit
    from uutu.people.models import Party, Person, Position
    from uutu.pipeline import services
    from uutu.pipeline.models import Case, Status

    rng = random.Random(f"{seed}:cases")
    builder = _CaseBuilder(rng, today, namer)
    communes = [hoi for hoi, _ in pairs]
    party_of = {hoi.pk: dang for hoi, dang in pairs}
    branches = {
        b.pk: b
        for b in Unit.objects.filter(parent__in=communes, level__code="hoi_branch").select_related(
            "counterpart", "parent"
        )
    }
    youngest = _add_years(today, -24)
    oldest = _add_years(today, -55)
    pool = list(
        Person.objects.filter(
            branch_id__in=branches,
            archived_at__isnull=True,
            party_status=Party.NONE,
            birth_date__range=(oldest, youngest),
        )
        .exclude(education__in=["none", "primary"])
        .values_list("pk", "branch_id", "joined_hoi_on")
    )
    officers = set(
        Position.objects.filter(
            person_id__in=[p for p, _b, _j in pool], end__isnull=True
        ).values_list("person_id", flat=True)
    )
    rng.shuffle(pool)
    pool.sort(key=lambda row: row[0] not in officers)  # branch heads and deputies first
    by_branch: dict[int, list] = {}
    for row in pool:
        by_branch.setdefault(row[1], []).append(row)
    mentors: dict[int, list[int]] = {}
    for pk, branch_id in Person.objects.filter(
        branch_id__in=branches, party_status=Party.OFFICIAL, archived_at__isnull=True
    ).values_list("pk", "branch_id"):
        mentors.setdefault(branches[branch_id].parent_id, []).append(pk)

    # Which branch each case goes to.
    targets: list[int] = []
    if branch_a1 is not None:
        targets += [branch_a1.pk] * min(CASES_IN_DEMO_BRANCH, total // 4)
    by_commune: dict[int, list[int]] = {}
    for b in branches.values():
        by_commune.setdefault(b.parent_id, []).append(b.pk)
    dense_counts = []
    for share, commune in zip(CASES_COMMUNE_SHARE, communes[:2], strict=False):
        own = sorted(by_commune.get(commune.pk, []))
        dense_counts.append(round(share * total) if own else 0)
        targets += [rng.choice(own) for _ in range(dense_counts[-1])]
    # every other commune gets some, but fewer than the demo communes (small builds
    # with few communes give the rest to the two demo communes)
    others = [c for c in communes[2:] if by_commune.get(c.pk)]
    if others:
        cap = max(1, min(dense_counts) // 2)
        each = min(cap, -(-(total - len(targets)) // len(others)))
        for commune in others:
            own = sorted(by_commune[commune.pk])
            targets += [rng.choice(own) for _ in range(each)]
    dense = [c for c in communes[:2] if by_commune.get(c.pk)]
    while len(targets) < total and dense:
        commune = dense[len(targets) % len(dense)]
        targets.append(rng.choice(sorted(by_commune[commune.pk])))
    targets = targets[:total]
    # the first cases cover every scenario, the demo chi hội's first
    scenarios = DEMO_BRANCH_SCENARIOS + [
        name for name, _w in CASE_SCENARIOS if name not in DEMO_BRANCH_SCENARIOS
    ]
    names_, weights = zip(*CASE_SCENARIOS, strict=True)
    scenarios += rng.choices(names_, weights=weights, k=max(0, total - len(scenarios)))

    persons = {p.pk: p for p in Person.objects.filter(pk__in=[r[0] for r in pool])}
    dense = {c.pk for c in communes[:2]}
    for branch_id, scenario in zip(targets, scenarios, strict=False):
        branch = branches[branch_id]
        until, dates, exit_ = builder.plan(scenario)
        first = min(dates.values())
        # her chi hội first, then her commune, then anywhere
        order = [branch_id, *sorted(by_commune[branch.parent_id]), *sorted(by_branch)]
        pick = None
        for other in order:
            pick = next((r for r in by_branch.get(other, []) if r[2] and r[2] < first), None)
            if pick:
                break
        if pick is None:
            continue
        by_branch[pick[1]].remove(pick)
        person = persons[pick[0]]
        branch = branches[pick[1]]
        party_commune = party_of[branch.parent_id]
        cell = branch.counterpart
        mentor = None
        if branch.parent_id in dense and rng.random() < 0.4 and mentors.get(branch.parent_id):
            mentor = Person.objects.get(pk=rng.choice(mentors[branch.parent_id]))
        notes = rng.randint(0, 3) if branch.parent_id in dense else rng.randint(0, 1)
        try:
            case = services.open_case(
                person, on=dates["source"], actor=None, note="Chi hội đề xuất tạo nguồn"
            )
            builder.walk(case, dates, until, cell, party_commune, mentor=mentor, notes=notes)
            if exit_ is not None:
                status, on = exit_
                on = max(on, dates[until])
                reason = rng.choice(EXIT_REASONS[status]).format(place=rng.choice(WORK_AWAY))
                services.exit_case(case, status=status, reason=reason, on=on, actor=None)
            builder.made += 1
        except ValidationError as exc:  # should not happen; reported in the summary
            builder.errors.append(f"{person.full_name}: {' '.join(exc.messages)}")

    # A class under way in commune A: sympathisers enrolled, one did not complete.
    if pairs:
        hoi_a, party_a = pairs[0]
        sympathisers = Case.objects.filter(status=Status.OPEN, step="sympathiser").exclude(
            branch=None
        )
        waiting = list(sympathisers.filter(branch__parent=hoi_a).order_by("id")[:4])
        if len(waiting) < 3:  # a small build: sympathisers of other communes join
            waiting += list(sympathisers.exclude(branch__parent=hoi_a).order_by("id")[:2])
        if waiting:
            start = today - datetime.timedelta(days=12)
            klass = services.create_class(
                organiser=party_a,
                title=f"Lớp bồi dưỡng nhận thức về Đảng khóa {today.year}",
                start=start,
                end=today - datetime.timedelta(days=3),
                place=f"Hội trường {party_a.name}",
                actor=None,
            )
            for i, case in enumerate(waiting):
                enrolment = services.enrol(case, klass=klass, actor=None)
                if i == len(waiting) - 1 and len(waiting) > 1:
                    services.record_result(enrolment, result="failed", actor=None)
            builder.classes[("current", party_a.pk)] = klass

    # Candidates of other organisations, introduced by the party side.
    for i, (organisation, until) in enumerate(EXTERNAL_CANDIDATES):
        hoi, dang = pairs[min(i % 2, len(pairs) - 1)]
        cells = Unit.objects.filter(parent=dang, level__code="dang_cell").order_by("code")
        cell = (branch_a1.counterpart if i == 0 and branch_a1 is not None else None) or (
            cells[rng.randrange(cells.count())] if cells.exists() else None
        )
        if cell is None:
            continue
        birth = _random_date(rng, _add_years(today, -35), _add_years(today, -20))
        introduced = builder.days_ago(40, 200)
        case = services.open_external_case(
            cell=cell,
            organisation=organisation,
            full_name=normalize_name(namer.name("Kinh", birth.year)),
            birth_date=birth,
            on=introduced,
            actor=None,
            doc_no=f"{rng.randint(3, 60)}/GT",
        )
        dates = {"sympathiser": introduced + datetime.timedelta(days=rng.randint(5, 15))}
        dates["class"] = dates["sympathiser"] + datetime.timedelta(days=rng.randint(5, 15))
        dates["source"] = introduced
        if until != "introduced":
            builder.walk(case, dates, until, cell, dang)
        builder.made += 1

    return {
        "cases": builder.made,
        "classes": len(builder.classes),
        "errors": builder.errors,
    }


# --- quotas, manual figures, emulation, reports ----------------------------------------

# The seeds' quota table (seed 000): 500 introductions = 150 chi hội trưởng + 350
# others. The demo scales it to its own size (see ``_create_targets``); the
# province's quota is the sum of its communes' (fully allocated).
HEADS_SHARE = 150 / 500


def _create_targets(seed: int, hoi_prov, hoi_communes: list, result: DemoResult, today) -> None:
    """Quotas for the current year on two levels (province → every commune → the chi
    hội of the two demo communes), manual figures for every commune, the default
    emulation criteria of the province and of commune A with a few manual scores,
    and, when the reports app is there, one approved and one submitted report. Done
    once: a province that has its quotas for the year gets nothing more."""
    from django.core.exceptions import ValidationError

    from uutu.emulation import services as emulation
    from uutu.orgs.models import Unit
    from uutu.targets import services as targets
    from uutu.targets.models import Period, Quota
    from uutu.targets.progress import figures as progress_figures

    year = today.year
    period = Period.year(year)
    if Quota.objects.filter(unit=hoi_prov, period=period).exists():
        return
    rng = random.Random(f"{seed}:targets")
    populated = {c.pk for c in result.communes}
    branches: dict[int, list] = {}
    for branch in Unit.objects.filter(
        parent_id__in=populated, level__code="hoi_branch", is_active=True
    ).order_by("code"):
        branches.setdefault(branch.parent_id, []).append(branch)

    # Quotas that the year's work can plausibly meet: each commune's results so far,
    # projected to the whole year, times 0.9–1.3 (so some communes are ahead and some
    # behind); a commune without results gets a small quota.
    done = progress_figures(hoi_prov, period, by_child=True)["children"]
    projection = 365 / max(today.timetuple().tm_yday, 60)

    def plan(achieved: int, fallback: int) -> int:
        if not achieved:
            return fallback
        return max(1, round(achieved * projection * rng.uniform(0.9, 1.3)))

    introduced, admitted = {}, {}
    for commune in hoi_communes:
        values = done.get(commune.pk, {})
        introduced[commune] = max(2, plan(values.get("introduced", 0), rng.randint(2, 6)))
        fallback = max(1, round(introduced[commune] * 0.2))
        admitted[commune] = min(introduced[commune], plan(values.get("admitted", 0), fallback))
    per_commune = {
        "introduced": introduced,
        "introduced_branch_heads": {c: round(q * HEADS_SHARE) for c, q in introduced.items()},
        "introduced_others": {c: q - round(q * HEADS_SHARE) for c, q in introduced.items()},
        "admitted": admitted,
        "propaganda_sessions": {c: rng.randint(10, 24) for c in hoi_communes},
    }
    created = 0
    for code, values in per_commune.items():
        targets.set_quota(hoi_prov, period, code, sum(values.values()), None)
        created += 1 + targets.allocate(hoi_prov, period, code, values, None)
    for code, province_value, spread in (
        ("branch_heads_party_pct", 45, (40, 50)),
        ("nonparty_heads_cultivated_pct", 50, (50, 50)),
        ("new_members_per_cell", 1, (1, 1)),
        ("model_1plus1_pct", 100, (100, 100)),
    ):
        targets.set_quota(hoi_prov, period, code, province_value, None)
        values = {c: rng.randint(*spread) for c in hoi_communes if c.pk in populated}
        created += 1 + targets.allocate(hoi_prov, period, code, values, None)
    # the second level: the two demo communes split their quotas among their chi hội,
    # in proportion to each chi hội's results so far (give or take)
    for commune in result.communes[:2]:
        kids = branches.get(commune.pk, [])
        if not kids:
            continue
        by_branch = progress_figures(commune, period, by_child=True)["children"]
        for code in ("introduced", "admitted"):
            weights = [
                (by_branch.get(k.pk, {}).get(code, 0) + 0.3) * rng.uniform(0.8, 1.2) for k in kids
            ]
            shares = _apportion(per_commune[code][commune], weights)
            created += targets.allocate(
                commune, period, code, dict(zip(kids, shares, strict=True)), None
            )
    result.quotas_created = created

    figures = 0
    for commune in hoi_communes:
        values = sample_manual_figures(rng)
        figures += targets.set_manual_figures(commune, period, values, None)
    result.figures_created = figures

    criteria = 0
    for unit, kids in ((hoi_prov, hoi_communes), (result.communes[0], None)):
        made = emulation.create_default_criteria(actor=None, unit=unit, year=year)
        criteria += len(made)
        manual = next(c for c in made if c.kind == "manual")
        kids = kids if kids is not None else branches.get(unit.pk, [])
        scores = {k.pk: (rng.choice([70, 80, 85, 90, 95, 100]), "") for k in kids[:12]}
        emulation.set_manual_scores(manual, actor=None, scores=scores)
    result.criteria_created = criteria

    try:
        from uutu.reports import services as reports
        from uutu.reports.models import Kind
    except ImportError:  # the reports app is not there yet
        return
    half = reports.period_for(Kind.SIX_MONTHLY, year)
    dated = min(today, half.end + datetime.timedelta(days=5))
    commune_a = result.communes[0]
    commune_b = result.communes[1] if len(result.communes) > 1 else None
    try:
        approved = reports.create_report(
            unit=commune_a, period=half, kind=Kind.SIX_MONTHLY, actor=None, dated=dated
        )
        reports.update_report(
            approved,
            actor=None,
            difficulties=(
                "Một số chi hội trưởng lớn tuổi, trình độ học vấn chưa đáp ứng; hội viên trẻ "
                "đi làm ăn xa nên khó bồi dưỡng, giới thiệu."
            ),
            proposals=("Đề nghị Đảng ủy xã mở thêm lớp bồi dưỡng nhận thức về Đảng trong quý III."),
        )
        reports.submit_report(approved, actor=None)
        reports.approve_report(approved, actor=None)
        result.reports_created += 1
        if commune_b is not None:
            submitted = reports.create_report(
                unit=commune_b, period=half, kind=Kind.SIX_MONTHLY, actor=None, dated=dated
            )
            reports.submit_report(submitted, actor=None)
            result.reports_created += 1
    except ValidationError as exc:  # reported, not fatal: the rest of the demo stands
        result.case_errors.append("Báo cáo mẫu: " + "; ".join(exc.messages))


def _ensure_user(username, role, unit, full_name, *, superuser=False) -> DemoUser:
    from uutu.accounts.models import RoleAssignment, User
    from uutu.accounts.roles import Role

    user = User.objects.filter(username__iexact=username).first()
    created = user is None
    if created:
        user = User(
            username=username, full_name=full_name, is_staff=superuser, is_superuser=superuser
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        RoleAssignment.objects.create(user=user, unit=unit, role=role)
        audit.record("accounts.user.created", user, after=audit.snapshot(user))
    return DemoUser(
        username=username,
        role=role,
        role_label=str(Role(role).label),
        unit_name=unit.name,
        full_name=user.full_name,
        created=created,
    )


def build_demo(
    province_code=4,
    members: int = DEFAULT_MEMBERS,
    seed: int = 2026,
    communes: int | None = None,
    stdout=None,
    cases: int | None = None,
) -> DemoResult:
    """Build (or find) the demo data; see the module docstring.

    ``communes`` limits how many communes get chi hội and members (default: all of
    them; small test builds use 2 or 3). ``stdout``, when given, receives the
    Vietnamese summary. ``cases`` is the number of pipeline cases (default: one per
    :data:`MEMBERS_PER_CASE` members, within :data:`CASES_BOUNDS`; 0: none).
    """
    from uutu.orgs.management.commands.load_province import (
        UnitSpec,
        bulk_get_or_create_units,
        find_province,
        link_pairs,
        load_province,
    )
    from uutu.orgs.models import Tree, Unit
    from uutu.orgs.services import ensure_levels
    from uutu.people.models import Person

    if members < 10:
        raise ValueError("Cần ít nhất 10 hội viên cho dữ liệu mẫu.")
    if communes is not None and communes < 1:
        raise ValueError("Cần ít nhất một xã, phường có chi hội.")
    started = time.perf_counter()
    rng = random.Random(seed)
    today = datetime.date.today()
    province = find_province(province_code)
    with context.acting(source="command"), transaction.atomic():
        loaded = load_province(province_code)
        levels = ensure_levels()
        hoi_prov = loaded.hoi_province
        result = DemoResult(
            province_name=province.name,
            units_created=loaded.created,
            members_requested=members,
        )
        chosen = _select_communes(loaded.hoi_communes, communes or len(loaded.hoi_communes))
        pairs = [(loaded.hoi_communes[i], loaded.party_communes[i]) for i in chosen]
        result.communes = [hoi for hoi, _ in pairs]
        commune_a, party_a = pairs[0]
        commune_b = pairs[1][0] if len(pairs) > 1 else commune_a

        existing = Person.objects.filter(branch__path__startswith=hoi_prov.path).count()
        stats: dict[str, int] = {}
        if existing:
            result.skipped = True
            result.members_total = existing
        else:
            highland = int(province.code) in names.ETHNICITY_WEIGHTS
            hoi_specs, dang_specs, rows, commune_of = [], [], [], []
            for c, (hoi, dang) in enumerate(pairs):
                villages, urban = _commune_villages(seed, hoi, highland)
                for i, village in enumerate(villages, 1):
                    hoi_specs.append(
                        UnitSpec(
                            "hoi_branch",
                            f"Chi hội {village}",
                            f"{hoi.code}-CH{i:02d}",
                            hoi,
                            area_name=village,
                            remote_area=hoi.remote_area,
                        )
                    )
                    dang_specs.append(
                        UnitSpec(
                            "dang_cell",
                            f"Chi bộ {village}",
                            f"{hoi.code}-CB{i:02d}",
                            dang,
                            area_name=village,
                            remote_area=dang.remote_area,
                        )
                    )
                    rows.append((village, hoi.area_name, urban))
                    commune_of.append(c)
            branches, n_b = bulk_get_or_create_units(hoi_specs, levels)
            cells, n_c = bulk_get_or_create_units(dang_specs, levels)
            link_pairs(list(zip(branches, cells, strict=True)))
            result.units_created += n_b + n_c
            taken = set(Person.objects.exclude(cccd=None).values_list("cccd", flat=True))
            factory = _PersonFactory(rng, int(province.code), province.name, today, taken)
            branch_rows = [(b, *row) for b, row in zip(branches, rows, strict=True)]
            deputies = [1 if rng.random() < 0.45 else 2 for _ in branches]
            sizes = _branch_sizes(rng, [1 + d for d in deputies], commune_of, members)
            _create_members(rng, factory, branch_rows, sizes, deputies, today, stats)
            result.members_created = result.members_total = stats["members"]

        branch_qs = Unit.objects.filter(
            tree=Tree.HOI, level__code="hoi_branch", parent__in=result.communes
        )
        result.branches = branch_qs.count()
        result.cells = Unit.objects.filter(
            tree=Tree.DANG, level__code="dang_cell", parent__in=[d for _, d in pairs]
        ).count()
        branch_a1 = (
            branch_qs.filter(code=f"{commune_a.code}-CH01").first()
            or branch_qs.filter(parent=commune_a).order_by("code").first()
        )

        from uutu.accounts.roles import Role
        from uutu.people.models import PositionKind

        names_rng = random.Random(seed + 1)
        namer = _PersonFactory(names_rng, int(province.code), province.name, today, set())

        def woman() -> str:
            return namer.name(_pick(names_rng, namer.ethnicities), 1975)

        hoi_root = hoi_prov.parent
        plan = [
            ("admin", Role.SYSADMIN, hoi_root, "Quản trị hệ thống"),
            ("tinh", Role.PROVINCE_CADRE, hoi_prov, woman()),
            ("xa", Role.COMMUNE_CADRE, commune_a, woman()),
            ("xa2", Role.COMMUNE_CADRE, commune_b, woman()),
        ]
        if branch_a1 is not None:
            head = Person.objects.filter(
                positions__unit=branch_a1,
                positions__kind=PositionKind.BRANCH_HEAD,
                positions__end__isnull=True,
            ).first()
            plan.append(
                ("chihoi", Role.BRANCH_HEAD, branch_a1, head.full_name if head else woman())
            )
        plan.append(("dangxa", Role.PARTY_COMMITTEE, party_a, namer.male_name()))
        if branch_a1 is not None and branch_a1.counterpart_id:
            plan.append(("chibo", Role.CELL_SECRETARY, branch_a1.counterpart, namer.male_name()))
        for username, role, unit, full_name in plan:
            result.users.append(
                _ensure_user(username, role, unit, full_name, superuser=(role == Role.SYSADMIN))
            )

        # Pipeline cases, once: a province that already has cases gets no more.
        from django.db.models import Q

        from uutu.pipeline.models import Case

        province_cases = Case.objects.filter(
            Q(branch__path__startswith=hoi_prov.path)
            | Q(party_unit__path__startswith=loaded.party_province.path)
        )
        if cases is None:
            cases = max(CASES_BOUNDS[0], min(CASES_BOUNDS[1], members // MEMBERS_PER_CASE))
        if cases > 0 and not province_cases.exists():
            case_namer = _PersonFactory(
                random.Random(seed + 2), int(province.code), province.name, today, set()
            )
            made = _create_cases(seed, cases, pairs, branch_a1, today, case_namer)
            result.cases_created = made["cases"]
            result.classes_created = made["classes"]
            result.case_errors = made["errors"]
        result.cases_total = province_cases.count()
        result.cases_overdue = province_cases.filter(status="open", due_on__lt=today).count()

        # Quotas on two levels, manual figures, emulation criteria and reports, once.
        _create_targets(seed, hoi_prov, loaded.hoi_communes, result, today)

        if (
            not result.skipped
            or any(u.created for u in result.users)
            or loaded.changed
            or result.cases_created
            or result.quotas_created
        ):
            audit.record(
                "core.demo.built",
                hoi_prov,
                after={
                    "seed": seed,
                    "communes": len(result.communes),
                    "branches": result.branches,
                    "members_requested": result.members_requested,
                    "members_created": result.members_created,
                    "party_members": stats.get("party", 0),
                    "users_created": [u.username for u in result.users if u.created],
                    "cases_created": result.cases_created,
                    "quotas_created": result.quotas_created,
                    "reports_created": result.reports_created,
                },
                repr_text=f"Dữ liệu mẫu {province.name}",
            )
    result.seconds = time.perf_counter() - started
    if stdout is not None:
        stdout.write(summary(result))
    return result


def summary(result: DemoResult) -> str:
    lines = [f"Dữ liệu mẫu: {result.province_name}"]
    if result.skipped:
        lines.append(
            f"  Đã có {result.members_total} hội viên trong tỉnh: không tạo thêm "
            "chi hội hay hội viên."
        )
    else:
        lines.append(
            f"  {len(result.communes)} xã, phường có dữ liệu; {result.branches} chi hội và "
            f"{result.cells} chi bộ; {result.members_created} hội viên mới."
        )
        if result.members_created > result.members_requested:
            lines.append(
                f"  Yêu cầu {result.members_requested} hội viên, ít hơn số tối thiểu để mỗi "
                f"chi hội có chi hội trưởng và chi hội phó: đã tạo {result.members_created}."
            )
    if result.units_created:
        lines.append(f"  Tạo mới {result.units_created} đơn vị (Hội và Đảng).")
    if result.cases_created:
        lines.append(
            f"  {result.cases_created} hồ sơ phát triển đảng viên mới ({result.cases_overdue} "
            f"quá hạn), {result.classes_created} lớp bồi dưỡng nhận thức về Đảng."
        )
    elif result.cases_total:
        lines.append(f"  Đã có {result.cases_total} hồ sơ phát triển đảng viên: không tạo thêm.")
    if result.quotas_created:
        lines.append(
            f"  {result.quotas_created} chỉ tiêu năm {datetime.date.today().year} (tỉnh, xã, "
            f"chi hội), {result.figures_created} số liệu tự nhập, {result.criteria_created} "
            f"tiêu chí thi đua, {result.reports_created} báo cáo."
        )
    for error in result.case_errors[:5]:
        lines.append(f"  Không tạo được hồ sơ: {error}")
    lines.append("  Tài khoản:")
    width = max(len(u.username) for u in result.users) if result.users else 0
    for u in result.users:
        note = "" if u.created else " (đã có, không thay đổi)"
        lines.append(f"    {u.username:<{width}}  {u.role_label} – {u.unit_name}{note}")
    if any(u.created for u in result.users):
        lines.append(f"  Mật khẩu chung của các tài khoản mới: {result.password}")
    else:
        lines.append(f"  Mật khẩu chung của tài khoản mẫu: {result.password}")
    lines.append(f"  Thời gian: {result.seconds:.1f} giây.")
    return "\n".join(lines) + "\n"
