"""Official documents (.docx) in the layout of Nghị định 30/2020/NĐ-CP, as the seeds
show it: a two-column header (the parent body over the issuing unit in bold
capitals and the number | the motto and the italic place and date), the title and
subtitle, a body, then "Nơi nhận:" bottom left and the signature block bottom right.
Times New Roman (Liberation Serif on Linux), 14 pt, A4 with margins of 20 mm top
and bottom, 30 mm left and 15 mm right.

Reports and quota tables give :func:`official_docx` their header facts and a body
function; the layout lives here once.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass, field

NATIONAL_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
PARTY_MOTTO = ("ĐẢNG CỘNG SẢN VIỆT NAM",)


def vn_date_line(place: str, day) -> str:
    """ "Cao Bằng, ngày 04 tháng 7 năm 2023" (day with two digits, month as is)."""
    return f"{place}, ngày {day.day:02d} tháng {day.month} năm {day.year}"


@dataclass
class Heading:
    """What the header, title and footer of an official document say."""

    parent_line: str
    unit_line: str
    number_line: str
    motto: tuple
    date_line: str
    title: str
    subtitle: str
    recipients: list = field(default_factory=list)
    signer: tuple = ("", "", "")  # on behalf of, title, name
    author: str = ""


def set_borders(table, show: bool) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single" if show else "nil")
        if show:
            el.set(qn("w:sz"), "4")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    table._tbl.tblPr.append(borders)


def font(run, size=None, bold=None, italic=None, underline=None):
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


def para(container, text="", *, align=None, size=None, bold=None, italic=None, underline=None):
    from docx.shared import Pt

    p = container.add_paragraph()
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.space_before = Pt(0)
    if align is not None:
        p.alignment = align
    if text:
        font(p.add_run(text), size, bold, italic, underline)
    return p


def official_docx(heading: Heading, body: Callable, *, landscape: bool = False) -> bytes:
    """Write the document: header, title, ``body(doc)``, recipients and signature."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    center = WD_ALIGN_PARAGRAPH.CENTER
    doc = Document()
    section = doc.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21)
    else:
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
    set_borders(header, False)
    left, right = header.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(10)
    left.paragraphs[0].alignment = center
    if heading.parent_line:
        font(left.paragraphs[0].add_run(heading.parent_line), 13)
        para(left, heading.unit_line, align=center, size=13, bold=True)
    else:
        font(left.paragraphs[0].add_run(heading.unit_line), 13, bold=True)
    para(left, "───────", align=center, size=8)
    para(left, heading.number_line, align=center, size=13)
    right.paragraphs[0].alignment = center
    motto = heading.motto
    if len(motto) == 2:
        font(right.paragraphs[0].add_run(motto[0]), 13, bold=True)
        para(right, motto[1], align=center, size=14, bold=True, underline=True)
    else:
        font(right.paragraphs[0].add_run(motto[0]), 14, bold=True, underline=True)
    para(right, "", size=8)
    para(right, heading.date_line, align=center, size=14, italic=True)

    # Title.
    p = para(doc, "", align=center)
    p.paragraph_format.space_before = Pt(18)
    font(p.add_run(heading.title), 14, bold=True)
    para(doc, heading.subtitle, align=center, size=14, bold=True)
    para(doc, "───────", align=center, size=8).paragraph_format.space_after = Pt(12)

    body(doc)

    # Recipients | signature.
    foot = doc.add_table(rows=1, cols=2)
    foot.autofit = False
    set_borders(foot, False)
    left, right = foot.rows[0].cells
    left.width, right.width = Cm(7.5), Cm(9)
    font(left.paragraphs[0].add_run("Nơi nhận:"), 12, bold=True, italic=True)
    for line in heading.recipients:
        para(left, line, size=11)
    on_behalf, title, name = heading.signer
    right.paragraphs[0].alignment = center
    font(right.paragraphs[0].add_run(on_behalf), 14, bold=True)
    para(right, title, align=center, size=14, bold=True)
    for _ in range(3):
        para(right, "", size=14)
    para(right, name, align=center, size=14, bold=True)

    buffer = io.BytesIO()
    doc.core_properties.title = f"{heading.title} {heading.subtitle}"[:250]
    doc.core_properties.author = heading.author
    doc.save(buffer)
    return buffer.getvalue()


def grid(
    doc,
    rows: list[list[str]],
    *,
    widths=None,
    bold_last: bool = False,
    size: int = 11,
    left_column: int = 1,
) -> None:
    """A bordered table: the first row bold (headers), optionally the last (totals).

    python-docx spends about a millisecond per formatted cell, and ``table.cell(r, c)``
    rebuilds the list of every cell on each call, which made a province's children
    table (a hundred communes × 15 columns) take minutes. So the first cell of each
    style (column, bold or not) is formatted through the API and the others are
    copies of its XML with their own text."""
    import copy

    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.table import _Cell

    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_borders(table, True)
    templates: dict[tuple[int, bool], object] = {}
    last = len(rows) - 1
    for r, (tr, values) in enumerate(zip(table._tbl.tr_lst, rows, strict=True)):
        bold = r == 0 or (bold_last and r == last)
        for c, (tc, value) in enumerate(zip(tr.tc_lst, values, strict=True)):
            text = str(value)
            template = templates.get((c, bold))
            if template is not None:
                new = copy.deepcopy(template)
                new.find(".//" + qn("w:t")).text = text
                tr.replace(tc, new)
                continue
            cell = _Cell(tc, table)
            if widths:
                cell.width = widths[c]
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT if c == left_column else WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run("x")  # a w:t to copy; the real text is set below
            font(run, size, bold=bold)
            run_text = run._r.find(qn("w:t"))
            run_text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            templates[(c, bold)] = copy.deepcopy(tc)
            run_text.text = text
    para(doc, "")
