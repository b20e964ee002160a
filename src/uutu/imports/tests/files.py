"""Write real .xlsx and .csv files the way Excel does, for the import tests."""

import csv
import io
import unicodedata

from openpyxl import Workbook

TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}

PEOPLE_HEADER = ["Họ và tên", "Ngày sinh", "Số CCCD", "Chi hội", "Điện thoại", "Dân tộc"]


def xlsx(path, header, rows, number_format_dates=True):
    wb = Workbook()
    ws = wb.active
    ws.title = "Hội viên"
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def to_cp1258(text: str) -> bytes:
    """Encode as Excel does in Windows-1258: a precomposed letter when the code
    page has one, else the base letter followed by a combining tone mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tone = "".join(c for c in decomposed if c in TONES)
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES))
            out += base.encode("cp1258") + tone.encode("cp1258")
    return bytes(out)


def csv_file(path, header, rows, encoding="utf-8", delimiter=","):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    text = buffer.getvalue()
    if encoding == "cp1258":
        data = to_cp1258(text)
    elif encoding == "utf-8-sig":
        data = text.encode("utf-8-sig")
    elif encoding == "utf-16":
        data = text.encode("utf-16")  # with BOM, as Excel's "Unicode text"
    else:
        data = text.encode(encoding)
    path.write_bytes(data)
    return path
