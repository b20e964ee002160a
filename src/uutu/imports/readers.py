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
import itertools
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
    """Every row of a sheet as (row number, values): by :func:`_rows_scan` (regular
    expressions over the XML as Excel and openpyxl write it, three times faster than
    lxml), and by :func:`_rows_lxml` from the first row the scan finds unusual
    (another layout, comments, CDATA, a namespace prefix...): the same values
    either way (``tests/test_readers.py`` compares the two)."""
    scan = _rows_scan(archive, sheet_path, strings, date_styles, epoch)

    def rows():
        done = 0
        try:
            for row in scan:
                yield row
                done += 1
            return
        except _Unusual:
            pass
        rest = _rows_lxml(archive, sheet_path, strings, date_styles, epoch)
        yield from itertools.islice(rest, done, None)

    return rows()


class _Unusual(Exception):
    """The sheet's XML is not laid out as :func:`_rows_scan` expects."""


_SCAN_BLOCK = 1 << 20  # characters of XML scanned at a time
_SHEET_HEAD = re.compile(
    r"""^(?:<\?xml[^>]*\?>)?\s*<worksheet\b[^>]*\sxmlns\s*=\s*["']"""
    + re.escape(_MAIN[1:-1])
    + r"""["'][^>]*>.*?<sheetData\b[^>]*?(/?)>""",
    re.S,
)
_XML_ENCODING = re.compile(r"""^<\?xml[^>]*\sencoding\s*=\s*["']([^"']*)["']""")
# A row's start tag, or a cell as Excel and openpyxl write it (r, s, t in this order)
# with its value: a plain <v>, a plain inline string, or anything else (a formula,
# rich text, an empty <v>), read apart.
_SCAN = re.compile(
    r'<row\b([^>]*)>|<c r="([A-Z]+)\d+"(?: s="(\d+)")?(?: t="(\w+)")?'
    r"(?:/>|>(?:<v>([^<]+)</v>|<is><t>([^<]*)</t></is>|(.*?))</c>)",
    re.S,
)
_ROW_NUMBER = re.compile(r"""\br\s*=\s*["'](\d+)["']""")
_VALUE_TAG = re.compile(r"<v(?:\s[^>]*)?>(.*?)</v>|<v\s*/>", re.S)
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _entity(match) -> str:
    name = match[1]
    if name[0] == "#":
        return chr(int(name[2:], 16) if name[1] == "x" else int(name[1:]))
    return _NAMED[name]


_UNESCAPED: dict[str, str] = {}  # word → its text, remembered (a few thousand words)


def _unescape(text: str) -> str:
    """The text of XML character data: entity and character references replaced
    (word by word, each word's remembered: a sheet written with character references
    repeats the same words)."""
    if "&" not in text:
        return text
    out = []
    for word in text.split(" "):
        plain = _UNESCAPED.get(word)
        if plain is None:
            plain = _ENTITY.sub(_entity, word) if "&" in word else word
            if len(_UNESCAPED) < 20_000:
                _UNESCAPED[word] = plain
        out.append(plain)
    return " ".join(out)


