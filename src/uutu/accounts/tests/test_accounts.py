"""Log-in, lock-out, audit of sign-ins, and delegated account management."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from uutu.accounts import services
from uutu.accounts.models import RoleAssignment, User
from uutu.accounts.roles import Role
from uutu.core.models import AuditEntry
from uutu.core.testing import PASSWORD

LOGIN_URL = "/tai-khoan/dang-nhap/"


def _login(client, username, password):
    return client.post(LOGIN_URL, {"username": username, "password": password})


def test_login_writes_an_audit_row(world, client):
    response = _login(client, "xa_a", PASSWORD)
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="accounts.login")
    assert entry.user == world.users["commune_a"]


def test_wrong_password_shows_a_vietnamese_message(world, client):
    response = _login(client, "xa_a", "sai-mat-khau")
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.content.decode()
    assert AuditEntry.objects.filter(action="accounts.login_failed").count() == 1


@override_settings(LOCKOUT_THRESHOLD=3, LOCKOUT_MINUTES=15)
def test_lockout_after_repeated_failures(world, client):
    for _ in range(3):
        _login(client, "xa_a", "sai-mat-khau")
    user = User.objects.get(username="xa_a")
    assert user.locked_until is not None
    response = _login(client, "xa_a", PASSWORD)  # even the right password is refused now
    assert response.status_code == 200
    assert "tạm khóa" in response.content.decode()
    assert AuditEntry.objects.filter(action="accounts.locked").count() == 1
    other = _login(client, "xa_b", PASSWORD)  # other accounts are not affected
    assert other.status_code == 302


@override_settings(LOCKOUT_THRESHOLD=3)
def test_a_success_resets_the_failure_count(world, client):
    _login(client, "xa_a", "sai-mat-khau")
    _login(client, "xa_a", "sai-mat-khau")
    assert _login(client, "xa_a", PASSWORD).status_code == 302
    assert User.objects.get(username="xa_a").failed_logins == 0


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("people:list"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN_URL)


def test_commune_cadre_creates_a_branch_head_in_her_commune(world):
    actor = world.users["commune_a"]
    user = services.create_user(
        actor=actor,
        username="chihoi2",
        full_name="Mã Thị Duyên",
        password="Mot-mat-khau-dai-2026",
        unit=world.branch_a2,
        role=Role.BRANCH_HEAD,
    )
    assert RoleAssignment.objects.get(user=user).unit == world.branch_a2
    assert AuditEntry.objects.filter(action="accounts.user.created").count() == 1
    assert AuditEntry.objects.filter(action="accounts.role.granted").count() == 1


@pytest.mark.parametrize(
    "persona, unit, role, fragment",
    [
        ("commune_a", "branch_b1", Role.BRANCH_HEAD, "ngoài phạm vi"),
        ("commune_a", "commune_a", Role.PROVINCE_CADRE, "cao hơn vai trò"),
        ("commune_a", "province", Role.COMMUNE_CADRE, "ngoài phạm vi"),
        ("commune_a", "branch_a1", Role.CELL_SECRETARY, "không dùng cho"),
        ("province", "province", Role.SYSADMIN, "cao hơn vai trò"),
        ("party_a", "cell_a1", Role.COMMUNE_CADRE, "không dùng cho"),
        ("branch_head", "branch_a1", Role.BRANCH_HEAD, "ngoài phạm vi"),
    ],
)
def test_no_grant_outside_the_subtree_or_above_own_rank(world, persona, unit, role, fragment):
    n = User.objects.count()
    with pytest.raises(ValidationError) as err:
        services.create_user(
            actor=world.users[persona],
            username="moi",
            full_name="Người Mới",
            password="Mot-mat-khau-dai-2026",
            unit=getattr(world, unit),
            role=role,
        )
    assert fragment in " ".join(err.value.messages)
    assert User.objects.count() == n


def test_party_committee_creates_a_cell_secretary(world):
    user = services.create_user(
        actor=world.users["party_a"],
        username="chibo2",
        full_name="Lý Thị Hạnh",
        password="Mot-mat-khau-dai-2026",
        unit=world.cell_a1,
        role=Role.CELL_SECRETARY,
    )
    assert user.assignments.get().role == Role.CELL_SECRETARY


def test_create_user_form_validates_the_password(world, login):
    client = login(world.users["commune_a"])
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "moi",
            "full_name": "Người Mới",
            "unit": world.branch_a1.pk,
            "role": Role.BRANCH_HEAD,
            "password1": "123",
            "password2": "123",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="moi").exists()
    assert response.context["form"].errors["password1"]


def test_user_list_shows_only_users_in_scope(world, login):
    html = login(world.users["commune_b"]).get(reverse("accounts:user_list")).content.decode()
    assert "xa_b" in html and "chihoi" not in html and "xa_a" not in html


def test_commune_cadre_cannot_manage_a_peer(world, login):
    client = login(world.users["commune_a"])
    other = services.create_user(
        actor=world.users["province"],
        username="xa_a2",
        full_name="Phó Chủ Tịch",
        password="Mot-mat-khau-dai-2026",
        unit=world.commune_a,
        role=Role.COMMUNE_CADRE,
    )
    # A peer at the same unit and rank is manageable; the province cadre above is not visible.
    assert client.get(reverse("accounts:user_edit", args=[other.pk])).status_code == 200
    province = world.users["province"]
    assert client.get(reverse("accounts:user_detail", args=[province.pk])).status_code == 404


def test_deactivate_and_revoke(world, login):
    client = login(world.users["commune_a"])
    target = world.users["branch_head"]
    client.post(reverse("accounts:user_toggle_active", args=[target.pk]))
    target.refresh_from_db()
    assert not target.is_active
    assignment = target.assignments.get()
    client.post(reverse("accounts:role_revoke", args=[assignment.pk]))
    assignment.refresh_from_db()
    assert not assignment.is_active and assignment.ended_at is not None
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()  # kept for the record
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"accounts.user.deactivated", "accounts.role.revoked"} <= actions


def test_cannot_lock_oneself(world, login):
    me = world.users["commune_a"]
    response = login(me).post(reverse("accounts:user_toggle_active", args=[me.pk]))
    assert response.status_code == 403
    me.refresh_from_db()
    assert me.is_active
