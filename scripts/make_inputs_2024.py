"""Write the demo inputs of 2024: the year before the 2025 demo, for year on year.

The same roster as 2025 (醴陵市, format ``gk2021``; see make_inputs_2025.py, whose
units, outcome mixes, clerks and workbook writer this script uses) with figures of
2024, **invented** as those of 2025 are. They are made to follow on into 2025, as
a county's two reports must: what each unit carried out of 2024 (结转下年度继续办理)
is what it carried into 2025 (上年结转), and each unit's 行政规范性文件 in force at
the end of 2024 is what 2025's figures start from (in force = in force last year +
issued − repealed). Compiling 2024 and then 2025 therefore passes the cross-year
checks, and 2025's report states how each figure moved (issue 19): more requests and
suits than in 2024, fewer reviews, as many normative documents issued.

Usage::

    .venv/bin/python scripts/make_inputs_2024.py [--out DIR]
"""

from __future__ import annotations

import importlib.util
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from govstats.formats import load_format
from govstats.synthetic import inputs_script, write_inputs

YEAR = 2024
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT_ROOT / "inputs" / str(YEAR)


def _demo_2025() -> ModuleType:
    """scripts/make_inputs_2025.py, imported from its path (scripts/ is no package)."""
    path = Path(__file__).with_name("make_inputs_2025.py")
    spec = importlib.util.spec_from_file_location("make_inputs_2025", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is created.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


DEMO_2025 = _demo_2025()

# Requests received in 2024 by applicant (as in 2025: nat, bus, res, npo, law, oth)
# and those carried in from 2023 by natural persons and businesses. What each unit
# carried out to 2025 is 2025's carried in (CARRIED_OUT below).
# fmt: off
REQUESTS: dict[str, tuple[int, ...]] = {
    # code          nat bus res npo law oth  in.n in.b
    "430281-000": (12,  1,  0,  0,  0,  0,    0,   0),
    "430281-001": ( 1,  1,  0,  0,  0,  0,    0,   0),
    "430281-002": ( 4,  0,  0,  0,  0,  0,    0,   0),
    "430281-003": ( 6,  0,  0,  0,  0,  0,    1,   0),
    "430281-004": ( 1,  0,  0,  0,  0,  0,    0,   0),
    "430281-005": ( 1,  0,  0,  0,  0,  0,    0,   0),
    "430281-006": ( 2,  0,  0,  0,  0,  0,    0,   0),
    "430281-007": ( 5,  0,  0,  0,  0,  0,    0,   0),
    "430281-008": (41,  5,  0,  1,  1,  0,    3,   1),
    "430281-009": (22,  3,  0,  0,  1,  0,    1,   0),
    "430281-010": ( 2,  0,  0,  0,  0,  0,    0,   0),
    "430281-011": ( 0,  0,  0,  0,  0,  0,    0,   0),
    "430281-012": ( 3,  0,  0,  0,  0,  0,    0,   0),
    "430281-013": ( 0,  0,  0,  0,  0,  0,    0,   0),
    "430281-014": ( 1,  0,  0,  0,  0,  0,    0,   0),
    "430281-015": ( 2,  0,  0,  0,  0,  0,    0,   0),
    "430281-016": ( 0,  0,  0,  0,  0,  0,    0,   0),
    "430281-017": ( 0,  0,  0,  0,  0,  0,    0,   0),
    "430281-018": ( 0,  0,  0,  0,  0,  0,    0,   0),
    "430281-019": ( 2,  1,  0,  0,  0,  0,    0,   0),
    "430281-020": ( 1,  0,  0,  0,  0,  0,    0,   0),
    "430281-021": ( 3,  0,  0,  0,  0,  0,    0,   0),
    "430281-022": ( 1,  2,  0,  0,  0,  0,    0,   0),
    "430281-101": ( 2,  0,  0,  0,  0,  0,    0,   0),
    "430281-102": ( 4,  0,  0,  0,  0,  0,    0,   0),
    "430281-103": ( 1,  0,  0,  0,  0,  0,    0,   0),
    "430281-104": ( 1,  0,  0,  0,  0,  0,    0,   0),
    "430281-105": ( 1,  0,  0,  0,  0,  0,    0,   0),
    "430281-106": ( 0,  0,  0,  0,  0,  0,    0,   0),
}

# Table 四 of 2024, as in make_inputs_2025.APPEALS: more reviews than in 2025,
# fewer suits.
APPEALS: dict[str, dict[str, tuple[int, int, int, int]]] = {
    "430281-000": {"review": (2, 0, 0, 0)},
    "430281-003": {"review": (1, 0, 0, 0)},
    "430281-008": {"review": (4, 1, 1, 1), "suit_direct": (1, 0, 0, 0)},
    "430281-009": {"review": (2, 0, 1, 0)},
    "430281-102": {"review": (0, 1, 0, 0)},
}

# 行政规范性文件 issued and repealed in 2024 (22 issued in all, as in 2025); those
# in force at the end of 2024 follow from 2025's figures (see in_force_2024).
NORMATIVE: dict[str, tuple[int, int]] = {
    "430281-000": (8, 3), "430281-001": (1, 0), "430281-002": (2, 1),
    "430281-007": (1, 0), "430281-008": (3, 1), "430281-009": (1, 0),
    "430281-010": (1, 0), "430281-012": (1, 1), "430281-015": (1, 0),
    "430281-019": (1, 0), "430281-021": (2, 0),
}
# fmt: on


def in_force_2024(code: str) -> int:
    """2024's 行政规范性文件 in force: 2025's, less what 2025 issued, plus what it
    repealed (2025's in force = 2024's + issued − repealed, rule T2-IN-FORCE)."""
    issued, repealed, in_force, *_ = DEMO_2025.PUBLISHED.get(code, (0, 0, 0))
    return int(in_force) - int(issued) + int(repealed)


def published_2024() -> dict[str, tuple[int, int, int, int, int, int, str]]:
    """Table 二 of 2024 by unit code: the normative documents above, and about a
    twelfth fewer decisions (licences, penalties, coercion) and fees than in 2025."""
    out = {}
    for code, row in DEMO_2025.PUBLISHED.items():
        _issued, _repealed, _in_force, license_, penalty, coercion, fees = row
        issued, repealed = NORMATIVE.get(code, (0, 0))
        fewer = [n - n // 12 for n in (license_, penalty, coercion)]
        out[code] = (
            issued,
            repealed,
            in_force_2024(code),
            *fewer,
            str((Decimal(fees) * 11 / 12).quantize(Decimal("0.0001"))),
        )
    return out


def units_2024() -> list[Any]:
    """The units of 2024: the roster of 2025 with 2024's requests; each carries
    out what 2025 carries in."""
    units = []
    for unit in DEMO_2025.roster():
        *new, came_n, came_b = REQUESTS[unit.code]
        units.append(
            DEMO_2025.Unit(
                unit.code,
                unit.name,
                unit.level,
                unit.kind,
                new=tuple(new),
                carried_in=(came_n, came_b, 0, 0, 0, 0),
                carried_out=unit.carried_in,
                mix=unit.mix,
            )
        )
    return units


def build(out_dir: Path) -> list[Path]:
    """Write ``units.csv`` and one workbook per unit into ``out_dir``.

    :returns: the files written, the roster first, then the workbooks in roster order.
    """
    fmt = load_format(DEMO_2025.FORMAT_ID)
    units = units_2024()
    published = published_2024()
    rows = [(u.code, u.name, u.level, u.kind) for u in units]
    return write_inputs(
        out_dir,
        fmt,
        YEAR,
        rows,
        lambda i: DEMO_2025.unit_figures(units[i], fmt, APPEALS, published),
        lambda i: DEMO_2025.contact(i, YEAR),
    )


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: ``--out FOLDER``."""
    description = (__doc__ or "").splitlines()[0]
    return inputs_script(description, DEFAULT_OUT, PROJECT_ROOT, build, argv)


if __name__ == "__main__":
    sys.exit(main())
