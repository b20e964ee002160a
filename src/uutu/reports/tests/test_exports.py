"""Exports of a report: open the .docx, .xlsx and .pdf and find the official
layout's blocks, the figures and the Vietnamese text intact."""

import datetime
import io
import unicodedata

import pytest
from django.urls import reverse

from uutu.orgs import services as org_services
from uutu.pipeline import services as pipe
from uutu.reports import exporters as E
from uutu.reports import services as S
from uutu.targets.models import Period, Quota

TODAY = datetime.date.today()
DIFFICULTIES = "Nhiều chị em đi làm ăn xa; điều kiện kinh tế còn khó khăn."


@pytest.fixture
def report(world):
    period = Period.year(TODAY.year)
    case = pipe.open_case(world.person_a1, on=TODAY, actor=None)
    pipe.start_cultivation(case, on=TODAY, actor=None)
    pipe.introduce(case, cell=world.cell_a1, on=TODAY, actor=None)
    Quota.objects.create(unit=world.commune_a, period=period, indicator="introduced", value=4)
    Quota.objects.create(unit=world.branch_a1, period=period, indicator="introduced", value=2)
    report = S.create_report(unit=world.commune_a, period=period, kind="annual", actor=None)
    S.update_report(
        report,
        actor=None,
        number="15/BC-BTV",
        place="Cao Bằng",
        dated=datetime.date(2026, 11, 21),
        signer_name="Lương Thị Mai",
        difficulties=DIFFICULTIES,
        proposals='=HYPERLINK("http://x")',
        recipients="- Hội LHPN tỉnh (để báo cáo);\n- Lưu: VT.",
    )
    S.submit_report(report, actor=None)
    S.approve_report(report, actor=world.users["province"])
    report.refresh_from_db()
    return report


def docx_text(content: bytes) -> tuple[list[str], object]:
    from docx import Document

    doc = Document(io.BytesIO(content))
    texts = [p.text for p in doc.paragraphs]

    def walk(tables):
        for table in tables:
            for r in table.rows:
                for cell in r.cells:
                    texts.extend(p.text for p in cell.paragraphs)
                    walk(cell.tables)

    walk(doc.tables)
    return texts, doc


def test_docx_official_layout(report):
    texts, doc = docx_text(E.to_docx(report))
    joined = "\n".join(texts)
    header = doc.tables[0]
    left = [p.text for p in header.cell(0, 0).paragraphs]
    right = [p.text for p in header.cell(0, 1).paragraphs]
    assert left[0] == "HỘI LHPN TỈNH THỬ NGHIỆM"
    assert left[1] == "HỘI LHPN XÃ AN BÌNH"
    assert "Số: 15/BC-BTV" in left
    assert header.cell(0, 0).paragraphs[1].runs[0].bold
    assert right[0] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert right[1] == "Độc lập - Tự do - Hạnh phúc"
    assert header.cell(0, 1).paragraphs[1].runs[0].underline
    assert "Cao Bằng, ngày 21 tháng 11 năm 2026" in right
    assert header.cell(0, 1).paragraphs[-1].runs[0].italic
    assert "BÁO CÁO" in texts
    subtitle = "Kết quả bồi dưỡng, giới thiệu hội viên phụ nữ ưu tú cho Đảng xem xét, kết nạp"
    assert f"{subtitle} năm {TODAY.year}" in texts
    assert DIFFICULTIES in texts
    assert "II. KHÓ KHĂN, VƯỚNG MẮC VÀ NGUYÊN NHÂN" in texts
    # The figure table: the quota 4, achieved 1, 25 %.
    figures = doc.tables[1]
    rows = [[c.text for c in r.cells] for r in figures.rows]
    assert rows[0] == list(E.FIGURE_HEADERS)
    assert ["1", "Giới thiệu hội viên ưu tú cho Đảng xem xét, kết nạp", "4", "1", "25"] in rows
    # The children table: one row per chi hội and the totals.
    children = [[c.text for c in r.cells] for r in doc.tables[2].rows]
    assert children[1][:4] == ["1", "Chi hội Thôn Đông", "2", "1"]
    assert children[2][1] == "Chi hội Thôn Tây"
    assert children[-1][1:4] == ["Tổng cộng", "2", "1"]
    # Cells are copies of a formatted cell of their column: headers and totals bold.
    table = doc.tables[2]
    bold = [[c.paragraphs[0].runs[0].bold for c in r.cells] for r in table.rows]
    assert all(bold[0]) and all(bold[-1])
    assert not any(bold[1]) and not any(bold[2])
    assert {len(c.paragraphs[0].runs) for r in table.rows for c in r.cells} == {1}
    # Recipients bottom left, signature bottom right.
    foot = doc.tables[-1]
    recipients = [p.text for p in foot.cell(0, 0).paragraphs]
    signature = [p.text for p in foot.cell(0, 1).paragraphs if p.text]
    assert recipients[0] == "Nơi nhận:"
    assert "- Hội LHPN tỉnh (để báo cáo);" in recipients
    assert signature == ["TM. BAN THƯỜNG VỤ", "CHỦ TỊCH", "Lương Thị Mai"]
    assert doc.styles["Normal"].font.name == "Times New Roman"
    assert doc.sections[0].page_width.cm == pytest.approx(21, abs=0.01)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" not in joined


