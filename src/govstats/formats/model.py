"""Report formats, loaded from the declarations in ``schemas/*.yaml``.

A format declares its tables (one sheet each), the indicators in them, their units,
and the cross-field rules. Nothing about a particular format is written in Python:
the template, the validation schemas and the aggregation are all built from a
:class:`Format`.

A table is laid out in *blocks*. A *list block* (the statistical-form layout of
gk2008) has one indicator per row and one value column (本年): the row's code is the
indicator's code. A *matrix block* (the national tables of gk2021) has rows and
columns, each with a code; its ``cell`` pattern names the indicator of each cell,
e.g. ``t3.{row}.{col}`` gives ``t3.new.natural``. Every cell is located in a
workbook by its row code and column code, never by position.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govstats.core.problems import GovstatsError, Problem
from govstats.formats.rules import PREV, Rule, build_rule, expand_codes

__all__ = [
    "PREV",
    "AuditSpec",
    "Block",
    "Chart",
    "Column",
    "Compared",
    "Format",
    "Group",
    "Rate",
    "ReportSpec",
    "ReportTable",
    "Indicator",
    "InfoField",
    "ProseFigure",
    "Row",
    "RosterSpec",
    "Rule",
    "Subtotal",
    "Table",
    "format_for_year",
    "list_formats",
    "load_format",
    "schemas_dir",
]


@dataclass(frozen=True)
class Indicator:
    """One figure of the format, e.g. ``sq.received``."""

    code: str
    label: str
    unit: str
    places: int
    table: str
    indent: int = 0
    row: str = ""
    column: str = ""
    signed: bool = False

    @property
    def is_count(self) -> bool:
        """True when the value must be a whole number."""
        return self.places == 0


@dataclass(frozen=True)
class Column:
    """A value column of a block; ``groups`` are the header cells above its label."""

    code: str
    label: str
    groups: tuple[str, ...] = ()
    unit: str = ""


@dataclass(frozen=True)
class Row:
    """A row of a block; ``groups`` are the row headings it sits under."""

    code: str
    label: str
    unit: str
    indent: int = 0
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Block:
    """Rows × value columns of a table, each cell an indicator (see module docs)."""

    rows: tuple[Row, ...]
    columns: tuple[Column, ...]
    cell: str = "{row}"
    title: str = ""
    row_header: str = ""
    note: str = ""

    @property
    def is_list(self) -> bool:
        """True for the one-value-column layout, whose column has no code."""
        return len(self.columns) == 1 and not self.columns[0].code

    def code(self, row: str, col: str) -> str:
        """The indicator code of a cell."""
        return self.cell.format(row=row, col=col)


@dataclass(frozen=True)
class Table:
    """One table of the format, laid out on a sheet of its own."""

    id: str
    number: str
    title: str
    indicators: tuple[Indicator, ...]
    note: str = ""
    blocks: tuple[Block, ...] = ()
    unit: str = ""

    @functools.cached_property
    def cells(self) -> dict[tuple[str, str], Indicator]:
        """Every indicator by ``(row code, column code)``."""
        return {(ind.row, ind.column): ind for ind in self.indicators}

    @functools.cached_property
    def row_codes(self) -> frozenset[str]:
        return frozenset(ind.row for ind in self.indicators)

    @functools.cached_property
    def column_codes(self) -> frozenset[str]:
        return frozenset(ind.column for ind in self.indicators if ind.column)

    sheet_name: str = ""

    @property
    def sheet(self) -> str:
        """The sheet name a template gives this table, e.g. ``表1 主动公开政府信息情况``."""
        return self.sheet_name or f"{self.number} {self.title}"

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(ind.code for ind in self.indicators)


@dataclass(frozen=True)
class InfoField:
    """A label/value row of the identification sheet (基本信息)."""

    key: str
    label: str
    required: bool = False
    type: str = "text"


@dataclass(frozen=True)
class Group:
    """A subset of the roster, by roster columns (``{'层级': '市本级'}``); empty = all."""

    where: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        """``层级=市本级,类别=市政府工作部门``; ``""`` for the whole roster."""
        return ",".join(f"{k}={v}" for k, v in self.where)

    @classmethod
    def parse(cls, key: str) -> Group:
        """The group written as ``层级=市本级,类别=市政府工作部门``."""
        if not key:
            return cls()
        pairs = (item.split("=", 1) for item in key.split(","))
        return cls(tuple((k.strip(), v.strip()) for k, v in pairs))


@dataclass(frozen=True)
class ReportTable:
    """A standard table of the compiled report: a total, its parts, their shares."""

    id: str
    section: str
    title: str
    total: str
    parts: tuple[str, ...]
    shares: bool


@dataclass(frozen=True)
class Rate:
    """A rate or year-on-year change the report quotes."""

    label: str
    kind: str  # "rate" (numerator / denominator) or "change" ((n - d) / d)
    numerator: str
    denominator: str
    group: Group = Group()

    @property
    def id(self) -> str:
        """The public id of the figure, e.g. ``sq.answered/sq.received@类别=市政府``."""
        if self.kind == "change":
            base = f"({self.numerator}-{self.denominator})/{self.denominator}"
        else:
            base = f"{self.numerator}/{self.denominator}"
        return f"{base}@{self.group.key}" if self.group.key else base


@dataclass(frozen=True)
class Subtotal:
    """A derived figure: the sum of other figures, with a code of its own."""

    code: str
    label: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class ProseFigure:
    """A figure of the tables that the prose of a report quotes (一、总体情况).

    A count whose words end with one of ``phrases`` (``共新收政府信息公开申请173件``)
    states the figure ``code``; with ``within``, only when it is a part of an
    enumeration whose total states the figure ``within`` (``行政复议12件，其中结果
    维持7件``: 结果维持 of 行政复议, not of 行政诉讼).
    """

    code: str
    phrases: tuple[str, ...]
    within: str = ""
    #: Phrases that state the figure only as the whole of a count's words, save
    #: for the words of time and totality before them (本年度共答复 but not
    #: 当场答复: the short words 答复, 办结, 受理).
    whole: tuple[str, ...] = ()
    #: The values the figure may have, each a sum of figures of the tables (the
    #: tables print no subtotal of 予以公开及部分公开: (一) + (二)); by default
    #: ``code`` itself. ``code`` then names the figure and ``label`` says it.
    readings: tuple[tuple[str, ...], ...] = ()
    label: str = ""

    @property
    def sums(self) -> tuple[tuple[str, ...], ...]:
        """Each figure's sum of table figures, at least ``(code,)``."""
        return self.readings or ((self.code,),)


