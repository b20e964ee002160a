"""A report as an official document: .docx (python-docx), .pdf (WeasyPrint, from
an HTML template) and .xlsx (openpyxl, through :mod:`uutu.core.exports`).

The .docx and the PDF follow the layout of the seeds (Nghị định 30/2020/NĐ-CP):

- a two-column header: on the left the parent body in capitals, the issuing unit
  in bold capitals and the number ("Số: 15/BC-BTV"); on the right the national
  motto ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" over an underlined "Độc lập - Tự do -
  Hạnh phúc"; Party bodies: "ĐẢNG CỘNG SẢN VIỆT NAM") and the italic place and
  date ("Cao Bằng, ngày 21 tháng 11 năm 2026");
- the title "BÁO CÁO" and the subtitle, then the body: the narrative sections,
  the figures and the children table;
- "Nơi nhận:" at the bottom left, the signature block ("TM. BAN THƯỜNG VỤ /
  CHỦ TỊCH", the signer's name) at the bottom right.

Times New Roman (Liberation Serif on Linux), 14 pt body, A4 with margins of
20 mm top and bottom, 30 mm left and 15 mm right.

:func:`document` builds the content once; each writer only lays it out.
"""

import datetime
import io
from urllib.parse import quote

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.text import slugify

from uutu.core import exports as xl
from uutu.core.text import fold
from uutu.orgs.models import Tree

from . import services as S
from .models import Report

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": xl.XLSX_TYPE,
    "pdf": "application/pdf",
}
NATIONAL_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
PARTY_MOTTO = ("ĐẢNG CỘNG SẢN VIỆT NAM",)
FIGURE_HEADERS = ("STT", "Chỉ tiêu", "Chỉ tiêu giao", "Kết quả", "Tỷ lệ hoàn thành (%)")
SECTION_TITLES = (
    ("results", "I. KẾT QUẢ THỰC HIỆN"),
    ("difficulties", "II. KHÓ KHĂN, VƯỚNG MẮC VÀ NGUYÊN NHÂN"),
    ("proposals", "III. ĐỀ XUẤT, KIẾN NGHỊ"),
)


def _achieved_display(row: dict) -> str:
    text = S.vn_number(row["achieved"])
    if row.get("percent") and row["achieved"] is not None:
        text += "%"
    if row.get("detail"):
        text += f" ({row['detail']})"
    return text


def figure_table(figures: dict) -> list[list[str]]:
    """The indicator table as display strings (header row first)."""
    rows = [list(FIGURE_HEADERS)]
    for i, row in enumerate(figures["rows"], start=1):
        rows.append(
            [
                str(i),
                row["name"],
                S.vn_number(row["quota"]),
                _achieved_display(row),
                S.vn_number(row["completion"]),
            ]
        )
    return rows


def children_table(figures: dict) -> list[list[str]]:
    """The children table as display strings: header, one row per child, totals."""
    if not figures.get("children"):
        return []
    rows = [["STT", "Đơn vị"] + [label for _key, label in S.CHILD_COLUMNS]]
    for i, child in enumerate(figures["children"], start=1):
        rows.append(
            [str(i), child["name"]] + [S.vn_number(child.get(k)) for k, _label in S.CHILD_COLUMNS]
        )
    totals = figures["totals"]
    rows.append(["", totals["name"]] + [S.vn_number(totals.get(k)) for k, _l in S.CHILD_COLUMNS])
    return rows


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in (text or "").splitlines() if p.strip()]


def document(report: Report) -> dict:
    """Everything the official document shows, in reading order."""
    unit = report.unit
    figures = S.report_figures(report)
    party = unit.tree == Tree.DANG
    blank = "\u00a0" * 8  # room for the number written in by hand
    number = report.number.strip() or (f"{blank}-BC/ĐU" if party else f"{blank}/BC-BTV")
    return {
        "report": report,
        "party": party,
        "parent_line": unit.parent.name.upper() if unit.parent else "",
        "unit_line": unit.name.upper(),
        "number_line": f"Số: {number}" if not party else f"Số {number}",
        "motto": PARTY_MOTTO if party else NATIONAL_MOTTO,
        "date_line": S.vn_date_line(report.place, report.dated),
        "title": "BÁO CÁO",
        "subtitle": report.subtitle,
        "sections": [
            (title, _paragraphs(getattr(report, field))) for field, title in SECTION_TITLES
        ],
        "figure_table": figure_table(figures),
        "children_table": children_table(figures),
        "closing": f"Trên đây là {report.get_kind_display().lower()} của {unit.name}./.",
        "recipients": report.recipient_lines(),
        "signer": (report.signer_on_behalf, report.signer_title, report.signer_name),
        "figures": figures,
    }


