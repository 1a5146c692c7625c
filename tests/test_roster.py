"""The roster units.csv as offices save it (issue 16, points 3, 9 and 16)."""

from __future__ import annotations

import codecs
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from govstats.core.problems import GovstatsError
from govstats.formats import load_format
from govstats.read.roster import read_roster

SPEC = load_format("gk2008").roster
ROWS = [
    ("单位代码", "单位名称", "层级", "类别"),
    ("430200-01", "株洲市人民政府", "市本级", "市政府"),
    ("430200-02", "株洲市财政局", "市本级", "市政府工作部门"),
    ("430211", "天元区人民政府", "县市区", "县市区政府"),
]


def csv_text(rows=ROWS, sep=",", end="\r\n") -> str:
    return end.join(sep.join(r) for r in rows) + end


def units(path: Path) -> list[tuple[str, str, str, str]]:
    return [(u.code, u.name, u.level, u.kind) for u in read_roster(path, SPEC).units]


# Point 3: every encoding Excel, WPS and LibreOffice save a CSV in.
@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(csv_text().encode("utf-8"), id="utf-8"),
        pytest.param(codecs.BOM_UTF8 + csv_text().encode("utf-8"), id="utf-8-bom"),
        # Excel and WPS “CSV (逗号分隔)” on a Chinese Windows: GBK, CRLF.
        pytest.param(csv_text().encode("gbk"), id="gbk-crlf"),
        pytest.param(csv_text(end="\n").encode("gb18030"), id="gb18030-lf"),
        pytest.param(csv_text().encode("utf-16"), id="utf-16-bom"),
        # Excel's “Unicode 文本”: UTF-16 LE with BOM, tab-separated.
        pytest.param(
            codecs.BOM_UTF16_LE + csv_text(sep="\t").encode("utf-16-le"),
            id="utf-16-tabs",
        ),
        pytest.param(csv_text(end="\r").encode("gbk"), id="gbk-cr"),
    ],
)
def test_roster_is_read_in_every_encoding_offices_save(tmp_path, encoded):
    path = tmp_path / "units.csv"
    path.write_bytes(encoded)
    assert units(path) == ROWS[1:]


def test_a_gbk_roster_is_real_gbk_not_utf8():
    # The bytes of test above are what Excel writes: not UTF-8 at all.
    with pytest.raises(UnicodeDecodeError):
        csv_text().encode("gbk").decode("utf-8")


@pytest.mark.parametrize(
    "data, found",
    [
        (csv_text().encode("utf-16-le"), "UTF-16 without BOM / binary"),
        (b"PK\x03\x04" + bytes(range(256)), "Excel/WPS workbook, not CSV"),
        ("café,ü\n".encode("cp1252") + bytes([0x81, 0xFF]), "not UTF-8"),
    ],
)
def test_unreadable_roster_says_how_to_save_it(tmp_path, data, found):
    path = tmp_path / "units.csv"
    path.write_bytes(data)
    with pytest.raises(GovstatsError) as info:
        read_roster(path, SPEC)
    p = info.value.problem
    assert p.code == "roster-encoding"
    assert found in p.found
    assert "另存为" in p.message("zh") and "CSV UTF-8（逗号分隔）" in p.message("zh")
    assert p.found not in p.message("zh")  # its English words are not shown
    assert found in p.message("en") and "Save As" in p.message("en")


# Point 9: every problem of the roster, each on its line.
def test_roster_lists_every_problem_with_its_line(tmp_path):
    rows = [
        *ROWS,
        ("430200-02", "重复的单位", "市本级", "市政府工作部门"),  # line 5
        ("430200-05", "", "市本级", "市政府工作部门"),  # line 6
        ("430200/06", "斜杠单位", "市本级", "其他"),  # line 7
        ("430200-07", "层级有误", "省本级", "其他"),  # line 8
        ("", "", "", ""),  # a blank line: skipped, still counted
        ("430200-08", "类别有误", "市本级", "部门"),  # line 10
    ]
    path = tmp_path / "units.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    with pytest.raises(GovstatsError) as info:
        read_roster(path, SPEC)
    found = [(p.code, p.row) for p in info.value.problems]
    assert found == [
        ("roster-code-duplicate", 5),
        ("roster-row-incomplete", 6),
        ("roster-code-invalid", 7),
        ("roster-value-invalid", 8),
        ("roster-value-invalid", 10),
    ]
    assert all(p.file == str(path) for p in info.value.problems)
    messages = [p.message("zh") for p in info.value.problems]
    assert messages[0] == "单位名册第5行的单位代码“430200-02”与第3行重复。"
    assert messages[3] == (
        "单位名册第8行的“层级”为“省本级”，应为 市本级、县市区 之一。"
    )


# Point 16: no English in the Chinese messages, no Chinese needed in the English.
def test_roster_messages_are_in_one_language(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(csv_text([ROWS[0], ("U1", "某局", "省本级", "其他")]), "utf-8")
    with pytest.raises(GovstatsError) as info:
        read_roster(path, SPEC)
    p = info.value.problem
    assert (
        p.message("zh") == "单位名册第2行的“层级”为“省本级”，应为 市本级、县市区 之一。"
    )
    assert "must be one of" not in p.message("zh")
    assert p.message("en") == (
        "Line 2 of the roster: 层级 is '省本级' and must be one of 市本级、县市区."
    )


def test_missing_columns_and_empty_roster(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("单位代码,名称\r\nU1,某局\r\n", encoding="gbk")
    with pytest.raises(GovstatsError) as info:
        read_roster(path, SPEC)
    assert info.value.problem.code == "roster-column-missing"
    assert info.value.problem.found == "单位名称、层级、类别"
    path.write_text(csv_text(ROWS[:1]), encoding="utf-8")
    with pytest.raises(GovstatsError) as info:
        read_roster(path, SPEC)
    assert info.value.problem.code == "roster-empty"


# LibreOffice Calc saving a roster as a clerk would (point 3, real-world files).
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize(
    "charset, encoding",
    [("76", "utf-8"), ("56", "gbk"), ("65535", "utf-16")],
    ids=["utf-8", "gbk", "utf-16"],
)
def test_roster_saved_by_libreoffice_calc(tmp_path, charset, encoding):
    book = tmp_path / "units.xlsx"
    wb = openpyxl.Workbook()
    for row in ROWS:
        wb.active.append(row)
    wb.save(book)
    out = tmp_path / "out"
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            f"csv:Text - txt - csv (StarCalc):44,34,{charset}",
            "--outdir",
            str(out),
            str(book),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    saved = out / "units.csv"
    data = saved.read_bytes()
    assert data.decode(encoding).lstrip("\ufeff").startswith("单位代码")
    assert units(saved) == ROWS[1:]
