"""The emulation ranking as an .xlsx workbook (Vietnamese headers).

Text cells are formula-injection safe: a name that starts with ``=``, ``+``, ``-``,
``@`` (or a tab / carriage return) is written as text with a leading apostrophe, so
no spreadsheet program evaluates it."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FONT = "Times New Roman"


def safe_text(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _set_text(cell, value):
    cell.value = safe_text(value)
    cell.data_type = "s"  # never a formula, whatever the text
    return cell


def ranking_xlsx(ranking) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"Xếp hạng {ranking.year}"
    criteria = ranking.criteria
    headers = (
        ["Hạng", "Đơn vị"]
        + [f"{c.name} (tối đa {_num(c.weight)} điểm)" for c in criteria]
        + ["Tổng điểm", "Tỷ lệ so với điểm tối đa (%)"]
    )
    width = len(headers)
    bold = Font(name=FONT, bold=True)
    plain = Font(name=FONT)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)

    _set_text(ws.cell(row=1, column=1), ranking.unit.name.upper()).font = bold
    title = ws.cell(row=2, column=1)
    _set_text(title, f"BẢNG XẾP HẠNG THI ĐUA NĂM {ranking.year}")
    title.font = Font(name=FONT, bold=True, size=14)
    title.alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=max(width, 2))
    note = ws.cell(row=3, column=1)
    _set_text(
        note,
        f"Tổng điểm tối đa: {_num(ranking.max_points)}. Điểm mỗi tiêu chí = điểm tối đa × "
        "mức đạt (%); mức đạt tính từ số liệu phát triển đảng viên và chỉ tiêu được giao.",
    )
    note.font = Font(name=FONT, italic=True)

    header_row = 5
    for col, text in enumerate(headers, 1):
        cell = _set_text(ws.cell(row=header_row, column=col), text)
        cell.font = bold
        cell.border = border
        cell.fill = PatternFill("solid", fgColor="F3DCE6")
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    row_no = header_row
    for row in ranking.rows:
        row_no += 1
        values = [row.rank, None] + [s.points for s in row.scores] + [row.total, row.percent]
        for col, value in enumerate(values, 1):
            cell = ws.cell(row=row_no, column=col)
            if col == 2:
                _set_text(cell, row.unit.name)
            else:
                cell.value = value
                if isinstance(value, float):
                    cell.number_format = "0.00"
            cell.font = plain
            cell.border = border
    if not ranking.rows:
        _set_text(ws.cell(row=header_row + 1, column=1), "Chưa có tiêu chí hoặc đơn vị trực thuộc.")

    ws.column_dimensions["A"].width = 7
    ws.column_dimensions["B"].width = 36
    for col in range(3, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = 16
    ws.row_dimensions[header_row].height = 60
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _num(value) -> str:
    number = float(value)
    return str(int(number)) if number == int(number) else f"{number:.1f}".replace(".", ",")
