"""Auditing a compiled year: recompute ``inputs/<year>/`` and compare ``outputs/<year>/``.

The compile is run again in memory (:func:`govstats.pipeline.compile_in_memory`,
with the rounding and partiality ``figures.json`` records) and every output is
compared with what the inputs give now:

- the inputs' SHA-256 against those ``figures.json`` records: an input changed,
  added or removed after the compile makes the outputs *outdated*, and every value
  that differs is then reported as such rather than as edited;
- ``figures.json`` value by value, by JSON path, and against the format's rules;
- ``report.md`` and ``report.html`` line by line: a number edited by hand is
  reported with its line and column, a line changed otherwise with the first place
  it differs; ``report.docx`` the same way, paragraph by paragraph (a table row is
  one, its cells apart by tabs), as :mod:`govstats.audit.office` reads it;
- ``tables.xlsx`` and ``summary.xlsx`` cell by cell: values; every formula against
  the one the compile writes (a formula changed, or replaced by a typed number);
  each formula's cached value against what it computes on the workbook's own cells
  (a count edited without recalculation); each share printed in 报告采用 against
  its formula.

``validation.json`` and ``validation.md`` name the input files by the path given to
the compile, so they are not compared.
"""

from __future__ import annotations

import ast
import difflib
import io
import json
import re
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from govstats.audit.findings import AuditReport, Check, Status
from govstats.core.locations import Location
from govstats.core.numbers import format_decimal
from govstats.core.problems import GovstatsError, Problem

__all__ = ["AUDITED_FILES", "audit_year"]

AUDITED_FILES = (
    "figures.json",
    "report.md",
    "report.html",
    "report.docx",
    "tables.xlsx",
    "summary.xlsx",
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?%?")
_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)")
_SUM = re.compile(r"SUM\(\s*\$?([A-Z]{1,3})\$?(\d+)\s*:\s*\$?([A-Z]{1,3})\$?(\d+)\s*\)")
SKIPPED_JSON_KEYS = ("inputs", "sha256")  # compared as inputs, file by file


