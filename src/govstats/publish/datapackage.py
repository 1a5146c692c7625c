"""``datapackage/``: the compiled figures as a Frictionless Data Package (issue 19).

Open data that any tool can combine across governments and years: a
``datapackage.json`` (Data Package v1, profile ``tabular-data-package``) with a Table
Schema per resource, and the resources as CSV (UTF-8, comma-separated, one header
row):

- ``figures.csv``: one row per unit compiled, one column per indicator code;
- ``groups.csv``: the same columns for all units (``全部``) and each group of the
  report (``层级=本级``, ...);
- ``percentages.csv``: every share and rate with its numerator, denominator,
  places and rounding;
- ``changes.csv`` (only when last year's figures were known): each compared
  figure in both years, the difference and the change in per cent;
- ``units.csv``: the units of the roster, and whether each is in the figures.

Field names are the indicator codes, verbatim; titles and descriptions are in
Chinese and English. The bytes depend only on the figures: rows sorted by code, keys
in a fixed order, no time stamps. :func:`govstats.actions.trend` reads packages back.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from govstats.aggregate import (
    PLACES,
    Figures,
    compiled_units,
    format_value,
    label_of,
    places_of,
    printed_rows,
)
from govstats.core.numbers import format_decimal
from govstats.core.output import Streamed
from govstats.core.problems import GovstatsError, Problem
from govstats.read.roster import Roster

__all__ = [
    "ALL_UNITS",
    "FOLDER",
    "RESOURCES",
    "Trend",
    "TrendRow",
    "datapackage_files",
    "read_trend",
]

FOLDER = "datapackage"
#: the ``group`` of the row that sums every unit compiled
ALL_UNITS = "全部"
RESOURCES = ("figures", "groups", "percentages", "changes", "units")
# A resource's rows: a list, or made as its file is written (called then).
Rows = list[list[str]] | Callable[[], Iterable[list[str]]]


def datapackage_files(
    figures: Figures, government: str, roster: Roster, excluded: Sequence[str]
) -> dict[str, bytes | Streamed]:
    """The files of ``datapackage/`` by their path in the outputs folder
    (figures.csv, a row a unit, made as it is written).

    :param excluded: the names of the units a partial compile left out.
    """
    from govstats.publish.figures_json import json_bytes

    fmt = figures.fmt
    codes = [*fmt.codes, *(st.code for st in fmt.subtotals)]
    places = {code: places_of(fmt, code) for code in codes}
    resources: list[tuple[dict[str, Any], Rows]] = [
        _figures(figures, codes, places),
        _groups(figures, codes, places),
        _percentages(figures),
    ]
    if figures.changes:
        resources.append(_changes(figures))
    resources.append(_units(figures, roster))
    year = figures.year
    descriptor: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": f"govstats-{fmt.id}-{year}",
        "title": f"{government}{year}年政府信息公开工作年度报告统计数据"
        f" / Statistics of the {year} government information disclosure"
        f" annual report of {government}",
        "description": f"由 govstats 按{fmt.title}汇总{len(figures.units)}个填报单位"
        "的统计报表所得；字段名为格式的指标代码。"
        + ("部分汇总，未纳入：" + "、".join(excluded) + "。" if excluded else "")
        + f" Compiled by govstats from the workbooks of {len(figures.units)} units"
        f" in the format {fmt.id} ({fmt.title_en}); field names are the"
        " format's indicator codes."
        + (" A partial compile: units left out are named above." if excluded else ""),
        "version": f"{year}",
        "keywords": ["政府信息公开", "government information disclosure", fmt.id],
        # What a reader of several packages (govstats trend) picks them by.
        "govstats": {
            "format": fmt.id,
            "year": year,
            "government": government,
            "rounding": figures.rounding,
            "partial": bool(excluded),
        },
        "resources": [meta for meta, _rows in resources],
    }
    out: dict[str, bytes | Streamed] = {
        f"{FOLDER}/datapackage.json": json_bytes(descriptor)
    }
    for meta, rows in resources:
        header = [field["name"] for field in meta["schema"]["fields"]]
        if callable(rows):
            out[f"{FOLDER}/{meta['path']}"] = Streamed(
                functools.partial(_csv_pieces, header, rows)
            )
        else:
            out[f"{FOLDER}/{meta['path']}"] = _csv(header, rows)
    return out


# Resources


def _resource(
    name: str,
    title: str,
    description: str,
    fields: list[dict[str, Any]],
    key: list[str],
) -> dict[str, Any]:
    return {
        "profile": "tabular-data-resource",
        "name": name,
        "path": f"{name}.csv",
        "title": title,
        "description": description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {"fields": fields, "primaryKey": key},
    }


def _field(
    name: str, kind: str, title: str, description: str, required: bool = False
) -> dict[str, Any]:
    field: dict[str, Any] = {
        "name": name,
        "type": kind,
        "title": title,
        "description": description,
    }
    if required:
        field["constraints"] = {"required": True}
    return field


def _indicator_fields(figures: Figures, codes: list[str]) -> list[dict[str, Any]]:
    fmt = figures.fmt
    out = []
    for code in codes:
        # A subtotal (不予公开 = Σ r.deny.*) is told by the table of its parts.
        first = next((st.parts[0] for st in fmt.subtotals if st.code == code), code)
        table, unit = fmt.table_of(first), fmt.indicators[first].unit
        zh = f"表{table.number}“{table.title}”"
        en = f"table {table.number} ({table.id})"
        if first != code:
            zh, en = zh + "中各项之和（小计）", "a subtotal of " + en
        out.append(
            _field(
                code,
                "integer" if places_of(fmt, code) == 0 else "number",
                label_of(fmt, code),
                f"{zh}，单位：{unit}。Indicator {code} of {en} of the format"
                f" {fmt.id}, in {unit}.",
                required=True,
            )
        )
    return out


def _values(
    values: dict[str, Decimal], codes: list[str], places: dict[str, int]
) -> list[str]:
    return [format_value(values.get(code, Decimal(0)), places[code]) for code in codes]


def _figures(
    figures: Figures, codes: list[str], places: dict[str, int]
) -> tuple[dict[str, Any], Callable[[], Iterable[list[str]]]]:
    fields = [
        _field(
            "unit_code", "string", "单位代码", "填报单位的代码。The unit's code.", True
        ),
        *_indicator_fields(figures, codes),
    ]
    units = compiled_units(figures)
    # By unit code (a unit is compiled once: no two rows have the same), made
    # a block of units at a time as the file is written (issue 18).
    order = sorted(range(len(units)), key=lambda k: units[k].code)

    def rows() -> Iterator[list[str]]:
        printed = printed_rows(figures, codes, [places[c] for c in codes], order)
        # Amounts are printed as text already, counts as integers.
        return ([unit.code, *map(str, row)] for unit, row in printed)

    meta = _resource(
        "figures",
        "各填报单位的数据 / Figures of each unit",
        "每行一个纳入汇总的填报单位，每列一个指标（字段名为指标代码）。"
        " One row per unit compiled, one column per indicator (named by its code).",
        fields,
        ["unit_code"],
    )
    return meta, rows


def _groups(
    figures: Figures, codes: list[str], places: dict[str, int]
) -> tuple[dict[str, Any], list[list[str]]]:
    fields = [
        _field(
            "group",
            "string",
            "汇总范围",
            f"“{ALL_UNITS}”为全部纳入汇总的单位，其余为名册的分组（如 层级=本级）。"
            f" {ALL_UNITS} is every unit compiled; the others are groups of the"
            " roster (such as 层级=本级).",
            True,
        ),
        *_indicator_fields(figures, codes),
    ]
    rows = sorted(
        [key or ALL_UNITS, *_values(values, codes, places)]
        for key, values in figures.sums.items()
    )
    meta = _resource(
        "groups",
        "汇总数据 / Sums over all units and each group",
        "全部单位及名册各分组的合计，列同 figures。"
        " The sums over every unit and over each group of the roster, with the"
        " columns of figures.",
        fields,
        ["group"],
    )
    return meta, rows


def _percentages(figures: Figures) -> tuple[dict[str, Any], list[list[str]]]:
    text = [
        ("id", "string", "标识", "百分比的标识。The percentage's id."),
        (
            "kind",
            "string",
            "类型",
            "share（占比）、rate（比率）或 change（变化）。share, rate or change.",
        ),
        ("label", "string", "名称", "报告中的名称。Its name in the report."),
        (
            "group",
            "string",
            "汇总范围",
            f"“{ALL_UNITS}”或名册分组。{ALL_UNITS} or a group of the roster.",
        ),
        (
            "numerator_code",
            "string",
            "分子指标",
            "分子的指标代码。The numerator's indicator code.",
        ),
        ("numerator", "number", "分子", "分子的精确值。The numerator, exact."),
        (
            "denominator_code",
            "string",
            "分母指标",
            "分母的指标代码。The denominator's indicator code.",
        ),
        ("denominator", "number", "分母", "分母的精确值。The denominator, exact."),
        ("places", "integer", "小数位数", "保留的小数位数。Decimal places kept."),
        (
            "rounding",
            "string",
            "修约规则",
            "half-up（四舍五入）或 half-even（GB/T 8170）。half-up or half-even.",
        ),
        (
            "value",
            "number",
            "百分数",
            "按精确分数修约后的百分数；分母为0时为空。The percentage rounded once from the exact fraction; empty when the denominator is 0.",
        ),
    ]
    fields = [
        _field(name, kind, title, desc, name in ("id", "group", "places", "rounding"))
        for name, kind, title, desc in text
    ]
    rows = sorted(
        [
            d.id,
            d.kind,
            d.label,
            d.group or ALL_UNITS,
            d.numerator,
            format_decimal(d.num),
            d.denominator,
            format_decimal(d.den),
            str(PLACES),
            d.rounding,
            "" if d.value is None else format_decimal(d.value),
        ]
        for d in figures.derived.values()
    )
    meta = _resource(
        "percentages",
        "百分比 / Percentages",
        "报告中的每个占比和比率，附分子、分母和修约规则。"
        " Every share and rate of the report with its numerator, denominator and"
        " rounding.",
        fields,
        ["id"],
    )
    return meta, rows


def _changes(figures: Figures) -> tuple[dict[str, Any], list[list[str]]]:
    assert figures.previous is not None
    last = figures.previous.year
    text = [
        ("code", "string", "指标", "比较的指标代码。The code of the figure compared."),
        ("label", "string", "名称", "报告中的名称。Its name in the report."),
        ("previous_year", "integer", "上年", "上年的年度。Last year."),
        ("previous", "number", "上年数", f"{last}年的数值。The figure of {last}."),
        (
            "current",
            "number",
            "本年数",
            f"{figures.year}年的数值。The figure of {figures.year}.",
        ),
        (
            "difference",
            "number",
            "增减",
            "本年数减上年数。This year's figure less last year's.",
        ),
        (
            "places",
            "integer",
            "小数位数",
            "百分数保留的小数位数。Decimal places of the percentage.",
        ),
        (
            "rounding",
            "string",
            "修约规则",
            "half-up 或 half-even。half-up or half-even.",
        ),
        (
            "value",
            "number",
            "增减幅度（%）",
            "增减占上年数的百分比，按精确分数修约；上年为0时为空。The change in per cent of last year's figure, rounded once from the exact fraction; empty when last year's was 0.",
        ),
    ]
    fields = [
        _field(name, kind, title, desc, name in ("code", "previous_year"))
        for name, kind, title, desc in text
    ]
    rows = sorted(
        [
            c.code,
            c.label,
            str(last),
            format_value(c.previous, c.places),
            format_value(c.current, c.places),
            format_value(c.difference, c.places),
            str(PLACES),
            c.rounding,
            "" if c.value is None else format_decimal(c.value),
        ]
        for c in figures.changes.values()
    )
    meta = _resource(
        "changes",
        "与上年比较 / Year on year",
        "报告比较的各项数据在两个年度的数值、增减和增减幅度。"
        " Each figure the report compares with last year: both years, the"
        " difference and the change in per cent.",
        fields,
        ["code"],
    )
    return meta, rows


def _units(figures: Figures, roster: Roster) -> tuple[dict[str, Any], list[list[str]]]:
    compiled = {unit.code for unit in compiled_units(figures)}
    fields = [
        _field("unit_code", "string", "单位代码", "The unit's code.", True),
        _field("unit_name", "string", "单位名称", "The unit's name.", True),
        _field("层级", "string", "层级", "名册中的层级。Its level in the roster."),
        _field("类别", "string", "类别", "名册中的类别。Its kind in the roster."),
        _field(
            "compiled",
            "boolean",
            "已纳入汇总",
            "该单位的数据是否纳入汇总。Whether its figures are in the sums.",
            True,
        ),
    ]
    rows = sorted(
        [u.code, u.name, u.level, u.kind, "true" if u.code in compiled else "false"]
        for u in roster.units
    )
    meta = _resource(
        "units",
        "名册 / The roster's units",
        "汇总名册中的单位。The units of the roster.",
        fields,
        ["unit_code"],
    )
    return meta, rows


def _csv(header: list[str], rows: Iterable[list[str]]) -> bytes:
    return b"".join(_csv_pieces(header, lambda: rows))


_CSV_PIECE = 1 << 16  # characters of CSV encoded at once


def _csv_pieces(
    header: list[str], rows: Callable[[], Iterable[list[str]]]
) -> Iterator[bytes]:
    """The CSV file of ``header`` and ``rows()`` in pieces of about 64 kB."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows():
        writer.writerow(row)
        if buf.tell() >= _CSV_PIECE:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


