"""Shared fixtures: the persona world (see uutu.core.testing)."""

import pytest


@pytest.fixture
def world(db):
    from uutu.core.testing import build_world

    return build_world()


@pytest.fixture
def login(client):
    """``login(user)`` logs the Django test client in as that user and returns it."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: figures cached by one test must not
    be read by the next (on SQLite ids are reused after a rollback)."""
    from django.core.cache import cache

    cache.clear()
    yield
