"""Sign-in and account management views."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from uutu.core.audit import history_for
from uutu.core.forms import BootstrapMixin, apply_errors
from uutu.core.text import fold
from uutu.orgs.views import picker_units

from . import permissions, services
from .forms import LoginForm, RoleGrantForm, SetPasswordForm, UserCreateForm, UserEditForm
from .models import RoleAssignment, User
from .roles import Role

MANAGE = "accounts.manage"


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeForm(BootstrapMixin, auth_views.PasswordChangeForm):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/form.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("core:home")
    extra_context = {"title": "Đổi mật khẩu"}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Đã đổi mật khẩu.")
        return response


def _require_manage(user):
    if not permissions.has_any(user, MANAGE):
        raise PermissionDenied


def _manageable_units(user):
    """The units a new account or a granted role may be given: those the unit
    picker "accounts" offers (its search and the form accept the same units)."""
    return picker_units(user, "accounts").select_related("level")


def _visible_user_or_404(actor, pk):
    """A user is visible when one of her roles lies in the actor's scope."""
    _require_manage(actor)
    visible = RoleAssignment.objects.restrict(actor, MANAGE).filter(user_id=pk)
    if not visible.exists():
        # In the actor's wider scope (e.g. counterpart) but not manageable: 403.
        if RoleAssignment.objects.restrict(actor, None).filter(user_id=pk).exists():
            raise PermissionDenied
        raise Http404
    return get_object_or_404(User, pk=pk)


def user_list(request):
    _require_manage(request.user)
    in_scope = RoleAssignment.objects.restrict(request.user, MANAGE)
    users = (
        User.objects.filter(pk__in=in_scope.values("user_id"))
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=RoleAssignment.objects.current().select_related("unit"),
                to_attr="active_roles",
            )
        )
        .order_by("username")
    )
    q = request.GET.get("q", "").strip()
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    users = list(users[:500])
    if q:
        folded = fold(q)
        users = [u for u in users if folded in fold(u.full_name) or folded in u.username.lower()]
    return render(request, "accounts/user_list.html", {"users": users, "q": q})


def user_create(request):
    _require_manage(request.user)
    form = UserCreateForm(request.POST or None, unit_queryset=_manageable_units(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                actor=request.user,
                username=data["username"],
                full_name=data["full_name"],
                password=data["password1"],
                unit=data["unit"],
                role=data["role"],
                phone=data["phone"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Đã tạo tài khoản {user.username}.")
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/form.html", {"form": form, "title": "Tạo tài khoản"})


def user_detail(request, pk):
    target = _visible_user_or_404(request.user, pk)
    assignments = target.assignments.select_related("unit", "granted_by").order_by(
        "-is_active", "-created_at"
    )
    return render(
        request,
        "accounts/user_detail.html",
        {
            "target": target,
            "assignments": assignments,
            "can_manage": services.can_manage_user(request.user, target),
            "grant_form": RoleGrantForm(unit_queryset=_manageable_units(request.user)),
            "history": history_for(target)[:50],
            "roles": Role,
        },
    )


def _managed_user(request, pk):
    target = _visible_user_or_404(request.user, pk)
    if not services.can_manage_user(request.user, target):
        raise PermissionDenied
    return target


def user_edit(request, pk):
    target = _managed_user(request, pk)
    form = UserEditForm(
        request.POST or None,
        initial={"full_name": target.full_name, "phone": target.phone, "email": target.email},
    )
    if request.method == "POST" and form.is_valid():
        services.update_user(actor=request.user, user=target, **form.cleaned_data)
        messages.success(request, "Đã lưu thông tin tài khoản.")
        return redirect("accounts:user_detail", pk=target.pk)
    return render(request, "accounts/form.html", {"form": form, "title": f"Sửa {target}"})


def user_password(request, pk):
    target = _managed_user(request, pk)
    form = SetPasswordForm(request.POST or None, user=target)
    if request.method == "POST" and form.is_valid():
        services.set_password(
            actor=request.user, user=target, password=form.cleaned_data["password1"]
        )
        messages.success(request, f"Đã đặt lại mật khẩu cho {target.username}.")
        return redirect("accounts:user_detail", pk=target.pk)
    return render(
        request, "accounts/form.html", {"form": form, "title": f"Đặt lại mật khẩu cho {target}"}
    )


@require_POST
def user_toggle_active(request, pk):
    target = _managed_user(request, pk)
    try:
        services.set_active(actor=request.user, user=target, active=not target.is_active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, "Đã mở khóa tài khoản." if target.is_active else "Đã khóa tài khoản."
        )
    return redirect("accounts:user_detail", pk=target.pk)


@require_POST
def role_grant(request, pk):
    target = _managed_user(request, pk)
    form = RoleGrantForm(request.POST, unit_queryset=_manageable_units(request.user))
    if form.is_valid():
        try:
            services.grant_role(
                actor=request.user,
                user=target,
                unit=form.cleaned_data["unit"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Đã giao vai trò.")
    elif request.POST.get("unit", "").strip() and form.errors.get("unit"):
        messages.error(request, " ".join(form.errors["unit"]))  # e.g. no such unit
    else:
        messages.error(request, "Vui lòng chọn đơn vị và vai trò.")
    return redirect("accounts:user_detail", pk=target.pk)


@require_POST
def role_revoke(request, pk):
    assignment = get_object_or_404(
        RoleAssignment.objects.restrict(request.user, None).select_related("unit", "user"), pk=pk
    )
    if not permissions.can(request.user, MANAGE, assignment.unit):
        raise PermissionDenied
    try:
        services.revoke_role(actor=request.user, assignment=assignment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Đã thu hồi vai trò.")
    return redirect("accounts:user_detail", pk=assignment.user_id)