def audit_year(
    year: int,
    inputs: str | Path = "inputs",
    outputs: str | Path = "outputs",
    templates: str | Path | None = None,
) -> AuditReport:
    """Recompute a compiled year from its inputs and compare every output.

    :raises GovstatsError: ``outputs-missing`` when the year was never compiled
        (no ``figures.json``), ``file-not-found`` when its inputs are missing.
    """
    from govstats.pipeline import compile_in_memory

    out_dir = Path(outputs) / str(year)
    in_dir = Path(inputs) / str(year)
    figures_path = out_dir / "figures.json"
    if not figures_path.is_file():
        raise GovstatsError(Problem.make("outputs-missing", file=str(out_dir)))
    if not in_dir.is_dir():
        raise GovstatsError(Problem.make("file-not-found", file=str(in_dir)))
    try:
        claimed = json.loads(figures_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GovstatsError(
            Problem.make("file-unreadable", file=str(figures_path), found=str(exc))
        ) from None
    checks, inputs_compared = _inputs(claimed.get("inputs", {}), in_dir, figures_path)
    recorded = (claimed.get("year_on_year") or {}).get("previous") or {}
    given = bool(recorded.get("given"))
    last_file = Path(str(recorded.get("file", "")))
    if recorded and not given:  # outputs/<year-1>/figures.json, wherever it is now
        last_file = out_dir.parent / str(year - 1) / "figures.json"
    last_year = _previous(recorded, last_file)
    checks += last_year
    outdated = any(c.status == "wrong" for c in checks)
    rounding = str(claimed.get("rounding", "half-up"))
    audit = _Comparison(out_dir, outdated, rounding)
    audit.checks += checks
    result, rendered = compile_in_memory(
        year,
        inputs,
        outputs,
        partial=bool(claimed.get("partial", False)),
        rounding=rounding,
        templates=templates,
        # Last year's figures as the compile read them (issue 19): the file it
        # names, or none when it compared nothing (a year compiled before its
        # previous year was is not told it is edited).
        previous=last_file if given else None,
        compare_years=bool(recorded) and last_year[0].code != "input-removed",
    )
    if not rendered:
        audit.compared += 1  # the inputs as a whole, which cannot be compiled
        audit.add(
            "input",
            "inputs-invalid",
            Location(file=str(in_dir)),
            str(result.report.stats["errors"]),
            "0",
        )
    else:
        audit.compare(rendered, claimed)
    return AuditReport(
        subject=str(out_dir),
        kind="outputs",
        checks=audit.checks,
        # Every input's digest counts as compared, those that agree too: counting
        # only those that differ printed "-1 项一致" after an input was deleted.
        compared=audit.compared + inputs_compared + len(last_year),
    )


def _previous(recorded: dict[str, Any], path: Path) -> list[Check]:
    """Last year's figures (``path``), which the year-on-year statements compare
    with, now against the SHA-256 ``figures.json`` records: changed or removed
    since the compile, they make the statements outdated; nothing when none were
    read."""
    from govstats.publish.figures_json import file_sha256

    if not recorded:
        return []
    then = str(recorded.get("sha256", ""))
    now = file_sha256(path) if path.is_file() else ""
    status: Status = "right" if now == then else "wrong"
    code = "" if now == then else ("input-changed" if now else "input-removed")
    return [
        Check.make(
            "input",
            status,
            code,
            Location(file=str(path), path="year_on_year.previous"),
            snippet=path.name,
            claimed=then,
            recomputed=now,
        )
    ]


def _inputs(
    recorded: dict[str, str], in_dir: Path, figures: Path
) -> tuple[list[Check], int]:
    """The inputs now against the SHA-256 recorded at the compile: those that
    differ (added, removed, changed), and how many were compared."""
    from govstats.publish.figures_json import file_sha256
    from govstats.read.paths import expand_paths

    paths = [in_dir / "units.csv", *expand_paths([in_dir])]
    current = {p.name: file_sha256(p) for p in paths if p.is_file()}
    out = []
    for name in sorted(set(recorded) | set(current)):
        then, now = recorded.get(name), current.get(name)
        status: Status
        if then == now:
            status, code = "right", ""
        elif then is None:
            status, code = "wrong", "input-added"
        elif now is None:
            status, code = "wrong", "input-removed"
        else:
            status, code = "wrong", "input-changed"
        out.append(
            Check.make(
                "input",
                status,
                code,
                Location(file=str(in_dir / name), path=f"inputs.{name}"),
                snippet=name,
                claimed=then or "",
                recomputed=now or "",
                rule=f"SHA-256 recorded in {figures.name}",
                context={"label": name},
            )
        )
    return [c for c in out if c.status == "wrong"], len(out)


class _Comparison:
    """Comparing each output with its recomputed bytes; collects the findings."""

    def __init__(self, out_dir: Path, outdated: bool, rounding: str) -> None:
        self.out_dir = out_dir
        self.rounding = rounding
        self.code = "output-outdated" if outdated else "output-edited"
        self.checks: list[Check] = []
        self.compared = 0

    def add(
        self,
        kind: str,
        code: str,
        where: Location,
        claimed: str,
        recomputed: str,
        snippet: str = "",
        **context: str,
    ) -> None:
        self.checks.append(
            Check.make(
                kind,
                "wrong",
                code,
                where,
                snippet=snippet,
                claimed=claimed,
                recomputed=recomputed,
                rule="recomputed from the inputs",
                context=context,
            )
        )

    def compare(self, rendered: dict[str, bytes], claimed: dict[str, Any]) -> None:
        for name in AUDITED_FILES:
            path = self.out_dir / name
            if not path.is_file():
                self.add("value", "output-missing", Location(file=str(path)), "", "")
                continue
            if name.endswith(".json"):
                fresh = json.loads(rendered[name])
                self._json(claimed, fresh, str(path), [])
                self._rules(claimed, fresh, str(path))
            elif name.endswith((".md", ".html")):
                have = path.read_text(encoding="utf-8", errors="replace")
                self._lines(path, have, rendered[name].decode())
            elif name.endswith(".docx"):
                self._lines(path, *_docx_texts(path, rendered[name]))
            else:
                self._workbook(path, rendered[name], shares=name == "tables.xlsx")
        # The open data (issue 19): its descriptor value by value, its CSV files
        # line by line as report.md.
        for name in sorted(n for n in rendered if n.startswith("datapackage/")):
            path = self.out_dir / name
            if not path.is_file():
                self.add("value", "output-missing", Location(file=str(path)), "", "")
            elif name.endswith(".json"):
                try:
                    descriptor = json.loads(path.read_text(encoding="utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    descriptor = None
                self._json(descriptor, json.loads(rendered[name]), str(path), [])
            else:
                have = path.read_text(encoding="utf-8", errors="replace")
                self._lines(path, have, rendered[name].decode())

    # figures.json

    def _json(self, have: Any, want: Any, file: str, path: list[str]) -> None:
        if isinstance(want, dict) and isinstance(have, dict):
            for key in list(want) + [k for k in have if k not in want]:
                if key in SKIPPED_JSON_KEYS:
                    continue
                self._json(have.get(key), want.get(key), file, [*path, str(key)])
            return
        if isinstance(want, list) and isinstance(have, list):
            for i in range(max(len(want), len(have))):
                a = have[i] if i < len(have) else None
                b = want[i] if i < len(want) else None
                self._json(a, b, file, [*path, str(i)])
            return
        self.compared += 1
        if have != want:
            where = ".".join(path)
            self.add(
                "value",
                self.code,
                Location(file=file, path=where),
                _json_text(have),
                _json_text(want),
                snippet=where,
                label=f"figures.json {where}",
            )

    def _rules(self, have: dict[str, Any], fresh: dict[str, Any], file: str) -> None:
        """The format's rules on the figures as published (an edit that breaks a
        total is reported as such, besides the value that differs)."""
        from govstats.audit.tables import check_rules
        from govstats.formats import load_format

        try:
            fmt = load_format(str(fresh["format"]))
        except GovstatsError:
            return
        blocks = [("city", have.get("city"))]
        blocks += [(f"groups.{k}", v) for k, v in (have.get("groups") or {}).items()]
        for prefix, block in blocks:
            values = _decimals(block)
            if values is None:
                continue

            def where(code: str, p: str = prefix) -> Location:
                return Location(file=file, path=f"{p}.{code}")

            self.checks += check_rules(fmt, values, where)

    # report.md

    def _lines(self, path: Path, have_text: str, want_text: str) -> None:
        have = have_text.splitlines()
        want = want_text.splitlines()
        self.compared += len(want)
        matcher = difflib.SequenceMatcher(a=have, b=want, autojunk=False)
        for op, a1, a2, b1, b2 in matcher.get_opcodes():
            if op == "equal":
                continue
            pairs = list(zip(range(a1, a2), range(b1, b2), strict=False))
            for i, j in pairs:
                self._line(path, i + 1, have[i], want[j])
            for i in range(a1 + len(pairs), a2):
                self._line(path, i + 1, have[i], "")
            for j in range(b1 + len(pairs), b2):
                self._line(path, a2 + 1, "", want[j])

    def _line(self, path: Path, number: int, have: str, want: str) -> None:
        label = f"{path.name} {number}"
        if have and want and _skeleton(have) == _skeleton(want):
            a, b = list(_NUMBER.finditer(have)), list(_NUMBER.finditer(want))
            for x, y in zip(a, b, strict=True):
                if x.group() != y.group():
                    self.add(
                        "line",
                        self.code,
                        Location(file=str(path), line=number, column=x.start() + 1),
                        x.group(),
                        y.group(),
                        snippet=_around(have, x.start(), x.end()),
                        label=f"{label}:{x.start() + 1}",
                    )
            return
        col = next(
            (k for k, (p, q) in enumerate(zip(have, want, strict=False)) if p != q),
            min(len(have), len(want)),
        )
        self.add(
            "line",
            self.code,
            Location(file=str(path), line=number, column=col + 1),
            _around(have, col, col + 1) if have else "(无)",
            _around(want, col, col + 1) if want else "(无)",
            snippet=_around(have, col, col + 1),
            label=f"{label}:{col + 1}",
        )

    # Workbooks

    def _workbook(self, path: Path, fresh: bytes, shares: bool) -> None:
        import openpyxl

        try:
            have = _Sheets(openpyxl.load_workbook(path), path.read_bytes())
        except Exception as exc:  # noqa: BLE001 - any damage is a finding, not a crash
            self.add("value", "output-missing", Location(file=str(path)), str(exc), "")
            return
        want = _Sheets(openpyxl.load_workbook(io.BytesIO(fresh)), fresh)
        for title in want.wb.sheetnames:
            if title not in have.wb.sheetnames:
                self.add(
                    "value",
                    self.code,
                    Location(file=str(path), sheet=title),
                    "(无)",
                    title,
                    label=f"{path.name} {title}",
                )
                continue
            self._sheet(path, have, want, title, shares)

    def _sheet(
        self, path: Path, have: _Sheets, want: _Sheets, title: str, shares: bool
    ) -> None:
        ws_have, ws_want = have.wb[title], want.wb[title]
        rows = max(ws_have.max_row, ws_want.max_row)
        cols = max(ws_have.max_column, ws_want.max_column)
        for r in range(1, rows + 1):
            for c in range(1, cols + 1):
                a, b = ws_have.cell(r, c), ws_want.cell(r, c)
                if a.value is None and b.value is None:
                    continue
                self.compared += 1
                where = Location(file=str(path), sheet=title, cell=b.coordinate)
                if b.data_type == "f":
                    self._formula(have, want, title, a, b, where)
                elif shares and self._printed_share(have, title, a, b, where):
                    continue
                elif not _same(a.value, b.value):
                    self.add(
                        "value",
                        self.code,
                        where,
                        _cell_text(a.value),
                        _cell_text(b.value),
                        label=f"{title}!{b.coordinate}",
                    )

    def _formula(
        self, have: _Sheets, want: _Sheets, title: str, a: Any, b: Any, where: Location
    ) -> None:
        if a.data_type != "f" or str(a.value) != str(b.value):
            self.add(
                "formula",
                "formula-replaced",
                where,
                _cell_text(a.value),
                str(b.value),
                label=f"{title}!{b.coordinate}",
            )
            return
        cached = have.cached(title, a.row, a.column)
        computed = have.evaluate(title, str(a.value))
        if cached is None:
            self.add(
                "formula",
                "formula-no-value",
                where,
                str(a.value),
                "",
                label=f"{title}!{b.coordinate}",
            )
        elif computed is not None and not _close(cached, computed):
            self.add(
                "formula",
                "share-formula-mismatch",
                where,
                *_shown_pair(cached, computed, b.number_format),
                label=f"{title}!{b.coordinate} (cached)",
                detail=str(a.value),
            )
        else:
            fresh = want.cached(title, b.row, b.column)
            if fresh is not None and not _close(cached, Fraction(fresh)):
                self.add(
                    "formula",
                    self.code,
                    where,
                    *_shown_pair(cached, Fraction(fresh), b.number_format),
                    label=f"{title}!{b.coordinate}",
                )

    def _printed_share(
        self, have: _Sheets, title: str, a: Any, b: Any, where: Location
    ) -> bool:
        """A 报告采用 cell against the share formula beside it, on the workbook's
        own counts (the counts may have been edited and recalculated).

        :returns: True when it does not match (a finding was added).
        """
        from govstats.core.numbers import format_percent, quantize

        ws = have.wb[title]
        if not isinstance(a.value, str) or not a.value.endswith("%"):
            return False
        formula = ws.cell(a.row, a.column - 1)
        if formula.data_type != "f":
            return False
        value = have.evaluate(title, str(formula.value))
        if value is None:
            return False
        places = len(a.value.rstrip("%").split(".")[1]) if "." in a.value else 0
        text = format_percent(quantize(abs(value) * 100, places, self.rounding))
        if not a.value.endswith(text):
            self.add(
                "formula",
                "share-formula-mismatch",
                where,
                a.value,
                text,
                label=f"{title}!{b.coordinate}",
                detail=f"{formula.coordinate}{formula.value}",
            )
            return True
        return False


class _Sheets:
    """An xlsx with its formulas (openpyxl) and cached values (calamine)."""

    def __init__(self, wb: Any, data: bytes) -> None:
        import python_calamine as pc

        self.wb = wb
        self.values = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        self._grids: dict[str, list[list[Any]]] = {}
        self._memo: dict[tuple[str, str], Fraction | None] = {}

    def cached(self, title: str, row: int, col: int) -> float | None:
        if title not in self._grids:
            sheet = self.values.get_sheet_by_name(title)
            self._grids[title] = sheet.to_python(skip_empty_area=False)
        grid = self._grids[title]
        if row > len(grid) or col > len(grid[row - 1]):
            return None
        value = grid[row - 1][col - 1]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)

    def value(self, title: str, ref: str) -> Fraction | None:
        """A cell's exact value: its number, or its formula evaluated."""
        key = (title, ref)
        if key not in self._memo:
            self._memo[key] = None  # a circular reference evaluates to nothing
            cell = self.wb[title][ref]
            if cell.data_type == "f":
                self._memo[key] = self.evaluate(title, str(cell.value))
            elif isinstance(cell.value, int | float) and not isinstance(
                cell.value, bool
            ):
                self._memo[key] = Fraction(str(cell.value))
        return self._memo[key]

    def evaluate(self, title: str, formula: str) -> Fraction | None:
        """The exact value of a formula of the shapes govstats writes (cell
        references, SUM of a range, + − × ÷); None for anything else."""
        return _evaluate(formula, lambda ref: self.value(title, ref))


def _evaluate(
    formula: str, lookup: Callable[[str], Fraction | None]
) -> Fraction | None:
    from govstats.core.locations import column_letter, column_number

    expr = formula.lstrip("=")

    def total(m: re.Match[str]) -> str:
        c1, r1, c2, r2 = m.groups()
        refs = [
            f"{column_letter(c)}{r}"
            for r in range(int(r1), int(r2) + 1)
            for c in range(column_number(c1), column_number(c2) + 1)
        ]
        return "(" + "+".join(refs) + ")" if refs else "0"

    expr = _SUM.sub(total, expr)
    names: dict[str, Fraction] = {}

    def name(m: re.Match[str]) -> str:
        ref = f"{m.group(1)}{m.group(2)}"
        value = lookup(ref)
        if value is None:
            raise _NoValue
        names[f"r_{ref}"] = value
        return f"r_{ref}"

    try:
        expr = _REF.sub(name, expr)
        return _arith(ast.parse(expr, mode="eval").body, names)
    except (_NoValue, SyntaxError, ZeroDivisionError, KeyError):
        return None


class _NoValue(Exception):
    pass


def _arith(node: ast.AST, names: dict[str, Fraction]) -> Fraction:
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_arith(node.operand, names)
    if isinstance(node, ast.BinOp):
        left, right = _arith(node.left, names), _arith(node.right, names)
        ops: dict[type, Callable[[Fraction, Fraction], Fraction]] = {
            ast.Add: lambda x, y: x + y,
            ast.Sub: lambda x, y: x - y,
            ast.Mult: lambda x, y: x * y,
            ast.Div: lambda x, y: x / y,
        }
        if type(node.op) in ops:
            return ops[type(node.op)](left, right)
    raise SyntaxError("unsupported formula")


def _close(cached: float, exact: Fraction) -> bool:
    # Excel stores a formula's result as the double nearest its exact value.
    return abs(Fraction(cached) - exact) <= abs(exact) * Fraction(1, 10**12)


def _same(a: Any, b: Any) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return Fraction(str(a)) == Fraction(str(b))
    return bool(a == b)


def _cell_text(value: Any) -> str:
    if value is None:
        return "(空)"
    if isinstance(value, float):
        return _float_text(value)
    return str(value)


def _float_text(value: float) -> str:
    """A number as a person reads it: a count without ``.0``, else its shortest
    decimal digits (never an exponent)."""
    if value.is_integer():
        return str(int(value))
    return format_decimal(Decimal(repr(value)).normalize())


# The most decimals a share is shown with when its two values agree to fewer.
_SHARE_PLACES_MAX = 12


def _shown_pair(cached: float, computed: Fraction, number_format: str) -> list[str]:
    """A formula's cached and computed values, shown alike (issue 16, point 12).

    A share (a cell formatted ``0.0%``) is shown as the report prints shares, a
    percentage rounded half up at the format's decimals, with more decimals only
    where the two would otherwise read the same; any other value as
    :func:`_float_text` shows it (``22976``, not ``22976.0``).
    """
    from govstats.core.numbers import format_percent, quantize

    if not number_format.endswith("%"):
        return [_float_text(cached), _float_text(float(computed))]
    places = len(number_format.partition(".")[2].rstrip("%"))
    exact = Fraction(cached)
    while True:
        pair = [format_percent(quantize(x * 100, places)) for x in (exact, computed)]
        if pair[0] != pair[1] or places >= _SHARE_PLACES_MAX:
            return pair
        places += 1


def _docx_texts(path: Path, fresh: bytes) -> tuple[str, str]:
    """The paragraphs (and table rows, cells apart by tabs) of the published
    ``report.docx`` and of the fresh one, one a line; a published file that cannot
    be read is one line saying so, which then differs from the first line."""
    from govstats.audit.documents import office_document, read_document

    try:
        have = read_document(path).text
    except GovstatsError as exc:
        have = f"({exc.problem.code})"
    doc = office_document(fresh, str(path))
    return have, doc.text if doc is not None else ""


def _json_text(value: Any) -> str:
    if value is None:
        return "(无)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _decimals(block: Any) -> dict[str, Decimal] | None:
    if not isinstance(block, dict):
        return None
    out = {}
    for code, value in block.items():
        try:
            out[str(code)] = Decimal(str(value))
        except ArithmeticError:
            continue
    return out


def _skeleton(line: str) -> str:
    return _NUMBER.sub("#", line)


def _around(line: str, start: int, end: int, width: int = 12) -> str:
    left = max(start - width, 0)
    right = min(end + width, len(line))
    return ("…" if left else "") + line[left:right] + ("…" if right < len(line) else "")
