"""The unit pickers' search (orgs:unit_search) for every registered purpose and
every persona: 403 without the purpose's action, otherwise only units of the
purpose's own choice."""

import html
import re

import pytest
from django.urls import reverse

from uutu.accounts import permissions
from uutu.core import permission_matrix
from uutu.orgs.forms import search_units, unit_label
from uutu.orgs.views import PICKER_PURPOSES, picker_units

PERSONAS = [p for p in permission_matrix.PERSONAS if p != "anonymous"]  # logged in


def _offered(response) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'<option value="([^"]*)"', response.text)]


@pytest.mark.parametrize("purpose", sorted(PICKER_PURPOSES))
def test_every_purpose_offers_each_persona_only_its_own_units(world, login, purpose):
    for persona in PERSONAS:
        user = world.users[persona]
        client = login(user)
        for text in ("chi", "xa", "thon dong"):
            response = client.get(reverse("orgs:unit_search"), {"for": purpose, "q": text})
            if not permissions.has_any(user, PICKER_PURPOSES[purpose].action):
                assert response.status_code == 403, (purpose, persona)
                continue
            assert response.status_code == 200
            expected = [unit_label(u) for u in search_units(picker_units(user, purpose), text)]
            assert _offered(response) == expected, (purpose, persona, text)
        client.logout()


def test_the_search_reads_the_text_under_the_pickers_own_name(world, login):
    """htmx sends the input's value under the field's name (branch, cell…)."""
    client = login(world.users["commune_a"])
    response = client.get(reverse("orgs:unit_search"), {"for": "people_add", "branch": "thon tay"})
    assert _offered(response) == [unit_label(world.branch_a2)]
    response = client.get(reverse("orgs:unit_search"), {"for": "people_add", "to_branch": "dong"})
    assert _offered(response) == [unit_label(world.branch_a1)]
    assert _offered(client.get(reverse("orgs:unit_search"), {"for": "people_add"})) == []
