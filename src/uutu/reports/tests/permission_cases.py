"""The reports app's URLs in the permission matrix: the periodic reports and
their exports (permission_cases_reports) and the dashboard
(permission_cases_dashboard)."""

from .permission_cases_dashboard import CASES as DASHBOARD_CASES
from .permission_cases_reports import CASES as REPORT_CASES

CASES = [*REPORT_CASES, *DASHBOARD_CASES]
