"""Exact numbers: reading figures typed by people, and percentages without floats.

Every printed figure comes from integers or :class:`~decimal.Decimal` values; shares
are computed as :class:`~fractions.Fraction` and rounded once, half up (四舍五入, as
Excel's ROUND) or half to even (GB/T 8170) on request. Python's ``round`` and binary
floats are never used for a printed figure.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "ROUNDINGS",
    "Parsed",
    "format_decimal",
    "format_percent",
    "parse_value",
    "percent",
    "plain_value",
    "quantize",
    "truncate",
]

ROUNDINGS = ("half-up", "half-even")
_QUANTIZE_MAX = Decimal(10) ** 20
# Doubles represent every integer below 2**53 exactly (below _QUANTIZE_MAX too).
_EXACT_FLOAT_INTS = 2**53

_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


@dataclass(frozen=True)
class Parsed:
    """A cell value read as a number.

    ``value`` is None when the cell cannot be read as a number; ``problem`` is then the
    catalogue code saying why (``value-blank``, ``not-a-number``). When the number was
    read from text, ``problem`` is ``number-as-text`` and ``value`` is set.
    """

    value: Decimal | None
    problem: str | None = None
    shown: str = ""


def _show(raw: object) -> str:
    if isinstance(raw, dt.datetime | dt.date | dt.time):
        return raw.isoformat()
    return str(raw)


def parse_value(raw: object, units: tuple[str, ...] = ()) -> Parsed:
    """Read one cell value as a number, leniently where the meaning is unambiguous.

    Numbers pass as they are. Text is accepted with a ``number-as-text`` warning when,
    after Unicode NFKC normalisation (full-width digits ``２２`` become ``22``) and
    trimming, it is a plain number, a number with thousands separators (``1,234``) or a
    number followed by its unit (``22件``, one of ``units``). Anything else is
    ``not-a-number``; an empty cell is ``value-blank``.
    """
    if raw is None or (isinstance(raw, str) and raw == ""):
        return Parsed(None, "value-blank")
    if isinstance(raw, bool):
        return Parsed(None, "not-a-number", "TRUE" if raw else "FALSE")
    if isinstance(raw, int):
        return Parsed(Decimal(raw), shown=str(raw))
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return Parsed(None, "not-a-number", str(raw))
        if raw.is_integer() and abs(raw) < _EXACT_FLOAT_INTS:
            # The common case (Excel stores every number as a double): the same
            # value as below (-0.0 too), without going through text.
            value = Decimal(raw)
            return Parsed(value, shown=format_decimal(value))
        # repr gives the shortest text that round-trips: 1124.5, not 1124.4999…
        value = Decimal(repr(raw))
        # 1e308 is a float too: quantizing it would need 309 digits of precision.
        if value == value.to_integral_value() and abs(value) < _QUANTIZE_MAX:
            value = value.quantize(Decimal(1))
        return Parsed(value, shown=format_decimal(value))
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            return Parsed(None, "not-a-number", str(raw))
        return Parsed(raw, shown=str(raw))
    if not isinstance(raw, str):
        return Parsed(None, "not-a-number", _show(raw))
    text = unicodedata.normalize("NFKC", raw).strip()
    if text == "":
        return Parsed(None, "value-blank", raw)
    for unit in units:
        if text.endswith(unit):
            text = text[: -len(unit)].strip()
            break
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if _PLAIN.fullmatch(text):
        return Parsed(Decimal(text), "number-as-text", raw)
    return Parsed(None, "not-a-number", raw)


def plain_value(raw: object, below: int = _EXACT_FLOAT_INTS) -> Decimal | None:
    """The value of a cell that holds a whole number smaller than ``below``, or None.

    Almost every figure of a workbook is such a cell (Excel stores numbers as
    doubles). :func:`parse_value` reads it as the same value, without a problem, but
    also builds a ``Parsed`` and the text it would show: this takes a fifth of the
    time. ``below`` must be at most 2**53, under which a double holds whole numbers
    exactly.
    """
    if type(raw) is float:
        if not (raw.is_integer() and -below < raw < below):
            return None
        if raw == 0 and math.copysign(1.0, raw) < 0:
            return Decimal(raw)  # -0.0: kept apart from 0.0, which it equals
    elif type(raw) is not int or not -below < raw < below:
        return None
    # Equal values share one Decimal (immutable): most cells hold 0 or a small
    # count, and looking it up is a fifth of the time of making it from a double.
    # 5 and 5.0 are one key, and give the same Decimal('5').
    value = _WHOLE.get(raw)
    if value is None:
        value = Decimal(raw)
        if len(_WHOLE) < _WHOLE_MAX:
            _WHOLE[raw] = value
    return value


_WHOLE: dict[float, Decimal] = {}
_WHOLE_MAX = 1 << 12


def format_decimal(value: Decimal) -> str:
    """A decimal in plain notation without exponent: ``Decimal('1E+1')`` → ``10``."""
    text = format(value, "f")
    return text


def quantize(value: Fraction, places: int = 1, rounding: str = "half-up") -> Decimal:
    """Round an exact fraction to ``places`` decimals.

    ``half-up`` rounds an exact half away from zero (四舍五入, Excel's ROUND);
    ``half-even`` rounds it to the even neighbour (GB/T 8170).
    """
    if rounding not in ROUNDINGS:
        raise ValueError(f"unknown rounding {rounding!r}")
    sign = -1 if value < 0 else 1
    scaled = abs(value) * 10**places
    whole, rem = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * rem
    den = scaled.denominator
    if twice > den or (twice == den and (rounding == "half-up" or whole % 2 == 1)):
        whole += 1
    return Decimal(sign * whole).scaleb(-places)


def truncate(value: Fraction, places: int = 1) -> Decimal:
    """Cut an exact fraction to ``places`` decimals, towards zero (截尾): the
    mistake of a spreadsheet formatted to fewer decimals than ROUND would give."""
    sign = -1 if value < 0 else 1
    scaled = abs(value) * 10**places
    return Decimal(sign * (scaled.numerator // scaled.denominator)).scaleb(-places)


def percent(
    part: int | Decimal | Fraction,
    whole: int | Decimal | Fraction,
    places: int = 1,
    rounding: str = "half-up",
) -> Decimal | None:
    """``part / whole`` as a percentage rounded to ``places``; None when ``whole`` is 0.

    >>> percent(1, 16)
    Decimal('6.3')
    """
    if whole == 0:
        return None
    return quantize(Fraction(part) * 100 / Fraction(whole), places, rounding)


def format_percent(value: Decimal | None, blank: str = "—") -> str:
    """``Decimal('6.3')`` → ``6.3%``; None (a zero base) → ``blank``."""
    if value is None:
        return blank
    return f"{format_decimal(value)}%"
