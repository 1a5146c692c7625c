"""How a printed figure compares with its exact value, and template text left in a report."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

from govstats.audit.findings import Status
from govstats.core.numbers import format_decimal, quantize, truncate

# Template text left in a published report (gk2021.md, "Known defects").
PLACEHOLDERS = re.compile(
    r"请?根据实际情况填写|请填写|此处填写"
    r"|\((?:文字描述|请?填写[^)]{0,20}|此处[^)]{0,20})\)"
    r"|【[^】]{0,20}(?:填写|填报|描述)[^】]{0,20}】"
    r"|(?<![A-Za-z])(?:X{2,}|x{2,}|×{2,})(?![A-Za-z])"
)


SNIPPET_MAX = 40


def judge_percent(
    exact: Fraction, printed: Decimal, places: int
) -> tuple[Status, str, Decimal]:
    """How a printed percentage compares with its exact value.

    :returns: ``(status, code, half_up)``: ``right``; ``note`` with
        ``share-half-even`` (right only under GB/T 8170, on an exact half);
        ``wrong`` with ``share-truncated`` or ``share-mismatch``; and the value
        rounded half up at the printed precision.
    """
    up = quantize(exact, places, "half-up")
    if up == printed:
        return "right", "", up
    if quantize(exact, places, "half-even") == printed:
        return "note", "share-half-even", up
    if truncate(exact, places) == printed:
        return "wrong", "share-truncated", up
    return "wrong", "share-mismatch", up


def exact_percent(value: Fraction, places: int) -> str:
    """The exact percentage to two more decimals than printed, ``…`` when cut."""
    shown = truncate(value, places + 2)
    mark = "" if Fraction(shown) == value else "…"
    return f"{format_decimal(shown)}{mark}%"
