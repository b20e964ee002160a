"""Read-only admin views: quotas and manual figures change through the services
(audited), so the admin only lists them. Periods may be created here too."""

from django.contrib import admin

from .models import ManualFigure, Period, Quota


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "start", "end")
    list_filter = ("kind",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnly(admin.ModelAdmin):
    # A filtered list says "x of N" only after a click: N (every quota of the
    # country, 57 ms) is not counted for each page.
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Quota)
class QuotaAdmin(_ReadOnly):
    list_display = ("unit", "period", "indicator", "value", "updated_at")
    list_filter = ("period", "indicator")
    search_fields = ("unit__name",)
    list_select_related = ("unit", "period")


@admin.register(ManualFigure)
class ManualFigureAdmin(_ReadOnly):
    list_display = ("unit", "period", "indicator", "value", "updated_at")
    list_filter = ("period", "indicator")
    search_fields = ("unit__name",)
    list_select_related = ("unit", "period")
