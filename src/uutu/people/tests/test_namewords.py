"""The member search by the word index of names (uutu.people.namewords): the same
matches as ``LIKE '%word%'`` for every word, the table of name words kept by its
trigger, and the list's choice between the word index and the list's own order."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from uutu.core.text import fold
from uutu.people import namewords, services
from uutu.people.models import NameWord, Person, search_condition

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the word index is PostgreSQL's (GIN on an array); SQLite keeps the LIKE search",
)

NAMES = [
    "Trần Thị Tuyết",
    "Trần Thị Tuyết",
    "Nguyễn Thị Tuyết Trang",
    "Lê Thị Hồng Nhung",
    "Vũ Ngọc Trâm",
    "Đặng Thị Hoa",
    "Hà Thị Nhung",
    "Lò Thị Tuyết",
]
# names without those words, so that "tran" and "tuyet" are rare, as in the country
OTHERS = ["Phạm Thị Lan", "Hoàng Thị Mai", "Bùi Thị Cúc", "Đỗ Thị Đào"] * 10
QUERIES = [
    "tran",
    "ran",
    "Trần Thị Tuyết",
    "tuyet trang",
    "thi",
    "nhung le",
    "hoa dang",
    "t",
    "uye",
    "xyzq",
    "thi xyzq",
    "ngoc tram vu",
    "thi thi tuyet",
    # the pair index: two rare words ("tuyet tran"), three ("le hong nhung"), two
    # that share a name word ("tran trang": Trang alone holds both)
    "tuyet tran",
    "le hong nhung",
    "tran trang",
]


def _add(world, names):
    for i, name in enumerate(names):
        services.create_person(
            actor=None,
            branch=world.branch_a1 if i % 2 else world.branch_b1,
            full_name=name,
            birth_date=datetime.date(1990, 1, 1) + datetime.timedelta(days=i),
        )


def _like(text):
    q = Q()
    for word in fold(text).split(" "):
        q &= Q(search_name__contains=word)
    return set(Person.objects.filter(q).values_list("pk", flat=True))


def _analyze():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE people_person")


@pytest.mark.parametrize("analysed", [False, True], ids=["no statistics", "analysed"])
def test_the_search_finds_what_like_finds_for_every_word(world, analysed):
    """Whatever way the search takes (the word index, with or without statistics,
    or LIKE), it keeps exactly the members whose folded name contains every typed
    word: a word inside a name word ("ran" in "trần", "trang"), a repeated word, a
    word no name holds."""
    _add(world, NAMES)
    if analysed:
        _analyze()
    ways = set()
    province = namewords.Scope((world.province.path,), Person.objects.count())
    for text in QUERIES:
        for scope in (province, None):
            plan = namewords.plan(fold(text).split(" "), scope)
            ways.add(plan.way)
            condition, _any_order = search_condition(text, scope)
            found = set(Person.objects.filter(condition).values_list("pk", flat=True))
            assert found == _like(text), (text, scope, plan)
    # the cases are not empty: "tran" finds "Trang" by a part of a name word
    assert len(_like("tuyet trang")) == 1 and _like("tuyet trang") <= _like("tran")
    assert not _like("xyzq")
    # on PostgreSQL the word index is taken for some of them
    assert (namewords.Way.WORDS in ways) == (connection.vendor == "postgresql")


@postgres_only
def test_the_word_index_checks_common_words_on_the_row(world, monkeypatch):
    """Once analysed, a word in most names ("thi") is not looked up in the index:
    "tran thi tuyet" looks up "tran" and "tuyet" (each with the name words that
    contain it) and checks "thi" on the row; "thi" alone is a scan, every word
    checked on the row (no LIKE, which would tempt the planner to the trigram index:
    2.3 s for "nguyen thi lan" in Hà Nội), unless that scan would cost too much:
    then LIKE, and the planner chooses."""
    _add(world, NAMES + OTHERS)
    _analyze()
    plan = namewords.plan(["tran", "thi", "tuyet"], costs=SCANS_DEAR)
    assert plan.way == namewords.Way.WORDS
    assert plan.keys == {"tran": ["tran", "trang"], "tuyet": ["tuyet"]}
    assert plan.checks == ["thi"]
    assert plan.candidates > 0
    scan = namewords.plan(["thi"])
    assert scan.way == namewords.Way.SCAN
    sql = str(Person.objects.filter(scan.condition()).query)
    assert "strpos" in sql and "LIKE" not in sql
    monkeypatch.setattr(namewords, "SCAN_LIMIT", 0)
    like = namewords.plan(["thi"])
    assert like.way == namewords.Way.LIKE
    assert "LIKE" in str(Person.objects.filter(like.condition()).query)


# costs that make one way plainly dearer than the other on a small table
SCANS_DEAR = namewords.Costs(seq_row=1000, list_row=1000)
INDEX_DEAR = namewords.Costs(posting=1000, candidate=1000, heap_row=1000)


@postgres_only
def test_the_cheaper_way_is_taken_and_a_scope_keeps_the_list_order(world, monkeypatch):
    """The plan weighs a scan against the word index (:class:`namewords.Costs`).
    In the whole country either takes the first matches in any order (no scope can
    come last in the table); within a scope the scan keeps the list's order, and
    the word index ANDs in the scope's chi hội; the word index is not used within a
    scope when it gives too many members in the country."""
    _add(world, ["Trần Thị Tuyết", "Lò Thị Tuyết", "Vi Thị Tuyết Mai", "Cà Thị Tuyết"] + OTHERS)
    _analyze()
    province = namewords.Scope((world.province.path,), Person.objects.count())
    expected = _like("tuyet")
    for scope in (None, province):
        for costs, way in ((SCANS_DEAR, namewords.Way.WORDS), (INDEX_DEAR, namewords.Way.SCAN)):
            plan = namewords.plan(["tuyet"], scope, costs)
            assert plan.way == way, (scope, costs)
            assert plan.any_order == (way == namewords.Way.WORDS or scope is None)
            found = Person.objects.filter(plan.condition())
            assert {p.pk for p in found} == expected
            in_units = "= ANY(ARRAY(SELECT id FROM orgs_unit" in str(found.query)
            assert in_units == (way == namewords.Way.WORDS and scope is not None)
    monkeypatch.setattr(namewords, "SCOPED_CANDIDATES", 1)
    assert namewords.plan(["tuyet"], province, SCANS_DEAR).way == namewords.Way.SCAN
    assert namewords.plan(["tuyet"], None, SCANS_DEAR).way == namewords.Way.WORDS


@postgres_only
def test_new_name_words_are_listed_by_the_trigger(world):
    """A new member and a renamed one add their new name words (once) to the table
    the search maps typed words through; so the search finds them at once."""
    person = services.create_person(
        actor=None,
        branch=world.branch_a1,
        full_name="Hờ Thị Dzuôn",
        birth_date=datetime.date(1992, 3, 4),
    )
    assert NameWord.objects.filter(word="dzuon").exists()
    assert list(Person.objects.search("dzuo")) == [person]
    services.update_person(person, actor=None, full_name="Hờ Thị Dzuôn Xỉa")
    assert NameWord.objects.filter(word="xia").exists()
    assert NameWord.objects.filter(word="thi").count() == 1
    found, _any_order = Person.objects.searched("dzuon xia")
    assert list(found) == [person]
    # a bulk insert (one statement for many rows, as an import's COPY) lists them too
    Person.objects.bulk_create(
        [
            services.new_person(
                world.branch_b1, full_name=f"Mùa Thị Sùng{n}", birth_date=datetime.date(1993, 1, 1)
            ).derive_fields()
            for n in range(3)
        ]
    )
    assert set(NameWord.objects.filter(word__startswith="sung").values_list("word", flat=True)) == {
        "sung0",
        "sung1",
        "sung2",
    }
    with connection.cursor() as cursor:
        assert namewords.rebuild(cursor) == 0  # nothing was missing


@postgres_only
def test_verify_reports_missing_name_words_and_fix_adds_them(world):
    """Members written with the triggers off (a bulk load without the rebuild) have
    words the table lacks, so a search would miss them: ``verify`` says which and
    fails; ``verify --fix`` adds them, and the search finds the member."""
    namewords.set_triggers(False)
    try:
        person = services.create_person(
            actor=None,
            branch=world.branch_a1,
            full_name="Sùng Thị Pằng Qwyz",
            birth_date=datetime.date(1992, 3, 4),
        )
    finally:
        namewords.set_triggers(True)
    assert not Person.objects.search("qwyz").exists()
    out = io.StringIO()
    with pytest.raises(CommandError, match="thiếu"):
        call_command("verify", stdout=out)
    assert "qwyz" in out.getvalue() and "pang" in out.getvalue()
    call_command("verify", "--fix", stdout=io.StringIO())
    assert list(Person.objects.search("qwyz")) == [person]
    out = io.StringIO()
    call_command("verify", stdout=out)
    assert "0 từ thiếu" in out.getvalue()


@postgres_only
@pytest.mark.parametrize("costs", [SCANS_DEAR, INDEX_DEAR], ids=["word index", "scan"])
def test_a_national_search_takes_any_matches(world, login, monkeypatch, costs):
    """At national scope, over the cap, the list takes the first matches the word
    index or the table gives (no ORDER BY, so the database stops after the cap),
    shows them sorted by name and says there are more; a province's list takes
    them in the list's order when it scans."""
    from uutu.core import pagination

    _add(world, ["Trần Thị Tuyết", "Lò Thị Tuyết", "Vi Thị Tuyết Mai", "Cà Thị Tuyết"] * 2 + OTHERS)
    _analyze()
    monkeypatch.setattr(namewords, "COSTS", costs)
    monkeypatch.setattr(pagination.first_matches, "__defaults__", (None, 4, ()))
    for user, ordered in ((world.users["admin"], False), (world.users["province"], None)):
        with CaptureQueriesContext(connection) as ctx:
            page = login(user).get("/hoi-vien/?q=tuyet").context["page"]
        taken = [q["sql"] for q in ctx.captured_queries if "LIMIT 5" in q["sql"]]
        assert len(taken) == 1, taken
        by_index = "&&" in taken[0]
        assert by_index == (costs is SCANS_DEAR), taken
        if ordered is None:  # the province: the list's order unless by the index
            ordered = not by_index
        assert ("ORDER BY" in taken[0]) == ordered, taken
        assert page.paginator.more and len(page.object_list) == 4
        ids = [int(row.url.rstrip("/").rsplit("/", 1)[-1]) for row in page.object_list]
        shown = list(Person.objects.filter(pk__in=ids))
        assert all("tuyet" in p.search_name for p in shown)
        assert [p.pk for p in sorted(shown, key=lambda p: (p.sort_key, p.pk))] == ids


