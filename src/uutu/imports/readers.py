"""Reading an uploaded table row by row, whatever Excel produced.

- ``.xlsx``: openpyxl in read-only mode, first sheet, values only; Excel dates
  come back as real dates.
- ``.csv`` (and the tab-separated "Unicode text" Excel saves): the encoding is
  detected from the byte-order mark (UTF-8 with BOM, UTF-16 LE/BE), else UTF-8
  when the bytes decode as UTF-8, else Windows-1258, the Vietnamese code page of
  Excel on Windows. The delimiter (comma, semicolon or tab) is sniffed from the
  header line. Windows-1258 writes some tones as combining marks, so every cell
  is normalised to NFC.

Both readers stream: only one row is in memory at a time.
"""

import codecs
import contextlib
import csv
import datetime
import marshal
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SAMPLE_BYTES = 1 << 20


class ReadError(Exception):
    """The file cannot be read as a table (message in Vietnamese)."""


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list]]  # (spreadsheet row number, values)
    total: int  # data rows, an estimate for progress
    encoding: str = ""

    def close(self):
        close = getattr(self, "_close", None)
        if close:
            close()


def detect_encoding(path: Path) -> str:
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith(codecs.BOM_UTF16_LE) or sample.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=len(sample) < SAMPLE_BYTES)
    except UnicodeDecodeError:
        return "cp1258"
    return "utf-8"


def _nfc(value):
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return value


def _count_lines(path: Path, encoding: str) -> int:
    newline = "\n".encode(encoding.replace("-sig", "")) if encoding != "utf-16" else None
    count = 0
    with open(path, "rb") as fh:
        if newline is None:  # UTF-16: a line feed is two bytes, either order
            data = fh.read(2)
            newline = b"\n\x00" if data == codecs.BOM_UTF16_LE else b"\x00\n"
            fh.seek(0)
        while chunk := fh.read(1 << 20):
            count += chunk.count(newline)
    return count


def read_csv(path: Path) -> Table:
    encoding = detect_encoding(path)
    fh = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by Table.close
    try:
        first = fh.readline()
    except UnicodeDecodeError as exc:
        fh.close()
        raise ReadError("Không đọc được tệp: mã hóa ký tự không hợp lệ.") from exc
    if not first.strip():
        fh.close()
        raise ReadError("Tệp trống: dòng 1 phải là dòng tiêu đề.")
    try:
        dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    header = [_nfc(h) or "" for h in next(csv.reader([first], dialect))]
    total = max(_count_lines(path, encoding) - 1, 0)

    def rows():
        reader = csv.reader(fh, dialect)
        try:
            for number, values in enumerate(reader, start=2):
                yield number, [_nfc(v) for v in values]
        except UnicodeDecodeError as exc:
            raise ReadError("Không đọc được tệp: mã hóa ký tự không hợp lệ.") from exc
        except csv.Error as exc:
            raise ReadError(f"Tệp CSV không hợp lệ: {exc}") from exc

    table = Table(header=header, rows=rows(), total=total, encoding=encoding)
    table._close = fh.close
    return table


def read_xlsx(path: Path) -> Table:
    fast = _read_xlsx_fast(path)
    if fast is not None:
        return fast
    return _read_xlsx_openpyxl(path)


def _read_xlsx_openpyxl(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip, xml or format errors: not a workbook
        raise ReadError("Không mở được tệp Excel (.xlsx). Hãy lưu lại tệp bằng Excel.") from exc
    ws = wb.worksheets[0]
    iterator = ws.iter_rows(values_only=True)
    try:
        header_row = next(iterator)
    except StopIteration:
        wb.close()
        raise ReadError("Tệp trống: dòng 1 phải là dòng tiêu đề.") from None
    header = [_nfc(str(h)) if h is not None else "" for h in header_row]
    total = max((ws.max_row or 1) - 1, 0) if ws.max_row else _estimate_rows(wb, ws)

    def rows():
        for number, values in enumerate(iterator, start=2):
            yield number, [_nfc(v) for v in values]

    table = Table(header=header, rows=rows(), total=total, encoding="xlsx")
    table._close = wb.close
    return table


_DIMENSION_RE = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]+\d+(?::[A-Z]+(\d+))?\"")


