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

from govstats.formats import PREV, Format, Rule
from govstats.numbers import format_decimal, format_percent, percent
from govstats.problems import Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PROBLEM_OF_KIND", "describe_failure", "predicate"]

# The catalogue code a failure of each rule kind is reported with.
PROBLEM_OF_KIND = {
    "sum": "total-mismatch",
    "balance": "balance-mismatch",
    "le": "subset-exceeds",
    "ge": "values-differ",
    "eq": "prior-year-mismatch",
    "change": "large-change",
    "single_part": "single-part",
}


def _sum(rule: Rule, df: pd.DataFrame, scale: int) -> pd.Series:
    parts = _side(df, rule.parts)
    return cast("pd.Series", df[rule.params["total"]] == parts)


def _side(df: pd.DataFrame, codes: tuple[str, ...]) -> pd.Series:
    return df[list(codes)].sum(axis=1)


def _balance(rule: Rule, df: pd.DataFrame, scale: int) -> pd.Series:
    left, right = _side(df, rule.params["left"]), _side(df, rule.params["right"])
    return cast("pd.Series", left == right)


def _le(rule: Rule, df: pd.DataFrame, scale: int) -> pd.Series:
    part, whole = _side(df, rule.params["part"]), _side(df, rule.params["whole"])
    return cast("pd.Series", part <= whole)


def _eq(rule: Rule, df: pd.DataFrame, scale: int) -> pd.Series:
    return cast("pd.Series", df[rule.params["a"]] == df[rule.params["b"]])


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
    "balance": _balance,
    "le": _le,
    "ge": _ge,
    "eq": _eq,
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
    label = _label(fmt, rule.subject)
    p = rule.params
    show = format_decimal
    ctx: dict[str, Any] = {"label": label}
    if remark:
        ctx["remark_note"] = f"（说明：{remark}）"

    def terms(codes: tuple[str, ...]) -> tuple[str, str]:
        total = sum((values[c] for c in codes), Decimal(0))
        detail = " + ".join(f"{_label(fmt, c)} {show(values[c])}" for c in codes)
        return show(total), detail

    found = show(values[rule.subject])
    expected = ""
    if rule.kind == "sum":
        expected, ctx["detail"] = terms(rule.parts)
    elif rule.kind == "balance":
        found, ctx["left"] = terms(p["left"])
        expected, ctx["right"] = terms(p["right"])
    elif rule.kind == "le":
        found, ctx["part_detail"] = terms(p["part"])
        expected, ctx["whole_label"] = terms(p["whole"])
        if len(p["whole"]) == 1:
            ctx["whole_label"] = _label(fmt, p["whole"][0])
    elif rule.kind in ("ge", "eq"):
        expected = show(values[p["b"]])
        ctx["other_label"] = _label(fmt, p["b"])
    elif rule.kind == "change":
        base = values[p["base"]]
        change = percent(values[p["value"]] - base, base)
        ctx["other_label"] = _label(fmt, p["base"])
        ctx["base"] = show(base)
        ctx["change"] = format_percent(change)
        expected = format_percent(percent(p["limit"], 1, 0))
    elif rule.kind == "single_part":
        part = next(c for c in rule.parts if values[c] > 0)
        ctx["part_label"] = _label(fmt, part)
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


def _label(fmt: Format, code: str) -> str:
    """The label of a code as a clerk reads it; last year's values say so."""
    if code.startswith(PREV):
        return "上年" + fmt.indicators[code.removeprefix(PREV)].label
    return fmt.indicators[code].label