@dataclass(frozen=True)
class AuditSpec:
    """What an audit of a published report reads: the tables it recognises by their
    labels, and the figures the prose quotes from them."""

    tables: tuple[str, ...] = ()
    prose: tuple[ProseFigure, ...] = ()


@dataclass(frozen=True)
class RosterSpec:
    """What ``units.csv`` may say: allowed values per column, and the government."""

    allowed: tuple[tuple[str, tuple[str, ...]], ...] = ()
    government: Group = Group()


@dataclass(frozen=True)
class Chart:
    """A bar chart of report.html: one bar per figure, with its share of ``total``
    beside it when ``shares`` (the shares the report already prints)."""

    id: str
    section: str
    title: str
    bars: tuple[str, ...]
    labels: tuple[str, ...]
    unit: str
    total: str = ""
    shares: bool = False


@dataclass(frozen=True)
class Compared:
    """A figure whose change since last year the report states (issue 19):
    ``比上年增加20件，增长9.1%``, with ``label`` naming it in that sentence; when
    ``chart``, report.html draws it in the two-year bar chart."""

    code: str
    label: str
    unit: str
    chart: bool = False


@dataclass(frozen=True)
class ReportSpec:
    """What the compiled report of a format contains."""

    groups: tuple[Group, ...] = ()
    tables: tuple[ReportTable, ...] = ()
    rates: tuple[Rate, ...] = ()
    charts: tuple[Chart, ...] = ()
    compared: tuple[Compared, ...] = ()