def test_docx_party_body_uses_the_party_motto(world):
    period = Period.year(TODAY.year)
    report = S.create_report(unit=world.party_a, period=period, kind="annual", actor=None)
    texts, doc = docx_text(E.to_docx(report))
    right = [p.text for p in doc.tables[0].cell(0, 1).paragraphs]
    assert right[0] == "ĐẢNG CỘNG SẢN VIỆT NAM"
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in texts
    assert "ĐẢNG BỘ TỈNH THỬ NGHIỆM" in texts and "ĐẢNG BỘ XÃ AN BÌNH" in texts
    assert "BÍ THƯ" in texts


def test_place_defaults_to_the_province_area_name(world):
    lv = world.levels
    province = org_services.create_unit(
        parent=world.hoi_root,
        level=lv["hoi_province"],
        name="Hội LHPN Tỉnh Cao Bằng",
        code="04",
        area_name="Tỉnh Cao Bằng",
    )
    commune = org_services.create_unit(
        parent=province, level=lv["hoi_commune"], name="Hội LHPN Phường Thục Phán", code="01273"
    )
    assert S.place_for(commune) == "Cao Bằng"


def test_xlsx_numbers_and_headers(report):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(E.to_xlsx(report)))
    assert wb.sheetnames == ["Chỉ tiêu", "Đơn vị trực thuộc", "Thông tin"]
    ws = wb["Chỉ tiêu"]
    assert [c.value for c in ws[1]] == [
        "STT",
        "Chỉ tiêu",
        "Chỉ tiêu giao",
        "Kết quả",
        "n / N",
        "Tỷ lệ hoàn thành (%)",
    ]
    intro = next(r for r in ws.iter_rows(min_row=2) if r[1].value.startswith("Giới thiệu"))
    assert [c.value for c in intro[2:4]] == [4, 1]
    assert intro[2].data_type == "n" and intro[3].data_type == "n" and intro[5].value == 25
    ws = wb["Đơn vị trực thuộc"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0][:4] == ["STT", "Đơn vị", "Chỉ tiêu giới thiệu", "Đã giới thiệu"]
    assert rows[1][:4] == [1, "Chi hội Thôn Đông", 2, 1]
    assert rows[-1][1:4] == ["Tổng cộng", 2, 1]
    info = {r[0].value: r[1] for r in wb["Thông tin"].iter_rows(min_row=2)}
    assert info["Khó khăn, vướng mắc và nguyên nhân"].value == DIFFICULTIES
    injected = info["Đề xuất, kiến nghị"]
    assert injected.value.startswith("=HYPERLINK") and injected.data_type == "s"


def test_pdf_text_and_fonts(report):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(E.to_pdf(report)))
    text = unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in reader.pages))
    text = " ".join(text.split())  # table cells may wrap
    for expected in (
        "HỘI LHPN TỈNH THỬ NGHIỆM",
        "HỘI LHPN XÃ AN BÌNH",
        "Số: 15/BC-BTV",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Cao Bằng, ngày 21 tháng 11 năm 2026",
        "BÁO CÁO",
        "Giới thiệu hội viên ưu tú cho Đảng xem xét, kết nạp",
        "Chi hội Thôn Đông",
        "Tổng cộng",
        "Nhiều chị em đi làm ăn xa",
        "Nơi nhận:",
        "TM. BAN THƯỜNG VỤ",
        "CHỦ TỊCH",
        "Lương Thị Mai",
    ):
        assert expected in text, expected
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all("Serif" in f or "Times" in f for f in fonts), fonts


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pdf", "application/pdf"),
    ],
)
def test_export_views(world, login, report, fmt, content_type):
    client = login(world.users["commune_a"])
    response = client.get(reverse("reports:report_export", args=[report.pk, fmt]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert f".{fmt}" in response["Content-Disposition"]
    assert response.content[:4] in (b"PK\x03\x04", b"%PDF")


def test_export_unknown_format_is_404(world, login, report):
    client = login(world.users["commune_a"])
    response = client.get(reverse("reports:report_export", args=[report.pk, "csv"]))
    assert response.status_code == 404
