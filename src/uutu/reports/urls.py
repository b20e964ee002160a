"""Reports URLs: periodic reports and exports (urls_reports), the dashboard
(urls_dashboard)."""

from . import urls_dashboard, urls_reports

app_name = "reports"
urlpatterns = urls_reports.urlpatterns + urls_dashboard.urlpatterns