def filename(report: Report) -> str:
    return f"Báo cáo {report.unit.name} {report.period.name}"


def response(content: bytes, report: Report, fmt: str) -> HttpResponse:
    name = filename(report)
    ascii_name = slugify(fold(name)) or "bao-cao"
    resp = HttpResponse(content, content_type=FORMATS[fmt])
    resp["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}.{fmt}\"; filename*=UTF-8''{quote(name)}.{fmt}"
    )
    return resp


def export(report: Report, fmt: str) -> bytes:
    return {"docx": to_docx, "xlsx": to_xlsx, "pdf": to_pdf}[fmt](report)


# --- .docx ------------------------------------------------------------------------


def _set_cell_borders(table, show: bool) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single" if show else "nil")
        if show:
            el.set(qn("w:sz"), "4")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    tbl_pr.append(borders)


def _font(run, size=None, bold=None, italic=None, underline=None):
    from docx.shared import Pt

    if size:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold
    if italic is not None:
        run.italic = italic
    if underline is not None:
        run.underline = underline
    return run


def _para(container, text="", *, align=None, size=None, bold=None, italic=None, underline=None):
    from docx.shared import Pt

    p = container.add_paragraph()
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.space_before = Pt(0)
    if align is not None:
        p.alignment = align
    if text:
        _font(p.add_run(text), size, bold, italic, underline)
    return p


def to_docx(report: Report) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc_data = document(report)
    center, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(14)
    fonts = normal.element.rPr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), "Times New Roman")

    # Header: issuing body and number | motto, place and date.
    header = doc.add_table(rows=1, cols=2)
    header.autofit = False
    _set_cell_borders(header, False)
    left, right = header.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(10)
    left.paragraphs[0].alignment = center
    if doc_data["parent_line"]:
        _font(left.paragraphs[0].add_run(doc_data["parent_line"]), 13)
        _para(left, doc_data["unit_line"], align=center, size=13, bold=True)
    else:
        _font(left.paragraphs[0].add_run(doc_data["unit_line"]), 13, bold=True)
    _para(left, "───────", align=center, size=8)
    _para(left, doc_data["number_line"], align=center, size=13)
    right.paragraphs[0].alignment = center
    motto = doc_data["motto"]
    if len(motto) == 2:
        _font(right.paragraphs[0].add_run(motto[0]), 13, bold=True)
        _para(right, motto[1], align=center, size=14, bold=True, underline=True)
    else:
        _font(right.paragraphs[0].add_run(motto[0]), 14, bold=True, underline=True)
    _para(right, "", size=8)
    _para(right, doc_data["date_line"], align=center, size=14, italic=True)

    # Title.
    p = _para(doc, "", align=center)
    p.paragraph_format.space_before = Pt(18)
    _font(p.add_run(doc_data["title"]), 14, bold=True)
    _para(doc, doc_data["subtitle"], align=center, size=14, bold=True)
    _para(doc, "───────", align=center, size=8).paragraph_format.space_after = Pt(12)

    def body(text, bold=False):
        para = _para(doc, text, align=justify, size=14, bold=bold)
        para.paragraph_format.first_line_indent = Cm(1)
        para.paragraph_format.space_after = Pt(6)
        para.paragraph_format.line_spacing = 1.15
        return para

    def grid(rows, widths):
        table = doc.add_table(rows=len(rows), cols=len(rows[0]))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        _set_cell_borders(table, True)
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                cell = table.cell(r, c)
                if widths:
                    cell.width = widths[c]
                para = cell.paragraphs[0]
                para.alignment = WD_ALIGN_PARAGRAPH.LEFT if c == 1 else center
                last = r == len(rows) - 1 and rows is doc_data["children_table"]
                _font(para.add_run(value), 11, bold=r == 0 or last)
        _para(doc, "")

    for i, (title, paragraphs) in enumerate(doc_data["sections"]):
        body(title, bold=True)
        for text in paragraphs:
            body(text)
        if i == 0:
            body("1. Kết quả thực hiện các chỉ tiêu", bold=True)
            grid(doc_data["figure_table"], [Cm(1), Cm(8), Cm(2.2), Cm(3.3), Cm(2)])
            if doc_data["children_table"]:
                body("2. Kết quả của các đơn vị trực thuộc", bold=True)
                grid(doc_data["children_table"], None)
    body(doc_data["closing"])

    # Recipients | signature.
    foot = doc.add_table(rows=1, cols=2)
    foot.autofit = False
    _set_cell_borders(foot, False)
    left, right = foot.rows[0].cells
    left.width, right.width = Cm(7.5), Cm(9)
    _font(left.paragraphs[0].add_run("Nơi nhận:"), 12, bold=True, italic=True)
    for line in doc_data["recipients"]:
        _para(left, line, size=11)
    on_behalf, title, name = doc_data["signer"]
    right.paragraphs[0].alignment = center
    _font(right.paragraphs[0].add_run(on_behalf), 14, bold=True)
    _para(right, title, align=center, size=14, bold=True)
    for _ in range(3):
        _para(right, "", size=14)
    _para(right, name, align=center, size=14, bold=True)

    buffer = io.BytesIO()
    doc.core_properties.title = f"{doc_data['title']} {doc_data['subtitle']}"[:250]
    doc.core_properties.author = report.unit.name
    doc.save(buffer)
    return buffer.getvalue()


