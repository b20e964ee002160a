"""Read-mostly admin for reports: the workflow goes through the services."""

from django.contrib import admin

from .models import Report, ReportDeadline


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("unit", "kind", "period", "status", "submitted_at", "approved_at")
    list_filter = ("kind", "status")
    search_fields = ("unit__name", "number", "subtitle")
    raw_id_fields = ("unit",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportDeadline)
class ReportDeadlineAdmin(admin.ModelAdmin):
    list_display = ("unit", "kind", "period", "due")
    raw_id_fields = ("unit",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
