"""Template context shared by every page: the user's unit and scope for the navigation."""

from uutu.accounts import permissions


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    assignments = permissions.all_assignments(user)
    return {
        "nav_assignments": assignments,
        "nav_primary": permissions.primary_assignment(user),
        "nav_can_people": permissions.has_any(user, "people.view"),
        "nav_can_orgs": permissions.has_any(user, "orgs.view"),
        "nav_can_accounts": permissions.has_any(user, "accounts.manage"),
        "nav_can_audit": permissions.has_any(user, "audit.view"),
        "nav_can_pipeline": permissions.has_any(user, "pipeline.view"),
        "nav_can_hoi_pipeline": permissions.has_any(user, "pipeline.hoi"),
        "nav_can_classes": permissions.has_any(user, "pipeline.class"),
        "nav_can_import": permissions.has_any(user, "people.add"),
        "nav_can_targets": permissions.has_any(user, "targets.view"),
        "nav_can_dashboard": permissions.has_any(user, "dashboard.view"),
        "nav_can_reports": permissions.has_any(user, "reports.view"),
        "nav_can_emulation": permissions.has_any(user, "emulation.view"),
    }
