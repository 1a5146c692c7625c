"""Hostile and broken inputs: nothing crashes, nothing is lost, nothing gets in (issue 6).

The corpus (tests/hostile.py) is built at test time. Every file goes through every
command, each of which must end calmly (exit 0, 1 or 2, a catalogued problem, no
traceback) and leave every input byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from govstats.actions import compile_year, validate_workbooks
from govstats.cli import app
from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.problems import GovstatsError, catalogue
from govstats.pipeline import OUTPUT_FILES
from govstats.publish.folder import publish, recover
from tests.hostile import CASES, HOSTILE_NAME, Case, valid_workbook

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
ROSTER = "单位代码,单位名称,层级,类别\nG,某市人民政府,市本级,市政府\nU01,测试局,市本级,市政府工作部门\n"


def write_year(root: Path, cases: list[Case]) -> Path:
    """inputs/2017/ holding a valid unit G and one file per case (all say U01)."""
    folder = root / "inputs" / "2017"
    folder.mkdir(parents=True)
    (folder / "units.csv").write_text(ROSTER, encoding="utf-8")
    (folder / "G.xlsx").write_bytes(valid_workbook("G", "某市人民政府"))
    for case in cases:
        (folder / f"{case.name}{case.suffix}").write_bytes(case.build())
    return folder


def hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def calm(result) -> None:
    """Ended as a command should: a known exit code, no traceback, no crash."""
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    assert "internal error" not in result.output and "内部错误" not in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def by_name(files: list[dict]) -> dict[str, set[str]]:
    return {Path(f["path"]).name: {p["code"] for p in f["problems"]} for f in files}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_case_gets_its_catalogued_located_problem(tmp_path, case):
    path = tmp_path / f"{case.name}{case.suffix}"
    path.write_bytes(case.build())
    result = runner.invoke(app, ["validate", str(path), "--format", "json"])
    calm(result)
    data = json.loads(result.stdout)
    problems = data["files"][0]["problems"]
    assert set(case.codes) <= {p["code"] for p in problems}, problems
    assert result.exit_code == int(not data["valid"])
    for p in problems:
        assert p["code"] in catalogue()
        assert p["file"] == str(path)
        # A problem of a sheet or a cell says which; a cell problem has a sheet.
        if catalogue()[p["code"]].category in ("sheet", "row", "cell", "rule"):
            assert p["sheet"], p
        if p["cell"]:
            assert p["sheet"] and p["row"] >= 1


def test_every_command_on_the_whole_corpus_is_calm_and_leaves_inputs_alone(
    tmp_path,
):
    folder = write_year(tmp_path, CASES)
    before = hashes(folder)
    expected = {f"{c.name}{c.suffix}": set(c.codes) for c in CASES}
    known = set(catalogue())

    def check(result, files: list[dict] | None = None) -> None:
        calm(result)
        assert hashes(folder) == before
        if files is not None:
            found = by_name(files)
            for name, codes in expected.items():
                assert codes <= found[name], (name, found[name])
                assert found[name] <= known

    result = runner.invoke(
        app, ["validate", str(folder), "--year", "2017", "--format", "json"]
    )
    check(result, json.loads(result.stdout)["files"])

    annotated = tmp_path / "annotated"
    result = runner.invoke(app, ["validate", str(folder), "--annotate", str(annotated)])
    check(result)
    copies = sorted(annotated.iterdir())
    # A copy of each case, none of G.xlsx, which has no problem (issue 16, 8).
    assert len(copies) == len(CASES)
    assert "G.xlsx" not in {c.name for c in copies}
    for copy in copies:
        assert openpyxl.load_workbook(copy, read_only=True).sheetnames[0] == "问题清单"

    compile_args = [
        "compile",
        "2017",
        "--inputs",
        str(tmp_path / "inputs"),
        "--outputs",
        str(tmp_path / "outputs"),
        "--format",
        "json",
    ]
    result = runner.invoke(app, compile_args)
    check(result, json.loads(result.stdout)["validation"]["files"])
    assert result.exit_code == 1 and not (tmp_path / "outputs" / "2017").exists()
    result = runner.invoke(app, [*compile_args, "--partial"])
    data = json.loads(result.stdout)
    check(result, data["validation"]["files"])
    assert data["compiled"] and data["partial"] and result.exit_code == 0  # issue 16

    # template, for every unit code a case states: refused when it is unsafe
    for code in sorted({c.unit_code for c in CASES}):
        target = tmp_path / "template.xlsx"
        target.unlink(missing_ok=True)
        result = runner.invoke(
            app, ["template", "--year", "2017", "--unit-code", code, "-o", str(target)]
        )
        check(result)
        assert target.exists() == (result.exit_code == 0)
        assert result.exit_code == (0 if code == "U01" else 2), code


def test_corpus_is_small():
    # Built at test time, kept small: the bombs declare gigabytes in a megabyte.
    assert all(len(case.build()) < 2 * 1024 * 1024 for case in CASES)


# Outputs are safe to open


def test_text_from_inputs_is_never_markup_or_a_formula(tmp_path):
    # A unit outside the roster, whose name is a formula, HTML and Markdown at once:
    # --partial names it in every output.
    folder = write_year(tmp_path, [])
    (folder / "units.csv").write_text(
        ROSTER.replace("某市人民政府", '=HYPERLINK("http://evil.invalid")'),
        encoding="utf-8",
    )
    (folder / "U01.xlsx").write_bytes(valid_workbook("U01", "测试局"))
    (folder / "X9.xlsx").write_bytes(valid_workbook("X9", HOSTILE_NAME))
    result = compile_year(2017, tmp_path / "inputs", tmp_path / "outputs", partial=True)
    assert result.partial and result.excluded == [HOSTILE_NAME]
    out = tmp_path / "outputs" / "2017"

    report = (out / "report.md").read_text(encoding="utf-8")
    banner = next(line for line in report.splitlines() if "部分汇总" in line)
    assert "<script>" not in report and "&lt;script&gt;" in banner
    assert "\\|\\*粗\\*" in banner and "\\n# 标题" in banner
    assert not any(line.startswith("# 标题") for line in report.splitlines())
    validation_md = (out / "validation.md").read_text(encoding="utf-8")
    assert "<script>" not in validation_md

    for name in ("tables.xlsx", "summary.xlsx"):
        wb = openpyxl.load_workbook(out / name)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        assert "HYPERLINK" not in str(cell.value), (name, cell)
    tables = openpyxl.load_workbook(out / "tables.xlsx")
    note = tables.worksheets[0]["A2"]
    assert note.data_type == "s" and HOSTILE_NAME.replace(
        "\n", ""
    ) in note.value.replace("\n", "")
    units = tables["分单位明细"]
    names = [units.cell(r, 2) for r in range(2, units.max_row + 1)]
    assert any(c.value.startswith("=HYPERLINK") and c.data_type == "s" for c in names)
    summary = openpyxl.load_workbook(out / "summary.xlsx")["基本信息"]
    assert summary["B3"].data_type == "s"
    assert summary["B3"].value.startswith("=HYPERLINK")


def test_annotated_copy_holds_text_not_formulas(tmp_path):
    path = tmp_path / "u.xlsx"
    path.write_bytes(next(c for c in CASES if c.name == "value-control-chars").build())
    result = validate_workbooks([path])
    from govstats.check.annotate import annotate_workbooks

    (copy,) = annotate_workbooks(result, tmp_path / "out")
    ws = openpyxl.load_workbook(copy)["问题清单"]
    message = ws["H2"]
    assert message.data_type == "s" and "\ufffd" in message.value  # ESC, BEL replaced


def test_terminal_output_shows_control_characters_escaped(tmp_path):
    path = tmp_path / "u.xlsx"
    path.write_bytes(next(c for c in CASES if c.name == "value-control-chars").build())
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "3\\x1b[2J\\u202e\\x07" in result.stdout


def test_template_file_name_cannot_leave_the_folder(tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    result = runner.invoke(
        app, ["template", "--year", "2017", "--unit-code", "../evil"]
    )
    assert result.exit_code == 2
    assert (
        "unit-code" not in result.stderr
        and "单位代码“../evil”格式有误" in result.stderr
    )
    assert list(tmp_path.rglob("*.xlsx")) == []


def test_annotate_never_writes_over_another_input(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    # Both have problems: --annotate copies only those (issue 16, point 8).
    (folder / "a.xlsx").write_bytes(b"not an xlsx")
    (folder / "a.xls").write_bytes(b"not an xls")
    before = hashes(folder)
    result = runner.invoke(app, ["validate", str(folder), "--annotate", str(folder)])
    assert result.exit_code == 2
    assert "会覆盖输入的工作簿" in result.stderr  # issue 16: in Chinese
    assert hashes(folder) == before
    out = tmp_path / "out"
    result = runner.invoke(app, ["validate", str(folder), "--annotate", str(out)])
    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == ["a.xls.xlsx", "a.xlsx"]


def test_roster_refuses_unsafe_unit_codes(tmp_path):
    folder = write_year(tmp_path, [])
    (folder / "units.csv").write_text(
        ROSTER + "../x,坏单位,市本级,其他\n", encoding="utf-8"
    )
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
    assert result.exit_code == 2
    assert "单位名册第4行的单位代码“../x”格式有误" in result.stderr


@pytest.mark.parametrize(
    "row",
    [
        'G,"' + "长" * 200_000 + '",市本级,市政府',
        "G,x\x00y,市本级,市政府",
        'G,"x,市本级',
    ],
    ids=["field-over-csv-limit", "nul", "stray-quote"],
)
def test_a_broken_roster_is_a_located_problem(tmp_path, row):
    folder = write_year(tmp_path, [])
    (folder / "units.csv").write_text(
        "单位代码,单位名称,层级,类别\n" + row + "\n", encoding="utf-8"
    )
    result = runner.invoke(
        app,
        [
            "compile",
            "2017",
            "--inputs",
            str(tmp_path / "inputs"),
            "--outputs",
            str(tmp_path / "o"),
        ],
    )
    calm(result)


def test_too_many_files_are_refused_before_reading(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.xlsx").write_bytes(b"")
    with pytest.raises(GovstatsError) as caught:
        validate_workbooks([tmp_path], limits=Limits(files=2))
    assert caught.value.exit_code == 2
    assert "超过一次校验或汇总的上限 2 个" in caught.value.problem.message("zh")


def test_file_too_large_is_refused_unread(tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(valid_workbook())
    report = validate_workbooks([path], limits=Limits(file_bytes=1000)).report
    assert report.flatten(["code", "expected"]) == [["file-too-large", "0 MiB"]]


def test_file_growing_while_read_is_read_whole_or_refused(tmp_path, monkeypatch):
    """The size fstat gives only sizes the first read: a file that grows after it
    is still read to its end, and refused when it grows past the limit."""
    from govstats.read import excel

    path = tmp_path / "unit.xlsx"
    data = valid_workbook()
    path.write_bytes(data)
    real_fstat = os.fstat

    class Shrunk:
        def __init__(self, st: os.stat_result) -> None:
            self.st_size = st.st_size // 2

    monkeypatch.setattr(excel.os, "fstat", lambda fd: Shrunk(real_fstat(fd)))
    assert excel._sniff(path, DEFAULT_LIMITS)[0] == data
    with pytest.raises(GovstatsError) as caught:
        excel._sniff(path, Limits(file_bytes=len(data) - 1))
    assert caught.value.problem.code == "file-too-large"


# No data loss: a compile killed at any moment


def _compile_cmd(root: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "govstats",
        "compile",
        "2017",
        "--inputs",
        str(root / "inputs"),
        "--outputs",
        str(root / "outputs"),
    ]


def _set(folder: Path) -> dict[str, bytes]:
    # datapackage/ (issue 19) by its files, named from the folder
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _write_units(root: Path, received: int) -> None:
    folder = root / "inputs" / "2017"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "units.csv").write_text(ROSTER, encoding="utf-8")
    values = {
        "sq.received": received,
        "sq.answered": received,
        "sq.ch.online": received - 4,
        "sq.out.already_public": received - 10,
    }
    for code in ("G", "U01"):
        (folder / f"{code}.xlsx").write_bytes(valid_workbook(code, code, values))


@pytest.mark.slow
def test_a_compile_killed_at_any_moment_leaves_a_whole_set(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    # The two sets every kill must leave one of: previous and new (compiled here,
    # in-process: the same inputs always give the same bytes).
    _write_units(tmp_path, 20)
    compile_year(2017, tmp_path / "inputs", tmp_path / "expected")
    new = _set(tmp_path / "expected" / "2017")
    _write_units(tmp_path, 12)
    assert compile_year(2017, tmp_path / "inputs", tmp_path / "outputs").compiled
    out = tmp_path / "outputs" / "2017"
    previous = _set(out)
    _write_units(tmp_path, 20)
    assert sorted(previous) == sorted(new)
    assert set(OUTPUT_FILES) < set(new)
    assert "datapackage/datapackage.json" in new  # issue 19: swapped with the rest
    assert previous != new

    rng = random.Random(6)  # seeded: the same moments on every run
    # Two kills anywhere in the run (seconds), three in the last moments: once the new
    # outputs' temporary folder appears (writing, syncing, swapping).
    moments = [("run", rng.uniform(0.2, 1.2)) for _ in range(2)]
    moments += [("publish", rng.uniform(0.0, 0.03)) for _ in range(3)]
    outcomes = []
    for when, delay in moments:
        publish(out, previous)  # start from the previous set every time
        proc = subprocess.Popen(
            _compile_cmd(tmp_path),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if when == "publish":
            while proc.poll() is None and not any(
                p.name.startswith(".2017.") and p.is_dir() for p in out.parent.iterdir()
            ):
                time.sleep(0.001)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        left = _set(out)
        assert left in (previous, new), (when, delay)
        outcomes.append("new" if left == new else "previous")
        # Whatever the killed compile left beside (a temporary folder) goes at
        # the next compile's start.
        recover(out)
        assert sorted(p.name for p in out.parent.iterdir()) == [".2017.lock", "2017"]
    assert "previous" in outcomes, outcomes


def test_an_interrupted_swap_is_recovered(tmp_path):
    # Where no atomic exchange exists, a kill between the two renames leaves the
    # previous outputs in .2017.old and no 2017/: the next compile puts them back,
    # even one that stops on errors and writes nothing.
    _write_units(tmp_path, 12)
    assert compile_year(2017, tmp_path / "inputs", tmp_path / "outputs").compiled
    out = tmp_path / "outputs" / "2017"
    previous = _set(out)
    out.rename(out.parent / ".2017.old")
    (out.parent / ".2017.abcd1234").mkdir()  # a temporary folder of a killed run
    (out.parent / ".2017.backup").mkdir()  # the user's own: never touched
    (tmp_path / "inputs" / "2017" / "G.xlsx").write_bytes(b"broken")
    result = compile_year(2017, tmp_path / "inputs", tmp_path / "outputs")
    assert not result.compiled
    assert _set(out) == previous
    assert sorted(p.name for p in out.parent.iterdir()) == [
        ".2017.backup",
        ".2017.lock",
        "2017",
    ]


def test_publish_without_an_atomic_exchange(tmp_path, monkeypatch):
    from govstats.publish import folder

    monkeypatch.setattr(folder, "_exchange", lambda a, b: False)
    out = tmp_path / "2017"
    publish(out, {"a.txt": b"1"})
    publish(out, {"a.txt": b"2"})
    assert _set(out) == {"a.txt": b"2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".2017.lock", "2017"]


def test_too_many_cells_in_all_sheets_refuse_the_workbook(tmp_path):
    # The valid workbook has a few hundred cells; a limit below refuses it whole,
    # while scanning, before any reader is asked.
    path = tmp_path / "u.xlsx"
    path.write_bytes(valid_workbook())
    report = validate_workbooks([path], limits=Limits(cells=100)).report
    assert report.flatten(["code", "found", "expected"]) == [
        ["workbook-too-large", "> 100 cells", "100 cells"]
    ]


@pytest.mark.parametrize(
    ("name", "severity"),
    [("million-rows", "error"), ("far-cell-xfd1048576", "warning")],
)
def test_a_sheet_too_large_blocks_only_when_the_report_needs_it(
    tmp_path, name, severity
):
    # 表1 is a table of the report: without it nothing can be compiled. 填表说明 is
    # not read for figures: the clerk is told, the workbook stays valid.
    case = next(c for c in CASES if c.name == name)
    path = tmp_path / "u.xlsx"
    path.write_bytes(case.build())
    report = validate_workbooks([path], year=2017).report
    assert report.flatten(["code", "severity", "sheet"]) == [
        [
            "sheet-too-large",
            severity,
            "表1 主动公开政府信息情况" if severity == "error" else "填表说明",
        ]
    ]


def test_a_second_compile_of_the_year_is_refused_while_the_first_runs(tmp_path):
    import fcntl

    _write_units(tmp_path, 12)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    first = subprocess.Popen(
        _compile_cmd(tmp_path),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lock = tmp_path / "outputs" / ".2017.lock"
    held = False
    while first.poll() is None and not held:
        if lock.exists():
            with lock.open("a+") as fh:
                try:  # the compile's lock is a record lock (govstats.core.lock)
                    fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.lockf(fh, fcntl.LOCK_UN)
                except OSError:
                    held = True
        time.sleep(0.005)
    if held:  # the first compile holds the lock: the second is told, at once
        second = runner.invoke(
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
        assert second.exit_code == 2
        assert "正在被另一次汇总写入" in second.stderr
    assert first.wait() == 0 and held
    assert sorted(p.name for p in (tmp_path / "outputs" / "2017").iterdir()) == sorted(
        [*OUTPUT_FILES, "datapackage"]
    )