def _rows_scan(archive, sheet_path, strings, date_styles, epoch):
    """:func:`_rows_lxml` by regular expressions, for a sheet laid out as Excel and
    openpyxl write it; raises :class:`_Unusual` (before yielding a row it is not sure
    of) at anything else. The XML is read 1 MB at a time, whole rows scanned at once
    (one ``findall`` per block); a block is trusted only when every row and cell tag
    in it was matched (the tags are counted) and it holds no comment, CDATA section
    or processing instruction."""
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    nfc = unicodedata.normalize
    columns: dict[str, int] = {}
    dated: dict[str, bool] = {}  # style → whether it is a date style
    texts: dict[str, str] = {}  # inline string as written → its value
    shared: dict[str, str] = {}  # shared string index as written → its value
    days: dict[str, datetime.datetime] = {}  # a date cell's <v> → its date (one epoch)
    expected = [1]  # the number of a row written without one

    def inline(raw):
        """An inline string's value from its XML text."""
        value = texts.get(raw)
        if value is None:
            if len(texts) > 20_000:
                texts.clear()
            value = texts[raw] = nfc("NFC", _unescape(raw)).strip()
        return value

    def cell_value(kind, style, raw):
        """A cell's value (as _rows_lxml gives it) from its type, style and the text
        of its <v> (None: no <v>), for every type but inline strings."""
        if raw is None:
            return None
        if kind == "s":
            value = shared.get(raw)
            if value is None:
                value = shared[raw] = nfc("NFC", strings[int(raw)]).strip()
            return value
        if kind == "n":
            value = float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
            if style:
                is_date = dated.get(style)
                if is_date is None:
                    is_date = dated[style] = int(style) in date_styles
                if is_date:
                    day = days.get(raw)
                    if day is None:
                        if len(days) > 50_000:
                            days.clear()
                        day = days[raw] = from_excel(value, epoch)
                    value = day
            return value
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_ISO8601(raw)
        return nfc("NFC", raw).strip()  # "str" (a formula's text), "e" (an error)

    def scan(block: str):
        """The rows of a block of whole rows."""
        if "<!" in block or "<?" in block:
            raise _Unusual
        found = _SCAN.findall(block)
        cells = block.count("<c") - block.count("<co") - block.count("<ch")
        if len(found) != cells + block.count("<row"):
            raise _Unusual  # a tag the expression did not match
        number, values = None, None
        for row_attrs, letters, style, kind, v, t, body in found:
            if not letters:  # a row's start tag
                if values is not None:
                    yield number, values
                ref = _ROW_NUMBER.search(row_attrs)
                number = int(ref[1]) if ref else expected[0]
                expected[0] = number + 1
                values = []
                continue
            if values is None:
                raise _Unusual  # a cell outside a row
            column = columns.get(letters)
            if column is None:
                column = columns[letters] = _column(letters)
            if column > len(values):  # cells left empty are not written
                values.extend([None] * (column - len(values)))
            if kind == "inlineStr":  # all the text within the cell, as itertext()
                raw = v or t or _TAG.sub("", body)
                value = texts.get(raw)
                values.append(inline(raw) if value is None else value)
                continue
            if v:
                raw = _unescape(v)
            elif body:  # a formula, an empty <v>, another layout of <v>
                match = _VALUE_TAG.search(body)
                raw = None if match is None else _unescape(match[1] or "")
            else:  # <c …/>, <c …></c>, or an inline string of a cell of another type
                raw = None
            values.append(cell_value(kind or "n", style, raw))
        if values is not None:
            yield number, values

    def rows():
        with archive.open(sheet_path) as source:
            decoder = codecs.getincrementaldecoder("utf-8")()
            head = source.read(_SCAN_BLOCK)
            declared = _XML_ENCODING.match(head.removeprefix(codecs.BOM_UTF8).decode("latin-1"))
            if declared and declared[1].lower().replace("_", "-") not in ("utf-8", "utf8"):
                raise _Unusual
            try:
                text = decoder.decode(head.removeprefix(codecs.BOM_UTF8))
                while "<sheetData" not in text and len(text) < 4 * _SCAN_BLOCK + (1 << 20):
                    if not (data := source.read(_SCAN_BLOCK)):
                        break
                    text += decoder.decode(data)
            except UnicodeDecodeError:
                raise _Unusual from None
            start = _SHEET_HEAD.match(text)
            if start is None or "<!" in text[: start.end()]:
                raise _Unusual  # a prefix, another namespace, a DTD
            if start[1]:  # <sheetData/>: no rows
                return
            buffer = text[start.end() :]
            ended = False
            while True:
                end = buffer.find("</sheetData>")
                if end >= 0:
                    block, ended = buffer[:end], True
                else:
                    cut = buffer.rfind("</row>")
                    if cut < 0:
                        block = ""
                    else:
                        cut += len("</row>")
                        block, buffer = buffer[:cut], buffer[cut:]
                if "\r" in block:  # XML's end-of-line handling
                    block = block.replace("\r\n", "\n").replace("\r", "\n")
                yield from scan(block)
                if ended:
                    return
                data = source.read(_SCAN_BLOCK)
                if not data:
                    raise _Unusual  # no </sheetData>: let lxml report it
                try:
                    buffer += decoder.decode(data)
                except UnicodeDecodeError:
                    raise _Unusual from None

    return rows()


def _rows_lxml(archive, sheet_path, strings, date_styles, epoch):
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

_CACHE_MAGIC = "uutu-rows-2"
_CACHE_CHUNK = 1000
_PLAIN = (str, int, float, bool, type(None))
_FRAME = 8  # each record: its length (8 bytes, little-endian), then its marshal bytes
_END = (1).to_bytes(_FRAME, "little") + marshal.dumps(None)  # the end marker's frame


def _dump(value, fh) -> None:
    """Write ``value`` as one framed record. ``marshal.load`` on a file reads it a few
    bytes at a time (ten times slower than ``marshal.loads`` of the same bytes), so
    each record carries its length and is read in one piece."""
    data = marshal.dumps(value)
    fh.write(len(data).to_bytes(_FRAME, "little"))
    fh.write(data)


def _load(fh):
    """The next record :func:`_dump` wrote; EOFError at the end of the file or in a
    cut record."""
    size = fh.read(_FRAME)
    if len(size) < _FRAME:
        raise EOFError
    size = int.from_bytes(size, "little")
    if size > os.fstat(fh.fileno()).st_size:  # not one of ours (an older format)
        raise EOFError
    data = fh.read(size)
    if len(data) < size:
        raise EOFError
    return marshal.loads(data)


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
        _dump([*_source_stamp(source), table.header, table.total, table.encoding], fh)
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
                            _dump(chunk, fh)
                        except (OSError, ValueError):
                            ok = False
                        chunk = []
                yield number, values
            if ok:
                _dump(chunk, fh)
                _dump(None, fh)  # the end marker
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
        head = _load(fh)
        if valid(head, fh):
            return fh, head
    except (OSError, EOFError, ValueError, TypeError):
        pass
    fh.close()
    return None


def _kept_chunks(fh):
    """The chunks of a kept file, up to its end marker."""
    try:
        while (chunk := _load(fh)) is not None:
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

_RECORDS_MAGIC = "uutu-plans-3"


class RecordWriter:
    """Chunks of plain records written to ``target`` (atomically, on :meth:`finish`)."""

    def __init__(self, source: Path, target: Path, meta):
        self.target = target
        self.tmp = target.with_name(target.name + ".part")
        try:
            self.fh = open(self.tmp, "wb")  # noqa: SIM115 - closed by finish / abandon
            _dump([_RECORDS_MAGIC, *_source_stamp(source), meta], self.fh)
        except OSError:
            self.fh = None

    @property
    def active(self) -> bool:
        return self.fh is not None

    def add(self, records: list) -> None:
        if self.fh is None:
            return
        try:
            _dump(records, self.fh)
        except (OSError, ValueError):
            self.abandon()

    def finish(self) -> None:
        if self.fh is None:
            return
        try:
            _dump(None, self.fh)  # the end marker
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
        fh.seek(-len(_END), os.SEEK_END)
        complete = fh.read(len(_END)) == _END  # the end marker is there
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
