"""Aggregation invariants, on units drawn by Hypothesis (no workbook files needed)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from govstats.aggregate import aggregate
from govstats.check.validate import validate_units
from govstats.formats import load_format
from govstats.read.roster import Roster, Unit
from govstats.read.workbook import CellValue, UnitWorkbook

FMT = load_format("gk2008")
LEVELS = [("市本级", "市政府"), ("市本级", "市政府工作部门"), ("县市区", "县市区政府")]


@st.composite
def units(draw):
    """1-6 units, each with figures that satisfy every hard rule of gk2008."""
    n = draw(st.integers(1, 6))
    out = []
    for i in range(n):
        v = {code: 0 for code in FMT.codes}
        count = st.integers(0, 10**6)
        for part in ("sq.ch.in_person", "sq.ch.fax", "sq.ch.online", "sq.ch.letter"):
            v[part] = draw(count)
        v["sq.received"] = sum(
            v[f"sq.ch.{c}"] for c in ("in_person", "fax", "online", "letter")
        )
        deny = [draw(count) for _ in range(5)]
        for code, d in zip(
            [c for c in FMT.codes if c.startswith("sq.deny.")], deny, strict=True
        ):
            v[code] = d
        v["sq.out.denied"] = sum(deny)
        v["sq.out.granted"] = draw(count)
        v["sq.answered"] = v["sq.out.denied"] + v["sq.out.granted"]
        v["sq.received"] = max(v["sq.received"], v["sq.answered"])
        v["sq.ch.letter"] += v["sq.received"] - sum(
            v[f"sq.ch.{c}"] for c in ("in_person", "fax", "online", "letter")
        )
        v["sf.fees"] = Decimal(draw(st.integers(0, 10**8))) / 100
        level, kind = LEVELS[draw(st.integers(0, 2))]
        out.append((f"U{i}", level, kind, v))
    return out


def build(drawn):
    workbooks = []
    for code, _level, _kind, values in drawn:
        unit = UnitWorkbook(
            path=Path(f"{code}.xlsx"), info={"unit_code": code, "year": 2017}
        )
        for r, (c, value) in enumerate(values.items(), start=1):
            unit.cells[c] = CellValue(c, "s", r, 4, Decimal(value))
        workbooks.append(unit)
    roster = Roster(
        Path("units.csv"),
        tuple(Unit(code, code, level, kind) for code, level, kind, _ in drawn),
    )
    validation = validate_units(workbooks, FMT, 2017, roster)
    return validation, roster


@settings(deadline=None, max_examples=20)  # each example runs two pandera calls
@given(units())
def test_sums_are_exact_and_groups_partition(drawn):
    validation, roster = build(drawn)
    assert not [p for p in validation.report.problems if p.severity == "error"]
    figures = aggregate(validation, roster, list(range(len(drawn))))
    for code in ("sq.received", "sq.deny.privacy", "sf.fees"):
        expected = sum((Decimal(v[code]) for *_, v in drawn), Decimal(0))
        assert figures.value(code) == expected
        # 市本级 and 县市区 partition the roster.
        assert (
            figures.value(code, "层级=市本级") + figures.value(code, "层级=县市区")
            == expected
        )
    # Sums keep every rule that is linear: totals are still the sum of their parts.
    parts = sum(
        figures.value(f"sq.ch.{c}") for c in ("in_person", "fax", "online", "letter")
    )
    assert figures.value("sq.received") == parts


@settings(deadline=None, max_examples=20)  # each example runs two pandera calls
@given(units())
def test_shares_of_a_table_are_exact_fractions(drawn):
    from fractions import Fraction

    from govstats.core.numbers import quantize

    validation, roster = build(drawn)
    figures = aggregate(validation, roster, list(range(len(drawn))))
    total = figures.value("sq.received")
    for part in ("sq.ch.in_person", "sq.ch.online"):
        d = figures.share(part, "sq.received")
        if total == 0:
            assert d.value is None and d.printed == "—"
        else:
            exact = Fraction(figures.value(part)) * 100 / Fraction(total)
            assert d.value == quantize(exact, 1)


# Every unit's figures as figures.json and the open data print them


def test_printed_rows_from_the_scaled_integers_equal_those_of_decimals():
    import numpy as np

    from govstats.aggregate import (
        Figures,
        UnitFigures,
        places_of,
        printed_rows,
    )

    fmt = load_format("gk2021")
    scale = 10**fmt.max_places
    codes = list(fmt.codes)
    n = 2100  # more than one block of units
    rng = np.random.default_rng(7)
    data = rng.integers(-(10**9), 10**9, size=(n, len(codes)), dtype=np.int64)
    data -= data % scale  # whole numbers, as counts are...
    amounts = [k for k, c in enumerate(codes) if places_of(fmt, c)]
    data[:, amounts] = rng.integers(-(10**9), 10**9, size=(n, len(amounts)))
    data[0, :] = 0
    data[1, 0] = 12345  # ...but for one that is not (it is printed as Decimals do)
    missing = rng.random((n, len(codes))) < 0.1
    units = [Unit(f"U{i:04d}", f"单位{i}", "市本级", "部门") for i in range(n)]
    compact = UnitFigures(fmt, units, codes, data, missing, scale)
    printed = [*codes, *(st.code for st in fmt.subtotals)]
    places = [places_of(fmt, c) for c in printed]

    def rows(units_figures):
        figures = Figures(fmt=fmt, year=2021, rounding="half-up", units=units_figures)
        return list(printed_rows(figures, printed, places))

    fast, reference = rows(compact), rows(list(compact))  # the latter by Decimals
    assert fast == reference
    order = [*range(n - 1, -1, -2), *range(0, n, 2)]  # reversed odds, then evens
    figures = Figures(fmt=fmt, year=2021, rounding="half-up", units=compact)
    assert list(printed_rows(figures, printed, places, order)) == [
        reference[k] for k in order
    ]
    assert len(fast) == n and fast[0][1] == [
        0 if p == 0 else "0." + "0" * p for p in places
    ]
    assert any(isinstance(v, str) and v.startswith("-") for _, row in fast for v in row)
