"""One way to turn a list into an .xlsx file.

Every list page (members, cases, classes, deadlines) and the import error report
export through :func:`write_xlsx`: Vietnamese headers in bold, dates as real
Excel dates shown dd/mm/yyyy, and text that Excel would take for a formula kept
as text.

Spreadsheet formula injection: a text cell that starts with ``=``, ``+``, ``-``,
``@`` (or a tab / carriage return) could run as a formula when the file is opened
or edited. Such cells are written as string cells with Excel's "quote prefix"
set, which is what Excel itself does when a user types an apostrophe first: the
text is shown as typed (``+84912…`` stays readable) and is never evaluated.

The workbook is written in openpyxl's write-only mode, row by row, so a large
export does not hold the whole sheet in memory.
"""

import datetime
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = {c: " " for c in range(32) if c not in (9, 10, 13)}  # control chars


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def _cell(ws, value, *, bold=False, fill=None, wrap=False):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            from django.utils import timezone

            value = timezone.localtime(value).replace(tzinfo=None)
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, datetime.date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
    elif isinstance(value, bool):
        cell = WriteOnlyCell(ws, value="Có" if value else "Không")
    elif value is None or isinstance(value, int | float):
        cell = WriteOnlyCell(ws, value=value)
    else:
        text = str(value).translate(_ILLEGAL)
        cell = WriteOnlyCell(ws, value=text)
        if is_formula_like(text):
            # Keep it a plain string and mark it like a typed apostrophe.
            cell.data_type = "s"
            cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def add_sheet(
    wb: Workbook,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    title: str,
    *,
    widths: Sequence[int] | None = None,
    highlight: dict[int, str] | None = None,
) -> None:
    """Append a sheet to a write-only workbook. ``highlight`` maps a column index to
    a fill colour used for that column's cells (e.g. the error column)."""
    ws = wb.create_sheet(title=_sheet_title(title))
    for i, header in enumerate(headers, start=1):
        width = widths[i - 1] if widths and i - 1 < len(widths) else max(12, len(str(header)) + 4)
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.append([_cell(ws, h, bold=True, fill="DDEBF7") for h in headers])
    highlight = highlight or {}
    for row in rows:
        ws.append(
            [
                _cell(ws, v, fill=highlight.get(i) if v else None, wrap=i in highlight)
                for i, v in enumerate(row)
            ]
        )


def _sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, " ")
    return title[:31] or "Sheet1"


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence], title: str, **kwargs) -> bytes:
    """The .xlsx bytes of one sheet named ``title`` with ``headers`` and ``rows``.

    Values may be str, int, float, bool (Có/Không), date or datetime (real Excel
    dates) or None. Text that looks like a formula is neutralised."""
    wb = Workbook(write_only=True)
    add_sheet(wb, headers, rows, title, **kwargs)
    return save(wb)


def save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """An attachment response for .xlsx bytes; ``filename`` without extension may
    hold Vietnamese letters (sent ASCII-folded plus RFC 5987 UTF-8)."""
    from urllib.parse import quote

    from .text import fold

    ascii_name = slugify(fold(filename)) or "danh-sach"
    stamp = datetime.date.today().strftime("%Y%m%d")
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}-{stamp}.xlsx"; '
        f"filename*=UTF-8''{quote(filename)}-{stamp}.xlsx"
    )
    return response


def export_response(headers, rows, title: str, filename: str | None = None) -> HttpResponse:
    return xlsx_response(write_xlsx(headers, rows, title), filename or title)
