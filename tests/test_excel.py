"""Reading workbooks of every kind a department may send."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile

import pytest

from govstats.actions import validate_workbooks
from govstats.core.output import workbook_bytes
from tests.conftest import set_value

soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice is not installed"
)


def convert(path, suffix, tmp_path):
    """Let LibreOffice save a workbook as .xls or .ods, as a clerk's office suite would."""
    out = tmp_path / "converted"
    proc = subprocess.run(
        [
            "soffice",
            "--headless",
            "--convert-to",
            suffix,
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    return out / f"{path.stem}.{suffix}"


@soffice
@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_xls_and_ods_are_read(make_workbook, tmp_path, suffix):
    path = convert(make_workbook(values={"sq.received": 13}), suffix, tmp_path)
    result = validate_workbooks([path], year=2017)
    assert result.report.flatten(["code", "sheet", "cell"]) == [
        ["total-mismatch", "表3 依申请公开情况", "D4"],
        ["values-differ", "表3 依申请公开情况", "D9"],
    ]
    assert result.unit_values(0)["zd.portal_visits"] == 12.5


@soffice
def test_formulas_saved_by_an_office_suite_use_their_value(make_workbook, tmp_path):
    path = make_workbook(edit=lambda wb: set_value(wb, "sq.received", "=SUM(D5:D8)"))
    saved = convert(path, "xlsx", tmp_path)
    assert validate_workbooks([saved]).report.problems == []


def test_formula_with_cached_value(make_workbook, tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(make_workbook())
    set_value(wb, "sq.received", "=SUM(D5:D8)")
    path = tmp_path / "cached.xlsx"
    path.write_bytes(workbook_bytes(wb, {("表3 依申请公开情况", "D4"): 12.0}))
    result = validate_workbooks([path])
    assert result.report.problems == []
    assert result.unit_values(0)["sq.received"] == 12


def test_xlsm_is_read(make_workbook, tmp_path):
    path = tmp_path / "macro.xlsm"
    path.write_bytes(make_workbook().read_bytes())
    assert validate_workbooks([path]).report.valid


def test_password_protected_workbook(make_workbook, tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with make_workbook().open("rb") as fh:
        OOXMLFile(fh).encrypt("secret", out)
    path = tmp_path / "locked.xlsx"
    path.write_bytes(out.getvalue())
    report = validate_workbooks([path]).report
    assert report.flatten(["code"]) == [["file-encrypted"]]
    assert "取消密码" in report.problems[0].message()


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    report = validate_workbooks([path]).report
    assert report.flatten(["code", "found"]) == [
        ["file-unreadable", "no xl/workbook.xml"]
    ]


def test_normalize_is_cached_for_short_hashable_values_only():
    # Matching normalizes every cell it looks at; results are cached (issue 5),
    # keeping True apart from 1 and long text out of the cache.
    from govstats.read.workbook import _CACHED_TEXT_MAX, _normalize_cached, normalize

    assert normalize(True) == "True" and normalize(1) == "1"
    assert normalize(1.0) == "1" and normalize(None) == ""
    assert normalize(" 表　1 ") == "表1"
    assert normalize(["a b"]) == "['ab']"  # not hashable: normalized uncached
    long = "长" * (_CACHED_TEXT_MAX + 1) + " x"
    before = _normalize_cached.cache_info().currsize
    assert normalize(long) == long.replace(" ", "")
    assert _normalize_cached.cache_info().currsize == before


def test_normalized_text_is_kept_short_and_bounded(monkeypatch):
    # Text, most cells, is cached in a plain dict: only short text, and only until
    # the dict is full (issue 5).
    from govstats.read import workbook

    monkeypatch.setattr(workbook, "_TEXTS", {})
    monkeypatch.setattr(workbook, "_CACHED_TEXTS", 2)
    long = "长" * (workbook._CACHED_TEXT_MAX + 1)
    texts = ["a b", long + " x", "ｃ", "d e", "a b"]
    assert [workbook.normalize(t) for t in texts] == ["ab", long + "x", "c", "de", "ab"]
    assert workbook._TEXTS == {"a b": "ab", "ｃ": "c"}


def test_a_scanned_sheet_has_the_grid_from_a1_row_by_row(tmp_path):
    """Sheets the scan measured take calamine's whole grid at once; it is the grid
    built row by row (as for .xls) in every case: empty, offset, ragged."""
    import openpyxl
    import python_calamine as pc

    from govstats.core.limits import DEFAULT_LIMITS
    from govstats.read.excel import _grid, read_workbook

    wb = openpyxl.Workbook()
    wb.active.title = "empty"
    offset = wb.create_sheet("offset")
    offset["C3"], offset["E7"] = "x", 1.5
    ragged = wb.create_sheet("ragged")
    ragged["A1"], ragged["B4"], ragged["AD2"] = 1, "y", 0
    path = tmp_path / "grids.xlsx"
    wb.save(path)
    read = read_workbook(path)
    book = pc.CalamineWorkbook.from_path(str(path))
    for name in ("empty", "offset", "ragged"):
        assert read.sheets[name].grid == _grid(
            book.get_sheet_by_name(name), DEFAULT_LIMITS
        )
    assert read.sheets["offset"].grid[2][2:] == ["x", "", ""]
    assert read.sheets["offset"].grid[6] == ["", "", "", "", 1.5]
    assert read.sheets["empty"].grid == []
