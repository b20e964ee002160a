"""A small, complete world for tests: two communes in one province, both trees,
members, and one user per persona (Healthchecks-style named personas).

Personas: ``province`` (province cadre), ``commune_a`` and ``commune_b`` (cadres
of two communes), ``branch_head`` (chi hội trưởng of A1), ``party_a`` (commune A
party committee), ``cell_secretary`` (bí thư of chi bộ A1), ``admin``
(system administrator). Anonymous is simply no log-in.
"""

import datetime
from types import SimpleNamespace

from uutu.accounts.models import RoleAssignment, User
from uutu.accounts.roles import Role
from uutu.orgs import services as org_services
from uutu.people import services as people_services

PASSWORD = "Mat-khau-thu-nghiem-2026"


def make_user(username, role, unit, full_name=""):
    user = User.objects.create_user(
        username=username, password=PASSWORD, full_name=full_name or username
    )
    RoleAssignment.objects.create(user=user, unit=unit, role=role)
    return user


def build_world() -> SimpleNamespace:
    lv = org_services.ensure_levels()
    w = SimpleNamespace(levels=lv)
    w.hoi_root = org_services.create_unit(
        parent=None, level=lv["hoi_central"], name="Hội LHPN Việt Nam", code="VN"
    )
    w.dang_root = org_services.create_unit(
        parent=None, level=lv["dang_central"], name="Đảng Cộng sản Việt Nam", code="VN"
    )
    w.province = org_services.create_unit(
        parent=w.hoi_root, level=lv["hoi_province"], name="Hội LHPN Tỉnh Thử Nghiệm", code="99"
    )
    w.party_province = org_services.create_unit(
        parent=w.dang_root, level=lv["dang_province"], name="Đảng bộ Tỉnh Thử Nghiệm", code="99"
    )
    w.commune_a = org_services.create_unit(
        parent=w.province, level=lv["hoi_commune"], name="Hội LHPN Xã An Bình", code="99001"
    )
    w.commune_b = org_services.create_unit(
        parent=w.province, level=lv["hoi_commune"], name="Hội LHPN Xã Bình Minh", code="99002"
    )
    w.party_a = org_services.create_unit(
        parent=w.party_province, level=lv["dang_commune"], name="Đảng bộ Xã An Bình", code="99001"
    )
    w.party_b = org_services.create_unit(
        parent=w.party_province, level=lv["dang_commune"], name="Đảng bộ Xã Bình Minh", code="99002"
    )
    org_services.link_counterpart(w.commune_a, w.party_a)
    org_services.link_counterpart(w.commune_b, w.party_b)
    w.branch_a1 = org_services.create_unit(
        parent=w.commune_a, level=lv["hoi_branch"], name="Chi hội Thôn Đông", code="99001-CH01"
    )
    w.branch_a2 = org_services.create_unit(
        parent=w.commune_a, level=lv["hoi_branch"], name="Chi hội Thôn Tây", code="99001-CH02"
    )
    w.branch_b1 = org_services.create_unit(
        parent=w.commune_b, level=lv["hoi_branch"], name="Chi hội Thôn Bắc", code="99002-CH01"
    )
    w.cell_a1 = org_services.create_unit(
        parent=w.party_a, level=lv["dang_cell"], name="Chi bộ Thôn Đông", code="99001-CB01"
    )
    w.cell_b1 = org_services.create_unit(
        parent=w.party_b, level=lv["dang_cell"], name="Chi bộ Thôn Bắc", code="99002-CB01"
    )
    org_services.link_counterpart(w.branch_a1, w.cell_a1)
    org_services.link_counterpart(w.branch_b1, w.cell_b1)
    for unit in (
        w.hoi_root,
        w.dang_root,
        w.province,
        w.commune_a,
        w.commune_b,
        w.branch_a1,
        w.branch_a2,
        w.branch_b1,
        w.party_a,
        w.party_b,
        w.cell_a1,
        w.cell_b1,
    ):
        unit.refresh_from_db()

    w.users = {
        "admin": make_user("admin", Role.SYSADMIN, w.hoi_root, "Quản trị viên"),
        "province": make_user("tinh", Role.PROVINCE_CADRE, w.province, "Nông Thị Tuyết"),
        "commune_a": make_user("xa_a", Role.COMMUNE_CADRE, w.commune_a, "Lương Thị Mai"),
        "commune_b": make_user("xa_b", Role.COMMUNE_CADRE, w.commune_b, "Hoàng Thị Lan"),
        "branch_head": make_user("chihoi", Role.BRANCH_HEAD, w.branch_a1, "Đàm Thị Hiền"),
        "party_a": make_user("dangxa", Role.PARTY_COMMITTEE, w.party_a, "Bế Văn Hùng"),
        "cell_secretary": make_user("chibo", Role.CELL_SECRETARY, w.cell_a1, "Lý Văn Tài"),
    }
    today = datetime.date.today()
    w.person_a1 = people_services.create_person(
        actor=None,
        branch=w.branch_a1,
        full_name="Nguyễn Thị Hoa",
        birth_date=datetime.date(1990, 5, 17),
        cccd="004190001234",
        joined_hoi_on=datetime.date(2010, 3, 8),
        ethnicity="Tày",
        phone="0912345678",
    )
    w.person_a2 = people_services.create_person(
        actor=None,
        branch=w.branch_a2,
        full_name="Lê Thị Hòa",
        birth_date=datetime.date(1985, 1, 2),
        joined_hoi_on=datetime.date(2005, 1, 1),
    )
    w.person_b1 = people_services.create_person(
        actor=None,
        branch=w.branch_b1,
        full_name="Trần Thị Ánh",
        birth_date=datetime.date(1979, 10, 20),
        joined_hoi_on=datetime.date(2001, 1, 1),
    )
    w.position_a1 = people_services.start_position(
        w.person_a1,
        kind="branch_head",
        unit=w.branch_a1,
        start=today - datetime.timedelta(days=400),
        actor=None,
    )
    return w


def assert_unit_picker(page: str, name: str, purpose: str) -> None:
    """``page`` offers the field ``name`` as the search-as-you-type unit picker of
    ``orgs:unit_search?for=<purpose>``, not as a dropdown."""
    import re

    from django.urls import reverse
    from django.utils.html import escape

    assert f'<select name="{name}"' not in page
    assert re.search(rf'<input type="search" name="{name}"[^>]* list="id_{name}-options"', page)
    assert f'hx-get="{escape(reverse("orgs:unit_search") + f"?for={purpose}")}"' in page


def assert_unit_dropdown(page: str, name: str, offered, hidden) -> None:
    """``page`` offers the field ``name`` as a dropdown listing ``offered`` (with
    the picker's labels) and not ``hidden``."""
    from django.utils.html import escape

    from uutu.orgs.forms import unit_label

    assert f'<select name="{name}"' in page
    assert f'<option value="{offered.pk}">{escape(unit_label(offered))}' in page
    assert f'<option value="{hidden.pk}"' not in page