@dataclass(frozen=True, eq=False)
class Format:
    """A report format: its tables, indicators and rules."""

    id: str
    title: str
    title_en: str
    first_year: int
    last_year: int
    units: dict[str, int]
    info_sheet: str
    info_fields: tuple[InfoField, ...]
    columns: dict[str, str]
    tables: tuple[Table, ...]
    rules: tuple[Rule, ...]
    source: Path
    report: ReportSpec = ReportSpec()
    subtotals: tuple[Subtotal, ...] = ()
    roster: RosterSpec = RosterSpec()
    audit: AuditSpec = AuditSpec()

    @functools.cached_property
    def indicators(self) -> dict[str, Indicator]:
        """Every indicator by code, in declaration order."""
        return {ind.code: ind for t in self.tables for ind in t.indicators}

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.indicators)

    def table_of(self, code: str) -> Table:
        """The table that holds ``code``."""
        ind = self.indicators[code]
        return next(t for t in self.tables if t.id == ind.table)

    @property
    def max_places(self) -> int:
        return max(self.units.values())

    @property
    def cross_year(self) -> bool:
        """True when some rule reads last year's figures."""
        return any(c.startswith(PREV) for r in self.rules for c in r.codes)


# Load


def schemas_dir() -> Path:
    """The folder with the format declarations.

    In a checkout (or an editable install) that is ``schemas/`` at the project root;
    a wheel carries a copy as ``govstats/_schemas``.
    """
    package = Path(__file__).resolve().parents[1]
    for candidate in (package.parents[1] / "schemas", package / "_schemas"):
        if candidate.is_dir():
            return candidate
    raise GovstatsError(Problem.make("format-unknown", found="schemas/"))


def list_formats() -> list[str]:
    """The ids of every declared format, sorted."""
    return sorted(p.stem for p in schemas_dir().glob("*.yaml"))


@functools.cache
def load_format(format_id: str) -> Format:
    """Load and check the declaration ``schemas/<format_id>.yaml``.

    :raises GovstatsError: ``format-unknown`` when there is no such declaration.
    """
    from govstats.core.declarations import read_yaml

    path = schemas_dir() / f"{format_id}.yaml"
    if not re.fullmatch(r"[a-z0-9_-]+", format_id) or not path.is_file():
        raise GovstatsError(
            Problem.make(
                "format-unknown", found=format_id, expected=", ".join(list_formats())
            )
        )
    return _build(read_yaml(path), path)


def format_for_year(year: int, format_id: str | None = None) -> Format:
    """The format a report for ``year`` uses (or ``format_id`` when given).

    :raises GovstatsError: ``format-unknown`` when no declared format covers the year.
    """
    if format_id:
        return load_format(format_id)
    for fid in list_formats():
        fmt = load_format(fid)
        if fmt.first_year <= year <= fmt.last_year:
            return fmt
    raise GovstatsError(
        Problem.make(
            "format-unknown", found=str(year), expected=", ".join(list_formats())
        )
    )


def _build(data: dict[str, Any], path: Path) -> Format:
    units = {name: int(spec["places"]) for name, spec in data["units"].items()}
    columns = dict(data["list_columns"])
    # A signed unit (本年增/减) may be negative; every other figure is >= 0.
    signed = frozenset(n for n, spec in data["units"].items() if spec.get("signed"))
    tables = [_build_table(t, units, columns, signed) for t in data["tables"]]
    all_codes = [ind.code for t in tables for ind in t.indicators]
    if len(set(all_codes)) != len(all_codes):
        dup = sorted({c for c in all_codes if all_codes.count(c) > 1})
        raise ValueError(f"{path}: duplicated indicator code {dup}")
    axes = {
        "rows": {t.id: [r.code for b in t.blocks for r in b.rows] for t in tables},
        "columns": {
            t.id: [c.code for b in t.blocks for c in b.columns] for t in tables
        },
    }
    rules = tuple(
        build_rule(concrete, all_codes, key)
        for spec in data.get("rules", [])
        for key, concrete in _foreach(spec, axes)
    )
    subtotals = tuple(
        Subtotal(
            code=concrete["code"],
            label=concrete["label"],
            parts=expand_codes(concrete["parts"], all_codes),
        )
        for spec in data.get("subtotals", [])
        for _key, concrete in _foreach(spec, axes)
    )
    derived_codes = all_codes + [s.code for s in subtotals]
    roster = data.get("roster") or {}
    info = data["info"]
    return Format(
        id=data["id"],
        title=data["title"],
        title_en=data.get("title_en", data["title"]),
        first_year=int(data["years"]["first"]),
        last_year=int(data["years"]["last"]),
        units=units,
        info_sheet=info["sheet"],
        info_fields=tuple(InfoField(**f) for f in info["fields"]),
        columns=columns,
        tables=tuple(tables),
        rules=rules,
        source=path,
        report=_build_report(
            data.get("report") or {}, derived_codes, tables, subtotals
        ),
        subtotals=subtotals,
        roster=RosterSpec(
            allowed=tuple(
                (str(k), tuple(str(x) for x in v))
                for k, v in roster.items()
                if k != "government"
            ),
            government=_group(roster.get("government")),
        ),
        audit=_build_audit(data.get("audit") or {}, tables, derived_codes, path),
    )


