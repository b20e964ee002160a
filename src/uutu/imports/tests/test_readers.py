"""The .xlsx reader: the regular-expression scan of a sheet's XML
(``readers._rows_scan``) gives exactly what lxml's parse (``readers._rows_lxml``)
gives, on real workbooks written by openpyxl (inline strings) and in Excel's
layout (shared strings, rows with extra attributes), and the reader goes on with
lxml from the first row the scan finds unusual."""

import datetime
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from uutu.imports import readers

HEADER = ["Họ và tên", "Ngày sinh", "Số CCCD", "Điện thoại", "Ghi chú", "Có"]
ROWS = [
    ["Nguyễn Thị Hoa", datetime.date(1990, 5, 17), "001190002222", 912345678, "a & b <c>", True],
    [None, datetime.datetime(2001, 2, 3, 4, 5), 1190002222, 3.5, "  cách   ", False],
    [],  # an empty row: not written
    ["Lê Thị Hòa", None, None, -0.5, "dòng 1\r\ndòng 2", None],
    [None, None, None, None, None, None, "xa"],  # a cell far to the right
    ["ĐOÀN THỊ ỮNG", datetime.time(7, 30), 1e20, 123456789012, "'012", 1],
]
EXPECTED = [
    (1, HEADER),
    (2, ["Nguyễn Thị Hoa", datetime.datetime(1990, 5, 17), "001190002222", 912345678,
         "a & b <c>", True]),
    (3, [None, datetime.datetime(2001, 2, 3, 4, 5), 1190002222, 3.5, "cách", False]),
    (5, ["Lê Thị Hòa", None, None, -0.5, "dòng 1\r\ndòng 2"]),
    (6, [None, None, None, None, None, None, "xa"]),
    (7, ["ĐOÀN THỊ ỮNG", datetime.time(7, 30), 1e20, 123456789012, "'012", 1]),
]  # fmt: skip


def _workbook(path: Path, rows=ROWS, *, iso_dates=False, write_only=False) -> Path:
    wb = Workbook(write_only=write_only)
    wb.iso_dates = iso_dates
    ws = wb.create_sheet("Hội viên") if write_only else wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    if not write_only:
        ws["B9"] = CellRichText(["Lê ", TextBlock(InlineFont(b=True), "Thị"), " Hòa"])
        ws["C9"] = "=1+2"
        ws["C9"].value = "kết quả"
    wb.save(path)
    return path


