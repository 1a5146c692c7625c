"""Generated documentation: ``docs/errors.md`` (the problem catalogue),
``docs/cli.md`` (every command's ``--help``) and the real output in the pages per
user (``docs/department-clerk.md``, ``docs/compiling-office.md``,
``docs/auditor.md``), so that none of them can drift.

The pages per user are written by hand, with markers where real output goes (in
the manner of cog). Each marker is replaced by what govstats prints or writes when
the pages' commands run, in order, in a scratch folder holding the demo inputs of
2017::

    <!-- run: govstats validate 财政局.xlsx --year 2017 -->   the command and its output
    <!-- run: govstats compile 2017 | tail 8 -->             only its last 8 lines
    <!-- show: outputs/2017/figures.json from "zd.news/zd.total" lines 12 -->
    <!-- setup: clerk-fills-in -->                          a step of the story (SETUPS)
    <!-- screenshot: 财政局.xlsx "表3 依申请公开情况" clerk-table3.png -->

A ``run``, ``show`` or ``screenshot`` marker is followed by its generated block and
``<!-- end -->``. A screenshot is LibreOffice's rendering of one sheet of a workbook
(to PDF, then PNG with poppler's pdftoppm) saved in ``docs/img/``: ``write`` makes it
anew, ``check`` only checks that it is there (a rendering depends on the fonts and
the LibreOffice of the machine).

``python -m govstats.cli.docs write`` regenerates every page; ``python -m govstats.cli.docs
check`` fails when a committed page differs from what the code would generate.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from govstats.core.problems import catalogue

__all__ = ["USER_PAGES", "cli_markdown", "errors_markdown", "main", "user_pages"]

DOCS = Path(__file__).resolve().parents[3] / "docs"
DEMO = DOCS.parent / "inputs" / "2017"
# In the order their commands run: the auditor reads what the office compiled.
USER_PAGES = ("department-clerk.md", "compiling-office.md", "auditor.md")
MARKER = re.compile(r"^<!-- (run|show|setup|screenshot): (.*?) -->$")
IMAGES = DOCS / "img"
END = "<!-- end -->"


def errors_markdown() -> str:
    """The problem catalogue as Markdown, one section per code."""
    out = [
        "# Problem catalogue (问题代码)",
        "",
        "Generated from `src/govstats/core/catalogue.yaml` by `make docs`; do not edit.",
        "Codes are stable: they are never renamed or reused.",
        "",
        "| code | category | severity | 标题 | title |",
        "|---|---|---|---|---|",
    ]
    for t in catalogue().values():
        out.append(
            f"| `{t.code}` | {t.category} | {t.severity} | {t.title['zh']} | {t.title['en']} |"
        )
    for t in catalogue().values():
        out += [
            "",
            f"## `{t.code}`",
            "",
            f"{t.description['zh']} {t.description['en']}",
            "",
            f"- zh: {t.template['zh']}",
            f"- en: {t.template['en']}",
        ]
    return "\n".join(out + _limits_markdown()) + "\n"


def _limits_markdown() -> list[str]:
    """The limits every input is checked against (``govstats.core.limits.Limits``)."""
    from govstats.core.limits import DEFAULT_LIMITS

    codes = {
        "file_bytes": "file-too-large",
        "unpacked_bytes": "zip-bomb",
        "part_bytes": "zip-bomb (a worksheet part: sheet-too-large)",
        "ratio": "zip-bomb (a worksheet part: sheet-too-large)",
        "parts": "zip-bomb",
        "sheets": "too-many-sheets",
        "sheet_rows": "sheet-too-large",
        "sheet_columns": "sheet-too-large",
        "cells": "workbook-too-large",
        "files": "too-many-files",
        "annotate_cells": "(the annotated copy holds only the problem list)",
    }
    out = [
        "",
        "## Limits",
        "",
        "Checked before any parser reads a file (`govstats.core.limits.Limits`); see",
        "the README's Limits section for why.",
        "",
        "| limit | value | problem |",
        "|---|---|---|",
    ]
    for key, value in DEFAULT_LIMITS.items():
        out.append(f"| `{key}` | {value:_} | {codes.get(key, '')} |")
    return out


def cli_markdown() -> str:
    """Every command's help text, as the CLI prints it."""
    from typer.testing import CliRunner

    from govstats.cli import app

    runner = CliRunner()
    out = [
        "# Command-line reference",
        "",
        "Generated from `govstats --help` by `make docs`; do not edit.",
        "",
    ]
    commands = [[], *[[name] for name in _command_names()]]
    for args in commands:
        result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "100"})
        title = " ".join(["govstats", *args])
        out += [f"## `{title}`", "", "```text", result.output.rstrip(), "```", ""]
    return "\n".join(out)