# Reading packages back


@dataclass(frozen=True)
class TrendRow:
    """One figure over the years: its code, its title, a value per year (None where
    that year's package has no such field)."""

    code: str
    label: str
    values: tuple[Decimal | None, ...]


@dataclass(frozen=True)
class Trend:
    """The sums of all units (``groups.csv``, row ``全部``) of several years'
    packages, figure by figure (``govstats trend``)."""

    years: tuple[int, ...]
    rows: tuple[TrendRow, ...]
    missing: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "years": list(self.years),
            "missing": list(self.missing),
            "figures": [
                {
                    "code": r.code,
                    "label": r.label,
                    "values": {
                        str(y): None if v is None else _json_value(v)
                        for y, v in zip(self.years, r.values, strict=True)
                    },
                }
                for r in self.rows
            ],
        }


def _json_value(value: Decimal) -> int | str:
    # Counts as JSON integers (the CSV prints them without a point), amounts as
    # decimal strings as printed (never binary floats).
    text = format_decimal(value)
    return int(text) if "." not in text else text


def read_trend(outputs: Path, years: Sequence[int]) -> Trend:
    """Each figure of ``outputs/<year>/datapackage/`` over ``years``.

    A year whose package is missing is listed in ``missing``; the figures are
    those of every package read, in the order the first package that has each
    lists them.

    :raises GovstatsError: ``outputs-missing`` when no year has a package;
        ``file-unreadable`` when a package cannot be read.
    """
    found: list[tuple[int, dict[str, str], dict[str, Decimal]]] = []
    missing = []
    for year in years:
        folder = outputs / str(year) / FOLDER
        if not (folder / "datapackage.json").is_file():
            missing.append(year)
            continue
        found.append((year, *_read_groups(folder)))
    if not found:
        raise GovstatsError(
            Problem.make("outputs-missing", file=str(outputs / str(years[0])))
        )
    labels: dict[str, str] = {}
    for _year, titles, _values in found:
        for code, title in titles.items():
            labels.setdefault(code, title)
    rows = tuple(
        TrendRow(code, label, tuple(values.get(code) for _y, _t, values in found))
        for code, label in labels.items()
    )
    return Trend(tuple(y for y, _t, _v in found), rows, tuple(missing))


def _read_groups(folder: Path) -> tuple[dict[str, str], dict[str, Decimal]]:
    """The titles of the indicator fields of ``groups.csv`` and its ``全部`` row."""
    import json

    path = folder / "datapackage.json"
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
        resource = next(r for r in descriptor["resources"] if r["name"] == "groups")
        fields = resource["schema"]["fields"][1:]  # after `group`
        path = folder / str(resource["path"])
        with path.open(encoding="utf-8", newline="") as fh:
            row = next(r for r in csv.DictReader(fh) if r["group"] == ALL_UNITS)
        titles = {str(f["name"]): str(f.get("title", f["name"])) for f in fields}
        return titles, {code: Decimal(row[code]) for code in titles}
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        StopIteration,
        ArithmeticError,
    ) as exc:
        raise GovstatsError(
            Problem.make("file-unreadable", file=str(path), found=str(exc))
        ) from None
