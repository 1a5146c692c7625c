"""Compiling a year: validate every workbook, add them up, write the outputs.

All outputs of a compile are rendered in memory, written into a fresh folder beside
the target and swapped in with two renames, under a lock. A compile that fails (bad
inputs, a crash, an interrupt) leaves the previous ``outputs/<year>/`` as it was;
the same inputs always give the same bytes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from govstats.aggregate import Figures, approx_wan, format_value, places_of
from govstats.formats import Format
from govstats.numbers import format_decimal
from govstats.problems import GovstatsError, Problem
from govstats.render import markdown_text
from govstats.report import FileReport, Report
from govstats.roster import Roster, Unit
from govstats.workbook import UnitWorkbook

__all__ = [
    "OUTPUT_FILES",
    "Compilation",
    "compile_in_memory",
    "file_sha256",
    "output_lock",
    "publish",
    "recover",
    "render_outputs",
    "roster_report",
]

OUTPUT_FILES = (
    "report.md",
    "report.html",
    "report.docx",
    "tables.xlsx",
    "figures.json",
    "validation.json",
    "validation.md",
    "summary.xlsx",
)
ROUNDING_LABELS = {"half-up": "四舍五入", "half-even": "四舍六入五成双（GB/T 8170）"}


@dataclass
class Compilation:
    """The result of compiling a year."""

    year: int
    report: Report
    outputs: Path
    partial: bool = False
    excluded: list[str] = field(default_factory=list)
    figures: Figures | None = None
    written: list[Path] = field(default_factory=list)

    @property
    def units(self) -> int:
        """How many units were added up."""
        return len(self.figures.units) if self.figures else 0

    @property
    def compiled(self) -> bool:
        """True when the outputs were written."""
        return bool(self.written)

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {
            "year": self.year,
            "compiled": self.compiled,
            "partial": self.partial,
            "excluded": self.excluded,
            "units": self.units,
            "outputs": [str(p) for p in self.written],
            "validation": self.report.to_dict(lang),
        }


def compile_in_memory(
    year: int,
    inputs: str | Path = "inputs",
    outputs: str | Path = "outputs",
    partial: bool = False,
    rounding: str = "half-up",
    templates: str | Path | None = None,
    progress: Callable[[int, int, Path], None] | None = None,
) -> tuple[Compilation, dict[str, bytes]]:
    """Everything a compile does except writing: the result, and the bytes of every
    output by file name (empty when errors stop the compile).

    ``govstats compile`` publishes these bytes; ``govstats audit`` compares them
    with the published ones.
    """
    from govstats.actions import expand_paths
    from govstats.aggregate import aggregate
    from govstats.formats import format_for_year
    from govstats.numbers import ROUNDINGS
    from govstats.roster import read_roster
    from govstats.validate import load_units, validate_units

    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {ROUNDINGS}")
    in_dir = year_inputs(inputs, year)
    fmt = format_for_year(year)
    roster = read_roster(in_dir / "units.csv", fmt.roster)
    fmt, units = load_units(
        expand_paths([in_dir]),
        year,
        fmt.id,
        progress,
        functools.partial(_prepare, templates, fmt.id),
    )
    previous = (
        _previous_figures(Path(outputs) / str(year - 1)) if fmt.cross_year else None
    )
    validation = validate_units(units, fmt, year, roster, previous=previous)
    roster_file = roster_report(roster, units)
    report = Report([roster_file, *validation.report.files])
    included = [
        i
        for i, f in enumerate(validation.report.files)
        if f.valid and roster.get(units[i].unit_code) is not None
    ]
    result = Compilation(year=year, report=report, outputs=Path(outputs) / str(year))
    if not report.valid and not partial:
        return result, {}
    if not included:
        raise GovstatsError(Problem.make("no-valid-units", file=str(in_dir)))
    if not report.valid:
        result.partial = True
        result.excluded = [
            _display_name(units[i], roster)
            for i in range(len(units))
            if i not in included
        ] + [
            roster.units[roster.codes.index(p.found)].name for p in roster_file.problems
        ]
    result.figures = aggregate(validation, roster, included, rounding, year)
    # The outputs need a unit's file and digest, not its cells nor the frames it
    # was checked in: freed before they are built (and before the processes
    # that build them are forked), 10,000 units need 100 MB less.
    del validation
    for unit in units:
        unit.cells.clear()
    rendered = render_outputs(result, result.figures, roster, units, templates)
    return result, rendered


def year_inputs(inputs: str | Path, year: int) -> Path:
    """``inputs/<year>/``, or ``file-not-found`` when it is not a folder."""
    in_dir = Path(inputs) / str(year)
    if not in_dir.is_dir():
        raise GovstatsError(Problem.make("file-not-found", file=str(in_dir)))
    return in_dir


def _previous_figures(folder: Path) -> dict[str, dict[str, Decimal]] | None:
    """Last year's figures of each unit from its compiled ``figures.json``, if any.

    They feed the cross-year rules (carried in = last year's carried out, …); a
    missing or unreadable file only means those rules are not checked.
    """
    try:
        data = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
        return {
            str(u["code"]): {str(k): Decimal(str(v)) for k, v in u["values"].items()}
            for u in data["units"]
        }
    except (OSError, ValueError, KeyError, TypeError, ArithmeticError):
        return None


def _display_name(unit: UnitWorkbook, roster: Roster) -> str:
    """How a workbook is named to people: its roster name, own name, or file name."""
    known = roster.get(unit.unit_code) if unit.unit_code else None
    return known.name if known else unit.unit_name or unit.path.name


def roster_report(roster: Roster, units: list[UnitWorkbook]) -> FileReport:
    """The roster's own check: every unit of it has submitted a workbook."""
    submitted = {u.unit_code for u in units if u.unit_code}
    return FileReport(
        path=str(roster.path),
        problems=[
            Problem.make(
                "unit-not-submitted",
                file=str(roster.path),
                found=u.code,
                context={"label": u.name},
            )
            for u in roster.units
            if u.code not in submitted
        ],
    )


# Render


def render_outputs(
    result: Compilation,
    figures: Figures,
    roster: Roster,
    units: list[UnitWorkbook],
    templates: str | Path | None,
) -> dict[str, bytes]:
    from govstats.background import Background
    from govstats.render import report_markdown
    from govstats.tables import tables_workbook

    fmt = figures.fmt
    government = _government(roster, fmt)
    note = ""
    if result.partial:
        note = "部分汇总：未纳入 " + "、".join(result.excluded)
    env = _environment(templates)
    context = _context(result, figures, government)
    html = _report_html(env, context, figures)

    def rest() -> dict[str, bytes]:
        return {
            "summary.xlsx": _summary(result, figures, roster, government),
            "report.md": _report_md(env, context, figures.fmt).encode(),
            "figures.json": _figures_json(
                _figures_dict(result, figures, government, roster, units)
            ),
            "validation.json": _json(result.report.to_dict("zh")),
            "validation.md": report_markdown(
                result.report, "zh", f"{result.year}年统计报表校验结果"
            ).encode(),
        }

    # Measured on two cores for 1,000 units (CPU): report.docx 0.12 s,
    # tables.xlsx 0.10 s, the rest 0.1 s together. Two children build
    # tables.xlsx and the rest while this process builds report.docx, the one
    # that allocates most: a forked child pays for each page it writes that it
    # shares with this process (0.15 s for report.docx in a child).
    with Background() as background:
        tables = background.start(
            lambda: {"tables.xlsx": tables_workbook(figures, note, government)}
        )
        others = background.start(rest)
        out: dict[str, bytes] = {
            "report.html": html.encode(),
            "report.docx": _report_docx(html, context, figures),
        }
        out.update(tables.result())
        out.update(others.result())
    return {name: out[name] for name in OUTPUT_FILES}


def _summary(
    result: Compilation, figures: Figures, roster: Roster, government: str
) -> bytes:
    """summary.xlsx: the government's totals in the units' own workbook."""
    from govstats.io.output import workbook_bytes
    from govstats.template import build_template

    fmt = figures.fmt
    gov_unit = _government_unit(roster, fmt)
    summary = build_template(
        fmt,
        result.year,
        unit_code=gov_unit.code if gov_unit else "",
        unit_name=gov_unit.name if gov_unit else government,
        values={
            code: v if ind.places else int(v)
            for code, ind in fmt.indicators.items()
            for v in (figures.value(code),)
        },
        info={"filler": "govstats 汇总" + ("（部分汇总）" if result.partial else "")},
        # The sums were checked by the compile, and the audit compares every
        # formula with its saved result, which openpyxl cannot compute.
        checks=False,
    )
    return workbook_bytes(summary)


def _government_unit(roster: Roster, fmt: Format) -> Unit | None:
    """The people's government itself, as the format's roster declaration names it."""
    return next(iter(roster.members(fmt.roster.government)), None)


def _government(roster: Roster, fmt: Format) -> str:
    unit = _government_unit(roster, fmt)
    return unit.name if unit else ""


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


# Where the units' blocks go in figures.json (see _figures_json).
_UNITS_MARK = "\x00units"


def _figures_json(data: dict[str, Any]) -> bytes:
    """``figures.json``: :func:`_json`'s bytes, written a unit at a time.

    Encoding the whole document at once held about 170 MB of fragments for 10,000
    units. Each unit's block is encoded on its own and indented to its place
    (JSON text has no raw line breaks but those of the indentation), which gives
    the same bytes.
    """
    text = json.dumps({**data, "units": _UNITS_MARK}, ensure_ascii=False, indent=2)
    mark = json.dumps(_UNITS_MARK)
    if text.count(mark) != 1:  # the mark is in the data too
        return _json({**data, "units": list(data["units"])})
    # The units may come one at a time (_figures_dict): only their text is kept.
    blocks = [_indented(unit, 2).encode() for unit in data["units"]]
    if not blocks:
        return _json({**data, "units": []})
    head, tail = text.split(mark)
    return b"".join(
        [head.encode(), b"[\n    ", b",\n    ".join(blocks), b"\n  ]", tail.encode()]
        + [b"\n"]
    )


_SCALARS = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _encoder(level: int) -> Callable[[Any], str]:
    """The C encoder whose item separator starts a line indented ``level`` deep
    (``json.dumps`` with other than its default options makes one a call)."""
    pad = "\n" + "  " * level
    return json.JSONEncoder(ensure_ascii=False, separators=("," + pad, ": ")).encode


def _indented(obj: dict[str, Any], level: int) -> str:
    """``json.dumps(obj, ensure_ascii=False, indent=2)`` of an object nested ``level``
    deep, for objects whose values are scalars or such objects.

    With ``indent`` the json module encodes in Python, value by value: 1.8 s of
    figures.json's 2 s for 10,000 units. Without it, the C encoder does the work,
    and its item separator can carry the line break and the indentation: each run
    of scalar items is one call of it (a call per item took as long again).
    """
    if not obj:
        return "{}"
    pad = "\n" + "  " * (level + 1)
    encode = _encoder(level + 1)
    if _SCALARS.issuperset(map(type, obj.values())):  # a unit's figures
        return "{" + pad + encode(obj)[1:-1] + "\n" + "  " * level + "}"
    if any(isinstance(v, list | tuple) for v in obj.values()):
        text = json.dumps(obj, ensure_ascii=False, indent=2)
        return text.replace("\n", "\n" + "  " * level)
    parts: list[str] = []
    run: dict[str, Any] = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            if run:
                parts.append(encode(run)[1:-1])
                run = {}
            parts.append(encode(k) + ": " + _indented(v, level + 1))
        else:
            run[k] = v
    if run:
        parts.append(encode(run)[1:-1])
    return "{" + pad + ("," + pad).join(parts) + "\n" + "  " * level + "}"


def _prepare(templates: str | Path | None, format_id: str) -> None:
    """Import what writing the outputs needs, compile the report's templates, find
    the charts' font and make report.docx's blank document (while worker
    processes read): 0.3 s that the compile's tail would otherwise wait for. The
    children that build tables.xlsx and the rest (govstats.background) inherit
    them."""
    import docx  # noqa: F401
    import jinja2
    import openpyxl  # noqa: F401
    import PIL.ImageDraw  # noqa: F401
    import PIL.ImageFont  # noqa: F401

    import govstats.charts
    import govstats.tables  # noqa: F401
    import govstats.word

    govstats.charts.prepare()
    govstats.word.prepare()
    env = _environment(templates)
    for name in ("report.html.j2", "report.md.j2"):
        try:
            env.get_template(f"{format_id}/{name}")
        except jinja2.TemplateError:
            pass  # not kept: raised where the report is rendered


def _jsonable(value: Decimal, places: int) -> int | str:
    # Counts are JSON integers; amounts are decimal strings, never binary floats.
    if places == 0:
        return int(value)
    return format_value(value, places)


def _figures_dict(
    result: Compilation,
    figures: Figures,
    government: str,
    roster: Roster,
    units: list[UnitWorkbook],
) -> dict[str, Any]:
    fmt = figures.fmt

    codes = [*fmt.codes, *(st.code for st in fmt.subtotals)]

    zero = Decimal(0)
    places = [(code, places_of(fmt, code)) for code in codes]

    def block(values: dict[str, Decimal]) -> dict[str, int | str]:
        # Counts (most codes) as int() directly, as _jsonable() would.
        return {
            code: _jsonable(values.get(code, zero), p)
            if p
            else int(values.get(code, zero))
            for code, p in places
        }

    paths = {u.unit_code: u.path for u in units if u.unit_code}
    # A workbook's digest is of the bytes that were read (taken by the reader);
    # the roster's, and an unreadable file's, are taken here.
    read = {u.path: u.sha256 for u in units if u.sha256}
    digests = {
        p: read.get(p) or file_sha256(p)
        for p in [roster.path, *(u.path for u in units)]
    }
    return {
        "format": fmt.id,
        "year": result.year,
        "government": government,
        "partial": result.partial,
        "excluded": result.excluded,
        "rounding": figures.rounding,
        "city": block(figures.city),
        "groups": {k: block(v) for k, v in figures.sums.items() if k},
        "derived": {k: d.to_dict() for k, d in figures.derived.items()},
        # made one at a time as figures.json is written: 10,000 units' blocks
        # at once held 50 MB
        "units": (
            {
                "code": unit.code,
                "name": unit.name,
                "层级": unit.level,
                "类别": unit.kind,
                "file": paths[unit.code].name if unit.code in paths else "",
                "sha256": digests[paths[unit.code]] if unit.code in paths else "",
                "values": block(values),
            }
            for unit, values in figures.units
        ),
        "inputs": {p.name: digest for p, digest in digests.items()},
    }


def file_sha256(path: Path) -> str:
    """The SHA-256 (hex) of a file, as figures.json records an input's."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _context(result: Compilation, figures: Figures, government: str) -> dict[str, Any]:
    """What every report template sees: the figures, as calls (see report.md.j2)."""
    from govstats.tables import share_sum_note

    fmt: Format = figures.fmt

    def v(code: str, group: str = "") -> str:
        # Prose drops trailing zeros (1124万人次, 37.5万人次); money() keeps two.
        value = figures.value(code, group)
        if value == value.to_integral_value():
            return format_value(value, 0)
        return format_decimal(value.normalize())

    def money(code: str, group: str = "") -> str:
        return format_value(figures.value(code, group), 2)

    return {
        "format": fmt,
        "government": government,
        "year": result.year,
        "partial": result.partial,
        "excluded": result.excluded,
        "units_count": len(figures.units),
        "rounding_label": ROUNDING_LABELS[figures.rounding],
        "v": v,
        "num": figures.value,
        "money": money,
        "share": figures.share,
        "rate": lambda key: figures.derived[key],
        "wan": lambda code: approx_wan(figures.value(code), figures.rounding),
        "sum_note": lambda table_id: share_sum_note(figures, table_id),
    }


def _report_md(env: Any, context: dict[str, Any], fmt: Format) -> str:
    from govstats.render import table_markdown

    v = context["v"]
    md = {
        **context,
        "table": lambda table_id: table_markdown(
            next(t for t in fmt.tables if t.id == table_id), v
        ),
    }
    return str(env.get_template(f"{fmt.id}/report.md.j2").render(md))


def _report_html(env: Any, context: dict[str, Any], figures: Figures) -> str:
    """report.html: the same figures drawn by ``<format>/report.html.j2``.

    Tables come as grids (:mod:`govstats.layout`) that the template's macros draw
    with their merged cells; charts as inline SVG with their numbers as text.
    """
    from markupsafe import Markup

    from govstats.charts import chart_data, chart_svg
    from govstats.layout import format_grid, share_grid

    fmt = figures.fmt
    v = context["v"]

    def chart(chart_id: str) -> dict[str, Any]:
        spec = next(c for c in fmt.report.charts if c.id == chart_id)
        data = chart_data(spec, figures, v)
        # charts.py's own SVG, whose text it escapes; nothing from a workbook.
        return {"data": data, "svg": Markup(chart_svg(data))}

    html = {
        **context,
        "grid": lambda table_id: format_grid(
            next(t for t in fmt.tables if t.id == table_id), v
        ),
        "share_grid": lambda table_id: share_grid(
            figures, next(t for t in fmt.report.tables if t.id == table_id), v
        ),
        "chart": chart,
    }
    return str(env.get_template(f"{fmt.id}/report.html.j2").render(html))


def _report_docx(html: str, context: dict[str, Any], figures: Figures) -> bytes:
    """report.docx: the sections and tables of report.html as a Word document."""
    from govstats.charts import chart_data, chart_png
    from govstats.word import html_docx

    def picture(chart_id: str) -> bytes | None:
        spec = next(c for c in figures.fmt.report.charts if c.id == chart_id)
        return chart_png(chart_data(spec, figures, context["v"]))

    return html_docx(html, picture)


@functools.lru_cache(maxsize=4)
def _environment(templates: str | Path | None) -> Any:
    """The report templates' environment; kept, so that a template is compiled
    once (a template changed on disk is compiled again: auto_reload)."""
    import jinja2

    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders.append(jinja2.FileSystemLoader(str(Path(__file__).with_name("templates"))))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        # HTML templates escape what they print (unit names come from workbooks);
        # Markdown templates print text as it is.
        autoescape=jinja2.select_autoescape(["html.j2"], default=False),
    )
    # report.md is Markdown, not HTML: names from inputs go through `| md`, which
    # makes them literal text (no markup, no raw HTML, one line).
    env.filters["md"] = markdown_text
    return env


# Publish


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold ``outputs/.<year>.lock`` for a whole compile: a second compile of the
    same year is refused at once (``compile-locked``) instead of racing the first.

    The lock is an ``flock``: the kernel drops it when its process ends, however it
    ends, so a killed compile never leaves a stale lock behind.
    """
    import fcntl

    path = out_dir.parent / f".{out_dir.name}.lock"
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        fh = path.open("a+")
    except OSError as exc:
        raise GovstatsError(
            Problem.make("file-unreadable", file=str(path), found=exc.strerror)
        ) from exc
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GovstatsError(
                Problem.make("compile-locked", file=str(out_dir))
            ) from None
        try:
            recover(out_dir)
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def recover(out_dir: Path) -> None:
    """Put back what an interrupted compile left (call with the lock held).

    Where the two-rename swap is used, a compile killed between the renames leaves
    the previous outputs in ``.<year>.old`` and no ``<year>``: they are moved back.
    Temporary folders of killed compiles (``.<year>.<random>``) are removed.
    """
    old = out_dir.parent / f".{out_dir.name}.old"
    if not out_dir.exists() and old.is_dir():
        old.rename(out_dir)
    # Only names publish makes (tempfile's 8 random characters, and .old): a
    # folder of the user's own beside the outputs is never touched.
    made = re.compile(rf"\.{re.escape(out_dir.name)}\.([a-z0-9_]{{8}}|old)")
    for stale in out_dir.parent.iterdir():
        if made.fullmatch(stale.name) and stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)


