"""`govstats template`: the blank workbook's layout, protection and validation."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import openpyxl
import pytest
from typer.testing import CliRunner

from govstats.actions import make_template, validate_workbooks
from govstats.cli import app
from govstats.formats import load_format

runner = CliRunner()


def test_template_layout(tmp_path):
    path = make_template(2017, tmp_path / "t.xlsx", "430200-01", "株洲市财政局")
    wb = openpyxl.load_workbook(path)
    fmt = load_format("gk2008")
    assert wb.sheetnames == [
        "基本信息",
        *[t.sheet for t in fmt.tables],
        "校验",
        "填表说明",
    ]
    ws = wb["表3 依申请公开情况"]
    assert ws["A1"].value == "表3 依申请公开情况"
    assert [c.value for c in ws[3]] == ["指标名称", "代码", "计量单位", "本年", "说明"]
    assert [ws.cell(r, 2).value for r in range(4, 4 + 16)] == list(fmt.tables[2].codes)
    assert all(ws.cell(r, 4).value == 0 for r in range(4, 20))
    assert ws.freeze_panes == "A4"
    assert ws.protection.sheet and not ws.protection.password
    assert ws["A4"].protection.locked and ws["B4"].protection.locked
    assert not ws["D4"].protection.locked and not ws["E4"].protection.locked
    rules = {
        dv.type: str(dv.sqref).split() for dv in ws.data_validations.dataValidation
    }
    assert rules == {"whole": [f"D{r}" for r in range(4, 20)]}
    fees = wb["表4 依申请公开收费情况"].data_validations.dataValidation
    assert [(dv.type, dv.operator, dv.formula1) for dv in fees] == [
        ("decimal", "greaterThanOrEqual", "0")
    ]
    info = wb["基本信息"]
    assert [info.cell(r, 2).value for r in (3, 4, 5)] == [
        "株洲市财政局",
        "430200-01",
        2017,
    ]
    assert ws.column_dimensions["A"].width > 40


def test_blank_template_validates(tmp_path):
    path = make_template(2017, tmp_path / "t.xlsx", "U1", "单位")
    report = validate_workbooks([path], year=2017).report
    assert report.valid and report.problems == []


def test_template_is_reproducible(tmp_path):
    a = make_template(2017, tmp_path / "a.xlsx", "U1", "单位")
    b = make_template(2017, tmp_path / "b.xlsx", "U1", "单位")
    assert (
        hashlib.sha256(a.read_bytes()).digest()
        == hashlib.sha256(b.read_bytes()).digest()
    )


def test_cli_template(tmp_path):
    out = tmp_path / "t.xlsx"
    result = runner.invoke(
        app,
        [
            "template",
            "--year",
            "2017",
            "--unit-code",
            "U1",
            "--unit-name",
            "单位",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0
    assert result.stdout == f"{out}\n"
    assert out.exists()


def test_cli_template_year_without_format(tmp_path):
    result = runner.invoke(
        app, ["template", "--year", "1999", "-o", str(tmp_path / "t.xlsx")]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("govstats: 没有“1999”对应的报表格式")
    assert not (tmp_path / "t.xlsx").exists()


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice is not installed"
)
def test_template_opens_in_libreoffice(tmp_path):
    path = make_template(2017, tmp_path / "t.xlsx", "U1", "单位")
    proc = subprocess.run(
        [
            "soffice",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "t.pdf").stat().st_size > 1000
