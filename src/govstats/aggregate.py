"""Adding up the units: sums over the roster and its groups, and derived figures.

Sums are taken on the exact scaled integers of the validation (one column per
indicator), so they are exact whatever the number of units. Derived figures (shares,
rates, year-on-year changes) are computed from those exact sums as fractions and
rounded once, by :func:`govstats.core.numbers.percent`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, overload

from govstats.core.numbers import format_decimal, format_percent, percent, quantize
from govstats.formats import Format, Group
from govstats.read.roster import Roster, Unit

if TYPE_CHECKING:
    import numpy as np

    from govstats.check.validate import Validation

__all__ = [
    "Derived",
    "Figures",
    "Previous",
    "YearChange",
    "UnitFigures",
    "aggregate",
    "approx_wan",
    "format_value",
    "label_of",
    "places_of",
    "with_previous",
    "with_subtotals",
]

PLACES = 1


@dataclass(frozen=True)
class Derived:
    """A percentage computed from two exact figures."""

    id: str
    kind: str  # share | rate | change
    label: str
    numerator: str
    denominator: str
    group: str
    num: Decimal
    den: Decimal
    rounding: str
    value: Decimal | None

    @property
    def printed(self) -> str:
        """As the report prints it: ``7.0%``; ``—`` when the base is 0."""
        if self.value is None:
            return "—"
        if self.kind == "change":
            return format_percent(abs(self.value))
        return format_percent(self.value)

    @property
    def direction(self) -> str:
        """For a change: 增加, 减少 or 持平."""
        if self.value is None or self.value == 0:
            return "持平"
        return "增加" if self.value > 0 else "减少"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "group": self.group,
            "numerator": {"code": self.numerator, "value": format_decimal(self.num)},
            "denominator": {
                "code": self.denominator,
                "value": format_decimal(self.den),
            },
            "formula": _formula(self),
            "places": PLACES,
            "rounding": self.rounding,
            "value": None if self.value is None else format_decimal(self.value),
            "printed": self.printed,
        }


def _formula(d: Derived) -> str:
    if d.kind == "change":
        return f"({d.numerator} - {d.denominator}) / {d.denominator} × 100"
    return f"{d.numerator} / {d.denominator} × 100"


@dataclass(frozen=True)
class Previous:
    """Last year's figures, as the compile found them (issue 19).

    :param file: the file read (``outputs/<year-1>/figures.json``, or the
        ``--previous`` file), as the compile was given it.
    :param totals: last year's sums over all units, by code.
    :param units: last year's figures of each unit by unit code (only a
        figures.json has them; the cross-year rules of each unit read them).
    :param given: the file was given (``--previous``), not found in outputs/.
    """

    year: int
    file: str
    sha256: str
    totals: dict[str, Decimal]
    units: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    given: bool = False


@dataclass(frozen=True)
class YearChange:
    """A figure the format marks as compared, this year against last year.

    ``value`` is the change in per cent of last year's figure, from the exact
    fraction rounded once as every share is; None when last year's figure was 0
    (the report then states the increase without a percentage).
    """

    code: str
    label: str
    unit: str
    places: int
    current: Decimal
    previous: Decimal
    rounding: str
    value: Decimal | None

    @property
    def difference(self) -> Decimal:
        return self.current - self.previous

    @property
    def direction(self) -> str:
        """增加, 减少 or 持平."""
        if self.difference == 0:
            return "持平"
        return "增加" if self.difference > 0 else "减少"

    @property
    def printed(self) -> str:
        """The change's size as the report prints it (``9.1%``); ``""`` when last
        year's figure was 0."""
        return "" if self.value is None else format_percent(abs(self.value))

    @property
    def shown_difference(self) -> str:
        """The difference's size as the report prints it: ``20``."""
        return format_value(abs(self.difference), self.places)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "previous": _json_number(self.previous, self.places),
            "current": _json_number(self.current, self.places),
            "difference": _json_number(self.difference, self.places),
            "direction": self.direction,
            "formula": "(current - previous) / previous × 100",
            "places": PLACES,
            "rounding": self.rounding,
            "value": None if self.value is None else format_decimal(self.value),
            "printed": self.printed,
        }


