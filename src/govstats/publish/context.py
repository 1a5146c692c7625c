"""What every report template sees: the figures, as calls."""

from __future__ import annotations

from typing import Any

from govstats.aggregate import Figures, approx_wan, format_value
from govstats.core.numbers import format_decimal
from govstats.formats import Format

ROUNDING_LABELS = {"half-up": "四舍五入", "half-even": "四舍六入五成双（GB/T 8170）"}


def report_context(
    figures: Figures, government: str, excluded: list[str]
) -> dict[str, Any]:
    """What every report template sees: the figures, as calls (see report.md.j2).

    :param excluded: the units a partial compile left out (empty for a whole one).
    """
    from govstats.aggregate import share_sum_note

    fmt: Format = figures.fmt

    def v(code: str, group: str = "") -> str:
        # Prose drops trailing zeros (1124万人次, 37.5万人次); money() keeps two.
        value = figures.value(code, group)
        if value == value.to_integral_value():
            return format_value(value, 0)
        return format_decimal(value.normalize())

    def money(code: str, group: str = "") -> str:
        return format_value(figures.value(code, group), 2)

    return {
        "format": fmt,
        "government": government,
        "year": figures.year,
        "partial": bool(excluded),
        "excluded": excluded,
        "units_count": len(figures.units),
        "rounding_label": ROUNDING_LABELS[figures.rounding],
        "v": v,
        "num": figures.value,
        "money": money,
        "share": figures.share,
        "rate": lambda key: figures.derived[key],
        "wan": lambda code: approx_wan(figures.value(code), figures.rounding),
        "sum_note": lambda table_id: share_sum_note(figures, table_id),
        # Year on year (issue 19): the changes of the figures the format compares,
        # empty without last year's figures (then no sentence is written).
        "changes": list(figures.changes.values()),
        "last_year": figures.previous.year if figures.previous else figures.year - 1,
    }
