"""core.pagination.Chained: lists one after the other, paged as one."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from uutu.core.pagination import Chained, IdsFirst
from uutu.orgs.models import Unit


@pytest.mark.parametrize("per_page", [1, 2, 3, 4, 5, 7, 50])
def test_every_page_of_a_chain_is_the_lists_one_after_the_other(world, per_page):
    units = Unit.objects.order_by("name", "pk")
    hoi = list(units.filter(tree="hoi"))
    dang = list(units.filter(tree="dang"))
    assert len(hoi) > 3 and len(dang) > 3
    chain = Chained(
        IdsFirst(units.filter(tree="hoi")), IdsFirst(units.filter(tree="dang")), units.none()
    )
    paginator = Paginator(chain, per_page)
    assert paginator.count == len(hoi) + len(dang)
    seen = []
    for number in paginator.page_range:
        seen += list(paginator.page(number).object_list)
    assert seen == hoi + dang


def test_a_page_inside_the_first_list_counts_nothing(world):
    units = Unit.objects.order_by("name", "pk")
    chain = Chained(units.filter(tree="hoi"), units.filter(tree="dang"))
    with CaptureQueriesContext(connection) as queries:
        rows = chain[0:2]
    assert len(rows) == 2 and len(queries) == 1
    # a page starting beyond the first list counts it, once
    with CaptureQueriesContext(connection) as queries:
        first_dang = chain[units.filter(tree="hoi").count() : 10**6][:1]
        again = chain[units.filter(tree="hoi").count() : 10**6][:1]
    assert first_dang == again == list(units.filter(tree="dang")[:1])
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) == 3  # the two in the test's own slices, one by the chain


def test_a_chain_takes_plain_slices_only(world):
    chain = Chained(Unit.objects.order_by("pk"))
    with pytest.raises(ValueError):
        chain[0:4:2]
    assert chain[1] == Unit.objects.order_by("pk")[1]