def _read_xlsx_fast(path: Path) -> Table | None:
    """The first sheet through openpyxl's own workbook reader (shared strings, date
    styles, epoch, which file holds the sheet), its rows parsed by :func:`_rows`.
    openpyxl's read-only sheet is skipped: it reads a sheet without a size (as
    written by openpyxl's write-only mode and some other tools) to its end just to
    look for one. None when lxml is missing or the workbook is unusual: the caller
    then uses openpyxl's reader, which reports the errors."""
    try:
        from lxml import etree  # noqa: F401 - installed with python-docx
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet
    except ImportError:  # pragma: no cover
        return None
    try:
        reader = ExcelReader(str(path), read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        sheets = [
            rel.target
            for _sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        ]
        sheet_path = sheets[0]
        archive = reader.archive
        with archive.open(sheet_path) as fh:
            head = fh.read(1 << 16)
        size = archive.getinfo(sheet_path).file_size
    except Exception:
        return None
    match = _DIMENSION_RE.search(head)
    # without a size: about 300 bytes of XML per row of ten cells
    total = max(int(match.group(1)) - 1, 0) if match and match.group(1) else size // 300
    rows = _rows(
        archive, sheet_path, reader.shared_strings, reader.wb._date_formats, reader.wb.epoch
    )
    try:
        number, header_row = next(rows)
    except StopIteration:
        archive.close()
        raise ReadError("Tệp trống: dòng 1 phải là dòng tiêu đề.") from None
    except Exception:
        archive.close()
        return None
    if number != 1:
        archive.close()
        return None  # no header row where it belongs: let openpyxl's reader decide
    header = [str(h) if h is not None else "" for h in header_row]
    table = Table(header=header, rows=rows, total=total, encoding="xlsx")
    table._close = archive.close
    return table


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _INLINE, _TEXT = (
    _MAIN + "row",
    _MAIN + "c",
    _MAIN + "v",
    _MAIN + "is",
    _MAIN + "t",
)


def _column(ref: str) -> int:
    """0-based column of a cell reference ("C12" → 2)."""
    n = 0
    for ch in ref:
        if ch <= "9":
            break
        n = n * 26 + ord(ch) - 64
    return n - 1


def _rows(archive, sheet_path, strings, date_styles, epoch):
    """Every row of a sheet as (row number, values), parsed straight from its XML
    with lxml, several times faster than openpyxl's cell objects and with the same
    values: shared and inline strings, numbers, booleans, Excel dates through
    openpyxl's own date styles and ``from_excel``; text is NFC-normalised and
    stripped like every cell. Only one row is in memory at a time."""
    from lxml import etree
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    nfc = unicodedata.normalize
    columns: dict[str, int] = {}
    dated: dict[str, bool] = {}  # style → whether it is a date style

    def rows():
        with archive.open(sheet_path) as source:
            expected = 1
            for _event, row in etree.iterparse(source, events=("end",), tag=_ROW):
                ref = row.get("r")
                number = int(ref) if ref else expected
                expected = number + 1
                values = []
                for cell in row.iterchildren(_CELL):
                    ref = cell.get("r")
                    if ref:  # cells left empty are not written: keep the columns
                        letters = ref.rstrip("0123456789")
                        column = columns.get(letters)
                        if column is None:
                            column = columns[letters] = _column(letters)
                        if column > len(values):
                            values.extend([None] * (column - len(values)))
                    kind = cell.get("t", "n")
                    if kind == "inlineStr":
                        value = nfc("NFC", "".join(cell.itertext())).strip()
                    else:
                        raw = None  # cell.findtext(_VALUE), without its path lookup
                        for child in cell:
                            if child.tag == _VALUE:
                                raw = child.text or ""
                                break
                        if raw is None:
                            value = None
                        elif kind == "s":
                            value = nfc("NFC", strings[int(raw)]).strip()
                        elif kind == "n":
                            if "." in raw or "E" in raw or "e" in raw:
                                value = float(raw)
                            else:
                                value = int(raw)
                            style = cell.get("s")
                            if style is not None:
                                is_date = dated.get(style)
                                if is_date is None:
                                    is_date = dated[style] = int(style) in date_styles
                                if is_date:
                                    value = from_excel(value, epoch)
                        elif kind == "b":
                            value = bool(int(raw))
                        elif kind == "d":
                            value = from_ISO8601(raw)
                        else:  # "str" (a formula's text), "e" (an error such as #N/A)
                            value = nfc("NFC", raw).strip()
                    values.append(value)
                row.clear()
                while row.getprevious() is not None:
                    del row.getparent()[0]
                yield number, values

    return rows()


def _estimate_rows(wb, ws) -> int:
    """Rows of a sheet written without its size (openpyxl's write-only mode, some
    other tools): a guess from the size of its XML, for the progress bar and for
    choosing between the request and the background worker."""
    try:
        size = wb._archive.getinfo(ws._worksheet_path).file_size
    except (AttributeError, KeyError):
        return 0
    return size // 300  # about 300 bytes of XML per row of ten cells


# --- the rows of a checked file, kept for its commit --------------------------------
#
# The preview reads the whole file; the commit reads it again. Parsing a sheet's XML
# costs more than everything else the commit does per row, so the preview keeps what
# the reader gave (header and rows, values exactly as read) in a file beside the
# upload, and the commit reads that instead. It is the reader's output only: every
# row is still matched and checked again at the commit. The file is written with
# ``marshal`` (plain values only; dates and times are tagged tuples, which no cell
# holds), one chunk of rows per record, and is trusted only when its header names
# the stored upload's size and modification time and its end marker is there.

_CACHE_MAGIC = "uutu-rows-1"
_CACHE_CHUNK = 1000
_PLAIN = (str, int, float, bool, type(None))


def _encode(value):
    t = type(value)
    if t in _PLAIN:
        return value
    if t is datetime.datetime and value.tzinfo is None:
        return ("dt", value.toordinal(), value.hour, value.minute, value.second, value.microsecond)
    if t is datetime.date:
        return ("d", value.toordinal())
    if t is datetime.time and value.tzinfo is None:
        return ("t", value.hour, value.minute, value.second, value.microsecond)
    if t is datetime.timedelta:
        return ("td", value.days, value.seconds, value.microseconds)
    raise TypeError(t)


def _decode(value):
    kind = value[0]
    if kind == "dt":
        day = datetime.date.fromordinal(value[1])
        return datetime.datetime(day.year, day.month, day.day, *value[2:])
    if kind == "d":
        return datetime.date.fromordinal(value[1])
    if kind == "t":
        return datetime.time(*value[1:])
    return datetime.timedelta(*value[1:])


def _source_stamp(source: Path) -> list:
    st = source.stat()
    return [_CACHE_MAGIC, source.name, st.st_size, st.st_mtime_ns]


def cache_rows(table: Table, source: Path, target: Path) -> Table:
    """``table`` with its rows also written to ``target`` as they are read. The file
    appears (atomically) only once every row was read; a value of an unexpected type
    or a write error just leaves no file."""
    tmp = target.with_name(target.name + ".part")
    try:
        fh = open(tmp, "wb")  # noqa: SIM115 - closed below or by Table.close
        marshal.dump([*_source_stamp(source), table.header, table.total, table.encoding], fh)
    except OSError:
        return table
    rows = table.rows

    def recorded():
        ok, chunk = True, []
        try:
            for number, values in rows:
                if ok:
                    try:
                        chunk.append(
                            (number, [v if type(v) in _PLAIN else _encode(v) for v in values])
                        )
                    except TypeError:
                        ok = False
                    if len(chunk) >= _CACHE_CHUNK:
                        try:
                            marshal.dump(chunk, fh)
                        except (OSError, ValueError):
                            ok = False
                        chunk = []
                yield number, values
            if ok:
                marshal.dump(chunk, fh)
                marshal.dump(None, fh)  # the end marker
                fh.close()
                os.replace(tmp, target)
        except OSError:
            ok = False
        finally:
            if not fh.closed:
                fh.close()
            if not ok or tmp.exists():
                with contextlib.suppress(OSError):
                    tmp.unlink()

    inner = getattr(table, "_close", None)

    def close():
        if inner:
            inner()
        if not fh.closed:  # not read to its end: no file
            fh.close()
            with contextlib.suppress(OSError):
                tmp.unlink()

    table.rows = recorded()
    table._close = close
    return table


def _open_kept(target: Path, valid) -> tuple | None:
    """Open a file kept beside an upload and read its head: ``(fh, head)`` when
    ``valid(head, fh)`` says it is the one wanted, else None (and nothing open)."""
    try:
        fh = open(target, "rb")  # noqa: SIM115 - closed by the caller's close
    except OSError:
        return None
    try:
        head = marshal.load(fh)
        if valid(head, fh):
            return fh, head
    except (OSError, EOFError, ValueError, TypeError):
        pass
    fh.close()
    return None


def _kept_chunks(fh):
    """The chunks of a kept file, up to its end marker."""
    try:
        while (chunk := marshal.load(fh)) is not None:
            yield chunk
    except (EOFError, ValueError) as exc:
        raise ReadError("Không đọc được tệp: hãy tải tệp lên lại.") from exc


def cached_table(source: Path, target: Path) -> Table | None:
    """The table :func:`cache_rows` kept for ``source``, or None when there is none
    (or it is not for this file)."""
    kept = _open_kept(target, lambda head, fh: head[:4] == _source_stamp(source))
    if kept is None:
        return None
    fh, head = kept
    header, total, encoding = head[4:]

    def rows():
        for chunk in _kept_chunks(fh):
            for number, values in chunk:
                for i, v in enumerate(values):
                    if type(v) is tuple:
                        values[i] = _decode(v)
                yield number, values

    table = Table(header=header, rows=rows(), total=total, encoding=encoding)
    table._close = fh.close
    return table


def encode_value(value):
    """A cell's or a field's value as marshal can keep it (see :func:`decode_value`);
    TypeError for a value of another type."""
    return value if type(value) in _PLAIN else _encode(value)


def decode_value(value):
    return _decode(value) if type(value) is tuple else value


# --- what the preview worked out for each row, kept for the commit -----------------
#
# Beside the rows, the preview of a member file keeps, for every row, what it worked
# out from the row alone (its parsed and checked values, see
# ``services.PeopleImporter.record``), so the commit redoes only what depends on the
# database. Same rules as the kept rows: written with ``marshal``, one chunk of
# records per record, trusted only for the same upload (size and modification time)
# and once its end marker is there.

_RECORDS_MAGIC = "uutu-plans-2"


class RecordWriter:
    """Chunks of plain records written to ``target`` (atomically, on :meth:`finish`)."""

    def __init__(self, source: Path, target: Path, meta):
        self.target = target
        self.tmp = target.with_name(target.name + ".part")
        try:
            self.fh = open(self.tmp, "wb")  # noqa: SIM115 - closed by finish / abandon
            marshal.dump([_RECORDS_MAGIC, *_source_stamp(source), meta], self.fh)
        except OSError:
            self.fh = None

    @property
    def active(self) -> bool:
        return self.fh is not None

    def add(self, records: list) -> None:
        if self.fh is None:
            return
        try:
            marshal.dump(records, self.fh)
        except (OSError, ValueError):
            self.abandon()

    def finish(self) -> None:
        if self.fh is None:
            return
        try:
            marshal.dump(None, self.fh)  # the end marker
            self.fh.close()
            os.replace(self.tmp, self.target)
        except OSError:
            pass
        self.abandon()

    def abandon(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
        with contextlib.suppress(OSError):
            self.tmp.unlink(missing_ok=True)


@dataclass
class Records:
    meta: object
    chunks: Iterator[list]
    close: object


def cached_records(source: Path, target: Path) -> Records | None:
    """The records :class:`RecordWriter` kept for ``source``, or None when there are
    none (or they are not for this upload, or not complete)."""

    def valid(head, fh) -> bool:
        if head[:-1] != [_RECORDS_MAGIC, *_source_stamp(source)]:
            return False
        start = fh.tell()
        fh.seek(-1, os.SEEK_END)
        complete = fh.read(1) == marshal.dumps(None)  # the end marker is there
        fh.seek(start)
        return complete

    kept = _open_kept(target, valid)
    if kept is None:
        return None
    fh, head = kept
    return Records(meta=head[-1], chunks=_kept_chunks(fh), close=fh.close)


def open_table(path: Path, file_format: str) -> Table:
    if file_format == "xlsx":
        return read_xlsx(path)
    if file_format == "csv":
        return read_csv(path)
    raise ReadError("Chỉ nhận tệp .xlsx hoặc .csv.")


# --- cells ------------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")


class CellError(Exception):
    """A cell's value is not acceptable (message in Vietnamese)."""


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def parse_date(value, label: str) -> datetime.date | None:
    """A real Excel date, or dd/mm/yyyy text (also d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy
    and yyyy-mm-dd). A future date is refused."""
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        result = value.date()
    elif isinstance(value, datetime.date):
        result = value
    elif isinstance(value, str):
        s = value.strip()
        m = _DATE_RE.match(s)
        iso = _ISO_RE.match(s)
        try:
            if m:
                result = datetime.date(int(m[3]), int(m[2]), int(m[1]))
            elif iso:
                result = datetime.date(int(iso[1]), int(iso[2]), int(iso[3]))
            else:
                raise ValueError
        except ValueError:
            raise CellError(
                f"“{s}” không phải là ngày hợp lệ; hãy ghi theo dạng ngày/tháng/năm, "
                "ví dụ 17/05/1990."
            ) from None
    else:
        raise CellError(
            f"“{text(value)}” không phải là ngày; hãy ghi theo dạng ngày/tháng/năm, "
            "ví dụ 17/05/1990, hoặc định dạng ô là ngày."
        )
    if result > datetime.date.today():
        raise CellError(f"{label} không được ở tương lai ({result:%d/%m/%Y}).")
    if result.year < 1900:
        raise CellError(f"{label} không hợp lệ ({result:%d/%m/%Y}).")
    return result


def parse_cccd(value) -> str:
    """12 digits. A number cell lost its leading zeros in Excel: they are put back."""
    if is_blank(value):
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise CellError("Số CCCD phải gồm đúng 12 chữ số.")
        digits = str(int(value))
        if len(digits) <= 12:
            return digits.zfill(12)
        return digits
    s = re.sub(r"[\s.]", "", str(value)).lstrip("'")
    return s


def parse_phone(value) -> str:
    if is_blank(value):
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = str(int(value))
        return "0" + digits if len(digits) == 9 else digits
    return re.sub(r"[\s.\-()]", "", str(value)).lstrip("'")


_YES = {"co", "x", "1", "true", "yes", "dung", "phai"}
_NO = {"khong", "0", "false", "no", "", "sai"}


def parse_bool(value, label: str) -> bool | None:
    from uutu.core.text import fold

    if value is None:
        return None
    if isinstance(value, bool):
        return value
    key = fold(text(value))
    if key in _YES:
        return True
    if key in _NO:
        return False if key else None
    raise CellError(f"“{text(value)}” không hợp lệ: hãy ghi “Có” hoặc “Không”.")


def parse_count(value) -> int | None:
    """A whole number ≥ 0 (a count of votes or members)."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(f"“{text(value)}” không phải là một số.")
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise CellError(f"“{text(value)}” không phải là số nguyên.")
        number = int(value)
    else:
        s = str(value).strip()
        if not s.isdigit():
            raise CellError(f"“{s}” không phải là một số.")
        number = int(s)
    if number < 0:
        raise CellError(f"“{number}” không được âm.")
    return number
