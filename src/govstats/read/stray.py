"""Figures a sheet of the format holds outside the cells the format reads.

A clerk who inserts a row (“电子邮件申请 3”) or a column into a table has the
figure ignored: the format reads a value by its row's code and its column's
header, and such a row has no code. Each number (or text that reads as one) in a
sheet the format reads, at a cell it does not read, is a ``value-unread``
warning naming the cell (issue 16, point 5).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from govstats.core.numbers import format_decimal, parse_value
from govstats.core.problems import Problem
from govstats.read.excel import RawSheet

__all__ = ["stray_values"]

# Problems whose row the format did not read either, already reported once.
_ROW_REPORTED = frozenset({"code-unknown", "code-duplicate"})

# Whether a text reads as a figure, by text: the labels and headers of a
# format's sheets repeat in every workbook. Bounded, as in govstats.read.workbook.
_TEXT_IS_FIGURE: dict[str, bool] = {}
_CACHED_TEXTS = 1 << 14
_CACHED_TEXT_MAX = 200


# The texts known not to be figures (and the empty cell): a row holding only
# these is passed over with one set operation.
_PLAIN: set[object] = {"", None}


def text_is_figure(text: str, units: tuple[str, ...]) -> bool:
    known = _TEXT_IS_FIGURE.get(text)
    if known is None:
        stripped = text.strip()
        # A label (“1.属于国家秘密”, “2017年度”) is not read as a number by
        # parse_value; “3件”, “ 22 ”, “1,234” are.
        known = bool(stripped) and parse_value(stripped, units).value is not None
        if len(text) <= _CACHED_TEXT_MAX and len(_TEXT_IS_FIGURE) < _CACHED_TEXTS:
            _TEXT_IS_FIGURE[text] = known
            if not known:
                _PLAIN.add(text)
    return known


def _shown(value: Any) -> str:
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format_decimal(Decimal(repr(value)).normalize())
    return str(value)


def stray_values(
    file: str,
    sheets: Iterable[tuple[RawSheet, set[int]]],
    problems: Iterable[Problem],
    units: tuple[str, ...],
) -> list[Problem]:
    """A ``value-unread`` warning for each figure outside the cells read.

    :param sheets: each sheet of the format that was read, with the cells read
        from it, each as ``row << 16 | column``.
    :param problems: those found so far: a row already reported as an unknown or
        duplicated code is not reported again, cell by cell.
    """
    skipped: dict[str, set[int]] = {}
    for p in problems:
        if p.code in _ROW_REPORTED and p.row is not None:
            skipped.setdefault(p.sheet, set()).add(p.row)
    known = _TEXT_IS_FIGURE
    plain = _PLAIN
    none: set[int] = set()
    out: list[Problem] = []
    # Every workbook's every cell passes here: the common cases (a label met
    # before, a figure read, an empty cell) cost a type test and a look-up.
    for sheet, read in sheets:
        skip = skipped.get(sheet.name, none)
        for r, line in enumerate(sheet.grid, start=1):
            if r in skip or plain.issuperset(line):
                continue  # reported already, or only labels and empty cells
            at = r << 16
            for c, value in enumerate(line, start=1):
                kind = type(value)
                if kind is int or kind is float:
                    if at | c in read:
                        continue
                elif kind is str:
                    figure = known.get(value)
                    if figure is None:
                        figure = bool(value) and text_is_figure(value, units)
                    if not figure or at | c in read:
                        continue
                else:
                    continue  # empty, a date, a bool: not a figure
                out.append(
                    Problem.make(
                        "value-unread",
                        file=file,
                        sheet=sheet.name,
                        row=r,
                        column=c,
                        found=_shown(value),
                    )
                )
    return out
