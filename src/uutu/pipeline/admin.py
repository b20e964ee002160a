from django.contrib import admin

from .models import RuleSet


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Rule sets are data: a new regulation is a new row with its effective date."""

    list_display = (
        "name",
        "effective_from",
        "min_age_years",
        "max_age_years",
        "certificate_valid_months",
        "probation_months",
    )
