"""Cross-field rules: what each rule kind checks, and how a failure is told.

A rule reads a *wide* frame (one row per workbook, one column per indicator, values
as exact scaled integers, ``<NA>`` where a cell had no valid value). Each kind below
returns a boolean Series (True = passes) and is turned into a pandera ``Check`` by
:mod:`govstats.schemas`. A rule is not evaluated for a workbook where one of the
cells it reads has no valid value: that cell has its own problem already.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

from govstats.formats import Format, Rule
from govstats.numbers import format_decimal, format_percent, percent
from govstats.problems import Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PROBLEM_OF_KIND", "describe_failure", "predicate"]

# The catalogue code a failure of each rule kind is reported with.
PROBLEM_OF_KIND = {
    "sum": "total-mismatch",
    "le": "subset-exceeds",
    "ge": "values-differ",
    "change": "large-change",
    "single_part": "single-part",
}


def _sum(rule: Rule, df: pd.DataFrame, scale: int) -> pd.Series:
    parts = df[list(rule.parts)].sum(axis=1)
    return cast("pd.Series", df[rule.params["total"]] == parts)


def _le(rule: Rule, df: pd.DataFrame, scale: int) -> pd.Series:
    return cast("pd.Series", df[rule.params["part"]] <= df[rule.params["whole"]])


def _ge(rule: Rule, df: pd.DataFrame, scale: int) -> pd.Series:
    return cast("pd.Series", df[rule.params["a"]] >= df[rule.params["b"]])


def _change(rule: Rule, df: pd.DataFrame, scale: int) -> pd.Series:
    value, base = df[rule.params["value"]], df[rule.params["base"]]
    limit: Decimal = rule.params["limit"]
    # |value - base| <= limit * base, in integers: limit = p/q.
    num, den = Fraction(limit).as_integer_ratio()
    return cast("pd.Series", ((value - base).abs() * den <= base * num) | (base == 0))


def _single_part(rule: Rule, df: pd.DataFrame, scale: int) -> pd.Series:
    total = df[rule.params["total"]]
    parts = df[list(rule.parts)]
    nonzero = (parts > 0).sum(axis=1)
    return cast("pd.Series", ~((total > rule.params["min"] * scale) & (nonzero == 1)))


_KINDS: dict[str, Callable[[Rule, pd.DataFrame, int], pd.Series]] = {
    "sum": _sum,
    "le": _le,
    "ge": _ge,
    "change": _change,
    "single_part": _single_part,
}


def predicate(rule: Rule, scale: int) -> Callable[[pd.DataFrame], pd.Series]:
    """The vectorised check of ``rule``: True where it passes or cannot be evaluated.

    :param scale: the factor values are scaled by to make them integers (100 when
        the format allows two decimals), for rules that compare with a constant.
    """
    fn = _KINDS[rule.kind]
    codes = list(rule.codes)

    def check(df: pd.DataFrame) -> pd.Series:
        incomplete = df[codes].isna().any(axis=1)
        result = fn(rule, df[codes].fillna(0), scale)
        return (result.astype(bool)) | incomplete

    return check


def describe_failure(
    rule: Rule,
    fmt: Format,
    values: dict[str, Decimal],
    remark: str = "",
) -> Problem:
    """The problem a failure of ``rule`` is reported as, without its position.

    :param values: the unit's values of the codes the rule reads.
    :param remark: the clerk's 说明 on the subject's row, quoted in soft-rule messages.
    """
    label = fmt.indicators[rule.subject].label
    p = rule.params
    show = format_decimal
    ctx: dict[str, Any] = {"label": label}
    if remark:
        ctx["remark_note"] = f"（说明：{remark}）"
    found = show(values[rule.subject])
    expected = ""
    if rule.kind == "sum":
        total = sum((values[c] for c in rule.parts), Decimal(0))
        expected = show(total)
        ctx["detail"] = " + ".join(
            f"{fmt.indicators[c].label} {show(values[c])}" for c in rule.parts
        )
    elif rule.kind == "le":
        expected = show(values[p["whole"]])
        ctx["whole_label"] = fmt.indicators[p["whole"]].label
    elif rule.kind == "ge":
        expected = show(values[p["b"]])
        ctx["other_label"] = fmt.indicators[p["b"]].label
    elif rule.kind == "change":
        base = values[p["base"]]
        change = percent(values[p["value"]] - base, base)
        ctx["other_label"] = fmt.indicators[p["base"]].label
        ctx["base"] = show(base)
        ctx["change"] = format_percent(change)
        expected = format_percent(percent(p["limit"], 1, 0))
    elif rule.kind == "single_part":
        part = next(c for c in rule.parts if values[c] > 0)
        ctx["part_label"] = fmt.indicators[part].label
        expected = f"> {p['min']}"
    return Problem.make(
        PROBLEM_OF_KIND[rule.kind],
        severity=rule.severity,
        rule=rule.id,
        indicator=rule.subject,
        found=found,
        expected=expected,
        context=ctx,
    )
