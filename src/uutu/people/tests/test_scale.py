"""The member list, its search and the case list at scale: capped counts, index-
friendly search (CCCD / phone prefix), the unit picker, and query-count guards that
fail when a page starts issuing one query per row or per unit."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from uutu.core.pagination import CappedPaginator
from uutu.orgs import services as org_services
from uutu.orgs.forms import UnitPickerField, search_units, unit_label
from uutu.orgs.models import Unit
from uutu.orgs.views import picker_units
from uutu.people import services
from uutu.people.models import Person
from uutu.pipeline import services as pipeline_services

TODAY = datetime.date.today()
GIVEN = ["Lan", "Hoa", "Huệ", "Mai", "Cúc", "Đào"]


def _grow(w, branches: int, per_branch: int, cases: bool = False):
    """Add ``branches`` chi hội to commune A, each with ``per_branch`` members (with a
    position and, if asked, a case each), to see whether the pages' query counts
    grow with the data."""
    for b in range(branches):
        branch = org_services.create_unit(
            parent=w.commune_a,
            level=w.levels["hoi_branch"],
            name=f"Chi hội Xóm Mới {Unit.objects.count()}",
            code=f"99001-X{Unit.objects.count()}",
        )
        for i in range(per_branch):
            person = services.create_person(
                actor=None,
                branch=branch,
                full_name=f"Phạm Thị {GIVEN[(b + i) % len(GIVEN)]}",
                birth_date=datetime.date(1990, 1, 1 + i),
            )
            services.start_position(
                person, kind="branch_deputy", unit=branch, start=TODAY, actor=None
            )
            if cases:
                pipeline_services.open_case(person, on=TODAY, actor=None)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/hoi-vien/",
        "/hoi-vien/?q=pham+thi",
        "/hoi-vien/?q=004190",
        "/hoi-vien/?unit=Xã+An+Bình",
        "/phat-trien-dang/",
        "/phat-trien-dang/?q=lan",
    ],
)
def test_list_query_counts_do_not_grow_with_members_and_units(world, login, url):
    client = login(world.users["province"])
    _grow(world, branches=1, per_branch=2, cases=True)
    before = _queries(client, url)
    _grow(world, branches=4, per_branch=6, cases=True)
    after = _queries(client, url)
    assert after == before, f"{url}: {before} queries before, {after} with more rows"


def test_member_list_query_guard(world, login, django_assert_max_num_queries):
    _grow(world, branches=3, per_branch=20)
    client = login(world.users["province"])
    with django_assert_max_num_queries(12):
        response = client.get("/hoi-vien/?q=pham")
    assert response.status_code == 200
    assert response.content.decode().count('href="/hoi-vien/') >= 50  # a full page


def test_the_lists_member_count_reads_the_count_rows_alone(world, login):
    """The list's "N hội viên" sums the per-chi-hội rows of the scope by their own
    path (an index range), with no join to the units, and says what a count of the
    members gives, for the province and for a commune filter."""
    _grow(world, branches=2, per_branch=3)
    client = login(world.users["province"])
    for params, members in [
        ({}, Person.objects.filter(branch__path__startswith=world.province.path)),
        (
            {"unit": world.commune_a.pk},
            Person.objects.filter(branch__path__startswith=world.commune_a.path),
        ),
    ]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/hoi-vien/", params)
        sums = [q["sql"] for q in ctx.captured_queries if "people_membercount" in q["sql"]]
        assert len(sums) == 1 and "orgs_unit" not in sums[0], sums
        assert response.context["page"].paginator.count == members.current().count() > 0


def test_capped_paginator_counts_up_to_the_cap(world):
    _grow(world, branches=1, per_branch=7)
    people = Person.objects.order_by("sort_key", "id")
    total = people.count()
    capped = CappedPaginator(people, 2, cap=5)
    assert (capped.count, capped.more, capped.num_pages) == (5, True, 3)
    exact = CappedPaginator(people, 2, cap=total)
    assert (exact.count, exact.more) == (total, False)


def test_over_the_cap_the_list_says_more_than(world, login, settings, monkeypatch):
    from uutu.core import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    monkeypatch.setattr(pagination.paginate, "__defaults__", (None, 5, False, None))
    settings.PAGE_SIZE = 2
    _grow(world, branches=1, per_branch=8)
    # a row filter (the unfiltered list is counted from the member counts, in full)
    html = (
        login(world.users["province"])
        .get("/hoi-vien/?position=branch_deputy&page=3")
        .content.decode()
    )
    assert "Hơn 5 hội viên" in html
    assert "Trang 3/hơn 3" in html
    assert 'data-testid="capped-hint"' in html


def test_search_by_cccd_and_phone_prefix(world):
    a1 = world.person_a1  # CCCD 004190001234, phone 0912345678
    assert list(Person.objects.search("0041900")) == [a1]
    assert list(Person.objects.search("004 190 001 234")) == [a1]
    assert list(Person.objects.search("091234")) == [a1]
    assert list(Person.objects.search("0041901")) == []
    assert list(Person.objects.search("09")) == []  # too short to mean anything


def test_search_words_in_any_order_accents_ignored(world):
    assert list(Person.objects.search("hoa nguyen")) == [world.person_a1]
    assert set(Person.objects.search("HÒA")) == {world.person_a1, world.person_a2}


def test_unit_search_is_accent_insensitive_and_scoped(world):
    units = picker_units(world.users["commune_a"], "people")
    assert list(search_units(units, "thon dong")) == [world.branch_a1]
    assert set(search_units(units, "THÔN")) == {world.branch_a1, world.branch_a2}
    assert list(search_units(units, "bac")) == []  # chi hội Thôn Bắc is commune B's
    everything = picker_units(world.users["admin"], "people")
    assert list(search_units(everything, "bắc")) == [world.branch_b1]
    assert world.hoi_root not in everything


def test_unit_search_page_returns_options_in_scope(world, login):
    client = login(world.users["commune_a"])
    html = client.get(reverse("orgs:unit_search"), {"for": "people", "q": "thon"}).content
    html = html.decode()
    assert html.count("<option") == 2
    assert f'value="{unit_label(world.branch_a1)}"' in html
    assert "Thôn Bắc" not in html
    # htmx sends the picker's own value under the field name; cases look in both trees
    client = login(world.users["admin"])
    html = client.get(reverse("orgs:unit_search"), {"for": "cases", "unit": "dong"}).content
    assert html.decode().count("<option") == 2  # chi hội and chi bộ Thôn Đông


def test_unit_search_returns_at_most_twenty(world, login):
    for i in range(25):
        org_services.create_unit(
            parent=world.commune_a,
            level=world.levels["hoi_branch"],
            name=f"Chi hội Tổ {i}",
            code=f"99001-T{i}",
        )
    client = login(world.users["province"])
    html = client.get(reverse("orgs:unit_search"), {"for": "people", "q": "to"}).content
    assert html.decode().count("<option") == 20


def test_unit_picker_field_resolves_ids_labels_and_names(world):
    field = UnitPickerField(
        queryset=picker_units(world.users["province"], "people"), required=False
    )
    assert field.clean(str(world.branch_a1.pk)) == world.branch_a1
    assert field.clean(unit_label(world.branch_a1)) == world.branch_a1
    assert field.clean("thon tay") == world.branch_a2
    assert field.clean("") is None
    with pytest.raises(Exception, match="Có nhiều đơn vị"):
        field.clean("thôn")
    with pytest.raises(Exception, match="Không tìm thấy"):
        field.clean("Xã Không Có")
    commune_a_only = UnitPickerField(queryset=picker_units(world.users["commune_a"], "people"))
    with pytest.raises(Exception, match="Không tìm thấy"):
        commune_a_only.clean(str(world.branch_b1.pk))  # outside her scope


def test_list_filters_by_a_typed_unit_name(world, login):
    client = login(world.users["province"])
    html = client.get("/hoi-vien/", {"unit": "Thôn Tây"}).content.decode()
    assert world.person_a2.full_name in html
    assert world.person_a1.full_name not in html
    # An ambiguous name is reported on the field; the other filters still apply.
    html = client.get("/hoi-vien/", {"unit": "thôn", "q": "anh"}).content.decode()
    assert 'data-testid="unit-error"' in html and "Có nhiều đơn vị" in html
    assert world.person_b1.full_name in html and world.person_a1.full_name not in html
    # The bound picker shows the unit's label, not its id.
    html = client.get("/hoi-vien/", {"unit": world.branch_a1.pk}).content.decode()
    assert f'value="{unit_label(world.branch_a1)}"' in html


def test_case_list_filters_by_unit_picker(world, login):
    pipeline_services.open_case(world.person_a1, on=TODAY, actor=None)
    pipeline_services.open_case(world.person_b1, on=TODAY, actor=None)
    client = login(world.users["province"])
    html = client.get("/phat-trien-dang/", {"unit": "Xã Bình Minh"}).content.decode()
    assert world.person_b1.full_name in html and world.person_a1.full_name not in html


def test_search_pages_follow_the_database_order_without_a_count(
    world, login, settings, django_assert_num_queries
):
    """The search's first matches are sorted in Python and each page reads only its
    own rows: pages concatenated equal the database's ORDER BY sort_key, id of the
    same matches, and a page costs the ids query and the page's rows (no COUNT)."""
    from uutu.core.pagination import first_matches

    _grow(world, branches=2, per_branch=9)
    matches = Person.objects.search("thi").filter(archived_at__isnull=True)
    expected = list(matches.order_by("sort_key", "id").values_list("pk", flat=True))
    assert len(expected) > 10
    with django_assert_num_queries(1):
        rows, more = first_matches(matches, ("sort_key", "id"))
    assert not more and len(rows) == len(expected) and rows.count() == len(expected)
    with django_assert_num_queries(1):
        page = rows[3:8]
    assert [p.pk for p in page] == expected[3:8]
    assert [p.pk for p in rows[0 : len(rows)]] == expected
    # capped: the first cap matches (any), then ordered; "more" says there were more
    capped, more = first_matches(matches, ("sort_key", "id"), cap=4)
    assert more and len(capped) == 4
    keys = [p.sort_key for p in capped[0:4]]
    assert keys == sorted(keys)
    # descending orders too (the case list: newest first)
    newest, _more = first_matches(matches, ("-created_at", "-id"))
    assert [p.pk for p in newest[0 : len(newest)]] == list(
        matches.order_by("-created_at", "-id").values_list("pk", flat=True)
    )
    # the list page: one page of 5, the count said without a COUNT query
    settings.PAGE_SIZE = 5
    html = login(world.users["province"]).get("/hoi-vien/?q=thi&page=2").content.decode()
    assert f"{len(expected)} hội viên" in html
    assert html.count('class="fw-semibold" href="/hoi-vien/') == 5


