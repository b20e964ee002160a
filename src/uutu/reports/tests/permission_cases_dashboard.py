"""The dashboard in the permission matrix. Every signed-in persona has a dashboard:
Hội cadres and the branch head see their Hội unit, the party committee and the cell
secretary their party unit (per-cell figures). Asking for a unit outside one's scope
answers 404, a unit in scope without the role 403 (tested in test_dashboard.py with
the ``unit`` parameter). ``reports/tests/permission_cases.py`` (written with the
periodic reports) adds these cases to its ``CASES``."""

from uutu.core.permission_matrix import Case, everyone

CASES = [
    Case("reports:dashboard", expect=everyone(200)),
    Case("reports:dashboard", expect=everyone(200), query="year=2024"),
]
