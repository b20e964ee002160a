"""The quota table (biểu giao chỉ tiêu) as an Excel workbook, both ways.

Layout (one sheet):

- rows 1–2: the issuing body (left) and the national motto (right);
- row 4: the title, e.g. "BIỂU GIAO CHỈ TIÊU GIỚI THIỆU HỘI VIÊN ƯU TÚ CHO ĐẢNG NĂM 2024";
- row 5: "Kỳ: … – Đơn vị giao: …";
- row 6: the headers: STT, Đơn vị, then one column per indicator with quotas;
- from row 7: one row per child unit, then "Tổng cộng" and the unit's own quota.

The import reads the same layout: the child rows are written, the total and own-quota
rows are there to compare and are ignored. Everything is validated before anything is
written, and errors name the row and the column ("Dòng 7, cột Đơn vị: …").

Text cells that begin with ``= + - @`` (or a tab / carriage return) are written as
text with Excel's quote prefix, so a unit named "=HYPERLINK(…)" is never a formula.
"""

import datetime
import io
import re
import unicodedata
import zipfile
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from uutu.orgs.models import Unit

from .indicators import BY_CODE, INDICATORS
from .models import Period, Quota

HEADER_ROW = 6
FIRST_ROW = HEADER_ROW + 1
STT, UNIT = "STT", "Đơn vị"
TOTAL = "Tổng cộng"
OWN_PREFIX = "Chỉ tiêu được giao của"
DEFAULT_CODES = ("introduced", "introduced_branch_heads", "introduced_others", "admitted")
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
FONT = "Times New Roman"
MAX_ROWS = 2000
MAX_BYTES = 5 * 1024 * 1024


def header_for(indicator) -> str:
    text = str(indicator.name).lstrip("–- ").strip()
    return text[:1].upper() + text[1:]


def additive(indicator) -> bool:
    """Whether the children's quotas add up to the parent's (not for shares and
    per-cell targets)."""
    return not indicator.percent and indicator.source in ("event", "manual")


def _norm(text) -> str:
    text = unicodedata.normalize("NFC", str(text or ""))
    text = text.lstrip("'").strip().lstrip("–- ").strip()
    return re.sub(r"\s+", " ", text).casefold()


HEADER_CODES = {_norm(header_for(i)): i.code for i in INDICATORS} | {
    _norm(i.name): i.code for i in INDICATORS
}


def put(ws, row: int, col: int, value, *, bold=False, size=12, align=None, border=False):
    """Write one cell; text starting like a formula is forced to text."""
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str) and value.startswith(DANGEROUS):
        cell.data_type = "s"  # never "f": the text is not a formula
        cell.quotePrefix = True
    cell.font = Font(name=FONT, bold=bold, size=size)
    if align:
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
    if border:
        thin = Side(style="thin")
        cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    return cell


def children_of(unit: Unit):
    """The active child units, in the order of their codes (the administrative
    codes of communes, the order official lists use)."""
    return list(Unit.objects.filter(parent=unit, is_active=True).order_by("code", "pk"))


def columns_for(unit: Unit, period: Period, children) -> list:
    """The indicators with a quota for the unit or one of its children, in the
    catalogue's order (the main introduction indicators when there is none yet)."""
    ids = [unit.pk, *(c.pk for c in children)]
    used = set(
        Quota.objects.filter(unit_id__in=ids, period=period).values_list("indicator", flat=True)
    )
    codes = [i.code for i in INDICATORS if i.code in used] or list(DEFAULT_CODES)
    return [BY_CODE[c] for c in codes]


def _title(period: Period) -> str:
    base = "BIỂU GIAO CHỈ TIÊU GIỚI THIỆU HỘI VIÊN ƯU TÚ CHO ĐẢNG XEM XÉT, KẾT NẠP"
    if period.kind == Period.Kind.YEAR:
        return f"{base} NĂM {period.start.year}"
    return f"{base} {period.name.upper()}"