@postgres_only
def test_the_pairs_of_name_words_are_those_of_the_index_function(world):
    """``people_name_pairs`` gives each pair of distinct words once, in byte order,
    without "thi"; a repeated word makes no pair with itself."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT people_name_pairs(%s), people_name_pairs(%s), people_name_pairs(%s)",
            ["hoang thi thu trang", "tuyet thi tuyet", "lan"],
        )
        pairs = cursor.fetchone()
    assert [sorted(p) for p in pairs] == [
        ["hoang thu", "hoang trang", "thu trang"],
        [],
        [],
    ]


@postgres_only
def test_rare_words_are_looked_up_in_pairs(world):
    """ "le thi hong nhung": the rarest of "le", "hong", "nhung" is paired with each
    of the others, none is looked up alone, and "thi" is checked on the row. Two
    words sharing a name word are looked up alone. The matches are LIKE's."""
    _add(world, NAMES + OTHERS + ["Lê Thị Hồng", "Lê Thị Nhung", "Phạm Hồng Nhung"])
    _analyze()
    plan = namewords.plan(["le", "thi", "hong", "nhung"], costs=SCANS_DEAR)
    assert plan.way == namewords.Way.WORDS and plan.checks == ["thi"]
    assert plan.paired == {"le", "hong", "nhung"} and len(plan.pairs) == 2
    first, second = ({w for token in tokens for w in token.split(" ")} for tokens in plan.pairs)
    assert len(first & second) == 1  # the rarest word, in both
    found = Person.objects.filter(plan.condition())
    sql = str(found.query)
    assert sql.count("people_name_pairs(") == 2 and "string_to_array" not in sql
    assert {p.pk for p in found} == _like("le thi hong nhung") != set()
    overlap = namewords.plan(["tran", "trang"], costs=SCANS_DEAR)
    assert overlap.way == namewords.Way.WORDS and overlap.pairs == ()
    assert {p.pk for p in Person.objects.filter(overlap.condition())} == _like("tran trang")
