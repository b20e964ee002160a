"""The permission matrix: which persona gets which status on which URL.

Each app lists its URLs in ``<app>/tests/permission_cases.py`` as ``CASES``; the
permission test (tests/test_permissions.py) visits every case as every persona and
fails if any URL pattern of the project has no case.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

PERSONAS = (
    "anonymous",
    "admin",
    "province",
    "commune_a",
    "commune_b",
    "branch_head",
    "party_a",
    "cell_secretary",
)

LOGIN = 302  # anonymous users are redirected to the log-in page


@dataclass(frozen=True)
class Case:
    """GET (or POST) ``url_name`` with the kwargs built from the test world and
    expect ``expect[persona]`` as the status code."""

    url_name: str
    kwargs: Callable = field(default=lambda w: {})
    expect: dict = field(default_factory=dict)
    method: str = "get"
    data: Callable | None = None
    query: str = ""


def everyone(status: int, **overrides) -> dict:
    """``expect`` with ``status`` for every signed-in persona, login redirect for
    anonymous, and the given per-persona overrides."""
    result = {p: status for p in PERSONAS}
    result["anonymous"] = LOGIN
    result.update(overrides)
    return result
