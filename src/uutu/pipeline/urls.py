"""Pipeline URLs: the case pages and the Hội's steps (urls_cases), the party's side
and the awareness classes (urls_party)."""

from . import urls_cases, urls_party

app_name = "pipeline"
urlpatterns = urls_cases.urlpatterns + urls_party.urlpatterns