def _command_names() -> list[str]:
    from govstats.cli import app

    return [
        c.name or c.callback.__name__ for c in app.registered_commands if c.callback
    ]


# Pages per user


def _clerk_fills_in() -> None:
    """The finance bureau's figures typed into the blank workbook ``govstats
    template`` wrote, with one slip: 收到政府信息公开申请 one more than its channels
    add up to."""
    _type_figures(slip=1)


def _clerk_corrects() -> None:
    _type_figures(slip=0)


def _type_figures(slip: int) -> None:
    """Type the demo unit's figures into the template's 本年 cells, by code.

    The template is kept aside the first time, so the correction starts from it too.
    """
    import shutil

    import openpyxl

    blank = Path("财政局.blank.xlsx")
    if not blank.exists():
        shutil.copy("财政局.xlsx", blank)
    demo = openpyxl.load_workbook(DEMO / "430200-008.xlsx")
    figures = {
        row[1].value: row[3].value
        for ws in demo.worksheets
        for row in ws.iter_rows(min_col=1, max_col=4)
        if isinstance(row[1].value, str)
    }
    figures["sq.received"] += slip
    wb = openpyxl.load_workbook(blank)
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_col=2, max_col=2):
            if row[0].value in figures and ws.cell(row[0].row, 4).value == 0:
                ws.cell(row[0].row, 4).value = figures[row[0].value]
    wb.save("财政局.xlsx")


SETUPS: dict[str, Callable[[], None]] = {
    "clerk-fills-in": _clerk_fills_in,
    "clerk-corrects": _clerk_corrects,
}


