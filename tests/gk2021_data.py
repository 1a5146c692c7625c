"""Consistent gk2021 figures for tests: every hard rule of the format holds."""

from __future__ import annotations

from decimal import Decimal

APPLICANTS = ("natural", "business", "research", "nonprofit", "legal", "other")
RESULTS = (
    "r.public", "r.partial",
    "r.deny.secret", "r.deny.law", "r.deny.safety", "r.deny.third_party",
    "r.deny.internal", "r.deny.process", "r.deny.enforcement", "r.deny.query",
    "r.unable.not_held", "r.unable.needs_creation", "r.unable.unclear",
    "r.refuse.petition", "r.refuse.repeat", "r.refuse.publication", "r.refuse.mass",
    "r.refuse.confirm",
    "r.other.no_correction", "r.other.no_fee", "r.other.other",
)  # fmt: skip


def consistent_2021(scale: int = 1) -> dict[str, int | Decimal]:
    """One unit's figures: natural persons and businesses apply, a few results each."""
    v: dict[str, int | Decimal] = {}
    per_column = {
        "natural": {"new": 12, "carried_in": 3, "r.public": 5, "r.partial": 2,
                    "r.deny.third_party": 1, "r.unable.not_held": 3,
                    "r.refuse.repeat": 1, "r.other.other": 1, "carried_out": 2},
        "business": {"new": 4, "carried_in": 0, "r.public": 2, "r.unable.not_held": 1,
                     "carried_out": 1},
    }  # fmt: skip
    rows = ("new", "carried_in", *RESULTS, "r.total", "carried_out")
    for row in rows:
        for col in APPLICANTS:
            v[f"t3.{row}.{col}"] = per_column.get(col, {}).get(row, 0) * scale
    for col in APPLICANTS:
        v[f"t3.r.total.{col}"] = sum(v[f"t3.{r}.{col}"] for r in RESULTS)  # type: ignore[misc]
    for row in rows:
        v[f"t3.{row}.total"] = sum(v[f"t3.{row}.{c}"] for c in APPLICANTS)  # type: ignore[misc]
    blocks = {
        "review": (2, 1, 0, 1),
        "suit_direct": (1, 0, 0, 1),
        "suit_after_review": (0, 0, 1, 0),
    }
    for block, parts in blocks.items():
        for col, n in zip(
            ("upheld", "corrected", "other", "pending"), parts, strict=True
        ):
            v[f"t4.{block}.{col}"] = n * scale
        v[f"t4.{block}.total"] = sum(parts) * scale
    v.update({
        "zd.rules.issued": 0, "zd.rules.repealed": 0, "zd.rules.in_force": 0,
        "zd.normative.issued": 6 * scale, "zd.normative.repealed": 2 * scale,
        "zd.normative.in_force": 41 * scale,
        "zd.license": 320 * scale, "zd.penalty": 57 * scale, "zd.coercion": 3 * scale,
        "zd.fees_10k_yuan": Decimal("12.3456") * scale,
    })  # fmt: skip
    return v
