"""The 台账 file checks made before any parser runs, and the writers (no app, no database)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from app.services.errors import InvalidInput
from app.services.ledger_files import (
    Limits,
    SheetData,
    check_container,
    check_name,
    check_upload,
    open_sheets,
    write_csv,
    write_xlsx,
)
from cases.ledger import PROJECT_COLUMNS, PROJECT_SHEET
from tests.checks import is_chinese

LIMITS = Limits(
    max_bytes=10 << 20,
    max_rows=20_000,
    max_uncompressed=200 << 20,
    max_members=200,
    max_ratio=100,
)


def xlsx(rows=(("项目名称", "县区"), ("星海", "大武口区"))) -> bytes:
    """A small, ordinary workbook."""
    wb = Workbook()
    for row in rows:
        wb.active.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rezip(data: bytes, *, replace=None, add=None, drop=(), flag_bits=0) -> bytes:
    """The same workbook with parts replaced, added or dropped."""
    replace, add = replace or {}, add or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            body = replace.get(info.filename, source.read(info.filename))
            copy = zipfile.ZipInfo(info.filename, info.date_time)
            copy.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(copy, body)
        names = set(source.namelist())
        for name, body in {**{k: v for k, v in replace.items() if k not in names}, **add}.items():
            target.writestr(name, body)
    data = out.getvalue()
    if flag_bits:
        # zipfile clears the flags it writes: set them in the central directory afterwards.
        buffer = bytearray(data)
        at = buffer.find(b"PK\x01\x02")
        while at != -1:
            buffer[at + 8] |= flag_bits
            at = buffer.find(b"PK\x01\x02", at + 4)
        data = bytes(buffer)
    return data


def refusal(call, *args) -> str:
    with pytest.raises(InvalidInput) as caught:
        call(*args)
    assert caught.value.field == "file"
    assert is_chinese(caught.value.message), caught.value.message
    return caught.value.message


def test_an_ordinary_workbook_passes_every_check():
    check_upload("台账.xlsx", xlsx(), LIMITS)
    check_upload("台账.XLSX", xlsx(), LIMITS)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("台账.xlsm", "启用宏"),
        ("台账.xls", ".xls"),
        ("台账.csv", "CSV"),
        ("台账.txt", "CSV"),
        ("台账.ods", ".xlsx"),
        ("台账", ".xlsx"),
    ],
)
def test_only_the_xlsx_extension_is_accepted(name, says):
    assert says in refusal(check_name, name)


def test_a_macro_inside_a_file_named_xlsx_is_refused():
    data = rezip(xlsx(), add={"xl/vbaProject.bin": b"\x00" * 100})
    assert "宏" in refusal(check_container, data, LIMITS)


def test_a_file_over_the_size_limit_is_refused_before_anything_else():
    small = Limits(1000, 10, 10 << 20, 200, 100)
    message = refusal(check_container, xlsx(), small)
    assert "文件过大" in message and "上限为 1000 字节" in message


def test_an_empty_file_is_refused():
    assert "空" in refusal(check_container, b"", LIMITS)


def test_an_encrypted_workbook_is_refused_with_how_to_remove_the_password():
    # Excel saves a password-protected .xlsx as an OLE2 container with an EncryptionInfo stream.
    ole2 = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200 + "EncryptionInfo".encode("utf-16-le")
    )
    message = refusal(check_container, ole2 + b"\x00" * 300, LIMITS)
    assert "加密" in message and "密码" in message


def test_an_old_xls_renamed_to_xlsx_is_refused():
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + "Workbook".encode("utf-16-le")
    assert ".xls" in refusal(check_container, ole2, LIMITS)


@pytest.mark.parametrize(
    "data",
    [
        b"this is not a workbook at all",
        b"PK\x03\x04 broken zip",
        xlsx()[:400],  # truncated
    ],
)
def test_a_corrupt_file_is_refused(data):
    assert "损坏" in refusal(check_container, data, LIMITS)


def test_a_zip_that_is_not_a_workbook_is_refused():
    data = rezip(xlsx(), drop=("xl/workbook.xml",))
    assert "不是 Excel 工作簿" in refusal(check_container, data, LIMITS)


def test_a_part_with_a_suspicious_compression_ratio_is_refused():
    data = rezip(xlsx(), add={"xl/media/image1.png": b"\x00" * (4 << 20)})
    assert "压缩炸弹" in refusal(check_container, data, LIMITS)


def test_a_file_too_large_once_unzipped_is_refused():
    tight = Limits(10 << 20, 100, 64 << 10, 200, 1000)
    data = rezip(xlsx(), add={"xl/media/image1.png": bytes(range(256)) * 512})
    assert "解压后过大" in refusal(check_container, data, tight)


def test_a_file_with_too_many_parts_is_refused():
    data = rezip(xlsx(), add={f"xl/media/p{i}.bin": b"x" for i in range(250)})
    assert "部件" in refusal(check_container, data, LIMITS)


def test_an_encrypted_zip_part_is_refused():
    assert "加密" in refusal(check_container, rezip(xlsx(), flag_bits=0x1), LIMITS)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&lol2;</t></si></sst>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&xxe;</workbook>"""


