"""Files of an inputs folder judged by their content, not their suffix (issue 16,
point 6): what is no workbook is said, a workbook named otherwise is read."""

from __future__ import annotations

import shutil
import zipfile

import pytest
from typer.testing import CliRunner

from govstats.actions import validate_workbooks
from govstats.cli import app
from govstats.read.kinds import content_kind
from tests.test_compile import ROSTER, write_year
from tests.test_excel import convert, soffice

runner = CliRunner()


def _docx(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return path


def test_files_that_are_no_workbook_are_said(make_workbook, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(make_workbook(), folder / "a.xlsx")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    (folder / "roster.csv").write_text("单位代码,值\n", encoding="gb18030")
    _docx(folder / "说明.docx")
    (folder / "units.csv").write_text("单位代码,单位名称,层级,类别\n")  # the roster
    (folder / "~$a.xlsx").write_bytes(b"lock")  # Office's lock file
    report = validate_workbooks([folder]).report
    assert report.valid
    assert report.flatten(["file", "code", "found"]) == [
        [str(folder / "notes.pdf"), "file-skipped", ".pdf"],
        [str(folder / "roster.csv"), "file-skipped", ".csv"],
        [str(folder / "说明.docx"), "file-skipped", ".docx"],
    ]
    assert report.files[0].path == str(folder / "a.xlsx")
    assert report.problems[0].message() == (
        f"“{folder / 'notes.pdf'}”不是工作簿（.pdf），已跳过，未校验也未汇总。"
        "如果它是某单位的报表，请用Excel或WPS另存为.xlsx后放回文件夹。"
    )


def test_xlsx_named_xls_or_et_is_read_as_xlsx(make_workbook, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "renamed.xls").write_bytes(make_workbook("a.xlsx").read_bytes())
    (folder / "wps.et").write_bytes(
        make_workbook("b.xlsx", unit_code="U02").read_bytes()
    )
    report = validate_workbooks([folder], year=2017).report
    assert report.valid
    assert report.flatten(["file", "code", "found", "expected"]) == [
        [str(folder / "renamed.xls"), "suffix-mismatch", ".xls", "Excel (.xlsx)"],
        [str(folder / "wps.et"), "suffix-mismatch", ".et", "Excel (.xlsx)"],
    ]
    assert "已按 Excel (.xlsx) 读取" in report.problems[0].message()


def test_content_kind():
    assert content_kind(b"%PDF-1.7") is None
    assert content_kind(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64) is None
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "Workbook".encode("utf-16-le")
    assert content_kind(ole) == "xls"
    assert content_kind(b"PK\x03\x04" + b"\0" * 26 + b"mimetype") is None
    odf = (
        b"PK\x03\x04" + b"\0" * 26 + b"mimetype"
        b"application/vnd.oasis.opendocument.spreadsheet"
    )
    assert content_kind(odf) == "ods"
    assert content_kind(b"PK\x03\x04....xl/workbook.xml") == "xlsx"


@soffice
def test_xls_saved_as_et_and_ods_named_xlsx_are_read(make_workbook, tmp_path):
    source = make_workbook(values={"sq.received": 13})
    xls = convert(source, "xls", tmp_path)
    ods = convert(source, "ods", tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(xls, folder / "wps.et")
    shutil.copy(ods, folder / "calc.xlsx")
    report = validate_workbooks([folder], year=2017).report
    found = report.flatten(["file", "code", "expected"])
    assert [
        str(folder / "calc.xlsx"),
        "suffix-mismatch",
        "OpenDocument (.ods)",
    ] in found
    assert [str(folder / "wps.et"), "suffix-mismatch", "Excel 97-2003 (.xls)"] in found
    # Both read in full: their figures are checked as any workbook's.
    assert [p[1] for p in found].count("total-mismatch") == 2


def test_compile_says_what_it_skipped(tmp_path):
    folder = write_year(tmp_path, ROSTER[:2])
    (folder / "report-2016.pdf").write_bytes(b"%PDF-1.4\n")
    result = runner.invoke(
        app,
        [
            "compile",
            "2017",
            "--inputs",
            str(tmp_path / "inputs"),
            "--outputs",
            str(tmp_path / "outputs"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        f"  警告  -  file-skipped [file-skipped]  “{folder / 'report-2016.pdf'}”"
        in ("\n".join(lines))
    )
    # The closing table counts workbooks, not the file skipped.
    assert any(line.split() == ["提交的工作簿", "2"] for line in lines)


@pytest.mark.parametrize("name", ["data.csv", "notes.pdf"])
def test_a_file_given_by_name_that_is_no_workbook_is_refused(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4\n" if name.endswith("pdf") else b"a,b\n")
    report = validate_workbooks([path]).report
    assert report.flatten(["code"]) == [["file-format-unsupported"]]