def _build_table(
    t: dict[str, Any],
    units: dict[str, int],
    columns: dict[str, str],
    signed: frozenset[str] = frozenset(),
) -> Table:
    # A table declared with plain `rows:` is one list block (gk2008's layout).
    specs = t.get("blocks") or [{"rows": t["rows"]}]
    blocks: list[Block] = []
    indicators: list[Indicator] = []
    for spec in specs:
        unit = spec.get("unit", t.get("unit", ""))
        cols = tuple(
            Column(
                code=str(c.get("code", "")),
                label=c["label"],
                groups=tuple(c.get("groups", ())),
                unit=c.get("unit", ""),
            )
            for c in spec.get("columns", [{"code": "", "label": columns["value"]}])
        )
        rows = tuple(
            Row(
                code=str(r["code"]),
                label=r["label"],
                unit=r.get("unit", unit),
                indent=int(r.get("indent", 0)),
                groups=tuple(r.get("groups", ())),
            )
            for r in spec["rows"]
        )
        block = Block(
            rows=rows,
            columns=cols,
            cell=spec.get("cell", "{row}"),
            title=spec.get("title", ""),
            row_header=spec.get("row_header", columns["label"]),
            note=spec.get("note", ""),
        )
        blocks.append(block)
        # A column label the block repeats (总计 of 行政复议 and of both kinds of
        # 行政诉讼) is told apart by the groups above it.
        repeated = {c.label for c in cols if sum(d.label == c.label for d in cols) > 1}
        for row in rows:
            for col in cols:
                col_label = col.label
                if col.label in repeated and col.groups:
                    col_label = "·".join((*col.groups, col.label))
                label = row.label if block.is_list else f"{row.label}（{col_label}）"
                if len(row.groups) > 1 and not block.is_list:
                    label = f"{row.groups[-1]} {label}"
                cell_unit = col.unit or row.unit
                indicators.append(
                    Indicator(
                        code=block.code(row.code, col.code),
                        label=label,
                        unit=cell_unit,
                        places=units[cell_unit],
                        signed=cell_unit in signed,
                        table=t["id"],
                        indent=row.indent,
                        row=row.code,
                        column=col.code,
                    )
                )
    return Table(
        id=t["id"],
        number=t["number"],
        title=t["title"],
        indicators=tuple(indicators),
        note=t.get("note", ""),
        blocks=tuple(blocks),
        unit=t.get("unit", ""),
        sheet_name=t.get("sheet", ""),
    )


def _group(spec: dict[str, str] | None) -> Group:
    return Group(tuple((str(k), str(v)) for k, v in (spec or {}).items()))


def _build_audit(
    data: dict[str, Any], tables: list[Table], codes: list[str], path: Path
) -> AuditSpec:
    ids = [t.id for t in tables]
    for tid in data.get("tables", []):
        if tid not in ids:
            raise ValueError(
                f"{path}: audit table {tid!r} is not a table of the format"
            )
    prose = []
    for spec in data.get("prose", []):
        readings = tuple(tuple(r) for r in spec.get("readings", []))
        names = [spec.get("within", ""), *(c for r in readings for c in r)]
        if not readings:
            names.append(spec["code"])
        elif spec["code"] in codes or not spec.get("label"):
            raise ValueError(
                f"{path}: audit prose {spec['code']!r} with readings needs a new"
                " code and a label"
            )
        for name in names:
            if name and name not in codes:
                raise ValueError(f"{path}: audit prose code {name!r} is not a figure")
        prose.append(
            ProseFigure(
                code=spec["code"],
                phrases=tuple(spec.get("phrases", [])),
                within=spec.get("within", ""),
                whole=tuple(spec.get("whole", [])),
                readings=readings,
                label=spec.get("label", ""),
            )
        )
    return AuditSpec(tables=tuple(data.get("tables", [])), prose=tuple(prose))


