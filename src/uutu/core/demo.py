"""The demo data set: one real province (Cao Bằng by default) with its communes in
both trees, 8–20 chi hội (each with its chi bộ) in every commune, a few thousand
members with realistic Vietnamese names, a chi hội trưởng and one or two chi hội
phó in every chi hội, party status, and one user per role.

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
    stats["members"] = len(persons)
    stats["officers"] = len(officers)
    stats["party"] = len(party)
    return persons, officers


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
) -> DemoResult:
    """Build (or find) the demo data; see the module docstring.

    ``communes`` limits how many communes get chi hội and members (default: all of
    them; small test builds use 2 or 3). ``stdout``, when given, receives the
    Vietnamese summary.
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

        if not result.skipped or any(u.created for u in result.users) or loaded.changed:
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
