"""`govstats validate` through the CLI: output, exit codes, JSON parity, goldens."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from govstats.actions import validate_workbooks
from govstats.cli import app
from tests.conftest import dumps, set_value

runner = CliRunner()


def test_valid_workbook_exits_0(make_workbook):
    path = make_workbook()
    result = runner.invoke(app, ["validate", str(path), "--year", "2017"])
    assert result.exit_code == 0
    assert result.stdout == (
        f"✓ {path} (U01 测试局)：0 个错误，0 个警告\n"
        "共检查 1 个文件，0 个未通过；错误 0 个，警告 0 个。\n"
    )
    assert result.stderr == ""


def test_invalid_workbook_exits_1_with_located_problem(make_workbook):
    path = make_workbook(values={"sq.received": 13})
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"✗ {path} (U01 测试局)：1 个错误，1 个警告"
    assert lines[1] == (
        "  错误  表3 依申请公开情况!D4  total-mismatch [SQ-CH-SUM] sq.received  "
        "“收到政府信息公开申请”为 13，但各分项之和为 12"
        "（当面申请 3 + 传真申请 0 + 网络申请 8 + 信函申请 1）。"
    )


def test_english_messages(make_workbook):
    path = make_workbook(values={"fy.litigation_upheld": 2})
    result = runner.invoke(app, ["validate", str(path), "--lang", "en"])
    assert result.exit_code == 1
    assert (
        "  error  表5 行政复议、行政诉讼和举报投诉情况!D6  subset-exceeds [FY-UPHELD-LE] "
        "fy.litigation_upheld  '其中:维持具体行政行为或者驳回原告诉讼请求' is 2 and "
        "cannot exceed '因政府信息公开被提起行政诉讼' (1)."
    ) in result.stdout.splitlines()


def test_json_equals_library_result(make_workbook):
    paths = [
        make_workbook("a.xlsx", values={"sq.received": 13}),
        make_workbook("b.xlsx", unit_code="U02"),
    ]
    args = ["validate", *map(str, paths), "--format", "json", "--lang", "en"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    expected = validate_workbooks(paths).report.to_dict("en")
    assert json.loads(result.stdout) == expected
    problem = expected["files"][0]["problems"][0]
    assert {
        "severity",
        "rule",
        "sheet",
        "cell",
        "code",
        "message",
        "expected",
        "found",
    } <= set(problem)


def test_only_filters_by_code_or_category(make_workbook):
    def edit(wb):
        set_value(wb, "sq.ch.fax", "x")
        set_value(wb, "zd.news", " 30 ")

    path = make_workbook(edit=edit)
    result = runner.invoke(
        app, ["validate", str(path), "--only", "cell", "--format", "json"]
    )
    codes = [p["code"] for p in json.loads(result.stdout)["files"][0]["problems"]]
    assert codes == ["number-as-text", "not-a-number"]
    result = runner.invoke(app, ["validate", str(path), "--only", "not-a-number"])
    assert "number-as-text" not in result.stdout
    assert result.exit_code == 1


def test_usage_errors_exit_2(tmp_path):
    assert runner.invoke(app, ["validate"]).exit_code == 2
    assert runner.invoke(app, ["validate", "x.xlsx", "--lang", "fr"]).exit_code == 2
    result = runner.invoke(
        app, ["validate", "x.xlsx", "--roster", str(tmp_path / "no.csv")]
    )
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"govstats: {tmp_path / 'no.csv'}: 找不到文件“{tmp_path / 'no.csv'}”。\n"
    )


def test_folder_of_workbooks(make_workbook, tmp_path):
    make_workbook("a.xlsx")
    make_workbook("b.xlsx", unit_code="U02")
    (tmp_path / "~$a.xlsx").write_bytes(b"lock file")
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stdout.count("✓") == 2


def test_annotate_writes_marked_copy_and_keeps_original(make_workbook, tmp_path):
    import hashlib

    import openpyxl

    path = make_workbook(values={"sq.received": 13, "fy.litigation_upheld": 2})
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    out = tmp_path / "checked"
    result = runner.invoke(app, ["validate", str(path), "--annotate", str(out)])
    assert result.exit_code == 1
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    wb = openpyxl.load_workbook(out / "unit.xlsx")
    assert wb.sheetnames[0] == "问题清单"
    listing = [row for row in wb["问题清单"].iter_rows(min_row=2, values_only=True)]
    assert [(r[2], r[3], r[5]) for r in listing] == [
        ("表3 依申请公开情况", "D4", "total-mismatch"),
        ("表3 依申请公开情况", "D9", "values-differ"),
        ("表5 行政复议、行政诉讼和举报投诉情况", "D6", "subset-exceeds"),
    ]
    cell = wb["表3 依申请公开情况"]["D4"]
    assert cell.fill.fgColor.rgb == "00FFC7CE"
    assert "total-mismatch" in cell.comment.text
    assert wb["表3 依申请公开情况"]["D9"].fill.fgColor.rgb == "00FFEB9C"
    assert wb["问题清单"]["D2"].hyperlink.target == "#'表3 依申请公开情况'!D4"


def test_annotate_refuses_to_overwrite_the_original(make_workbook, tmp_path):
    path = make_workbook(values={"sq.received": 13})
    result = runner.invoke(app, ["validate", str(path), "--annotate", str(tmp_path)])
    assert result.exit_code == 2
    assert "会覆盖输入的工作簿" in result.stderr  # issue 16: in Chinese


# Many workbooks (issue 16, point 8)


def test_annotate_copies_only_workbooks_with_problems(make_workbook, tmp_path):
    make_workbook("clean.xlsx")
    make_workbook("bad.xlsx", unit_code="U02", values={"sq.received": 13})
    out = tmp_path / "checked"
    result = runner.invoke(app, ["validate", str(tmp_path), "--annotate", str(out)])
    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == ["bad.xlsx"]
    assert result.stderr == f"govstats：已写入标注副本 {out / 'bad.xlsx'}\n"


def test_errors_only(make_workbook, tmp_path):
    make_workbook("a.xlsx")
    make_workbook("b.xlsx", unit_code="U02", values={"sq.received": 13})
    warned = {"sq.answered": 11, "sq.out.other": 2}  # a warning, no error
    make_workbook("c.xlsx", unit_code="U03", values=warned)
    result = runner.invoke(app, ["validate", str(tmp_path), "--errors-only"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"✗ {tmp_path / 'b.xlsx'} (U02 测试局)：1 个错误，0 个警告"
    assert ["total-mismatch" in line for line in lines[1:-1]] == [True]
    # The closing count is of everything checked.
    assert lines[-1] == "共检查 3 个文件，1 个未通过；错误 1 个，警告 2 个。"
    data = json.loads(
        runner.invoke(
            app, ["validate", str(tmp_path), "--errors-only", "--format", "json"]
        ).stdout
    )
    assert [f["path"] for f in data["files"]] == [str(tmp_path / "b.xlsx")]
    assert {p["severity"] for p in data["files"][0]["problems"]} == {"error"}


def test_validate_shows_the_compiles_progress_bar(make_workbook, tmp_path, monkeypatch):
    import contextlib

    from govstats.cli import commands

    seen: list[tuple[int, int, str]] = []

    @contextlib.contextmanager
    def progress(lang):
        yield lambda done, total, path: seen.append((done, total, path.name))

    monkeypatch.setattr(commands, "_progress", progress)
    for i in range(3):
        make_workbook(f"u{i}.xlsx", unit_code=f"U{i}")
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 0
    assert seen == [(1, 3, "u0.xlsx"), (2, 3, "u1.xlsx"), (3, 3, "u2.xlsx")]


def test_progress_bar_drawn_on_a_terminal(make_workbook, tmp_path, monkeypatch):
    import io

    from govstats.cli import commands

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term = Terminal()
    monkeypatch.setattr(commands.sys, "stderr", term)
    with commands._progress("zh") as advance:
        assert advance is not None
        for done in range(1, commands.PROGRESS_MIN + 1):
            advance(done, commands.PROGRESS_MIN, tmp_path / "u.xlsx")
    assert "读取工作簿" in term.getvalue()


# Golden reports for crafted bad workbooks (paths relative to the workbook folder).

CASES = {
    "many-mistakes": lambda wb: [
        set_value(wb, "sq.ch.fax", -1),
        set_value(wb, "sq.ch.online", "abc"),
        set_value(wb, "sq.ch.letter", None),
        set_value(wb, "zd.org", 3.5),
        set_value(wb, "zd.policy", "５件"),
        set_value(wb, "fy.litigation_upheld", 2),
        set_value(wb, "sf.fees", 12.345),
    ],
    "structure": lambda wb: [
        wb.remove(wb["表2 新闻发布会"]),
        wb["表5 行政复议、行政诉讼和举报投诉情况"].delete_rows(5),
        setattr(wb["表7 行政权力清单调整情况"], "title", "权力清单"),
        wb["表1 主动公开政府信息情况"].cell(20, 2, "zd.unknown"),
        setattr(wb["基本信息"]["B3"], "value", None),
    ],
    "totals": lambda wb: [
        set_value(wb, "zd.total", 100),
        set_value(wb, "sq.out.denied", 4),
        set_value(wb, "rx.accepted", 5),
        set_value(wb, "rx.ch.hotline", 5),
        set_value(wb, "rx.closed", 6),
        set_value(wb, "rx.calls", 300),
        set_value(wb, "rx.calls_prev", 100),
    ],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_reports(make_workbook, tmp_path, golden, case, monkeypatch):
    make_workbook(f"{case}.xlsx", edit=CASES[case])
    monkeypatch.chdir(tmp_path)
    for lang in ("zh", "en"):
        result = runner.invoke(
            app,
            [
                "validate",
                f"{case}.xlsx",
                "--year",
                "2017",
                "--format",
                "json",
                "--lang",
                lang,
            ],
        )
        assert result.exit_code == 1
        golden(f"validate/{case}.{lang}.json", dumps(json.loads(result.stdout)))


def test_python_m_govstats_smoke(make_workbook):
    path = make_workbook()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "govstats", "validate", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["valid"] is True


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    for name in ("template", "validate"):
        assert name in result.stdout


def test_the_console_script_tunes_the_garbage_collector(monkeypatch, capsys):
    """main() freezes the heap as it ends, so that the interpreter's final
    garbage collection does not walk every object (0.1-0.25 s), and runs the
    command with fewer collections on the way."""
    import gc

    from govstats.cli.commands import main

    monkeypatch.setattr(sys, "argv", ["govstats", "--help"])
    thresholds = gc.get_threshold()
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit) as exited:
            main()
        assert exited.value.code == 0
        assert gc.get_freeze_count() > 0
        # and collects young objects 70 times less often than by default
        assert gc.get_threshold() == (50_000, 20, 20)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    assert "compile" in capsys.readouterr().out


def test_the_progress_bar_starts_no_thread(monkeypatch):
    """At a terminal the bar is redrawn by the compile itself: with a second
    thread running, workers could not be forked (see govstats.check.validate)."""
    import io
    import threading
    from pathlib import Path

    from govstats.cli import commands as cli

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    threads = threading.active_count()
    with cli._progress("zh") as advance:
        assert advance is not None
        for done in range(1, 31):
            advance(done, 30, Path("u.xlsx"))
            assert threading.active_count() == threads
    assert "读取工作簿" in terminal.getvalue()