def export_quotas(unit: Unit, period: Period) -> bytes:
    children = children_of(unit)
    indicators = columns_for(unit, period, children)
    ids = [unit.pk, *(c.pk for c in children)]
    quotas = {
        (q.unit_id, q.indicator): q.value
        for q in Quota.objects.filter(unit_id__in=ids, period=period)
    }
    wb = Workbook()
    ws = wb.active
    ws.title = "Biểu giao chỉ tiêu"
    last = 2 + len(indicators)
    half = max(2, last // 2)
    parent_name = unit.parent.name.upper() if unit.parent and unit.parent.parent_id else ""
    put(ws, 1, 1, parent_name or unit.name.upper(), size=12, align="center")
    put(ws, 2, 1, unit.name.upper() if parent_name else "", bold=True, align="center")
    put(ws, 1, half + 1, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, align="center")
    put(ws, 2, half + 1, "Độc lập - Tự do - Hạnh phúc", bold=True, align="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=half)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=half)
    if last > half + 1:
        ws.merge_cells(start_row=1, start_column=half + 1, end_row=1, end_column=last)
        ws.merge_cells(start_row=2, start_column=half + 1, end_row=2, end_column=last)
    put(ws, 4, 1, _title(period), bold=True, size=14, align="center")
    put(ws, 5, 1, f"Kỳ: {period.name} – Đơn vị giao: {unit.name}", align="center")
    for row in (4, 5):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
    ws.row_dimensions[4].height = 36

    fill = PatternFill("solid", fgColor="F3DCE6")
    headers = [STT, UNIT, *(header_for(i) for i in indicators)]
    for col, text in enumerate(headers, start=1):
        put(ws, HEADER_ROW, col, text, bold=True, align="center", border=True).fill = fill
    ws.row_dimensions[HEADER_ROW].height = 60

    row = FIRST_ROW
    totals = [Decimal(0)] * len(indicators)
    for n, child in enumerate(children, start=1):
        put(ws, row, 1, n, align="center", border=True)
        put(ws, row, 2, child.name, align="left", border=True)
        for j, ind in enumerate(indicators):
            value = quotas.get((child.pk, ind.code))
            put(ws, row, 3 + j, _number(value), align="right", border=True)
            if value is not None:
                totals[j] += value
        row += 1
    put(ws, row, 1, "", border=True)
    put(ws, row, 2, TOTAL, bold=True, border=True)
    for j, ind in enumerate(indicators):
        value = _number(totals[j]) if additive(ind) else None
        put(ws, row, 3 + j, value, bold=True, align="right", border=True)
    row += 1
    put(ws, row, 1, "", border=True)
    put(ws, row, 2, f"{OWN_PREFIX} {unit.name}", bold=True, border=True)
    for j, ind in enumerate(indicators):
        value = _number(quotas.get((unit.pk, ind.code)))
        put(ws, row, 3 + j, value, bold=True, align="right", border=True)
    row += 2
    put(
        ws,
        row,
        1,
        "Ghi chú: ô để trống là chưa giao chỉ tiêu. Khi nhập lại tệp này, chỉ các dòng đơn "
        "vị được đọc; dòng tổng cộng và dòng chỉ tiêu được giao chỉ để đối chiếu. Chỉ tiêu "
        "tỷ lệ (%) không cộng dồn.",
        size=11,
        align="left",
    )
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
    ws.row_dimensions[row].height = 45
    put(
        ws,
        row + 1,
        1,
        f"Xuất từ uutu ngày {datetime.date.today():%d/%m/%Y}.",
        size=10,
        align="left",
    )

    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 38
    for j in range(len(indicators)):
        ws.column_dimensions[get_column_letter(3 + j)].width = 18
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=3)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _number(value):
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


# --- import -------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_number(value):
    """The quota in a cell: None for a blank, a Decimal, or raise ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        number = Decimal(str(value))
    else:
        text = str(value).strip().lstrip("'").replace(" ", "").replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError from exc
    if not number.is_finite():
        raise ValueError
    return number


def read_quotas(unit: Unit, period: Period, upload) -> tuple[list, dict]:
    """Read and validate an uploaded quota table for ``unit``'s children.

    Returns ``(indicators, {indicator_code: {child: value or None}})``; raises a
    ValidationError listing every problem with its row and column.
    """
    malformed = (
        "Tệp không đúng mẫu biểu giao chỉ tiêu (.xlsx). Hãy tải mẫu bằng nút “Xuất Excel” "
        "rồi điền vào đó."
    )
    if getattr(upload, "size", 0) and upload.size > MAX_BYTES:
        raise ValidationError("Tệp quá lớn (tối đa 5 MB).")
    try:
        data = upload.read()
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = [tuple(r) for r in ws.iter_rows(max_row=HEADER_ROW + MAX_ROWS, values_only=True)]
        wb.close()
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError):
        raise ValidationError(malformed) from None
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise ValidationError(malformed) from None

    header_at = None
    for i, row in enumerate(rows[:20]):
        cells = [_norm(c) for c in row[:2]]
        if cells == [_norm(STT), _norm(UNIT)]:
            header_at = i
            break
    if header_at is None:
        raise ValidationError(
            f"{malformed} Không tìm thấy dòng tiêu đề “{STT}”, “{UNIT}”, … ở đầu bảng."
        )
    for row in rows[:header_at]:
        for value in row:
            match = re.match(r"^\s*Kỳ:\s*(.+?)\s+–\s+Đơn vị giao:\s*(.+?)\s*$", _cell_text(value))
            if match and _norm(match.group(1)) != _norm(period.name):
                raise ValidationError(
                    f"Tệp này là biểu giao chỉ tiêu của kỳ “{match.group(1)}”, không phải của "
                    f"kỳ “{period.name}”. Hãy chọn đúng kỳ trước khi nhập."
                )
    header = rows[header_at]
    errors: list[str] = []
    columns: list[tuple[int, object]] = []  # (column index, indicator)
    seen = set()
    for col in range(2, len(header)):
        text = _cell_text(header[col])
        if not text:
            continue
        letter = get_column_letter(col + 1)
        code = HEADER_CODES.get(_norm(text)) or (text if text in BY_CODE else None)
        if code is None:
            errors.append(
                f"Dòng {header_at + 1}, cột {letter}: tiêu đề “{text}” không phải là chỉ tiêu "
                "nào trong danh mục."
            )
        elif code in seen:
            errors.append(f"Dòng {header_at + 1}, cột {letter}: chỉ tiêu “{text}” bị lặp lại.")
        else:
            seen.add(code)
            columns.append((col, BY_CODE[code]))
    if errors:
        raise ValidationError([malformed, *errors])
    if not columns:
        raise ValidationError(f"{malformed} Bảng không có cột chỉ tiêu nào.")

    children = {_norm(c.name): c for c in children_of(unit)}
    values: dict[str, dict] = {ind.code: {} for _col, ind in columns}
    found: dict[int, int] = {}
    for i in range(header_at + 1, len(rows)):
        row = rows[i]
        line = i + 1
        name = _cell_text(row[1] if len(row) > 1 else None)
        rest = [row[col] if col < len(row) else None for col, _ind in columns]
        if not name:
            if any(_cell_text(v) for v in rest):
                errors.append(f"Dòng {line}, cột {UNIT}: thiếu tên đơn vị.")
            continue
        key = _norm(name)
        if key == _norm(TOTAL) or key.startswith(_norm(OWN_PREFIX)):
            continue  # there to compare, not imported
        if key.startswith(("ghi chú", _norm("Xuất từ uutu"))):
            break
        child = children.get(key)
        if child is None:
            errors.append(
                f"Dòng {line}, cột {UNIT}: “{name}” không phải là đơn vị trực thuộc đang hoạt "
                f"động của {unit.name}."
            )
            continue
        if child.pk in found:
            errors.append(
                f"Dòng {line}, cột {UNIT}: “{name}” đã có ở dòng {found[child.pk]}, "
                "mỗi đơn vị chỉ một dòng."
            )
            continue
        found[child.pk] = line
        for (col, ind), raw in zip(columns, rest, strict=True):
            where = f"Dòng {line}, cột {get_column_letter(col + 1)} ({header_for(ind)})"
            try:
                number = _parse_number(raw)
            except ValueError:
                errors.append(f"{where}: “{_cell_text(raw)}” không phải là số.")
                continue
            if number is not None and number < 0:
                errors.append(f"{where}: không được nhập số âm ({_cell_text(raw)}).")
                continue
            if number is not None and ind.percent and number > 100:
                errors.append(f"{where}: tỷ lệ không được lớn hơn 100%.")
                continue
            if number is not None and number != number.quantize(Decimal("0.1")):
                errors.append(f"{where}: chỉ nhập tối đa một chữ số thập phân.")
                continue
            values[ind.code][child] = number
    if errors:
        raise ValidationError(errors)
    if not found:
        raise ValidationError("Tệp không có dòng đơn vị nào để nhập.")
    return [ind for _col, ind in columns], values


def _quota_text(value) -> str:
    return "" if value is None else str(_number(value))


def quota_rows(unit: Unit, period: Period) -> list[list[str]]:
    """The quota table as text rows: headers, one row per child, the total (for the
    indicators that add up) and the unit's own quota."""
    children = children_of(unit)
    indicators = columns_for(unit, period, children)
    ids = [unit.pk, *(c.pk for c in children)]
    quotas = {
        (q.unit_id, q.indicator): q.value
        for q in Quota.objects.filter(unit_id__in=ids, period=period)
    }
    rows = [[STT, UNIT, *(header_for(i) for i in indicators)]]
    totals = [Decimal(0)] * len(indicators)
    for n, child in enumerate(children, start=1):
        cells = []
        for j, ind in enumerate(indicators):
            value = quotas.get((child.pk, ind.code))
            if value is not None:
                totals[j] += value
            cells.append(_quota_text(value))
        rows.append([str(n), child.name, *cells])
    rows.append(
        [
            "",
            TOTAL,
            *(
                _quota_text(t) if additive(i) else ""
                for t, i in zip(totals, indicators, strict=True)
            ),
        ]
    )
    rows.append(
        [
            "",
            f"{OWN_PREFIX} {unit.name}",
            *(_quota_text(quotas.get((unit.pk, i.code))) for i in indicators),
        ]
    )
    return rows


def export_quotas_docx(unit: Unit, period: Period) -> bytes:
    """The quota table (biểu giao chỉ tiêu) as an official .docx document."""
    from uutu.core import officialdoc as od
    from uutu.reports.services import place_for

    rows = quota_rows(unit, period)
    title = _title(period)
    heading = od.Heading(
        parent_line=unit.parent.name.upper() if unit.parent and unit.parent.parent_id else "",
        unit_line=unit.name.upper(),
        number_line="Số: " + "\u00a0" * 8 + "/QĐ-BTV",
        motto=od.PARTY_MOTTO if unit.tree == "dang" else od.NATIONAL_MOTTO,
        date_line=od.vn_date_line(place_for(unit), datetime.date.today()),
        title="BIỂU GIAO CHỈ TIÊU",
        subtitle=title.removeprefix("BIỂU GIAO CHỈ TIÊU ").capitalize(),
        recipients=["- Như trên;", "- Lưu: VT."],
        signer=("TM. BAN THƯỜNG VỤ", "CHỦ TỊCH", ""),
        author=unit.name,
    )
    return od.official_docx(
        heading, lambda doc: od.grid(doc, rows, size=10), landscape=len(rows[0]) > 5
    )
