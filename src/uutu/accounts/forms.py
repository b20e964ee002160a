"""Forms for signing in and managing accounts."""

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from uutu.core.forms import BootstrapMixin
from uutu.orgs.forms import ScopedUnitField

from .backends import AccountLocked, is_locked
from .models import User
from .roles import Role


class LoginForm(BootstrapMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": _("Tên đăng nhập hoặc mật khẩu không đúng. Lưu ý chữ hoa, chữ thường."),
        "inactive": _("Tài khoản này đã bị khóa. Hãy liên hệ cán bộ quản lý tài khoản."),
        "locked": _(
            "Tài khoản tạm khóa vì đăng nhập sai nhiều lần. Vui lòng thử lại sau %(minutes)s phút."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if username:
            user = User.objects.filter(username__iexact=username).first()
            if user is not None and is_locked(user):
                raise self._locked_error()
        try:
            return super().clean()
        except AccountLocked:
            raise self._locked_error() from None

    def _locked_error(self):
        return ValidationError(
            self.error_messages["locked"],
            code="locked",
            params={"minutes": settings.LOCKOUT_MINUTES},
        )


class UserCreateForm(BootstrapMixin, forms.Form):
    username = forms.RegexField(
        label=_("Tên đăng nhập"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        help_text=_("Chữ không dấu, số và . @ + - _"),
        error_messages={"invalid": _("Tên đăng nhập chỉ gồm chữ không dấu, số và . @ + - _")},
    )
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    phone = forms.CharField(label=_("Điện thoại"), max_length=20, required=False)
    unit = ScopedUnitField(label=_("Đơn vị"), empty_label=_("— Chọn đơn vị —"))
    role = forms.ChoiceField(label=_("Vai trò"), choices=Role.choices)
    password1 = forms.CharField(label=_("Mật khẩu"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Nhập lại mật khẩu"), widget=forms.PasswordInput)

    def __init__(self, *args, unit_queryset, **kwargs):
        """``unit_queryset``: the units of the picker purpose "accounts"
        (``orgs.views.picker_units``), which its search offers too."""
        super().__init__(*args, **kwargs)
        self.fields["unit"].offer(unit_queryset, "accounts")

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("Tên đăng nhập này đã được dùng."))
        return username

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Hai mật khẩu không khớp."))
        elif p1:
            probe = User(username=data.get("username") or "", full_name=data.get("full_name") or "")
            try:
                password_validation.validate_password(p1, probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class RoleGrantForm(BootstrapMixin, forms.Form):
    unit = ScopedUnitField(label=_("Đơn vị"), empty_label=_("— Chọn đơn vị —"))
    role = forms.ChoiceField(label=_("Vai trò"), choices=Role.choices)

    def __init__(self, *args, unit_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].offer(unit_queryset, "accounts")


class UserEditForm(BootstrapMixin, forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    phone = forms.CharField(label=_("Điện thoại"), max_length=20, required=False)
    email = forms.EmailField(label=_("Thư điện tử"), required=False)


class SetPasswordForm(BootstrapMixin, forms.Form):
    password1 = forms.CharField(label=_("Mật khẩu mới"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Nhập lại mật khẩu"), widget=forms.PasswordInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Hai mật khẩu không khớp."))
        elif p1:
            try:
                password_validation.validate_password(p1, self.user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data