def _build_report(
    data: dict[str, Any],
    codes: list[str],
    tables_: list[Table],
    subtotals: tuple[Subtotal, ...],
) -> ReportSpec:
    tables = tuple(
        ReportTable(
            id=t["id"],
            section=t.get("section", ""),
            title=t["title"],
            total=expand_codes([t["total"]], codes)[0],
            parts=expand_codes(t["parts"], codes),
            shares=bool(t.get("shares", False)),
        )
        for t in data.get("tables", [])
    )
    rates = tuple(
        Rate(
            label=r["label"],
            kind=r.get("kind", "rate"),
            numerator=expand_codes([r["numerator"]], codes)[0],
            denominator=expand_codes([r["denominator"]], codes)[0],
            group=_group(r.get("group")),
        )
        for r in data.get("rates", [])
    )
    groups = tuple(_group(g) for g in data.get("groups", []))
    indicators = {ind.code: ind for t in tables_ for ind in t.indicators}
    labels = {code: ind.label for code, ind in indicators.items()}
    labels.update({st.code: st.label for st in subtotals})
    units = {code: ind.unit for code, ind in indicators.items()}
    units.update({st.code: units[st.parts[0]] for st in subtotals})
    charts = tuple(
        _build_chart(c, codes, {t.id: t for t in tables}, labels, units)
        for c in data.get("charts", [])
    )
    compared = tuple(
        Compared(
            code=code,
            label=str(c.get("label", labels[code])),
            unit=units[code],
            chart=bool(c.get("chart", False)),
        )
        for c in data.get("compared", [])
        for code in expand_codes([c["code"]], codes)
    )
    return ReportSpec(
        groups=groups, tables=tables, rates=rates, charts=charts, compared=compared
    )


def _build_chart(
    spec: dict[str, Any],
    codes: list[str],
    tables: dict[str, ReportTable],
    labels: dict[str, str],
    units: dict[str, str],
) -> Chart:
    # A chart of a report table takes its total, parts and shares; otherwise it
    # names its bars (and optionally a total) itself.
    table = tables.get(spec.get("table", ""))
    if "table" in spec and table is None:
        raise ValueError(f"chart {spec['id']}: no report table {spec['table']!r}")
    bars = table.parts if table else expand_codes(spec["bars"], codes)
    total = table.total if table else spec.get("total", "")
    short = {str(k): str(v) for k, v in (spec.get("labels") or {}).items()}
    unknown = sorted(set(short) - set(bars))
    if unknown:
        raise ValueError(f"chart {spec['id']}: labels for codes not charted {unknown}")
    return Chart(
        id=spec["id"],
        section=spec.get("section", table.section if table else ""),
        title=spec.get("title", table.title if table else ""),
        bars=bars,
        labels=tuple(short.get(code, labels[code]) for code in bars),
        unit=units[bars[0]],
        total=total,
        shares=bool(table.shares) if table else False,
    )


def _substitute(value: Any, **names: str) -> Any:
    if isinstance(value, str):
        return value.format(**names) if "{" in value else value
    if isinstance(value, list):
        return [_substitute(v, **names) for v in value]
    return value


def _foreach(
    spec: dict[str, Any], axes: dict[str, dict[str, list[str]]]
) -> list[tuple[str, dict[str, Any]]]:
    """A declaration once, or once per key of its ``foreach``, keys substituted.

    ``foreach: {rows: t3}`` substitutes ``{row}`` with each row code of table t3,
    ``{columns: t3}`` substitutes ``{col}``, and ``{name: [a, b]}`` substitutes
    ``{name}`` with each listed value.
    """
    foreach = spec.get("foreach")
    if not foreach:
        return [("", spec)]
    ((axis, over),) = foreach.items()
    if axis in axes:
        name = {"rows": "row", "columns": "col"}[axis]
        keys = axes[axis][over]
    else:
        name, keys = axis, list(over)
    out = []
    for key in dict.fromkeys(keys):
        concrete = {
            k: _substitute(v, **{name: key}) for k, v in spec.items() if k != "foreach"
        }
        out.append((key, concrete))
    return out
