"""The whole path of one woman in a real browser: the commune cadre spots a non-party
branch head, pairs her with a "1+1" mentor, sends her to the awareness class and
introduces her to her chi bộ; the cell secretary and the party committee record the
party's steps up to the admission decision."""

import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from uutu.core.testing import PASSWORD, build_world
from uutu.people import services as people_services
from uutu.pipeline.models import Case, Step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/tai-khoan/dang-nhap/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def _submit(page):
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_load_state()


def _go(page, base, name, **kwargs):
    return page.goto(base + reverse(f"pipeline:{name}", kwargs=kwargs))


def test_branch_head_from_source_to_admission(live_server, desktop, shot):
    world = build_world()
    base = live_server.url
    page = desktop
    mentor = people_services.create_person(
        actor=None,
        branch=world.branch_a2,
        full_name="Hà Thị Minh",
        birth_date=datetime.date(1975, 3, 3),
        joined_hoi_on=datetime.date(1995, 3, 8),
    )
    people_services.set_party_status(
        mentor, status="official", on=datetime.date(2010, 1, 1), actor=None
    )

    # --- the province cadre's dashboard, before -------------------------------
    _log_in(page, base, "tinh")
    page.goto(base + reverse("reports:dashboard"))
    introduced_before = int(page.inner_text("[data-testid=stat-introduced]"))
    admitted_before = int(page.inner_text("[data-testid=stat-admitted]"))

    # --- the commune cadre --------------------------------------------------
    _log_in(page, base, "xa_a")
    _go(page, base, "branch_heads")
    row = page.locator("tr", has_text="Nguyễn Thị Hoa")
    expect(row).to_contain_text("chưa có hồ sơ")
    row.get_by_role("link", name="Tạo nguồn").click()
    _submit(page)
    expect(page.locator("main")).to_contain_text("Tạo nguồn")
    case = Case.objects.get(person=world.person_a1)

    _go(page, base, "case_cultivate", pk=case.pk)
    page.fill("textarea[name=plan]", "Giao phụ trách tổ tiết kiệm, dự sinh hoạt chi bộ.")
    _submit(page)
    _go(page, base, "case_mentor", pk=case.pk)
    page.select_option("select[name=mentor]", str(mentor.pk))
    _submit(page)
    _go(page, base, "case_hoi_comment", pk=case.pk)
    page.fill("textarea[name=text]", "Nhiệt tình, gương mẫu, được hội viên tín nhiệm.")
    _submit(page)
    shot(page, "journey-1-cultivation")

    # The class: created by the commune cadre, she is enrolled and certified.
    _go(page, base, "class_create")
    page.select_option("select[name=organiser]", str(world.commune_a.pk))
    page.fill("input[name=title]", "Lớp nhận thức về Đảng khóa 1")
    today = datetime.date.today().isoformat()
    page.fill("input[name=start]", today)
    page.fill("input[name=end]", today)
    _submit(page)
    page.check(f"input[name=cases][value='{case.pk}']")
    page.locator("[data-testid=enrol-form] button[type=submit]").click()
    page.wait_for_load_state()
    klass = case.enrolments.get().klass
    _go(page, base, "class_certify", pk=klass.pk)
    _submit(page)
    case.refresh_from_db()
    assert case.enrolments.get().certificate_no

    _go(page, base, "case_introduce", pk=case.pk)
    expect(page.locator("select[name=cell]")).to_have_value(str(world.cell_a1.pk))
    page.fill("input[name=doc_no]", "12/GT-HPN")
    _submit(page)
    expect(page.locator("main")).to_contain_text("Giới thiệu cho chi bộ")
    shot(page, "journey-2-introduced")
    # The Hội cannot record a party step.
    assert _go(page, base, "case_sympathiser", pk=case.pk).status == 403

    # --- the cell secretary ------------------------------------------------
    _log_in(page, base, "chibo")
    _go(page, base, "party_candidates")
    expect(page.locator("main")).to_contain_text("Nguyễn Thị Hoa")
    _go(page, base, "case_sympathiser", pk=case.pk)
    page.fill("input[name=helper_name]", "Hoàng Văn Minh")
    _submit(page)
    _go(page, base, "case_dossier", pk=case.pk)
    for field in ("application_on", "history_on", "verification_on", "residence_comment_on"):
        page.fill(f"input[name={field}]", today)
    for i, name in ((1, "Lý Văn Tài"), (2, "Nông Văn Dũng")):
        page.fill(f"input[name=intro{i}_name]", name)
        page.check(f"input[name=intro{i}_official]")
        page.fill(f"input[name=intro{i}_since]", "2020-01-15")
    _submit(page)
    _go(page, base, "case_cell_resolution", pk=case.pk)
    page.fill("input[name=doc_no]", "05-NQ/CB")
    page.fill("input[name=votes_for]", "9")
    page.fill("input[name=members]", "10")
    _submit(page)
    shot(page, "journey-3-cell-resolution")
    case.refresh_from_db()
    assert case.step == Step.CELL_RESOLUTION
    assert case.due_step == Step.DECISION and case.due_on > datetime.date.today()

    # --- the party committee -----------------------------------------------
    _log_in(page, base, "dangxa")
    for step, doc in (("committee_resolution", "21-NQ/ĐU"), ("decision", "22-QĐ/ĐU")):
        _go(page, base, "case_committee", pk=case.pk, step=step)
        page.fill("input[name=doc_no]", doc)
        _submit(page)
    expect(page.locator("main")).to_contain_text("Quyết định kết nạp")
    shot(page, "journey-4-admitted")
    case.refresh_from_db()
    assert case.step == Step.DECISION
    assert case.due_step == Step.CEREMONY
    assert [e.step for e in case.events.filter(kind="step")] == [
        Step.SOURCE,
        Step.CULTIVATION,
        Step.CLASS,
        Step.INTRODUCED,
        Step.SYMPATHISER,
        Step.DOSSIER,
        Step.CELL_RESOLUTION,
        Step.COMMITTEE_RESOLUTION,
        Step.DECISION,
    ]

    # --- the province cadre's dashboard, after --------------------------------
    _log_in(page, base, "tinh")
    page.goto(base + reverse("reports:dashboard"))
    expect(page.locator("[data-testid=stat-introduced]")).to_have_text(str(introduced_before + 1))
    expect(page.locator("[data-testid=stat-admitted]")).to_have_text(str(admitted_before + 1))
    shot(page, "journey-5-dashboard")
