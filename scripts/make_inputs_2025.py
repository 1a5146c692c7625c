"""Write the demo inputs of 2025: the roster of Liling and one workbook per unit.

The roster is that of Liling (醴陵市, the county-level city of Zhuzhou that is also
among the units of the 2017 demo) as a compiling office would list it for a report
in the national format of 2021 (``gk2021``): the government office, 22 departments
under their names after the 2019 institutional reform, and six subdistricts and
towns. The names are real; **every figure is invented** and is not taken from any
published report. The figures are shaped like a real county's: most departments
receive a handful of information requests or none, the bureaus of natural
resources and of housing receive most of them, natural persons file most requests,
licences and penalties come from the units that decide them.

The tables below give each unit's requests by applicant and what it carried over;
:func:`apportion` deals the requests it handled out to the results of table 三 by
the unit's mix of outcomes, and every total is derived from its parts with the
format's own rules, so each workbook satisfies T3-ROW, T3-RES, T3-ID and T4 by
construction. Nothing is random, so every run writes the same bytes.

Usage::

    .venv/bin/python scripts/make_inputs_2025.py [--out DIR]
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from govstats.formats import Format, load_format
from govstats.synthetic import complete_totals, inputs_script, write_inputs

YEAR = 2025
FORMAT_ID = "gk2021"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT_ROOT / "inputs" / str(YEAR)

Figures = dict[str, int | Decimal]

# Table 三's applicant columns (申请人情况), without 总计, which is derived.
APPLICANTS = ("natural", "business", "research", "nonprofit", "legal", "other")


@dataclass(frozen=True)
class Unit:
    """One reporting unit of the roster and its requests (table 三).

    :param new: requests received in 2025 per applicant column, in APPLICANTS order.
    :param carried_in: requests carried in from 2024, per applicant column.
    :param carried_out: requests still open at the end of 2025, per applicant column.
    :param mix: the unit's outcome mix, a key of MIXES.
    """

    code: str
    name: str
    level: str
    kind: str
    new: tuple[int, ...]
    carried_in: tuple[int, ...]
    carried_out: tuple[int, ...]
    mix: str


# The roster and the requests of each unit (table 三)

# One row per unit: code, name, then the requests received in 2025 by applicant
# (nat = 自然人, bus = 商业企业, res = 科研机构, npo = 社会公益组织, law = 法律服务机构,
# oth = 其他), those carried in from 2024 and out to 2026 by natural persons and
# businesses (no other applicant had a request open at a year end), and the mix of
# outcomes. Land acquisition, demolition and housing bring most requests, to the
# bureaus of natural resources and housing and to the subdistricts that expropriate.
# fmt: off
GOVERNMENT = [
    # code        name                         nat bus res npo law oth  in.n in.b out.n out.b  mix
    ("430281-000", "醴陵市人民政府",              14,  2,  0,  0,  1,  0,    1,   0,    1,    0, "government"),
]
DEPARTMENTS = [
    ("430281-001", "醴陵市发展和改革局",           2,  1,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-002", "醴陵市教育局",                 3,  0,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-003", "醴陵市公安局",                 7,  0,  0,  0,  1,  0,    1,   0,    0,    0, "police"),
    ("430281-004", "醴陵市民政局",                 2,  0,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-005", "醴陵市司法局",                 1,  0,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-006", "醴陵市财政局",                 1,  1,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-007", "醴陵市人力资源和社会保障局",   6,  1,  0,  0,  0,  0,    0,   0,    1,    0, "routine"),
    ("430281-008", "醴陵市自然资源局",            48,  6,  1,  0,  2,  1,    4,   1,    3,    0, "land"),
    ("430281-009", "醴陵市住房和城乡建设局",      27,  4,  0,  1,  1,  0,    2,   0,    2,    1, "land"),
    ("430281-010", "醴陵市交通运输局",             3,  1,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-011", "醴陵市水利局",                 1,  0,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-012", "醴陵市农业农村局",             4,  0,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-013", "醴陵市商务局",                 0,  1,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-014", "醴陵市文化旅游广电体育局",     0,  0,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-015", "醴陵市卫生健康局",             2,  0,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-016", "醴陵市退役军人事务局",         1,  0,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-017", "醴陵市应急管理局",             0,  1,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-018", "醴陵市审计局",                 0,  0,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-019", "醴陵市市场监督管理局",         3,  2,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-020", "醴陵市医疗保障局",             1,  0,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-021", "醴陵市城市管理和综合执法局",   4,  0,  0,  0,  0,  0,    1,   0,    0,    0, "routine"),
    ("430281-022", "醴陵市行政审批服务局",         2,  1,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
]
# Townships and subdistricts under codes of their own range, so that departments
# can be added without renumbering them.
TOWNSHIPS = [
    ("430281-101", "醴陵市来龙门街道办事处",       3,  0,  0,  0,  0,  0,    0,   0,    0,    0, "land"),
    ("430281-102", "醴陵市阳三石街道办事处",       5,  0,  0,  0,  0,  0,    1,   0,    0,    0, "land"),
    ("430281-103", "醴陵市国瓷街道办事处",         2,  0,  0,  0,  0,  0,    0,   0,    0,    0, "land"),
    ("430281-104", "醴陵市浦口镇人民政府",         1,  0,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-105", "醴陵市白兔潭镇人民政府",       0,  0,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
    ("430281-106", "醴陵市王仙镇人民政府",         1,  0,  0,  0,  0,  0,    0,   0,    0,    0, "routine"),
]
# fmt: on
# A section of the roster: its rows, their 层级 and their 类别.
Section = tuple[list[tuple[str | int, ...]], str, str]
SECTIONS: list[Section] = [
    (GOVERNMENT, "本级", "政府"),
    (DEPARTMENTS, "本级", "政府工作部门"),
    (TOWNSHIPS, "乡镇（街道）", "乡镇（街道）"),
]

# How each kind of unit disposes of the requests it handles, in parts per hundred
# (result rows of table 三 without the t3. prefix and column). Reports of county
# units show 予以公开 first, then 本机关不掌握; 不予公开 is rare, and requests about
# land and housing bring repeats, petitions in disguise and partial disclosure. The
# police's mix has the 行政查询事项 (household and vehicle records) that are not
# disclosure requests at all.
MIXES: dict[str, dict[str, int]] = {
    "routine": {
        "r.public": 62,
        "r.partial": 8,
        "r.unable.not_held": 22,
        "r.unable.needs_creation": 4,
        "r.refuse.repeat": 4,
    },
    "government": {
        "r.public": 45,
        "r.partial": 12,
        "r.deny.internal": 3,
        "r.deny.process": 4,
        "r.unable.not_held": 20,
        "r.unable.needs_creation": 5,
        "r.refuse.petition": 6,
        "r.refuse.repeat": 3,
        "r.refuse.publication": 2,
    },
    "police": {
        "r.public": 35,
        "r.partial": 10,
        "r.deny.enforcement": 10,
        "r.deny.query": 15,
        "r.unable.not_held": 20,
        "r.refuse.petition": 5,
        "r.other.other": 5,
    },
    "land": {
        "r.public": 38,
        "r.partial": 14,
        "r.deny.third_party": 3,
        "r.deny.process": 2,
        "r.deny.enforcement": 1,
        "r.unable.not_held": 18,
        "r.unable.needs_creation": 5,
        "r.unable.unclear": 2,
        "r.refuse.petition": 5,
        "r.refuse.repeat": 6,
        "r.refuse.mass": 1,
        "r.refuse.confirm": 2,
        "r.other.no_correction": 2,
        "r.other.other": 1,
    },
}

# Table 四: reviews (行政复议) and suits (行政诉讼) about disclosure, as (upheld,
# corrected, other, pending) per block; units not listed had none. They follow the
# requests: the units with most requests, and a subdistrict that expropriates.
# fmt: off
APPEALS: dict[str, dict[str, tuple[int, int, int, int]]] = {
    "430281-000": {"review": (1, 0, 0, 0), "suit_direct": (0, 0, 1, 0)},
    "430281-003": {"review": (1, 0, 0, 0)},
    "430281-008": {"review": (3, 1, 1, 1), "suit_direct": (1, 0, 0, 1),
                   "suit_after_review": (1, 0, 0, 0)},
    "430281-009": {"review": (2, 0, 1, 0), "suit_direct": (0, 0, 0, 1)},
    "430281-102": {"review": (0, 1, 0, 0)},
}
# fmt: on

# Table 二 per unit: 行政规范性文件 issued, repealed and in force; decisions on
# licences, penalties and coercive measures; fees in 万元. 规章 are made only by
# governments of cities with districts and above, so a county has none. The
# government office issues most normative documents; licences are mostly decided by
# the 行政审批服务局 (relatively centralised licensing), penalties by the police
# (traffic) and the enforcers; towns decide the powers delegated to them. Units not
# listed report 0 throughout.
# fmt: off
PUBLISHED: dict[str, tuple[int, int, int, int, int, int, str]] = {
    # code         issued repealed in_force license penalty coercion fees (万元)
    "430281-000": (   9,    4,      58,       0,      0,     0,  "0"),
    "430281-001": (   1,    0,       6,       0,      2,     0,  "0"),
    "430281-002": (   1,    1,       5,       8,      0,     0,  "0"),
    "430281-003": (   0,    0,       0,    2360,  14820,   365,  "41.3650"),
    "430281-004": (   0,    0,       3,       0,      0,     0,  "0"),
    "430281-005": (   0,    0,       1,       0,      0,     0,  "0"),
    "430281-006": (   1,    0,       4,       0,      1,     0,  "0"),
    "430281-007": (   1,    1,       7,       3,      4,     0,  "0"),
    "430281-008": (   2,    1,       9,      64,     72,     9,  "512.8460"),
    "430281-009": (   2,    0,      11,      26,     31,     2,  "86.5200"),
    "430281-010": (   0,    0,       3,      38,    538,    41,  "0"),
    "430281-011": (   1,    0,       4,      18,      7,     0,  "0"),
    "430281-012": (   1,    1,       6,      96,     42,     3,  "0"),
    "430281-013": (   0,    0,       2,       0,      0,     0,  "0"),
    "430281-014": (   0,    0,       2,      31,      9,     0,  "0"),
    "430281-015": (   1,    0,       5,      45,     64,     0,  "0"),
    "430281-016": (   0,    0,       1,       0,      0,     0,  "0"),
    "430281-017": (   0,    0,       3,      22,     47,     5,  "0"),
    "430281-019": (   0,    0,       2,     184,    286,    38,  "0"),
    "430281-020": (   1,    0,       3,       0,     16,     0,  "0"),
    "430281-021": (   1,    0,       5,     212,   1167,    63,  "0"),
    "430281-022": (   0,    0,       1,    7845,      0,     0,  "0"),
    "430281-101": (   0,    0,       1,      12,     18,     1,  "0"),
    "430281-102": (   0,    0,       2,      16,     23,     2,  "0"),
    "430281-103": (   0,    0,       1,       9,     11,     0,  "0"),
    "430281-104": (   0,    0,       1,      27,      8,     0,  "0"),
    "430281-105": (   0,    0,       1,      21,      6,     0,  "0"),
    "430281-106": (   0,    0,       1,      24,      5,     0,  "0"),
}
# fmt: on

# Invented clerks: the workbooks need a 填报人, and a demo must not name real people.
SURNAMES = "袁丁胡邓文钟曾贺谢廖"
GIVEN_NAMES = "红玲斌霞亮娟平慧涛琴"


def roster(sections: Sequence[Section] | None = None) -> list[Unit]:
    """The units of 2025 (or of ``sections``) in roster order: the government,
    departments, townships."""
    units = []
    for rows, level, kind in SECTIONS if sections is None else sections:
        for code, name, *counts, mix in rows:
            nums = [int(n) for n in counts]
            units.append(
                Unit(
                    code,
                    name,
                    level,
                    kind,
                    new=tuple(nums[:6]),
                    # Only natural persons and businesses carry requests over.
                    carried_in=(nums[6], nums[7], 0, 0, 0, 0),
                    carried_out=(nums[8], nums[9], 0, 0, 0, 0),
                    mix=str(mix),
                )
            )
    return units


def apportion(n: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split ``n`` items in proportion to ``weights`` by largest remainder.

    Ties go to the earlier key, so the split is deterministic and always adds up
    to exactly ``n``.

    :returns: the items per key, in the order of ``weights``.
    """
    whole = sum(weights.values())
    if n < 0 or whole <= 0:
        raise ValueError(f"cannot split {n} items by weights summing to {whole}")
    shares = {key: n * w // whole for key, w in weights.items()}
    remainders = {key: n * w % whole for key, w in weights.items()}
    short = n - sum(shares.values())
    for key in sorted(weights, key=lambda k: -remainders[k])[:short]:
        shares[key] += 1
    return shares


def unit_figures(
    unit: Unit,
    fmt: Format,
    appeals: Mapping[str, Mapping[str, tuple[int, int, int, int]]] = APPEALS,
    published: Mapping[str, tuple[int, int, int, int, int, int, str]] = PUBLISHED,
) -> Figures:
    """All figures of one unit's workbook, totals included.

    :param appeals: table 四 by unit code (default: 2025's).
    :param published: table 二 by unit code (default: 2025's).

    :raises ValueError: when a unit carries out more requests of a column than it
        had in it.
    """
    v: Figures = {}
    for col, new, came, left in zip(
        APPLICANTS, unit.new, unit.carried_in, unit.carried_out, strict=True
    ):
        handled = new + came - left
        if handled < 0:
            raise ValueError(f"{unit.code} carries out more {col} requests than it had")
        v[f"t3.new.{col}"] = new
        v[f"t3.carried_in.{col}"] = came
        v[f"t3.carried_out.{col}"] = left
        # What was in hand and not carried out was handled in the year (T3-ID).
        for row, count in apportion(handled, MIXES[unit.mix]).items():
            v[f"t3.{row}.{col}"] = count
    for block, parts in appeals.get(unit.code, {}).items():
        for col, count in zip(
            ("upheld", "corrected", "other", "pending"), parts, strict=True
        ):
            v[f"t4.{block}.{col}"] = count
    issued, repealed, in_force, license_, penalty, coercion, fees = published.get(
        unit.code, (0, 0, 0, 0, 0, 0, "0")
    )
    v.update(
        {
            "zd.normative.issued": issued,
            "zd.normative.repealed": repealed,
            "zd.normative.in_force": in_force,
            "zd.license": license_,
            "zd.penalty": penalty,
            "zd.coercion": coercion,
            "zd.fees_10k_yuan": Decimal(fees),
        }
    )
    unknown = set(v) - set(fmt.codes)
    if unknown:
        raise ValueError(f"codes not in {fmt.id}: {sorted(unknown)}")
    return complete_totals(v, fmt)


def contact(index: int, year: int = YEAR) -> dict[str, str]:
    """The 填报人, 联系电话 and 填报日期 (in January after ``year``) of the unit at
    ``index`` in the roster."""
    return {
        "filler": SURNAMES[index % 10] + GIVEN_NAMES[(index // 10 + index) % 10],
        "phone": f"0731-2321{index:04d}",
        "date": f"{year + 1}-01-{10 + index % 10:02d}",
    }


def build(out_dir: Path) -> list[Path]:
    """Write ``units.csv`` and one workbook per unit into ``out_dir``.

    :returns: the files written, the roster first, then the workbooks in roster order.
    """
    fmt = load_format(FORMAT_ID)
    units = roster()
    rows = [(u.code, u.name, u.level, u.kind) for u in units]
    return write_inputs(
        out_dir, fmt, YEAR, rows, lambda i: unit_figures(units[i], fmt), contact
    )


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: ``--out FOLDER``."""
    description = (__doc__ or "").splitlines()[0]
    return inputs_script(description, DEFAULT_OUT, PROJECT_ROOT, build, argv)


if __name__ == "__main__":
    sys.exit(main())
