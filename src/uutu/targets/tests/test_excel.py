"""The quota table (biểu giao chỉ tiêu): export opened with openpyxl, import
round-trip, errors by row and column with nothing saved, formula injection."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from uutu.core.models import AuditEntry
from uutu.orgs.models import Unit
from uutu.targets import excel
from uutu.targets import services as S
from uutu.targets.models import Quota

from .helpers import period_2024

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def quotas(world):
    """Seed 000: the province's 500 = 150 branch heads + 350 others, handed down to
    communes A and B (450 of 500 allocated)."""
    w, period = world, period_2024()
    p = w.users["province"]
    for code, value in (
        ("introduced", 500),
        ("introduced_branch_heads", 150),
        ("introduced_others", 350),
    ):
        S.set_quota(w.province, period, code, value, p)
    S.allocate(w.province, period, "introduced", {w.commune_a: 300, w.commune_b: 150}, p)
    S.allocate(w.province, period, "introduced_branch_heads", {w.commune_a: 90, w.commune_b: 45}, p)
    return period


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def _upload(data: bytes, name="bieu.xlsx"):
    return SimpleUploadedFile(name, data, content_type=XLSX)


def _state():
    return (
        sorted(Quota.objects.values_list("unit_id", "indicator", "value")),
        AuditEntry.objects.count(),
    )


def test_export_cells(world, quotas):
    w = world
    ws = _sheet(excel.export_quotas(w.province, quotas))
    assert ws["A1"].value == "HỘI LHPN TỈNH THỬ NGHIỆM"
    motto = [c.value for row in ws.iter_rows(max_row=2) for c in row if c.value]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in motto
    assert "Độc lập - Tự do - Hạnh phúc" in motto
    assert ws["A4"].value == (
        "BIỂU GIAO CHỈ TIÊU GIỚI THIỆU HỘI VIÊN ƯU TÚ CHO ĐẢNG XEM XÉT, KẾT NẠP NĂM 2024"
    )
    assert ws["A5"].value == "Kỳ: Năm 2024 – Đơn vị giao: Hội LHPN Tỉnh Thử Nghiệm"
    headers = [c.value for c in ws[6]]
    assert headers == [
        "STT",
        "Đơn vị",
        "Giới thiệu hội viên ưu tú cho Đảng xem xét, kết nạp",
        "Trong đó chi hội trưởng",
        "Trong đó chi hội phó và hội viên",
    ]
    rows = [[c.value for c in ws[r]] for r in range(7, 11)]
    assert rows[0] == [1, "Hội LHPN Xã An Bình", 300, 90, None]
    assert rows[1] == [2, "Hội LHPN Xã Bình Minh", 150, 45, None]
    assert rows[2][1:] == ["Tổng cộng", 450, 135, 0]
    assert rows[3][1:] == ["Chỉ tiêu được giao của Hội LHPN Tỉnh Thử Nghiệm", 500, 150, 350]
    assert ws["A6"].font.name == "Times New Roman"
    assert "chỉ để đối chiếu" in ws["A12"].value


def test_export_view(world, quotas, login):
    client = login(world.users["commune_a"])
    url = reverse("targets:quota_export", args=[world.commune_a.pk])
    response = client.get(f"{url}?period={quotas.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "bieu-giao-chi-tieu-99001-2024-year.xlsx" in response["Content-Disposition"]
    ws = _sheet(response.content)
    assert [ws["B7"].value, ws["B8"].value] == ["Chi hội Thôn Đông", "Chi hội Thôn Tây"]
    # no quota yet at the commune: the main introduction indicators, blank
    assert ws["C6"].value == "Giới thiệu hội viên ưu tú cho Đảng xem xét, kết nạp"
    assert ws["B10"].value == "Chỉ tiêu được giao của Hội LHPN Xã An Bình"
    assert ws["C10"].value == 300


def test_import_round_trip(world, quotas):
    w = world
    data = excel.export_quotas(w.province, quotas)
    # re-importing the export as it is changes nothing, and writes no audit row
    before = _state()
    assert S.import_quotas(w.province, quotas, _upload(data), w.users["province"]) == 0
    assert _state() == before

    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    ws["C8"] = 200  # Bình Minh: 150 → 200
    ws["E7"] = "210"  # An Bình: others, typed as text
    ws["E8"] = 140
    ws["C10"] = 9999  # the own-quota row is not imported
    ws["C9"] = 1  # nor the total row
    out = io.BytesIO()
    wb.save(out)
    changed = S.import_quotas(w.province, quotas, _upload(out.getvalue()), w.users["province"])
    assert changed == 3
    q = {(u, i): v for u, i, v in Quota.objects.values_list("unit_id", "indicator", "value")}
    assert q[(w.commune_b.pk, "introduced")] == 200
    assert q[(w.commune_a.pk, "introduced_others")] == 210
    assert q[(w.commune_b.pk, "introduced_others")] == 140
    assert q[(w.province.pk, "introduced")] == 500
    assert AuditEntry.objects.filter(action="targets.quota.imported").count() == 1
    # and the same file again: nothing
    state = _state()
    assert S.import_quotas(w.province, quotas, _upload(out.getvalue()), w.users["province"]) == 0
    assert _state() == state


def test_import_errors_name_row_and_column_and_save_nothing(world, quotas):
    w = world
    wb = load_workbook(io.BytesIO(excel.export_quotas(w.province, quotas)))
    ws = wb.active
    ws["B7"] = "Hội LHPN Xã Không Có"
    ws["C8"] = "nhiều"
    ws["D8"] = -5
    out = io.BytesIO()
    wb.save(out)
    before = _state()
    with pytest.raises(ValidationError) as exc:
        S.import_quotas(w.province, quotas, _upload(out.getvalue()), w.users["province"])
    messages = exc.value.messages
    assert messages[0].startswith("Dòng 7, cột Đơn vị: “Hội LHPN Xã Không Có” không phải")
    assert any(
        m.startswith("Dòng 8, cột C (Giới thiệu hội viên ưu tú") and "“nhiều” không phải là số" in m
        for m in messages
    )
    assert any(
        m.startswith("Dòng 8, cột D (Trong đó chi hội trưởng): không được nhập số âm")
        for m in messages
    )
    assert _state() == before


def test_import_view_shows_errors_and_saves_nothing(world, quotas, login):
    w = world
    wb = load_workbook(io.BytesIO(excel.export_quotas(w.province, quotas)))
    wb.active["C7"] = -1
    out = io.BytesIO()
    wb.save(out)
    client = login(w.users["province"])
    before = _state()
    url = reverse("targets:quota_import", args=[w.province.pk])
    response = client.post(f"{url}?period={quotas.pk}", {"file": _upload(out.getvalue())})
    assert response.status_code == 200
    assert "Dòng 7, cột C" in response.content.decode()
    assert _state() == before
    # a correct file is saved and the user goes back to the list
    wb.active["C7"] = 320
    out = io.BytesIO()
    wb.save(out)
    response = client.post(
        f"{url}?period={quotas.pk}", {"file": _upload(out.getvalue())}, follow=True
    )
    assert "Đã nhập biểu giao chỉ tiêu: 1 chỉ tiêu được cập nhật." in response.content.decode()
    assert Quota.objects.get(unit=w.commune_a, indicator="introduced").value == 320


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Day khong phai tep Excel", "Tệp không đúng mẫu biểu giao chỉ tiêu (.xlsx)"),
        ("wrong-headers", "Không tìm thấy dòng tiêu đề"),
        ("unknown-column", "Dòng 6, cột C: tiêu đề “Số con mèo” không phải là chỉ tiêu"),
        ("other-period", "không phải của kỳ “Năm 2024”"),
    ],
)
def test_malformed_files(world, quotas, content, message):
    w = world
    if content == "wrong-headers":
        wb = Workbook()
        wb.active.append(["Tên", "Số lượng"])
        wb.active.append(["Hội LHPN Xã An Bình", 3])
    else:
        wb = load_workbook(io.BytesIO(excel.export_quotas(w.province, quotas)))
        if content == "unknown-column":
            wb.active["C6"] = "Số con mèo"
        elif content == "other-period":
            wb.active["A5"] = "Kỳ: Năm 2023 – Đơn vị giao: Hội LHPN Tỉnh Thử Nghiệm"
    if isinstance(content, str):
        out = io.BytesIO()
        wb.save(out)
        content = out.getvalue()
    before = _state()
    with pytest.raises(ValidationError) as exc:
        S.import_quotas(w.province, quotas, _upload(content), w.users["province"])
    assert any(message in m for m in exc.value.messages), exc.value.messages
    assert _state() == before


def test_formula_injection_is_neutralised(world, quotas):
    w = world
    evil = '=HYPERLINK("http://example.com/x","Bấm vào đây")'
    Unit.objects.filter(pk=w.commune_a.pk).update(name=evil)
    Unit.objects.filter(pk=w.commune_b.pk).update(name="+SUM(1,2)")
    data = excel.export_quotas(w.province, quotas)
    ws = _sheet(data)
    names = {ws["B7"].value, ws["B8"].value}
    assert names == {evil, "+SUM(1,2)"}
    for ref in ("B7", "B8"):
        assert ws[ref].data_type == "s"  # text, never a formula ("f")
    assert b"<f>" not in _sheet_xml(data)
    # and the file still imports: the names match the units
    assert S.import_quotas(w.province, quotas, _upload(data), w.users["province"]) == 0


def _sheet_xml(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("xl/worksheets/sheet1.xml")


def test_quota_table_exports_to_an_official_docx(world, login):
    import io

    from django.urls import reverse
    from docx import Document

    from uutu.targets import services as target_services
    from uutu.targets.models import Period

    period = Period.year(2026)
    province = world.users["province"]
    target_services.set_quota(world.province, period, "introduced", 12, actor=province)
    target_services.allocate(
        world.province,
        period,
        "introduced",
        {world.commune_a: 7, world.commune_b: 5},
        actor=province,
    )
    response = login(province).get(
        reverse("targets:quota_export_docx", args=[world.province.pk]), {"period": period.pk}
    )
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    header_text = " ".join(c.text for c in doc.tables[0].rows[0].cells)
    assert "HỘI LHPN TỈNH THỬ NGHIỆM" in header_text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header_text
    assert "Độc lập - Tự do - Hạnh phúc" in header_text
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "BIỂU GIAO CHỈ TIÊU" in body
    grid = [[c.text for c in row.cells] for row in doc.tables[1].rows]
    by_name = {row[1]: row[2] for row in grid}
    assert by_name["Hội LHPN Xã An Bình"] == "7"
    assert by_name["Hội LHPN Xã Bình Minh"] == "5"
    assert "12" in grid[-2][2]  # the total row adds the children up
    footer = " ".join(c.text for c in doc.tables[-1].rows[0].cells)
    assert "Nơi nhận:" in footer and "TM. BAN THƯỜNG VỤ" in footer
