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
from urllib.parse import quote

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.text import slugify

from uutu.core import exports as xl
from uutu.core import officialdoc as od
from uutu.core.text import fold
from uutu.orgs.models import Tree

from . import services as S
from .models import Report

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": xl.XLSX_TYPE,
    "pdf": "application/pdf",
}
NATIONAL_MOTTO, PARTY_MOTTO = od.NATIONAL_MOTTO, od.PARTY_MOTTO
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


def to_docx(report: Report) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc_data = document(report)
    heading = od.Heading(
        parent_line=doc_data["parent_line"],
        unit_line=doc_data["unit_line"],
        number_line=doc_data["number_line"],
        motto=doc_data["motto"],
        date_line=doc_data["date_line"],
        title=doc_data["title"],
        subtitle=doc_data["subtitle"],
        recipients=doc_data["recipients"],
        signer=doc_data["signer"],
        author=report.unit.name,
    )

    def body_of(doc):
        def body(text, bold=False):
            p = od.para(doc, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY, size=14, bold=bold)
            p.paragraph_format.first_line_indent = Cm(1)
            p.paragraph_format.space_after = Pt(6)
            p.paragraph_format.line_spacing = 1.15
            return p

        for i, (title, paragraphs) in enumerate(doc_data["sections"]):
            body(title, bold=True)
            for text in paragraphs:
                body(text)
            if i == 0:
                body("1. Kết quả thực hiện các chỉ tiêu", bold=True)
                od.grid(
                    doc, doc_data["figure_table"], widths=[Cm(1), Cm(8), Cm(2.2), Cm(3.3), Cm(2)]
                )
                if doc_data["children_table"]:
                    body("2. Kết quả của các đơn vị trực thuộc", bold=True)
                    od.grid(doc, doc_data["children_table"], bold_last=True)
        body(doc_data["closing"])

    return od.official_docx(heading, body_of)


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