@pytest.mark.parametrize(
    ("part", "body"),
    [
        ("xl/sharedStrings.xml", BILLION_LAUGHS),
        ("xl/workbook.xml", EXTERNAL_ENTITY),
        ("xl/workbook.xml", BILLION_LAUGHS.decode().encode("utf-16")),  # another encoding
        ("docProps/custom.bin", b"<!DOCTYPE x []><x/>"),  # whatever the part's name
    ],
)
def test_a_doctype_or_entity_declaration_in_any_part_is_refused(part, body):
    data = rezip(xlsx(), replace={part: body})
    message = refusal(check_container, data, LIMITS)
    assert "DOCTYPE/ENTITY" in message and part in message


def test_an_xml_part_that_is_not_xml_is_corruption_but_binary_parts_pass():
    check_container(rezip(xlsx(), add={"xl/media/a.png": b"\x89PNG\r\n\x1a\n..."}), LIMITS)
    data = rezip(xlsx(), replace={"xl/workbook.xml": b"\x89PNG not xml"})
    assert "损坏" in refusal(check_container, data, LIMITS)


def test_rows_stream_with_their_excel_numbers():
    data = xlsx((("标题",), (), ("项目名称", "县区"), ("星海", "大武口区")))
    with open_sheets(data) as sheets:
        rows = list(sheets[0].rows)
    assert rows[0] == (1, ("标题",))
    assert rows[2][0] == 3 and rows[3] == (4, ("星海", "大武口区"))


def test_a_workbook_openpyxl_cannot_read_is_a_chinese_refusal():
    broken = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    data = rezip(xlsx(), replace={"xl/worksheets/sheet1.xml": broken + b"<sheetData><row r="})
    with pytest.raises(InvalidInput) as caught, open_sheets(data) as sheets:
        for sheet in sheets:
            list(sheet.rows)
    assert "损坏" in caught.value.message


# ---------------------------------------------------------------- writing


FORMULAS = ['=HYPERLINK("http://evil","点我")', "+8613900000000", "-1+2", "@SUM(A1)"]


def _sheet(rows):
    return SheetData(PROJECT_SHEET, PROJECT_COLUMNS[:3], rows, title="标题", subtitle="说明")


def test_xlsx_cells_that_look_like_formulas_are_text_with_an_apostrophe():
    data = write_xlsx([_sheet([[i, "DWK-0001", text] for i, text in enumerate(FORMULAS)])], [])
    ws = load_workbook(io.BytesIO(data))[PROJECT_SHEET]
    cells = [ws.cell(row=4 + i, column=3) for i in range(len(FORMULAS))]
    assert [c.value for c in cells] == ["'" + f for f in FORMULAS]
    assert all(c.data_type == "s" for c in cells)
    assert not any(str(c.value).startswith("=") for row in ws.iter_rows() for c in row)


def test_csv_has_a_bom_and_neutralised_formulas():
    data = write_csv(PROJECT_COLUMNS[:3], [[1, "DWK-0001", f] for f in FORMULAS])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "项目编号", "项目名称"]
    assert [r[2] for r in rows[1:]] == ["'" + f for f in FORMULAS]


def test_control_characters_that_xlsx_cannot_hold_are_dropped():
    data = write_xlsx([_sheet([[1, "DWK-0001", "星海\x07小区"]])], [])
    assert load_workbook(io.BytesIO(data))[PROJECT_SHEET].cell(row=4, column=3).value == "星海小区"