def test_unfiltered_list_counts_from_the_member_counts(world, login, django_assert_num_queries):
    """Filtered by scope or unit only, the list's count is the sum of the per-chi-hội
    counts (no COUNT over the members) and equals the rows it lists; any other
    filter counts the rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _grow(world, branches=2, per_branch=6)
    client = login(world.users["province"])
    for url, people in (
        ("/hoi-vien/", Person.objects.filter(archived_at__isnull=True)),
        (
            f"/hoi-vien/?unit={world.commune_a.pk}",
            Person.objects.filter(
                archived_at__isnull=True, branch__path__startswith=world.commune_a.path
            ),
        ),
    ):
        expected = people.restrict(world.users["province"], "people.view").count()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        page = response.context["page"]
        assert page.paginator.count == expected and not page.paginator.more
        sql = " ".join(q["sql"] for q in queries.captured_queries)
        assert "people_membercount" in sql and 'FROM "people_person"' in sql
        assert 'SELECT COUNT(*) FROM (SELECT "people_person"' not in sql
    # a row filter: the members are counted
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/hoi-vien/?party=member")
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "people_membercount" not in sql
    listed = Person.objects.filter(
        archived_at__isnull=True, party_status__in=["probationary", "official"]
    )
    assert response.context["page"].paginator.count == listed.count()


def test_under_selects_the_subtree_as_a_prefix_does(world):
    """``core.scoping.under`` (a range on SQLite, LIKE on PostgreSQL) keeps exactly
    the units whose path starts with the prefix, for every level and for ""."""
    from uutu.core.scoping import under

    for prefix in ("", world.province.path, world.commune_a.path, world.branch_a1.path):
        ours = set(Unit.objects.filter(under("path", prefix)).values_list("pk", flat=True))
        wanted = {u.pk for u in Unit.objects.all() if u.path.startswith(prefix)}
        assert ours == wanted and ours, prefix


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query planner only")
def test_sqlite_reads_the_member_list_in_index_order(world, login):
    """On SQLite the list's page comes through the path and (chi hội, name)
    indexes, never a sort of the whole scope (a 600,000-member province took
    230 ms with the sort, 13 ms without)."""
    client = login(world.users["province"])
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("people:list"))
    page = [q["sql"] for q in ctx.captured_queries if 'ORDER BY "orgs_unit"."path"' in q["sql"]]
    assert page, [q["sql"] for q in ctx.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + page[0])
        plan = " / ".join(str(row[-1]) for row in cursor.fetchall())
    assert "TEMP B-TREE" not in plan, plan
    assert "person_branch_sort" in plan, plan


def test_search_takes_its_first_matches_in_list_order(world, login, monkeypatch):
    """Over the cap, a search whose words are all common ("thi": in every name here,
    as the database's statistics say once the table is analysed) keeps the first
    matches in the list's order (chi hội by chi hội, then by name), the order the
    database can read a scope in and stop: with a cap of 4 the page shows exactly
    the first 4 of the list, sorted by name."""
    from uutu.core import pagination
    from uutu.people.views import LIST_ORDER

    branches = [
        org_services.create_unit(
            parent=world.commune_a,
            level=world.levels["hoi_branch"],
            name=f"Chi hội Xóm Cuối {n}",
            code=f"99002-{n}",
        )
        for n in range(3)
    ]
    # written last chi hội first: the table's own order is not the list's
    for branch in reversed(branches):
        for i in range(4):
            services.create_person(
                actor=None,
                branch=branch,
                full_name=f"Vũ Thị {GIVEN[i]}",
                birth_date=datetime.date(1991, 2, 1 + i),
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE people_person")
    user = world.users["province"]
    from uutu.people.namewords import Scope

    province = Scope((world.province.path,), Person.objects.count())
    matches, any_order = Person.objects.restrict(user, "people.view").searched("thi", province)
    assert not any_order
    matches = matches.filter(archived_at__isnull=True)
    in_list_order = list(matches.order_by(*LIST_ORDER).values_list("pk", flat=True))
    by_name = list(matches.order_by("sort_key", "id").values_list("pk", flat=True))
    assert len(in_list_order) > 8 and in_list_order[:4] != by_name[:4]
    # the view takes first_matches' default cap (fetch, cap, scan)
    monkeypatch.setattr(pagination.first_matches, "__defaults__", (None, 4, ()))
    with CaptureQueriesContext(connection) as ctx:
        page = login(user).get("/hoi-vien/?q=thi").context["page"]
    # the query that takes the matches asks for the list's order (small test tables
    # come out in that order anyway; 20 million members do not)
    taken = [q["sql"] for q in ctx.captured_queries if "LIMIT 5" in q["sql"]]
    assert len(taken) == 1 and 'ORDER BY "orgs_unit"."path"' in taken[0], taken
    shown = [row.url.rstrip("/").rsplit("/", 1)[-1] for row in page.object_list]
    first_four = Person.objects.filter(pk__in=in_list_order[:4]).order_by("sort_key", "id")
    assert [int(pk) for pk in shown] == [p.pk for p in first_four]
    assert page.paginator.more


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's collations only")
def test_paths_compare_byte_by_byte_and_a_prefix_is_an_index_range(world):
    """Every path column has the "C" collation (core.fields.PathField), so the unique
    path index answers a prefix LIKE as a range and gives the path order: the member
    list of the province that comes last no longer walks the unit index from its
    start, and a scoped search can read the scope's units first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_name = 'path'"
        )
        collations = dict(cursor.fetchall())
        assert collations == {
            "orgs_unit": "C",
            "people_membercount": "C",
            "pipeline_branchheadfact": "C",
        }
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM orgs_unit WHERE path LIKE %s ORDER BY path LIMIT 5",
            [world.commune_a.path + "%"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "orgs_unit_path_key" in plan and "Index Cond" in plan, plan
