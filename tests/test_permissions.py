"""Visit every URL as every persona and check the status code.

Each app lists its URLs in ``<app>/tests/permission_cases.py``. The first test
fails when a URL pattern of the project has no case, so a new URL cannot be
added without deciding who may see it.
"""

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import uutu
from uutu.core.permission_matrix import PERSONAS, Case

IGNORED_NAMESPACES = {"admin"}  # Django's admin: staff-only, tested separately


def _all_cases() -> list[Case]:
    cases = []
    for module in pkgutil.iter_modules(uutu.__path__):
        name = f"uutu.{module.name}.tests.permission_cases"
        try:
            cases.extend(importlib.import_module(name).CASES)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
    return cases


def _url_names(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            if ns in IGNORED_NAMESPACES:
                continue
            yield from _url_names(entry, f"{prefix}{ns}:" if ns else prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name


CASES = _all_cases()


def test_every_url_has_a_case():
    covered = {case.url_name for case in CASES}
    missing = sorted(set(_url_names()) - covered)
    assert not missing, f"URLs without a permission case: {missing}"


def test_every_case_names_every_persona():
    for case in CASES:
        assert set(case.expect) == set(PERSONAS), case.url_name


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method}:{c.url_name}")
def test_permission_matrix(case, world, client):
    url = reverse(case.url_name, kwargs=case.kwargs(world))
    if case.query:
        url = f"{url}?{case.query}"
    failures = []
    for persona in PERSONAS:
        client.logout()
        if persona != "anonymous":
            client.force_login(world.users[persona])
        data = case.data(world) if case.data else {}
        response = getattr(client, case.method)(url, data)
        expected = case.expect[persona]
        if response.status_code != expected:
            failures.append(f"{persona}: expected {expected}, got {response.status_code}")
        if persona == "anonymous" and expected == 302:
            assert "/tai-khoan/dang-nhap/" in response["Location"]
    assert not failures, f"{case.method.upper()} {url}: " + "; ".join(failures)