def _json_number(value: Decimal, places: int) -> int | str:
    # Counts are JSON integers; amounts decimal strings, as in figures.json.
    return int(value) if places == 0 else format_value(value, places)


class UnitFigures(Sequence[tuple[Unit, dict[str, Decimal]]]):
    """Every compiled unit's figures, compactly: ``(unit, values by code)`` for
    each, as :func:`with_subtotals` gives them, made when asked for.

    The values are kept as the validation's scaled integers, a row of an array
    per unit (8 bytes a figure, not a dictionary of Decimals), so that the
    outputs can go through them a unit at a time (issue 18) and a forked
    process that reads them writes to none of the pages it shares with its
    parent.
    """

    def __init__(
        self,
        fmt: Format,
        units: Sequence[Unit],
        codes: Sequence[str],
        data: np.ndarray,
        missing: np.ndarray,
        scale: int,
    ) -> None:
        self.fmt = fmt
        self.roster_units = tuple(units)
        self.codes = tuple(codes)
        self._data = data
        self._missing = missing
        self._scale = scale

    def __len__(self) -> int:
        return len(self.roster_units)

    @overload
    def __getitem__(self, index: int) -> tuple[Unit, dict[str, Decimal]]: ...

    @overload
    def __getitem__(
        self, index: slice
    ) -> Sequence[tuple[Unit, dict[str, Decimal]]]: ...

    def __getitem__(
        self, index: int | slice
    ) -> tuple[Unit, dict[str, Decimal]] | Sequence[tuple[Unit, dict[str, Decimal]]]:
        if isinstance(index, slice):
            return list(self._made(range(len(self))[index]))
        k = range(len(self))[index]  # IndexError as a list raises it
        return next(self._made([k]))

    def __iter__(self) -> Iterator[tuple[Unit, dict[str, Decimal]]]:
        return self._made(range(len(self)))

    def __eq__(self, other: object) -> bool:
        # as the list of pairs it stands for
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def printed(
        self,
        codes: Sequence[str],
        places: Sequence[int],
        order: Sequence[int] | None = None,
    ) -> Iterator[tuple[Unit, list[int | str]]]:
        """:func:`printed_rows`, from the scaled integers: a block of units at a
        time, counts by numpy and no Decimal made (at 100,000 units, tens of
        millions of figures).

        :param order: the units' indexes in the order wanted (default: theirs).
        """
        import numpy as np

        index = {c: k for k, c in enumerate(self.codes)}
        shifts = [self._scale // 10**p if 10**p <= self._scale else 0 for p in places]
        shift = np.array([d or 1 for d in shifts], dtype=np.int64)
        divides = np.array(shifts) > 0
        rows = np.arange(len(self)) if order is None else np.asarray(order)
        for start in range(0, len(rows), _PRINTED_BLOCK):
            block = rows[start : start + _PRINTED_BLOCK]
            data = np.where(self._missing[block], 0, self._data[block])
            zero = np.zeros(len(block), dtype=np.int64)
            # as with_subtotals: each subtotal in turn, a missing part 0
            columns = {c: data[:, k] for c, k in index.items()}
            for st in self.fmt.subtotals:
                columns[st.code] = sum(
                    (columns.get(c, zero) for c in st.parts), zero.copy()
                )
            matrix = np.column_stack([columns.get(c, zero) for c in codes])
            whole, rest = np.divmod(matrix, shift)
            exact = (rest == 0) & divides
            for k, row, scaled, fits in zip(
                block.tolist(),
                whole.tolist(),
                matrix.tolist(),
                exact.tolist(),
                strict=True,
            ):
                out: list[int | str] = row
                for j, p in enumerate(places):
                    if not fits[j]:  # not held by ``places`` decimals: as Decimals do
                        out[j] = _printed(Decimal(scaled[j]) / self._scale, p)
                    elif p:
                        out[j] = _decimal_text(row[j], p)
                yield self.roster_units[k], out

    def _made(self, rows: Iterable[int]) -> Iterator[tuple[Unit, dict[str, Decimal]]]:
        from govstats.check.validate import exact_values

        exact = exact_values(self._scale)
        fmt, codes = self.fmt, self.codes
        for k in rows:
            values = exact(codes, self._data[k].tolist(), self._missing[k].tolist())
            yield self.roster_units[k], with_subtotals(fmt, values)


_PRINTED_BLOCK = 1024  # units made printable at once (a block of int64 columns)


def _printed(value: Decimal, places: int) -> int | str:
    """A figure as figures.json and the open data print it: a count as an
    integer, an amount as its text with ``places`` decimals (never a float)."""
    if places == 0:
        return int(value)
    return format_value(value, places)


def _decimal_text(whole: int, places: int) -> str:
    """``whole`` hundredths (``places`` 2) as ``format_value`` prints them."""
    sign = "-" if whole < 0 else ""
    units, fraction = divmod(abs(whole), 10**places)
    return f"{sign}{units}.{fraction:0{places}d}"


def printed_rows(
    figures: Figures,
    codes: Sequence[str],
    places: Sequence[int],
    order: Sequence[int] | None = None,
) -> Iterator[tuple[Unit, list[int | str]]]:
    """Each compiled unit with its figures of ``codes`` (indicators and
    subtotals; a missing one 0), each with its ``places`` decimals: a count as an
    integer, an amount as its decimal text (:func:`format_value`).

    :param order: the units' indexes in the order wanted (default: theirs).
    """
    units = figures.units
    if isinstance(units, UnitFigures):
        yield from units.printed(codes, places, order)
        return
    zero = Decimal(0)
    for k in range(len(units)) if order is None else order:
        unit, values = units[k]
        yield (
            unit,
            [
                _printed(values.get(c, zero), p)
                for c, p in zip(codes, places, strict=True)
            ],
        )


def compiled_units(figures: Figures) -> list[Unit]:
    """The units of the figures, in their order (without making their values)."""
    units = figures.units
    if isinstance(units, UnitFigures):
        return list(units.roster_units)
    return [unit for unit, _values in units]


@dataclass
class Figures:
    """The compiled figures of a year."""

    fmt: Format
    year: int
    rounding: str
    units: Sequence[tuple[Unit, dict[str, Decimal]]]
    sums: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    derived: dict[str, Derived] = field(default_factory=dict)
    #: last year's figures, when known; then ``changes`` by code, in the
    #: order the format lists its compared figures
    previous: Previous | None = None
    changes: dict[str, YearChange] = field(default_factory=dict)

    @property
    def city(self) -> dict[str, Decimal]:
        """Sums over every unit compiled."""
        return self.sums[""]

    def value(self, code: str, group: str = "") -> Decimal:
        """The sum of ``code`` over a group (``""``: all units)."""
        return self.sums[group][code]

    def share(self, part: str, whole: str, group: str = "") -> Derived:
        """The share of ``part`` in ``whole`` (registered by the format)."""
        key = f"{part}/{whole}" + (f"@{group}" if group else "")
        return self.derived[key]


def aggregate(
    validation: Validation,
    roster: Roster,
    included: list[int],
    rounding: str = "half-up",
    year: int = 0,
) -> Figures:
    """Sum the included workbooks over the roster and its groups; derive percentages.

    :param included: indexes of the workbooks (in ``validation.units``) to add up;
        each must carry a unit code of ``roster``.
    """
    fmt, scale = validation.fmt, validation.scale
    units = [roster.get(validation.units[i].unit_code) for i in included]
    known = [u for u in units if u is not None]
    if len(known) != len(units):
        raise ValueError("every included workbook must be in the roster")
    frame = validation.values.iloc[included]
    groups = [Group(), *fmt.report.groups]
    for rate in fmt.report.rates:
        if rate.group not in groups:
            groups.append(rate.group)
    codes, data, missing = validation.arrays(included)
    figures = Figures(
        fmt=fmt,
        year=year,
        rounding=rounding,
        units=UnitFigures(fmt, known, codes, data, missing, scale),
    )
    for group in groups:
        members = {u.code for u in roster.members(group)}
        mask = [u.code in members for u in known]
        totals = frame[mask].sum(skipna=True) if any(mask) else frame.iloc[:0].sum()
        figures.sums[group.key] = with_subtotals(
            fmt,
            {code: Decimal(int(totals.get(code, 0))) / scale for code in fmt.codes},
        )
    _derive(figures)
    return figures


def with_previous(figures: Figures, previous: Previous) -> None:
    """Set ``figures.previous`` and the change of every figure the format marks as
    compared (``report.compared``) that last year's figures hold too."""
    figures.previous = previous
    figures.changes = {}
    for c in figures.fmt.report.compared:
        if c.code not in previous.totals:
            continue  # last year's format had no such figure: nothing is said
        current, before = figures.value(c.code), previous.totals[c.code]
        figures.changes[c.code] = YearChange(
            code=c.code,
            label=c.label,
            unit=c.unit,
            places=places_of(figures.fmt, c.code),
            current=current,
            previous=before,
            rounding=figures.rounding,
            value=percent(current - before, before, PLACES, figures.rounding),
        )


def with_subtotals(fmt: Format, values: dict[str, Decimal]) -> dict[str, Decimal]:
    """``values`` plus the format's derived subtotals (不予公开 = Σ r.deny.*, …)."""
    out = dict(values)
    for st in fmt.subtotals:
        out[st.code] = sum((out.get(c, Decimal(0)) for c in st.parts), Decimal(0))
    return out


def label_of(fmt: Format, code: str) -> str:
    """The label of an indicator or a subtotal."""
    if code in fmt.indicators:
        return fmt.indicators[code].label
    return next(st.label for st in fmt.subtotals if st.code == code)


def places_of(fmt: Format, code: str) -> int:
    """Decimals of an indicator or a subtotal (a subtotal has those of its parts)."""
    if code in fmt.indicators:
        return fmt.indicators[code].places
    parts = next(st.parts for st in fmt.subtotals if st.code == code)
    return max(fmt.indicators[c].places for c in parts)


def _derive(f: Figures) -> None:
    spec = f.fmt.report
    for table in spec.tables:
        if not table.shares:
            continue
        for part in table.parts:
            _add(f, "share", label_of(f.fmt, part), part, table.total, "")
    for rate in spec.rates:
        _add(f, rate.kind, rate.label, rate.numerator, rate.denominator, rate.group.key)


def _add(
    f: Figures, kind: str, label: str, num_code: str, den_code: str, group: str
) -> None:
    num, den = f.value(num_code, group), f.value(den_code, group)
    if kind == "change":
        value = percent(num - den, den, PLACES, f.rounding)
        key = f"({num_code}-{den_code})/{den_code}"
    else:
        value = percent(num, den, PLACES, f.rounding)
        key = f"{num_code}/{den_code}"
    key += f"@{group}" if group else ""
    f.derived[key] = Derived(
        id=key,
        kind=kind,
        label=label,
        numerator=num_code,
        denominator=den_code,
        group=group,
        num=num,
        den=den,
        rounding=f.rounding,
        value=value,
    )


def format_value(value: Decimal, places: int) -> str:
    """A figure as the report prints it: counts whole, amounts with ``places`` decimals."""
    if places == 0:
        return format_decimal(value.quantize(Decimal(1)))
    return format_decimal(value.quantize(Decimal(1).scaleb(-places)))


def approx_wan(value: Decimal, rounding: str = "half-up") -> str:
    """A count in 万 with one decimal, as reports round it: 22966 → ``2.3万``."""
    return f"{format_decimal(quantize(Fraction(value) / 10000, 1, rounding))}万"


def share_sum_note(figures: Figures, table_id: str) -> str:
    """A note when the rounded shares of a table do not add up to 100 %, else ``""``."""
    table = next(t for t in figures.fmt.report.tables if t.id == table_id)
    if not table.shares:  # no shares registered, none printed
        return ""
    shares = [figures.share(p, table.total) for p in table.parts]
    if any(s.value is None for s in shares):
        return ""
    total = sum((s.value for s in shares if s.value is not None), Decimal(0))
    if total == 100:
        return ""
    return f"（各项占比分别四舍五入，合计为{format_percent(total)}，未作调整。）"