def publish(out_dir: Path, files: dict[str, bytes], locked: bool = False) -> list[Path]:
    """Swap the rendered outputs in as ``out_dir``; the old ones stay until then.

    The files are written and synced into a fresh folder beside ``out_dir``, which
    then takes its place in one atomic ``renameat2(RENAME_EXCHANGE)`` where the
    system has it (Linux), so that ``out_dir`` is at every moment either the whole
    previous set or the whole new one, even if the process is killed. Elsewhere two
    renames are used and :func:`recover` repairs an interrupted swap.

    :param locked: the caller already holds :func:`output_lock`.
    :raises GovstatsError: ``compile-locked`` when another compile holds the lock.
    """
    if not locked:
        with output_lock(out_dir):
            return publish(out_dir, files, locked=True)
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name, data in files.items():
            with (tmp / name).open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o755)
        _fsync_dir(tmp)
        if out_dir.exists() and _exchange(tmp, out_dir):
            pass  # tmp now holds the previous outputs, removed below
        else:
            old = out_dir.parent / f".{out_dir.name}.old"
            if old.exists():
                shutil.rmtree(old)
            if out_dir.exists():
                out_dir.rename(old)
            tmp.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        _fsync_dir(out_dir.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [out_dir / name for name in files]


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2; False where unsupported."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(rc == 0)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
