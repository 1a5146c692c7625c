"""What an office meets in its first week, through the CLI (issue 16: points 2, 4,
9, 10, 11 and 16)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govstats.cli import app
from govstats.core.output import write_workbook
from govstats.publish.template_xlsx import build_template
from tests.conftest import consistent_values
from tests.test_compile import FMT, run, write_year

runner = CliRunner()
ZH = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"}
EN = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "en_US.UTF-8"}


def govstats(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    """``python -m govstats`` in a subprocess, stdout and stderr as bytes."""
    return subprocess.run(
        [sys.executable, "-m", "govstats", *args],
        capture_output=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=300,
    )


# Point 2: no output encoding may crash.


def test_gbk_console_gets_what_it_can_encode(make_workbook, tmp_path):
    ok = make_workbook("ok.xlsx")
    bad = make_workbook("bad.xlsx", unit_code="U02", values={"sq.received": 13})
    done = govstats(
        "validate", str(ok), str(bad), "--year", "2017", env={"PYTHONIOENCODING": "gbk"}
    )
    assert done.returncode == 1, done.stderr.decode("gbk", "replace")
    assert done.stderr == b""
    lines = done.stdout.decode("gbk").splitlines()
    # ✓ and ✗ are not in GBK: √ is, and x for ✗.
    assert lines[0] == f"√ {ok} (U01 测试局)：0 个错误，0 个警告"
    assert lines[1] == f"x {bad} (U02 测试局)：1 个错误，1 个警告"
    assert "“收到政府信息公开申请”为 13" in lines[2]


def test_ascii_console_and_json_keep_every_character(make_workbook):
    bad = make_workbook("bad.xlsx", values={"sq.received": 13})
    done = govstats("validate", str(bad), env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 1
    assert done.stdout.decode("ascii").startswith(f"x {bad} (U01 ???)")
    as_json = govstats(
        "validate", str(bad), "--format", "json", env={"PYTHONIOENCODING": "gbk"}
    )
    data = json.loads(as_json.stdout.decode("ascii"))  # \u escapes: nothing lost
    assert data["files"][0]["unit_name"] == "测试局"


# Point 4: the partial disclaimer names exactly the units not in the figures.


BAD = {"sq.received": 99}


def test_partial_compile_with_a_duplicate_names_each_left_out_unit_once(tmp_path):
    folder = write_year(tmp_path, values={"D2": BAD})
    (folder / "C1.xlsx").unlink()
    # A second workbook of 财政局, which is in the figures through D1-copy.xlsx,
    # and a second one of 教育局, with an error like its first.
    for code, name, errors in (("D1", "某市财政局", {}), ("D2", "某市教育局", BAD)):
        values = {**consistent_values(), **errors}
        wb = build_template(FMT, 2017, code, name, values=values)
        write_workbook(wb, folder / f"{code}-copy.xlsx")
    result = run(tmp_path, "--partial", "--format", "json")
    assert result.exit_code == 0, result.output
    out = tmp_path / "outputs" / "2017"
    figures = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    assert figures["excluded"] == ["某市教育局", "某县人民政府"]
    assert sorted(u["code"] for u in figures["units"]) == ["D1", "G"]
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "以下单位未纳入本次汇总：某市教育局、某县人民政府。" in report
    data = json.loads(result.stdout)
    assert data["excluded"] == {
        "units": [
            {
                "code": "D2",
                "name": "某市教育局",
                "files": [str(folder / "D2-copy.xlsx"), str(folder / "D2.xlsx")],
            },
            {"code": "C1", "name": "某县人民政府", "files": []},
        ],
        "files": [
            {
                "file": str(folder / name),
                "unit_code": code,
                "unit_name": unit,
                "unit_in_figures": code == "D1",
            }
            for name, code, unit in (
                ("D1.xlsx", "D1", "某市财政局"),
                ("D2-copy.xlsx", "D2", "某市教育局"),
                ("D2.xlsx", "D2", "某市教育局"),
            )
        ],
    }


def test_partial_compile_text_says_which_workbooks_were_not_used(tmp_path):
    folder = write_year(tmp_path)
    wb = build_template(FMT, 2017, "D1", "某市财政局", values=consistent_values())
    write_workbook(wb, folder / "D1-copy.xlsx")
    result = run(tmp_path, "--partial")
    assert result.exit_code == 0, result.output
    # Every unit is in the figures: no disclaimer, but the refused copy is named.
    assert "部分汇总：未纳入" not in result.stdout
    assert f"未采用的工作簿：{folder / 'D1.xlsx'}" in result.stdout
    report = (tmp_path / "outputs" / "2017" / "report.md").read_text("utf-8")
    assert "未纳入本次汇总" not in report


# Point 9: every problem of the roster, through the CLI.


def test_compile_lists_every_roster_problem(tmp_path):
    folder = write_year(tmp_path)
    (folder / "units.csv").write_text(
        "单位代码,单位名称,层级,类别\r\nG,某市人民政府,市本级,市政府\r\n"
        "G,重复,市本级,市政府\r\nD1,某市财政局,省本级,市政府工作部门\r\n",
        encoding="gbk",
    )
    result = run(tmp_path, "--format", "json")
    assert result.exit_code == 2
    roster = str(folder / "units.csv")
    assert result.stderr.splitlines() == [
        f"govstats: {roster}: 单位名册第3行的单位代码“G”与第2行重复。",
        f"govstats: {roster}: 单位名册第4行的“层级”为“省本级”，应为 市本级、县市区 之一。",
    ]
    data = json.loads(result.stdout)
    assert data["exit_code"] == 2
    assert data["error"]["code"] == "roster-code-duplicate"
    assert [(p["code"], p["row"]) for p in data["problems"]] == [
        ("roster-code-duplicate", 3),
        ("roster-value-invalid", 4),
    ]


# Point 10: JSON error objects; the exit codes.


def test_file_error_prints_the_json_error_object(tmp_path):
    result = runner.invoke(
        app, ["compile", "2031", "--inputs", str(tmp_path), "--format", "json"]
    )
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["exit_code"] == 2
    assert data["error"]["code"] == "file-not-found"
    assert data["error"]["file"] == str(tmp_path / "2031")
    assert data["problems"] == [data["error"]]
    assert (
        result.stderr
        == f"govstats: {tmp_path / '2031'}: 找不到文件“{tmp_path / '2031'}”。\n"
    )


def test_usage_error_prints_the_json_error_object():
    result = runner.invoke(
        app, ["validate", "x.xlsx", "--year", "abc", "--format", "json"], env=ZH
    )
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["error"]["code"] == "usage-error"
    assert data["error"]["message"] == "命令行有误：--year 的值无效：应为整数。"
    assert result.stderr.endswith("错误：--year 的值无效：应为整数。\n")


def test_audit_without_year_or_text_prints_the_json_error_object():
    result = runner.invoke(app, ["audit", "--format", "json", "--lang", "en"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["error"]["code"] == "usage-error"
    assert "Give either a year" in data["error"]["message"]


# Point 11: help and usage errors in the user's language; -h and --version.


def test_help_is_chinese_where_the_locale_is_chinese():
    zh = runner.invoke(app, ["validate", "-h"], env=ZH)
    assert zh.exit_code == 0
    assert zh.stdout.startswith("用法：govstats validate [选项] {files}...")
    assert "校验工作簿，一次列出全部问题，定位到单元格。" in zh.stdout
    assert "单位名册 units.csv：单位代码必须在其中。" in zh.stdout
    assert "显示此帮助并退出。" in zh.stdout
    assert "Options:" not in zh.stdout and "Show this message" not in zh.stdout
    en = runner.invoke(app, ["validate", "--help"], env=EN)
    assert en.stdout.startswith("Usage: govstats validate [OPTIONS]")
    assert "units.csv: unit codes must be in it." in en.stdout
    # --lang wins over the locale, before or after --help, and on the group too.
    assert runner.invoke(
        app, ["validate", "--help", "--lang", "en"], env=ZH
    ).stdout == (en.stdout)
    top = runner.invoke(app, ["--lang", "zh", "--help"], env=EN)
    assert top.exit_code == 0
    assert "template  为一个填报单位生成本年度的空白工作簿。" in top.stdout


def test_usage_error_in_the_users_language():
    zh = runner.invoke(app, ["template", "--year", "abc"], env=ZH)
    assert zh.exit_code == 2
    assert zh.stderr == (
        "用法：govstats template [选项]\n"
        "请运行“govstats template --help”查看帮助。\n\n"
        "错误：--year 的值无效：应为整数。\n"
    )
    en = runner.invoke(app, ["template", "--year", "abc"], env=EN)
    assert en.exit_code == 2
    assert en.stderr.endswith(
        "Error: Invalid value for '--year': Input should be a "
        "valid integer, unable to parse string as an integer\n"
    )
    missing = runner.invoke(app, ["validate", "--roster"], env=ZH)
    assert missing.stderr.endswith("错误：选项 --roster 需要一个值。\n")
    unknown = runner.invoke(app, ["compile", "2017", "--bogus"], env=ZH)
    assert unknown.stderr.endswith("错误：没有选项 --bogus（可能是：--outputs）。\n")


def test_group_lang_sets_the_messages_language(tmp_path):
    result = runner.invoke(
        app, ["--lang", "en", "validate", str(tmp_path / "none.xlsx")]
    )
    assert result.exit_code == 1
    assert "File '" in result.stdout and "does not exist" in result.stdout


def test_version_and_short_help():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"govstats {version('govstats')}\n"
    assert runner.invoke(app, ["-h"], env=EN).stdout.startswith("Usage: govstats")


# Point 16: no English in Chinese output; files written with the user's mode.


def test_annotated_copy_line_is_chinese(make_workbook, tmp_path):
    path = make_workbook(values={"sq.received": 13})
    result = runner.invoke(
        app, ["validate", str(path), "--annotate", str(tmp_path / "检查结果")]
    )
    assert (
        result.stderr
        == f"govstats：已写入标注副本 {tmp_path / '检查结果' / path.name}\n"
    )
    english = runner.invoke(
        app,
        ["validate", str(path), "--annotate", str(tmp_path / "out"), "--lang", "en"],
    )
    assert english.stderr.startswith("govstats: annotated copy ")


def test_annotating_over_an_input_is_refused_in_chinese(make_workbook):
    # A workbook with a problem: only those get an annotated copy (issue 16, 8).
    path = make_workbook(values={"sq.received": 13})
    result = runner.invoke(app, ["validate", str(path), "--annotate", str(path.parent)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"govstats: {path}: 标注副本“{path}”会覆盖输入的工作簿，未写入任何文件。"
        "请另选一个文件夹（--annotate）。\n"
    )


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_template_and_annotated_copy_get_the_users_mode(make_workbook, tmp_path):
    bad = make_workbook(values={"sq.received": 13})
    script = (
        "import os, sys; os.umask(0o027); sys.argv = ['govstats', *sys.argv[1:]];"
        "from govstats.cli import main; main()"
    )
    for args in (
        ["template", "--year", "2017", "-o", str(tmp_path / "t.xlsx")],
        ["validate", str(bad), "--annotate", str(tmp_path / "a")],
    ):
        subprocess.run([sys.executable, "-c", script, *args], timeout=300)
    for path in (tmp_path / "t.xlsx", tmp_path / "a" / bad.name):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path


def test_internal_error_is_in_one_language(monkeypatch, tmp_path):
    import govstats.actions

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(govstats.actions, "make_template", broken)
    args = ["template", "--year", "2017", "-o", str(tmp_path / "t.xlsx")]
    zh = runner.invoke(app, args)
    assert zh.exit_code == 3
    assert zh.stderr == (
        "govstats：内部错误：RuntimeError: boom\n请使用 --debug 重新运行并报告此问题。\n"
    )
    en = runner.invoke(app, [*args, "--lang", "en"])
    assert en.stderr == (
        "govstats: internal error: RuntimeError: boom\nRerun with --debug and report it.\n"
    )


@pytest.mark.parametrize(
    "args, error",
    [
        (["validate", "x.xlsx", "--lang", "fr"], "--lang 的值无效：应为 zh、en 之一。"),
        (
            ["compile", "2017", "--rounding", "up"],
            "--rounding 的值无效：应为 half-up、half-even 之一。",
        ),
        (
            ["validate", "x.xlsx", "--max-problems", "0"],
            "--max-problems 的值无效：应不小于 1。",
        ),
        (["compile"], "缺少参数 year。"),
        (["compile", "2017", "x", "y"], "多余的参数：x y。"),
        (["validate", "x.xlsx", "--debug=3"], "选项 --debug 不接受值。"),
        (["bogus"], "没有命令“bogus”。"),
    ],
)
def test_usage_errors_in_chinese(args, error):
    result = runner.invoke(app, args, env=ZH)
    assert result.exit_code == 2
    assert result.stderr.endswith(f"错误：{error}\n")
