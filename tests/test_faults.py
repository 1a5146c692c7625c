"""Faults of the system and of luck (issues 16.1, 20.1-20.6, 21.1-21.5): killed
compiles, full disks, permissions, failing stdout, hostile .xls streams, links.

Conditions the machine cannot produce for a test are simulated, and each test says
how: the suite runs as root here, for whom no permission bit refuses anything, so a
permission is refused by patching the call that would meet it (with the error the
system gives), and a full disk by making the write or sync raise ENOSPC.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govstats.actions import validate_workbooks
from govstats.cli import app
from govstats.pipeline import OUTPUT_FILES
from tests.hostile import valid_workbook
from tests.ole import STORAGE, STREAM, biff8, xls

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
ROSTER = "单位代码,单位名称,层级,类别\nG,某市人民政府,市本级,市政府\nU01,测试局,市本级,市政府工作部门\n"
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0
# Long enough for a slow, shared machine; nothing is timed, only waited for.
PATIENCE = 120.0


def write_year(root: Path, units: int = 2) -> Path:
    """inputs/2017/ with a roster and ``units`` valid workbooks (G, U01, U02...)."""
    folder = root / "inputs" / "2017"
    folder.mkdir(parents=True, exist_ok=True)
    codes = ["G"] + [f"U{i:02d}" for i in range(1, units)]
    lines = ["单位代码,单位名称,层级,类别", "G,某市人民政府,市本级,市政府"]
    lines += [f"{c},测试局{c},市本级,市政府工作部门" for c in codes[1:]]
    (folder / "units.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for code in codes:
        name = "某市人民政府" if code == "G" else f"测试局{code}"
        (folder / f"{code}.xlsx").write_bytes(valid_workbook(code, name))
    return folder


def compile_args(root: Path, *extra: str) -> list[str]:
    return [
        "compile",
        "2017",
        "--inputs",
        str(root / "inputs"),
        "--outputs",
        str(root / "outputs"),
        *extra,
    ]


def hashes(folder: Path) -> dict[str, str]:
    return {
        # datapackage/ (issue 19) by its files, named from the folder
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def leftovers(outputs: Path) -> list[str]:
    """What a compile left in outputs/ besides the year and its lock file."""
    return sorted(
        p.name for p in outputs.iterdir() if p.name not in ("2017", ".2017.lock")
    )


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def gone(pid: int) -> bool:
    """The process has ended (a zombie left for its reaper counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


# Issue 16.1: every command without fcntl (and without ctypes for govstats)

NO_POSIX = """
import builtins, sys
sys.modules["fcntl"] = None  # as on Windows
sys.modules["msvcrt"] = None  # and no Windows locking either: the fallback
real = builtins.__import__
def guarded(name, globals=None, locals=None, fromlist=(), level=0):
    # pandas imports ctypes itself (every CPython on Windows has it); what is
    # refused is govstats' own use of it.
    caller = (globals or {}).get("__name__", "")
    if name.partition(".")[0] in ("ctypes", "fcntl") and caller.startswith("govstats"):
        raise ImportError(f"{name} is not available")
    return real(name, globals, locals, fromlist, level)
builtins.__import__ = guarded
from govstats.cli import main
sys.argv = ["govstats", *sys.argv[1:]]
main()
"""


def test_every_command_runs_without_fcntl_and_ctypes(tmp_path):
    write_year(tmp_path)
    script = tmp_path / "no_posix.py"
    script.write_text(NO_POSIX, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}

    def govstats(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    made = govstats("template", "--year", "2017", "-o", "t.xlsx")
    assert made.returncode == 0, made.stderr
    checked = govstats("validate", "inputs/2017", "--year", "2017")
    assert checked.returncode == 0, checked.stderr
    compiled = govstats("compile", "2017")
    assert compiled.returncode == 0, compiled.stderr
    assert sorted(os.listdir(tmp_path / "outputs" / "2017")) == sorted(
        [*OUTPUT_FILES, "datapackage"]
    )
    assert leftovers(tmp_path / "outputs") == []  # the fallback's lock is gone
    again = govstats("compile", "2017")  # a second compile takes the lock again
    assert again.returncode == 0, again.stderr
    audited = govstats("audit", "2017")
    assert audited.returncode == 0, audited.stderr
    text = govstats("audit", "--text", "outputs/2017/report.md")
    assert text.returncode == 0, text.stderr
    for result in (made, checked, compiled, again, audited, text):
        assert "内部错误" not in result.stderr


def test_the_fallback_lock_takes_over_from_a_holder_that_is_gone(tmp_path, monkeypatch):
    import builtins

    from govstats.core.lock import Locked, exclusive

    real = builtins.__import__

    def no_locking(name, *args, **kwargs):
        if name in ("fcntl", "msvcrt"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_locking)
    monkeypatch.setattr("importlib.import_module", lambda name: no_locking(name))
    lock = tmp_path / ".2017.lock"
    pid_file = tmp_path / ".2017.lock.pid"
    # A holder that ended without removing its file: taken over.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    pid_file.write_text(str(dead.pid))
    with exclusive(lock):
        assert pid_file.read_text() == str(os.getpid())
    assert not pid_file.exists()
    # A holder that runs: refused.
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        pid_file.write_text(str(alive.pid))
        with pytest.raises(Locked), exclusive(lock):
            pass
    finally:
        alive.kill()
        alive.wait()


# Issue 20.1: a killed compile leaves no worker and no lock behind

STALL = """
import os, sys, time
from pathlib import Path
import govstats.check.validate as validate
marks = Path(sys.argv[1])
def stalled(*args, **kwargs):
    (marks / str(os.getpid())).write_text("reading")
    time.sleep(600)
validate._load_one = stalled
from govstats.cli import main
sys.argv = ["govstats", *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
@pytest.mark.parametrize("units", [3, 70])
def test_a_killed_compile_leaves_no_worker_and_no_lock(tmp_path, sig, units):
    write_year(tmp_path, units)
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "stall.py"
    script.write_text(STALL, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    compile_ = subprocess.Popen(
        [sys.executable, str(script), str(marks), *compile_args(tmp_path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The workers are reading (stalled there), and the year is locked.
        wait_for(
            lambda: any(marks.iterdir()) or compile_.poll() is not None,
            "a worker to start reading",
        )
        assert compile_.poll() is None, "the compile ended before it was killed"
        locked = runner.invoke(app, compile_args(tmp_path))
        assert locked.exit_code == 2 and "正在被另一次汇总写入" in locked.stderr
        workers = [int(p.name) for p in marks.iterdir()]
        assert compile_.pid not in workers  # read in worker processes
        compile_.send_signal(sig)
        compile_.wait()
    finally:
        compile_.kill()
        compile_.wait()
    try:
        # The next compile is not refused: no worker ever held the lock.
        after = runner.invoke(app, compile_args(tmp_path))
        assert after.exit_code == 0, after.stderr
        # And the workers end with their compile.
        for pid in workers:
            wait_for(lambda pid=pid: gone(pid), f"worker {pid} to end")
    finally:
        for pid in workers:  # on a failure, none is left sleeping
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)
    assert leftovers(tmp_path / "outputs") == []


# Issue 20.2: full disk, permissions → a catalogued problem, exit 2, outputs intact


def _compiled_once(tmp_path: Path) -> dict[str, str]:
    write_year(tmp_path)
    first = runner.invoke(app, compile_args(tmp_path))
    assert first.exit_code == 0, first.stderr
    return hashes(tmp_path / "outputs" / "2017")


def _refuse(monkeypatch, target: str, error: int, where: Path) -> None:
    """Make ``target`` (a dotted name) raise ``error`` for paths under ``where``
    (or always, when the call names no path): what the system does for a full
    disk, a read-only file system or a missing permission."""
    import importlib

    module_name, _, attr = target.rpartition(".")
    try:
        owner = importlib.import_module(module_name)
    except ImportError:  # a class: "pathlib.Path.iterdir"
        mod, _, cls = module_name.rpartition(".")
        owner = getattr(importlib.import_module(mod), cls)
    real = getattr(owner, attr)

    def refused(*args, **kwargs):
        named = [a for a in args if isinstance(a, str | os.PathLike)]
        if not named or any(str(a).startswith(str(where)) for a in named):
            raise OSError(error, os.strerror(error), str(named[0]) if named else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, attr, refused)


def test_a_full_disk_is_told_and_leaves_the_outputs_as_they_were(tmp_path, monkeypatch):
    before = _compiled_once(tmp_path)
    # Simulated: every fsync (which the outputs go through) fails as on a full disk.
    _refuse(monkeypatch, "os.fsync", errno.ENOSPC, tmp_path)
    result = runner.invoke(app, compile_args(tmp_path))
    assert result.exit_code == 2
    assert "磁盘空间不足" in result.stderr and "释放磁盘空间" in result.stderr
    assert "内部错误" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert hashes(tmp_path / "outputs" / "2017") == before
    assert leftovers(tmp_path / "outputs") == []  # no .2017.xxxxxxxx folder


def test_a_full_disk_met_writing_a_file_is_told_too(tmp_path, monkeypatch):
    before = _compiled_once(tmp_path)

    class Full:
        """A file on a full disk: every write fails."""

        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    real_open = Path.open

    def full_open(self, mode="r", *args, **kwargs):
        fh = real_open(self, mode, *args, **kwargs)
        return Full(fh) if "w" in mode and ".2017." in str(self) else fh

    monkeypatch.setattr(Path, "open", full_open)
    result = runner.invoke(app, compile_args(tmp_path))
    assert result.exit_code == 2, result.stderr
    assert "磁盘空间不足" in result.stderr
    assert hashes(tmp_path / "outputs" / "2017") == before
    assert leftovers(tmp_path / "outputs") == []


def _compile_without_permission(
    tmp_path: Path, monkeypatch, path: Path, mode: int, calls: dict[str, Path]
):
    """Compile with ``path`` set to permission ``mode``; as root, for whom no
    permission bit counts, with each of ``calls`` refused (EACCES) under its path."""
    if ROOT_USER:
        for call, under in calls.items():
            _refuse(monkeypatch, call, errno.EACCES, under)
    else:
        path.chmod(mode)
    try:
        return runner.invoke(app, compile_args(tmp_path))
    finally:
        path.chmod(0o755 if path.is_dir() else 0o644)


def test_an_outputs_folder_without_write_permission(tmp_path, monkeypatch):
    before = _compiled_once(tmp_path)
    outputs = tmp_path / "outputs"
    # As root: making the compile's folder there is refused.
    result = _compile_without_permission(
        tmp_path, monkeypatch, outputs, 0o555, {"os.mkdir": outputs}
    )
    assert result.exit_code == 2, result.stderr
    assert "无法写入" in result.stderr and "权限" in result.stderr
    assert "内部错误" not in result.stderr
    assert hashes(outputs / "2017") == before
    assert leftovers(outputs) == []


def test_a_lock_file_on_a_read_only_file_system(tmp_path, monkeypatch):
    # Issue 21.2: told as a folder that cannot be written, not as a workbook.
    write_year(tmp_path)
    (tmp_path / "outputs").mkdir()
    _refuse(monkeypatch, "os.open", errno.EROFS, tmp_path / "outputs")
    result = runner.invoke(app, compile_args(tmp_path))
    assert result.exit_code == 2
    assert "无法写入" in result.stderr and ".2017.lock" in result.stderr
    assert "Excel" not in result.stderr


def test_an_inputs_folder_the_user_cannot_read(tmp_path, monkeypatch):
    write_year(tmp_path)
    folder = tmp_path / "inputs" / "2017"
    # As root: listing it and looking into it are refused.
    calls = {
        "os.scandir": folder,
        "os.listdir": folder,
        "os.stat": folder / "units.csv",
    }
    result = _compile_without_permission(tmp_path, monkeypatch, folder, 0o300, calls)
    assert result.exit_code == 2, result.stderr
    assert "无法读取" in result.stderr and "权限" in result.stderr
    assert "找不到文件" not in result.stderr and "内部错误" not in result.stderr


def test_a_roster_the_user_cannot_read(tmp_path, monkeypatch):
    folder = write_year(tmp_path)
    roster = folder / "units.csv"
    # As root: opening it is refused.
    calls = {"io.open": roster}
    result = _compile_without_permission(tmp_path, monkeypatch, roster, 0o200, calls)
    assert result.exit_code == 2, result.stderr
    assert "无法读取" in result.stderr and "units.csv" in result.stderr
    assert "内部错误" not in result.stderr


def test_a_workbook_the_user_cannot_read_is_not_called_damaged(tmp_path, monkeypatch):
    path = tmp_path / "u.xlsx"
    path.write_bytes(valid_workbook())
    if ROOT_USER:
        _refuse(monkeypatch, "io.open", errno.EACCES, path)
    else:
        path.chmod(0o200)
    report = validate_workbooks([path], year=2017).report
    assert report.flatten(["code"]) == [["input-unreadable"]]
    assert "Excel" not in report.files[0].problems[0].message()


def test_a_home_the_user_cannot_read_costs_no_compile(tmp_path, monkeypatch):
    from govstats.publish import charts

    home = tmp_path / "home"
    (home / ".fonts").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    # Simulated: a HOME without read permission, where is_dir raises.
    _refuse(monkeypatch, "os.stat", errno.EACCES, home)
    charts._cjk_font.cache_clear()
    try:
        assert home / ".fonts" not in charts._font_dirs()
        write_year(tmp_path)
        result = runner.invoke(app, compile_args(tmp_path))
    finally:
        charts._cjk_font.cache_clear()
    assert result.exit_code == 0, result.stderr


# Issue 20.3: stdout that fails


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_results_to_a_full_stdout_exit_2_with_one_line(tmp_path, fmt):
    path = tmp_path / "u.xlsx"
    path.write_bytes(valid_workbook())
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "govstats", "validate", str(path)]
            + ["--year", "2017", "--format", fmt],
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "无法把结果写到标准输出" in lines[0]
    assert "Traceback" not in done.stderr


# Issue 20.4: the roster's physical line numbers


def test_roster_lines_are_physical_lines(tmp_path):
    from govstats.core.problems import GovstatsError
    from govstats.formats import load_format
    from govstats.read.roster import read_roster

    roster = tmp_path / "units.csv"
    lines = ["单位代码,单位名称,层级,类别", "", "G,某市人民政府,市本级,市政府", "", ""]
    lines += [
        "U01,测试局,市本级,市政府工作部门",
        "",
        "U01,又一局,市本级,市政府工作部门",
    ]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(GovstatsError) as raised:
        read_roster(roster, load_format("gk2008").roster)
    assert raised.value.problem.row == 8  # as an editor numbers it
    assert "第8行" in raised.value.problem.message()


# Issue 20.5 and 21.3: .xls streams


CLEAN = biff8([(0, 0, 1.0), (1, 1, 2.0)])
FAR = biff8([(0, 0, 1.0), (65535, 16383, 3.0)])


def test_xls_whose_workbook_and_book_streams_differ_is_refused(tmp_path):
    path = tmp_path / "u.xls"
    path.write_bytes(xls([("Book", STREAM, CLEAN), ("Workbook", STREAM, FAR)]))
    report = validate_workbooks([path], year=2017).report
    assert report.flatten(["code", "found"]) == [
        ["file-unreadable", "xls: Workbook and Book streams differ"]
    ]


def test_xls_is_checked_on_the_stream_the_reader_reads(tmp_path):
    # The Workbook stream after a Book that says the same: the far cell is found.
    path = tmp_path / "u.xls"
    path.write_bytes(xls([("Book", STREAM, FAR), ("Workbook", STREAM, FAR)]))
    report = validate_workbooks([path], year=2017).report
    assert report.flatten(["code"]) == [["sheet-too-large"]]
    # A Workbook that is a storage: the reader would take it, and it is no stream.
    path.write_bytes(xls([("Book", STREAM, CLEAN), ("Workbook", STORAGE, b"")]))
    report = validate_workbooks([path], year=2017).report
    assert report.flatten(["code", "found"]) == [
        ["file-unreadable", "xls: Workbook is not a stream"]
    ]


CRASH = """
import sys
import govstats.read.biff as biff
# The check of extents is taken away, so that calamine reads the hostile stream
# and aborts its process, as any native crash of a reader would.
biff.scan_xls = lambda *args, **kwargs: []
from govstats.cli import main
sys.argv = ["govstats", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("units", [3, 70])
def test_a_reader_that_crashes_costs_one_file_not_the_compile(tmp_path, units):
    folder = write_year(tmp_path, units)
    with (folder / "units.csv").open("a", encoding="utf-8") as fh:
        fh.write("X9,崩溃局,市本级,市政府工作部门\n")
    (folder / "X9.xls").write_bytes(
        xls([("Book", STREAM, CLEAN), ("Workbook", STREAM, FAR)])
    )
    script = tmp_path / "crash.py"
    script.write_text(CRASH, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), *compile_args(tmp_path, "--partial")],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "RUST_BACKTRACE": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, (
        done.stderr
    )  # partial: published, one left out (issue 16)
    assert "reader-crashed" in done.stdout
    assert "X9.xls" in done.stdout
    assert "内部错误" not in done.stderr and "BrokenProcessPool" not in done.stderr
    assert sorted(os.listdir(tmp_path / "outputs" / "2017")) == sorted(
        [*OUTPUT_FILES, "datapackage"]
    )
    figures = (tmp_path / "outputs" / "2017" / "figures.json").read_text()
    assert figures.count('"code": "U') == units - 1


# Issue 20.6: a DDE formula without a cached value


def test_a_dde_formula_without_a_value_is_a_formula_in_a_value_cell(tmp_path):
    from tests.hostile import TABLE3, rewrite, set_cell

    path = tmp_path / "u.xlsx"
    path.write_bytes(
        rewrite(
            {
                TABLE3: lambda p: set_cell(
                    p, "D5", "<c r=\"D5\"><f>cmd|'/c calc'!A0</f></c>"
                )
            }
        )
    )
    report = validate_workbooks([path], year=2017).report
    assert report.flatten(["code", "cell", "found"]) == [
        ["formula-no-value", "D5", "=cmd|'/c calc'!A0"]
    ]


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice is not installed"
)
def test_an_ods_dde_formula_without_a_value_is_a_formula_in_a_value_cell(tmp_path):
    from tests.test_excel import convert

    def dde(wb):
        wb["表3 依申请公开情况"]["D5"] = "=cmd|'/c calc'!A0"

    source = tmp_path / "u.xlsx"
    source.write_bytes(valid_workbook(edit=dde))
    path = convert(source, "ods", tmp_path)  # as LibreOffice saves it
    report = validate_workbooks([path], year=2017).report
    assert report.flatten(["code", "cell", "found"]) == [
        ["formula-no-value", "D5", "=cmd|'/c calc'!a0"]
    ]


# An .xls as LibreOffice 7 saves it ("MS Excel 97") from an .ods of the valid
# workbook whose 表3 D5, D6 and D7 were given, with their cached values:
#   D5 ='file:///tmp/govstats-fixture/其他单位.xls'#$Sheet1.$A$1   (3)
#   D6 =SUM('file:///tmp/govstats-fixture/其他单位.xls'#$Sheet1.$A$2:$A$3)-1   (0)
#   D7 =DDE("cmd";"/c calc";"A0")   (8)
# It holds the link tables a real file has (a SUPBOOK for the other workbook, one
# for the DDE server with its EXTERNNAMEs, the EXTERNSHEET) and FORMULA records
# with ptgRef3d, ptgArea3d and ptgNameX. LibreOffice saved D7 with #N/A, the DDE
# call not being run: a formula without a value.
XLS_LINKS = Path(__file__).parent / "fixtures" / "issue-20-21-xls-links.xls"


def test_an_xls_dde_formula_without_a_value_is_a_formula_in_a_value_cell():
    report = validate_workbooks([XLS_LINKS], year=2017).report
    found = report.flatten(["code", "severity", "cell", "found"])
    assert [p for p in found if p[2] == "D7"] == [
        ["formula-no-value", "error", "D7", "=cmd|'/c calc'!A0"]
    ]
    assert "file-unreadable" not in [p[0] for p in found]


# Issue 21.1: audit counts after an input is deleted


def test_audit_after_an_input_is_deleted_counts_add_up(tmp_path):
    folder = write_year(tmp_path, 3)
    assert runner.invoke(app, compile_args(tmp_path)).exit_code == 0
    (folder / "U01.xlsx").unlink()
    result = runner.invoke(
        app,
        ["audit", "2017", "--inputs", str(tmp_path / "inputs")]
        + ["--outputs", str(tmp_path / "outputs")],
    )
    assert result.exit_code == 1
    assert "input-removed" in result.stdout and "U01.xlsx" in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    # units.csv and the three workbooks compared, and the inputs as a whole
    assert last == "共比对 5 项：3 项一致，2 项不一致。"
    assert "-" not in last


def test_audit_counts_are_never_negative():
    from govstats.audit.findings import AuditReport, Check, Location

    wrong = [
        Check.make("value", "wrong", "output-edited", Location(file=f"f{i}"))
        for i in range(3)
    ]
    stats = AuditReport("x", "outputs", wrong, compared=1).stats
    assert stats["right"] == 0 and stats["checked"] == 3


# Issue 21.2: what a file given to --text is


def _audit_text(path: Path):
    return runner.invoke(app, ["audit", "--text", str(path)])


def test_a_damaged_pdf_is_told_as_a_pdf(tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj <<\n")
    result = _audit_text(path)
    assert result.exit_code == 2
    assert "PDF文件无法读取" in result.stderr
    assert ".xlsx" not in result.stderr and "Excel" not in result.stderr


def test_a_folder_or_fifo_given_to_text_is_not_a_regular_file(tmp_path):
    result = _audit_text(tmp_path)
    assert result.exit_code == 2
    assert "不是普通文件" in result.stderr and "找不到文件" not in result.stderr
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "r.txt"
        os.mkfifo(fifo)  # never opened: reading one would wait for a writer
        result = _audit_text(fifo)
        assert result.exit_code == 2
        assert "不是普通文件" in result.stderr and "FIFO" in result.stderr


# Issue 21.4: a workbook linked from outside the folder


@pytest.mark.parametrize("strict", [False, True])
def test_a_workbook_linked_from_outside_the_inputs(tmp_path, strict):
    folder = write_year(tmp_path, 3)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (folder / "U02.xlsx").rename(elsewhere / "U02.xlsx")
    (folder / "U02.xlsx").symlink_to(elsewhere / "U02.xlsx")
    inside = folder / "U01.xlsx"
    (folder / "copy").mkdir()
    inside.rename(folder / "copy" / "U01.xlsx")
    inside.symlink_to(folder / "copy" / "U01.xlsx")  # within the folder: fine
    args = (
        compile_args(tmp_path, "--strict-inputs") if strict else compile_args(tmp_path)
    )
    result = runner.invoke(app, args)
    assert "input-symlink" in result.stdout
    flagged = [line for line in result.stdout.splitlines() if "input-symlink" in line]
    assert len(flagged) == 1  # not the link that stays within the folder
    assert str(elsewhere / "U02.xlsx") in result.stdout
    if strict:
        assert result.exit_code == 1
        assert not (tmp_path / "outputs" / "2017").exists()
    else:
        assert result.exit_code == 0, result.stdout


# Issue 21.5: formulas that reach outside the workbook


EXTERNAL_LINK = (
    '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<externalBook/></externalLink>"
)
EXTERNAL_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/externalLinkPath" Target="file:///C:/别处/其他单位.xlsx" '
    'TargetMode="External"/></Relationships>'
)


@pytest.mark.parametrize(
    ("formula", "target"),
    [
        ("[1]Sheet1!A1", "file:///C:/别处/其他单位.xlsx"),
        ("cmd|'/c calc'!A0", "cmd|'/c calc'"),
        (
            "'file:///C:/别处/[其他单位.xlsx]Sheet1'!A1",
            "'file:///C:/别处/[其他单位.xlsx]Sheet1'",
        ),
    ],
)
def test_a_value_from_a_formula_reaching_outside_is_a_warning(
    tmp_path, formula, target
):
    from xml.sax.saxutils import escape

    from tests.hostile import TABLE3, rewrite, set_cell

    cell = f'<c r="D5"><f>{escape(formula)}</f><v>3</v></c>'
    path = tmp_path / "u.xlsx"
    path.write_bytes(
        rewrite(
            {TABLE3: lambda p: set_cell(p, "D5", cell)},
            extra={
                "xl/externalLinks/externalLink1.xml": EXTERNAL_LINK.encode(),
                "xl/externalLinks/_rels/externalLink1.xml.rels": EXTERNAL_RELS.encode(),
            },
        )
    )
    validation = validate_workbooks([path], year=2017)
    report = validation.report
    assert report.flatten(["code", "severity", "cell", "found", "expected"]) == [
        ["formula-external", "warning", "D5", "=" + formula, target]
    ]
    assert validation.unit_values(0)["sq.ch.in_person"] == 3  # its cached value
    assert "当面申请" in report.files[0].problems[0].message()


@pytest.mark.parametrize(
    ("written", "formula", "target"),
    [
        ("[1]Sheet1!A1", "[1]Sheet1!A1", "[1]"),
        (
            "'file:///C:/x/[a.xlsx]Sheet1'!A1",
            "'file:///C:/x/[a.xlsx]Sheet1'!A1",
            "'file:///C:/x/[a.xlsx]Sheet1'",
        ),
        (
            "'C:\\x\\[a.xlsx]Sheet1'!A1",
            "'C:\\x\\[a.xlsx]Sheet1'!A1",
            "'C:\\x\\[a.xlsx]Sheet1'",
        ),
        ("SUM([a.xlsx]表1!A1:A2)", "SUM([a.xlsx]表1!A1:A2)", "[a.xlsx]表1"),
        ("cmd|'/c calc'!A0", "cmd|'/c calc'!A0", "cmd|'/c calc'"),
        # the bar as a character reference: no "|" among the sheet's bytes
        ("cmd&#124;'/c calc'!A0", "cmd|'/c calc'!A0", "cmd|'/c calc'"),
    ],
)
def test_a_hand_written_external_formula_without_a_links_part_is_a_warning(
    tmp_path, written, formula, target
):
    """No xl/externalLinks/ part, as a tool (not Excel) may write it."""
    from tests.hostile import TABLE3, rewrite, set_cell

    cell = f'<c r="D5"><f>{written}</f><v>3</v></c>'
    path = tmp_path / "u.xlsx"
    path.write_bytes(rewrite({TABLE3: lambda p: set_cell(p, "D5", cell)}))
    validation = validate_workbooks([path], year=2017)
    assert validation.report.flatten(["code", "cell", "found", "expected"]) == [
        ["formula-external", "D5", "=" + formula, target]
    ]
    assert validation.unit_values(0)["sq.ch.in_person"] == 3


def test_brackets_outside_formulas_are_no_warning(tmp_path):
    from tests.hostile import TABLE3, rewrite, set_cell

    cell = '<c r="E5" t="inlineStr"><is><t>[1] 见附件|附表</t></is></c>'
    path = tmp_path / "u.xlsx"
    path.write_bytes(rewrite({TABLE3: lambda p: set_cell(p, "E5", cell)}))
    assert validate_workbooks([path], year=2017).report.flatten(["code"]) == []


def test_an_xls_value_from_another_workbook_is_a_warning():
    validation = validate_workbooks([XLS_LINKS], year=2017)
    other = "\\tmp\\govstats-fixture\\其他单位.xls"
    book = "'\\tmp\\govstats-fixture\\[其他单位.xls]'"
    assert validation.report.flatten(
        ["code", "severity", "cell", "found", "expected"]
    ) == [
        ["formula-external", "warning", "D5", f"={book}!$A$1", other],
        ["formula-external", "warning", "D6", f"=SUM({book}!$A$2:$A$3)-1", other],
        ["formula-no-value", "error", "D7", "=cmd|'/c calc'!A0", ""],
    ]
    values = validation.unit_values(0)
    assert (values["sq.ch.in_person"], values["sq.ch.fax"]) == (3, 0)  # cached


def _xls_links() -> bytes:
    """Link tables as Excel writes them: the workbook itself (0), another
    workbook with one sheet and one name (1), a DDE server with one item (2)."""
    from tests.ole import record, unicode_string

    other = "\x01\x01D\x03报表\x03其他单位.xls"
    return (
        record(0x01AE, struct.pack("<HH", 1, 0x0401))
        + record(
            0x01AE,
            struct.pack("<H", 1) + unicode_string(other) + unicode_string("Sheet1"),
        )
        + record(
            0x0023,
            struct.pack("<HHH", 0, 0, 0) + b"\x03\x01" + "单位数".encode("utf-16-le"),
        )
        + record(0x01AE, struct.pack("<HHB", 0, 12, 0) + b"cmd\x03/c calc")
        + record(0x0023, struct.pack("<HI", 0x7FE2, 0) + b"\x02\x00A0")
        + record(
            0x0017, struct.pack("<H3H3H3H", 3, 0, 0, 0, 1, 0, 0, 2, 0xFFFE, 0xFFFE)
        )
    )


def _ref3d(ixti: int, row: int, col: int) -> bytes:
    return struct.pack("<BHHH", 0x5A, ixti, row, col | 0xC000)


@pytest.mark.parametrize(
    ("rgce", "text", "target"),
    [
        # a DDE call Excel could run, saved with its value
        (struct.pack("<BHHH", 0x59, 2, 1, 0), "=cmd|'/c calc'!A0", "cmd|'/c calc'"),
        # a name of another workbook
        (
            struct.pack("<BHHH", 0x59, 1, 1, 0),
            "='D:\\报表\\其他单位.xls'!单位数",
            "D:\\报表\\其他单位.xls",
        ),
        # another workbook's cell, added to a number
        (
            struct.pack("<BH", 0x1E, 1) + _ref3d(1, 0, 0) + b"\x03",
            "=1+'D:\\报表\\[其他单位.xls]Sheet1'!A1",
            "D:\\报表\\其他单位.xls",
        ),
        # a defined name that refers to another workbook
        (struct.pack("<BHH", 0x43, 1, 0), "=外部", "D:\\报表\\其他单位.xls"),
    ],
    ids=["dde-call", "external-name", "external-cell", "defined-name"],
)
def test_xls_links_are_read_from_the_link_tables(rgce, text, target):
    from govstats.read.xlsformulas import XlsFormula, xls_formulas
    from tests.ole import record

    name = "外部".encode("utf-16-le")
    inner = _ref3d(1, 1, 1)
    defined = record(
        0x0018,
        struct.pack("<HBBHHH4x", 0, 0, 2, len(inner), 0, 0) + b"\x01" + name + inner,
    )
    inside = struct.pack("<BHHH", 0x5A, 0, 0, 0)  # Sheet1!$A$1: no link
    data = xls(
        [
            (
                "Workbook",
                STREAM,
                biff8(
                    [],
                    links=_xls_links() + defined,
                    formulas=[(4, 3, 3.0, rgce), (5, 3, 1.0, inside)],
                ),
            )
        ]
    )
    assert xls_formulas(data, None, only_external=True) == {
        ("Sheet1", 5, 4): XlsFormula(text, target)
    }
    assert xls_formulas(data, {("Sheet1", 6, 4)}) == {
        ("Sheet1", 6, 4): XlsFormula("=Sheet1!$A$1")
    }


def test_an_xls_array_formula_reaching_outside_is_found():
    from govstats.read.xlsformulas import XlsFormula, xls_formulas
    from tests.ole import record

    rgce = _ref3d(1, 0, 0)
    array = record(0x0221, struct.pack("<HHBBHIH", 4, 4, 3, 3, 0, 0, len(rgce)) + rgce)
    stream = biff8(
        [],
        links=_xls_links(),
        formulas=[(4, 3, 3.0, struct.pack("<BHH", 0x01, 4, 3))],
        after=array,
    )
    found = xls_formulas(xls([("Workbook", STREAM, stream)]), None, only_external=True)
    assert found == {
        ("Sheet1", 5, 4): XlsFormula(
            "{='D:\\报表\\[其他单位.xls]Sheet1'!A1}", "D:\\报表\\其他单位.xls"
        )
    }


def test_biff5_formulas_are_not_read_as_biff8():
    from govstats.read.xlsformulas import xls_formulas

    stream = biff8([], formulas=[(4, 3, 3.0, struct.pack("<BH", 0x1E, 3))])
    biff5 = stream[:4] + b"\x00\x05" + stream[6:]  # the first BOF's version
    assert xls_formulas(xls([("Workbook", STREAM, biff5)]), None) == {}


def test_xls_defined_names_that_name_themselves_end():
    from govstats.read.xlsformulas import xls_formulas
    from tests.ole import record

    # name 1 is "1 + name 1 + name 2", name 2 is another workbook's A1; the
    # cell adds name 1 a thousand times
    selfish = struct.pack("<BH", 0x1E, 1) + struct.pack("<BHH", 0x43, 1, 0) + b"\x03"
    selfish += struct.pack("<BHH", 0x43, 2, 0) + b"\x03"
    names = b"".join(
        record(
            0x0018, struct.pack("<HBBHHH4x", 0, 0, 1, len(r), 0, 0) + b"\x00" + n + r
        )
        for n, r in ((b"a", selfish), (b"b", _ref3d(1, 0, 0)))
    )
    rgce = (
        struct.pack("<BHH", 0x43, 1, 0)
        + (struct.pack("<BHH", 0x43, 1, 0) + b"\x03") * 999
    )
    stream = biff8([], links=_xls_links() + names, formulas=[(4, 3, 3.0, rgce)])
    found = xls_formulas(xls([("Workbook", STREAM, stream)]), None, only_external=True)
    assert found[("Sheet1", 5, 4)].target == "D:\\报表\\其他单位.xls"
    assert found[("Sheet1", 5, 4)].text.startswith("=a+a+a")


def test_an_xls_without_links_is_not_decompiled():
    from govstats.read.xlsformulas import xls_formulas

    stream = biff8([], formulas=[(4, 3, 3.0, struct.pack("<BH", 0x1E, 3))])
    data = xls([("Workbook", STREAM, stream)])
    assert xls_formulas(data, None, only_external=True) == {}
    assert xls_formulas(data, None)[("Sheet1", 5, 4)].text == "=3"


def test_a_formula_inside_the_workbook_is_no_warning(tmp_path):
    from tests.hostile import TABLE3, rewrite, set_cell

    path = tmp_path / "u.xlsx"
    cell = '<c r="D5"><f>Sheet1!A1+1</f><v>3</v></c>'
    path.write_bytes(
        rewrite(
            {TABLE3: lambda p: set_cell(p, "D5", cell)},
            extra={"xl/externalLinks/externalLink1.xml": EXTERNAL_LINK.encode()},
        )
    )
    assert validate_workbooks([path], year=2017).report.flatten(["code"]) == []


@pytest.mark.parametrize(
    ("body", "may"),
    [
        # the template's labels, written by openpyxl as character references
        ('<c r="A1" t="inlineStr"><is><t>&#34920;1 [&#x4E3B;]|</t></is></c>', False),
        # the live checks' formulas: ✓ as a character reference, no link
        ('<c r="H4"><f>IF(D4=1,"&#10003;","&#10007;")</f><v>0</v></c>', False),
        ('<c r="D5"><f>[1]Sheet1!A1</f><v>3</v></c>', True),
        ('<c r="D5"><f aca="false">cmd&#124;\'/c calc\'!A0</f><v>3</v></c>', True),
        ('<c r="D5"><x:f>&#x5B;a.xlsx]S!A1</x:f><v>3</v></c>', True),
    ],
)
def test_only_a_formula_may_link_outside(body, may):
    """A sheet whose formulas cannot reach outside is not opened again to read
    them (every template-made workbook writes its labels as character
    references, and took a second, slow read for them)."""
    from govstats.read.package import _may_link

    assert _may_link(f"<sheetData><row r='1'>{body}</row></sheetData>".encode()) is may


def test_a_template_made_workbook_is_read_once(tmp_path):
    from govstats.core.output import write_workbook
    from govstats.formats import load_format
    from govstats.publish.template_xlsx import build_template
    from govstats.read.excel import read_workbook

    path = tmp_path / "u.xlsx"
    write_workbook(build_template(load_format("gk2021"), 2025, "U1", "单位"), path)
    assert read_workbook(path).may_link is False


def test_a_template_or_annotated_copy_on_a_full_disk(
    tmp_path, monkeypatch, make_workbook
):
    # A workbook with a problem: only such a workbook gets an annotated copy.
    path = make_workbook(values={"sq.received": 13})
    # Simulated: every fsync fails as on a full disk.
    _refuse(monkeypatch, "os.fsync", errno.ENOSPC, tmp_path)
    made = runner.invoke(
        app, ["template", "--year", "2017", "-o", str(tmp_path / "t.xlsx")]
    )
    assert made.exit_code == 2 and "磁盘空间不足" in made.stderr
    checked = runner.invoke(
        app,
        [
            "validate",
            str(path),
            "--year",
            "2017",
            "--annotate",
            str(tmp_path / "marked"),
        ],
    )
    assert checked.exit_code == 2 and "磁盘空间不足" in checked.stderr
    assert "内部错误" not in made.stderr + checked.stderr
    assert list(tmp_path.rglob("*.tmp")) == []
