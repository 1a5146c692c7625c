"""Exact percentages and lenient reading of typed numbers."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govstats.core.numbers import format_percent, parse_value, percent, quantize


@pytest.mark.parametrize(
    ("part", "whole", "places", "rounding", "expected"),
    [
        (1, 16, 1, "half-up", "6.3"),  # exactly 6.25: 四舍五入 goes up
        (1, 16, 1, "half-even", "6.2"),  # GB/T 8170 goes to even
        (1, 8, 0, "half-up", "13"),  # exactly 12.5
        (1, 8, 0, "half-even", "12"),
        (3, 8, 0, "half-even", "38"),  # 37.5 → even neighbour 38
        (37, 527, 1, "half-up", "7.0"),  # the seed prints 7.1
        (3197, 22966, 0, "half-up", "14"),
        (42369, 91526, 1, "half-up", "46.3"),
        (0, 5, 1, "half-up", "0.0"),
        (5, 5, 1, "half-up", "100.0"),
        (-1, 16, 1, "half-up", "-6.3"),  # a decrease rounds away from zero too
    ],
)
def test_percent(part, whole, places, rounding, expected):
    assert str(percent(part, whole, places, rounding)) == expected


def test_zero_base_prints_no_number():
    assert percent(3, 0) is None
    assert format_percent(None) == "—"
    assert format_percent(Decimal("6.3")) == "6.3%"


@given(
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=0, max_value=3),
)
def test_percent_matches_decimal_oracle(part, whole, places):
    # Oracle: the same quotient with 60 significant digits, rounded by decimal.
    from decimal import localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(part) * 100 / Decimal(whole)
        exp = Decimal(1).scaleb(-places)
        up = exact.quantize(exp, rounding=ROUND_HALF_UP)
        even = exact.quantize(exp, rounding=ROUND_HALF_EVEN)
    assert percent(part, whole, places) == up
    assert percent(part, whole, places, "half-even") == even


@given(st.integers(min_value=-(10**6), max_value=10**6), st.integers(0, 3))
def test_exact_halves(k, places):
    # (2k+1)/2 units of the last place lie exactly on a half.
    value = Fraction(2 * k + 1, 2 * 10**places)
    up = quantize(value, places, "half-up")
    even = quantize(value, places, "half-even")
    step = Fraction(1, 10**places)
    assert abs(Fraction(up) - value) == step / 2
    assert abs(Fraction(up)) > abs(value)  # away from zero
    assert (Fraction(even) / step) % 2 == 0


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8))
def test_shares_of_parts_stay_within_rounding_of_100(parts):
    whole = sum(parts)
    if whole == 0:
        return
    total = sum(percent(p, whole) for p in parts)
    assert abs(total - 100) <= Decimal("0.05") * len(parts)


@pytest.mark.parametrize(
    ("raw", "value", "problem"),
    [
        (22, "22", None),
        (22.0, "22", None),
        (1124.5, "1124.5", None),
        (0.1, "0.1", None),
        (" 22 ", "22", "number-as-text"),
        ("２２", "22", "number-as-text"),
        ("1,234", "1234", "number-as-text"),
        ("1,234.50", "1234.50", "number-as-text"),
        ("22件", "22", "number-as-text"),
        ("-3", "-3", "number-as-text"),
        ("", None, "value-blank"),
        (None, None, "value-blank"),
        ("   ", None, "value-blank"),
        ("abc", None, "not-a-number"),
        ("1,23", None, "not-a-number"),
        ("22 件 3", None, "not-a-number"),
        (True, None, "not-a-number"),
        (float("nan"), None, "not-a-number"),
        (float("inf"), None, "not-a-number"),
        (dt.date(2017, 1, 1), None, "not-a-number"),
    ],
)
def test_parse_value(raw, value, problem):
    parsed = parse_value(raw, ("件",))
    assert (None if parsed.value is None else str(parsed.value)) == value
    assert parsed.problem == problem


@given(
    st.one_of(
        st.integers(-(2**53) + 1, 2**53 - 1).map(float),
        st.sampled_from([0.0, -0.0, 1e15, 2.0**53, -(2.0**53), 1e19, 1e20, 1e21]),
    )
)
def test_whole_doubles_parse_as_through_their_text(raw):
    # Whole doubles skip the text round trip (issue 5): the same value, exponent
    # and shown text as repr() then quantize would give.
    from govstats.core.numbers import _QUANTIZE_MAX

    value = Decimal(repr(raw))
    if abs(value) < _QUANTIZE_MAX:
        value = value.quantize(Decimal(1))
    parsed = parse_value(raw)
    assert parsed.value is not None
    assert str(parsed.value) == str(value)
    assert parsed.value.as_tuple() == value.as_tuple()


@given(
    st.one_of(
        st.integers(),
        st.integers(-(2**54), 2**54),
        st.floats(),
        st.integers(-(2**54), 2**54).map(float),
        st.sampled_from([0.0, -0.0, 1e12, -1e12, 1e12 - 1, 2.0**53, True, False]),
    ),
    st.sampled_from([10**12, 2**53, 1]),
)
def test_plain_value_is_what_parse_value_reads_without_a_problem(raw, below):
    # The shortcut for whole-number cells (issue 5) gives the same value, to the
    # exponent, and answers for every whole number below the bound.
    from govstats.core.numbers import plain_value

    value = plain_value(raw, below)
    parsed = parse_value(raw, ("件",))
    whole = type(raw) is int or (type(raw) is float and raw.is_integer())
    if whole and abs(raw) < below:
        assert value is not None
        assert parsed.problem is None
        assert value.as_tuple() == parsed.value.as_tuple()
    else:
        assert value is None


def test_plain_value_keeps_negative_zero_apart_from_the_zero_it_shares():
    # Equal whole numbers share one Decimal; -0.0 equals 0.0 but reads as -0.
    from govstats.core.numbers import plain_value

    for raw in [0.0, -0.0, 0, 5, 5.0, -0.0, 0.0, 0]:
        value = plain_value(raw)
        assert value is not None
        assert value.as_tuple() == parse_value(raw).value.as_tuple()
        assert value.as_tuple() == Decimal(raw).as_tuple()