def _rewrite(path: Path, target: Path, change) -> Path:
    """``path`` with its first sheet's XML changed by ``change(xml, parts)``."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(target, "w") as dst:
        parts = {name: src.read(name) for name in src.namelist()}
        sheet = "xl/worksheets/sheet1.xml"
        changed = change(parts[sheet].decode(), parts)
        assert changed != parts[sheet].decode()
        parts[sheet] = changed.encode()
        for name, data in parts.items():
            dst.writestr(name, data)
    return target


def _excel_layout(xml: str, parts: dict) -> str:
    """The sheet as Excel writes it: every plain inline string becomes a shared
    string (xl/sharedStrings.xml), rows carry spans and an x14ac attribute."""
    strings: list[str] = []

    def shared(match):
        strings.append(match[3])
        return f'<c r="{match[1]}"{match[2]} t="s"><v>{len(strings) - 1}</v></c>'

    xml = re.sub(
        r'<c r="([A-Z]+\d+)"((?: s="\d+")?) t="inlineStr"><is><t>([^<]*)</t></is></c>', shared, xml
    )
    xml = re.sub(r'<row r="(\d+)">', r'<row r="\1" spans="1:7" x14ac:dyDescent="0.25">', xml)
    xml = xml.replace(
        "<worksheet ",
        '<worksheet xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" ',
        1,
    )
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    parts["xl/sharedStrings.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    ).encode()
    types = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    ).encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    ).encode()
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + xml


def _parts(path: Path):
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(str(path), read_only=True, data_only=True)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    sheet = next(rel.target for _s, rel in reader.parser.find_sheets())
    return reader.archive, sheet, reader.shared_strings, reader.wb._date_formats, reader.wb.epoch


def _read(function, path: Path) -> list:
    return list(function(*_parts(path)))


def _check(path: Path, expected=EXPECTED) -> list:
    scanned = _read(readers._rows_scan, path)
    assert scanned == _read(readers._rows_lxml, path)
    assert scanned == _read(readers._rows, path)
    assert scanned[: len(expected)] == expected
    return scanned


def test_scan_reads_an_openpyxl_workbook(tmp_path):
    rows = _check(_workbook(tmp_path / "a.xlsx"))
    assert rows[len(EXPECTED) :] == [(9, [None, "Lê Thị Hòa", "kết quả"])]
    assert (
        "inlineStr"
        in zipfile.ZipFile(tmp_path / "a.xlsx").read("xl/worksheets/sheet1.xml").decode()
    )
    table = readers.read_xlsx(tmp_path / "a.xlsx")
    assert table.header == HEADER
    assert list(table.rows)[:2] == EXPECTED[1:3]
    table.close()


def test_scan_reads_a_write_only_workbook_and_iso_dates(tmp_path):
    rows = _check(_workbook(tmp_path / "w.xlsx", write_only=True), expected=EXPECTED[:3])
    assert rows[3:] == [(4, []), *EXPECTED[3:]]  # the empty row is written: <row r="4"/>
    rows = _read(readers._rows_scan, _workbook(tmp_path / "d.xlsx", iso_dates=True))
    assert rows == _read(readers._rows_lxml, tmp_path / "d.xlsx")
    assert rows[1][1][1] == datetime.date(1990, 5, 17)  # written as t="d"
    assert 't="d"' in zipfile.ZipFile(tmp_path / "d.xlsx").read("xl/worksheets/sheet1.xml").decode()


def test_scan_reads_shared_strings_as_excel_writes_them(tmp_path):
    path = _rewrite(_workbook(tmp_path / "a.xlsx"), tmp_path / "excel.xlsx", _excel_layout)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert 't="s"><v>0</v>' in xml and "x14ac:dyDescent" in xml
    assert len(_parts(path)[2]) > 5  # shared strings
    _check(path)


def test_scan_reads_rows_cut_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "_SCAN_BLOCK", 97)  # cuts rows and UTF-8 letters
    rows = [[f"Đặng Thị Ánh {i}", datetime.date(1980, 1, 1 + i % 28), i * 1.5] for i in range(60)]
    path = _workbook(tmp_path / "a.xlsx", rows, write_only=True)
    got = _check(
        path, expected=[(1, HEADER), (2, ["Đặng Thị Ánh 0", datetime.datetime(1980, 1, 1), 0])]
    )
    assert len(got) == 61 and got[-1] == (
        61,
        ["Đặng Thị Ánh 59", datetime.datetime(1980, 1, 4), 88.5],
    )


def _prefixed(xml: str, parts) -> str:
    xml = re.sub(r"<(/?)(\w+)", r"<\1x:\2", xml)
    return xml.replace('xmlns="', 'xmlns:x="', 1)


def _commented(xml: str, parts) -> str:  # a comment between the rows 5 and 6
    return xml.replace('<row r="6">', '<!-- a note --><row r="6">', 1)


def _reordered(xml: str, parts) -> str:  # a cell's attributes in another order
    return xml.replace('<c r="A7" t="inlineStr">', '<c t="inlineStr" r="A7">', 1)


@pytest.mark.parametrize("change", [_prefixed, _commented, _reordered])
def test_an_unusual_sheet_is_read_by_lxml_from_where_it_differs(tmp_path, monkeypatch, change):
    monkeypatch.setattr(readers, "_SCAN_BLOCK", 300)
    path = _rewrite(_workbook(tmp_path / "a.xlsx"), tmp_path / "b.xlsx", change)
    lxml = _read(readers._rows_lxml, path)
    assert lxml[: len(EXPECTED)] == EXPECTED
    assert _read(readers._rows, path) == lxml  # no row lost or read twice
    scanned = []
    with pytest.raises(readers._Unusual):
        for row in readers._rows_scan(*_parts(path)):
            scanned.append(row)
    assert scanned == lxml[: len(scanned)]
    if change is not _prefixed:
        assert scanned  # the rows before the unusual block came from the scan


def test_entities_and_line_ends_as_an_xml_parser_reads_them(tmp_path):
    def change(xml, parts):
        return xml.replace(
            "<t>a &amp; b &lt;c&gt;</t>", "<t>&#x1EA0;&#7885;\r\n&quot;x&apos;&amp;amp;\r</t>", 1
        )

    path = _rewrite(_workbook(tmp_path / "a.xlsx"), tmp_path / "b.xlsx", change)
    rows = _read(readers._rows_scan, path)
    assert rows == _read(readers._rows_lxml, path)
    assert rows[1][1][4] == "Ạọ\n\"x'&amp;"