def _run(command: str) -> str:
    """``$ command`` and what it prints (stdout and stderr), as a terminal shows it."""
    from typer.testing import CliRunner

    from govstats.cli import app

    command, _, cut = command.partition(" | ")
    args = shlex.split(command)
    if args[0] != "govstats":
        raise ValueError(f"only govstats commands run in the docs: {command}")
    result = CliRunner().invoke(app, args[1:], env={"COLUMNS": "100"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    lines = result.output.rstrip("\n").split("\n")
    if cut:
        how, count = cut.split()
        lines = lines[: int(count)] if how == "head" else lines[-int(count) :]
        lines = ["…", *lines] if how == "tail" else [*lines, "…"]
    if result.exit_code:
        lines.append(f"（退出码 exit code {result.exit_code}）")
    return "\n".join([f"$ {command}", *lines])


def _show(spec: str) -> tuple[str, str]:
    """An excerpt of a file govstats wrote: ``PATH [from "TEXT"] [lines N]`` (the
    text may be in single quotes instead, to hold double ones)."""
    m = re.fullmatch(
        r"""(\S+)(?: from (?:"([^"]*)"|'([^']*)'))?(?: lines (\d+))?""", spec
    )
    if m is None:
        raise ValueError(f"bad show marker: {spec}")
    path, double, single, count = m.groups()
    start = double or single
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if start in line) if start else 0
    excerpt = lines[first : first + int(count)] if count else lines[first:]
    lang = {".json": "json", ".md": "markdown", ".html": "html"}.get(
        Path(path).suffix, "text"
    )
    return lang, "\n".join(excerpt)


def _screenshot(spec: str, render: bool) -> str:
    """The Markdown of a screenshot marker ``WORKBOOK "SHEET" NAME.png``; with
    ``render``, the PNG is made anew in ``docs/img/``."""
    m = re.fullmatch(r'(\S+) "([^"]+)" (\S+\.png)', spec)
    if m is None:
        raise ValueError(f"bad screenshot marker: {spec}")
    workbook, sheet, name = m.groups()
    if render:
        render_sheet(Path(workbook), sheet, IMAGES / name)
    elif not (IMAGES / name).exists():
        raise FileNotFoundError(f"docs/img/{name} is missing: run `make docs`")
    return f"![{sheet}（LibreOffice）](img/{name})"


def render_sheet(workbook: Path, sheet: str, png: Path) -> None:
    """One sheet of a workbook as LibreOffice shows it: every other sheet hidden,
    printed to PDF by LibreOffice (formulas recalculated), the first page as a PNG
    cut to what is printed on it.

    :raises RuntimeError: when LibreOffice or pdftoppm is not installed or fails.
    """
    import shutil
    import subprocess
    import tempfile

    import openpyxl
    from PIL import Image, ImageChops

    from govstats.core import libreoffice

    for tool in ("soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is needed for docs/img/{png.name}")
    with tempfile.TemporaryDirectory(prefix="govstats-shot-") as name:
        tmp = Path(name)
        wb = openpyxl.load_workbook(workbook)
        for ws in wb.worksheets:
            ws.sheet_state = "visible" if ws.title == sheet else "hidden"
        wb.active = wb.sheetnames.index(sheet)
        wb.save(tmp / "sheet.xlsx")
        pdf = libreoffice.convert([tmp / "sheet.xlsx"], "pdf", tmp) / "sheet.pdf"
        # 110 dpi: the labels of a page-wide table readable.
        command = ["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1"]
        command += ["-singlefile", str(pdf), str(tmp / "sheet")]
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        if proc.returncode:
            raise RuntimeError(f"pdftoppm failed: {proc.stderr}")
        with Image.open(tmp / "sheet.png") as page:
            rgb = page.convert("RGB")
        box = ImageChops.difference(rgb, Image.new("RGB", rgb.size, "white")).getbbox()
        left, top, right, bottom = box or (0, 0, *rgb.size)
        cut = rgb.crop((max(left - 8, 0), max(top - 8, 0), right + 8, bottom + 8))
        png.parent.mkdir(parents=True, exist_ok=True)
        # A palette of 64 colours keeps the file small; the cells' colours stay.
        cut.quantize(colors=64).save(png, optimize=True)


def render_page(text: str, render: bool = False) -> str:
    """A page with every marker's block generated anew (in the current folder).

    :param render: make the screenshots anew too (else only check they exist).
    """
    out: list[str] = []
    lines = iter(text.split("\n"))
    for line in lines:
        out.append(line)
        m = MARKER.match(line)
        if m is None:
            continue
        kind, arg = m.groups()
        if kind == "setup":
            SETUPS[arg]()
            continue
        for old in lines:  # drop the previous block
            if old == END:
                break
        if kind == "screenshot":
            out += [_screenshot(arg, render), END]
            continue
        lang, body = ("text", _run(arg)) if kind == "run" else _show(arg)
        out += [f"```{lang}", body, "```", END]
    return "\n".join(out)


def user_pages(render: bool = False) -> dict[str, str]:
    """The pages per user as they should read, from running their commands.

    :param render: make the screenshots anew too (``make docs``).
    """
    import shutil
    import tempfile

    pages: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="govstats-docs-") as tmp:
        shutil.copytree(DEMO, Path(tmp) / "inputs" / "2017")
        with contextlib.chdir(tmp):
            for name in USER_PAGES:
                text = (DOCS / name).read_text(encoding="utf-8")
                pages[name] = render_page(text, render)
    return pages


def main(argv: list[str]) -> int:
    pages = {
        "errors.md": errors_markdown(),
        "cli.md": cli_markdown(),
        **user_pages(render=argv[:1] == ["write"]),
    }
    if argv[:1] == ["write"]:
        DOCS.mkdir(exist_ok=True)
        for name, text in pages.items():
            (DOCS / name).write_text(text, encoding="utf-8")
        return 0
    stale = [
        name
        for name, text in pages.items()
        if not (DOCS / name).exists()
        or (DOCS / name).read_text(encoding="utf-8") != text
    ]
    for name in stale:
        print(f"docs/{name} is out of date: run `make docs`", file=sys.stderr)
    return int(bool(stale))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