# --- .pdf -------------------------------------------------------------------------


def to_pdf(report: Report) -> bytes:
    from weasyprint import HTML

    html = render_to_string("reports/pdf/report.html", document(report))
    return HTML(string=html).write_pdf()


# --- .xlsx ------------------------------------------------------------------------


def to_xlsx(report: Report) -> bytes:
    """Three sheets: the indicators (numbers as numbers), the children table with
    totals, and the document's details. Text cells are formula-injection safe."""
    from openpyxl import Workbook

    figures = S.report_figures(report)
    wb = Workbook(write_only=True)
    xl.add_sheet(
        wb,
        ["STT", "Chỉ tiêu", "Chỉ tiêu giao", "Kết quả", "n / N", "Tỷ lệ hoàn thành (%)"],
        [
            [i, r["name"], r["quota"], r["achieved"], r["detail"], r["completion"]]
            for i, r in enumerate(figures["rows"], start=1)
        ],
        "Chỉ tiêu",
        widths=[6, 60, 14, 12, 14, 18],
    )
    if figures.get("children"):
        keys = [k for k, _label in S.CHILD_COLUMNS]
        rows = [
            [i, c["name"], *[c.get(k) for k in keys]]
            for i, c in enumerate(figures["children"], start=1)
        ]
        rows.append([None, figures["totals"]["name"], *[figures["totals"].get(k) for k in keys]])
        xl.add_sheet(
            wb,
            ["STT", "Đơn vị", *[label for _k, label in S.CHILD_COLUMNS]],
            rows,
            "Đơn vị trực thuộc",
            widths=[6, 36] + [14] * len(keys),
        )
    xl.add_sheet(
        wb,
        ["Mục", "Nội dung"],
        [
            ["Đơn vị", report.unit.name],
            ["Đơn vị cấp trên", report.unit.parent.name if report.unit.parent else ""],
            ["Loại báo cáo", report.get_kind_display()],
            ["Kỳ báo cáo", report.period.name],
            ["Trích yếu", report.subtitle],
            ["Số văn bản", report.number],
            ["Ngày báo cáo", report.dated],
            ["Trạng thái", report.get_status_display()],
            ["Kết quả thực hiện", report.results],
            ["Khó khăn, vướng mắc và nguyên nhân", report.difficulties],
            ["Đề xuất, kiến nghị", report.proposals],
            ["Người ký", report.signer_name],
            ["Xuất lúc", datetime.datetime.now()],
        ],
        "Thông tin",
        widths=[34, 90],
        highlight={1: None},
    )
    return xl.save(wb)
