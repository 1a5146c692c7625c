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
