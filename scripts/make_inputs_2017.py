"""Write the demo inputs of 2017: the roster of Zhuzhou and one workbook per unit.

The figures of all workbooks add up exactly to those of the seed report (the 2017
annual report of the people's government of Zhuzhou, in the codes of
``shared/spec/zhuzhou-2017-figures.yaml``), so that compiling ``inputs/2017/``
reproduces the seed. The distribution over units is invented but plausible: it is
the table below, plus :func:`take`, which deals the city-wide split of a figure
(channels of requests, their outcomes, the categories of published items) out to
the units by their size. Nothing is random, so every run writes the same bytes.

Usage::

    .venv/bin/python scripts/make_inputs_2017.py [--out DIR]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from govstats.formats import Format, load_format
from govstats.synthetic import complete_totals, inputs_script, write_inputs

YEAR = 2017
FORMAT_ID = "gk2008"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = PROJECT_ROOT / "inputs" / str(YEAR)

Figures = dict[str, int | Decimal]


@dataclass(frozen=True)
class Unit:
    """One reporting unit of the roster and the figures the table gives it.

    :param published: items published on the unit's own initiative (zd.total).
    :param received: information requests received; all were answered in the year.
    :param press: press conferences the unit held itself (xw.own).
    """

    code: str
    name: str
    level: str
    kind: str
    published: int
    received: int
    press: int
    reconsideration: int
    litigation: int
    upheld: int
    complaints: int


# The roster and the per-unit figures

CITY_GOVERNMENT = "430200-000"
NEWS_OFFICE = "430200-033"
HOTLINE_OFFICE = "430200-034"
# The 审改办 that keeps the city-level list of administrative powers sits in the 编办.
POWER_LIST_KEEPER = "430200-032"

# One row per unit: code, name, then its figures: zd = items published on its own
# initiative (zd.total), sq = requests received (all answered), xw = press
# conferences of its own (xw.own), fy.r = reconsiderations, fy.l = lawsuits,
# up = lawsuits upheld (fy.litigation_upheld), co = complaints (fy.complaints).
# Requests go mostly to the departments that decide on land, housing, social
# insurance and policing; most other departments get none or a handful.
# fmt: off
CITY = [
    # code        name                                       zd    sq   xw fy.r fy.l   up  co
    ("430200-000", "株洲市人民政府",                       13042,   42,   0,  12,  10,   7,  0),
]
DEPARTMENTS = [
    ("430200-001", "株洲市发展和改革委员会",                 210,    8,   4,   2,   1,   1,  0),
    ("430200-002", "株洲市经济和信息化委员会",               150,    3,   3,   0,   0,   0,  0),
    ("430200-003", "株洲市教育局",                           250,    9,   6,   1,   0,   0,  0),
    ("430200-004", "株洲市科学技术局",                       100,    1,   2,   0,   0,   0,  0),
    ("430200-005", "株洲市公安局",                           220,   36,   6,   7,   4,   3,  0),
    ("430200-006", "株洲市民政局",                           140,    7,   3,   1,   0,   0,  0),
    ("430200-007", "株洲市司法局",                            80,    2,   2,   0,   0,   0,  0),
    ("430200-008", "株洲市财政局",                           180,    9,   3,   1,   1,   1,  0),
    ("430200-009", "株洲市人力资源和社会保障局",             200,   32,   4,   6,   3,   2,  0),
    ("430200-010", "株洲市国土资源局",                       170,   92,   4,  22,  12,   7,  1),
    ("430200-011", "株洲市环境保护局",                       180,   12,   5,   2,   1,   1,  0),
    ("430200-012", "株洲市住房和城乡建设局",                 180,   60,   4,  12,   6,   4,  1),
    ("430200-013", "株洲市规划局",                           110,   20,   2,   4,   2,   1,  0),
    ("430200-014", "株洲市交通运输局",                       120,    6,   3,   1,   1,   0,  0),
    ("430200-015", "株洲市水利局",                            80,    3,   2,   0,   0,   0,  0),
    ("430200-016", "株洲市农业委员会",                       150,    3,   3,   0,   0,   0,  0),
    ("430200-017", "株洲市林业局",                            70,    2,   1,   0,   0,   0,  0),
    ("430200-018", "株洲市商务局",                           100,    1,   2,   0,   0,   0,  0),
    ("430200-019", "株洲市文体广电新闻出版局",               110,    1,   3,   0,   0,   0,  0),
    ("430200-020", "株洲市卫生和计划生育委员会",             220,    6,   5,   1,   0,   0,  0),
    ("430200-021", "株洲市审计局",                            60,    1,   1,   0,   0,   0,  0),
    ("430200-022", "株洲市人民政府国有资产监督管理委员会",    90,    4,   2,   1,   1,   1,  0),
    ("430200-023", "株洲市工商行政管理局",                   140,    5,   4,   1,   1,   1,  0),
    ("430200-024", "株洲市质量技术监督局",                   100,    2,   3,   0,   0,   0,  0),
    ("430200-025", "株洲市食品药品监督管理局",               160,    3,   5,   0,   0,   0,  0),
    ("430200-026", "株洲市安全生产监督管理局",               110,    2,   4,   0,   0,   0,  0),
    ("430200-027", "株洲市统计局",                            60,    1,   2,   0,   0,   0,  0),
    ("430200-028", "株洲市城市管理和综合执法局",             180,   14,   7,   3,   2,   1,  0),
    ("430200-029", "株洲市房产管理局",                       120,   42,   3,   9,   4,   3,  1),
    ("430200-030", "株洲市旅游外事侨务局",                    70,    0,   3,   0,   0,   0,  0),
    ("430200-031", "株洲市人民政府法制办公室",                40,    2,   1,   0,   0,   0,  0),
    ("430200-032", "株洲市机构编制委员会办公室",              34,    0,   0,   0,   0,   0,  0),
    ("430200-033", "株洲市人民政府新闻办公室",                60,    0,   0,   0,   0,   0,  0),
    ("430200-034", "株洲市市长热线办公室",                    90,    0,   0,   0,   0,   0,  0),
    ("430200-035", "株洲市政务服务中心",                      80,    1,   2,   0,   0,   0,  0),
    ("430200-036", "株洲市住房公积金管理中心",                70,    5,   2,   1,   1,   1,  0),
    ("430200-037", "株洲市民族宗教事务局",                    30,    0,   1,   0,   0,   0,  0),
    ("430200-038", "株洲市人民防空办公室",                    40,    1,   1,   0,   0,   0,  0),
    ("430200-039", "株洲市物价局",                            70,    2,   3,   0,   0,   0,  0),
    ("430200-040", "株洲市档案局",                            30,    0,   1,   0,   0,   0,  0),
]
# County-level governments under their administrative division codes, in code order.
COUNTIES = [
    ("430202",     "荷塘区人民政府",                         560,   14,   9,   4,   2,   1,  0),
    ("430203",     "芦淞区人民政府",                         520,   12,   8,   3,   2,   2,  0),
    ("430204",     "石峰区人民政府",                         480,    9,   7,   2,   1,   1,  0),
    ("430211",     "天元区人民政府",                         620,   18,  10,   5,   3,   2,  1),
    ("430221",     "株洲县人民政府",                         700,    6,   8,   2,   1,   0,  0),
    ("430223",     "攸县人民政府",                           610,    7,   9,   2,   1,   1,  0),
    ("430224",     "茶陵县人民政府",                         540,    5,   7,   1,   1,   1,  0),
    ("430225",     "炎陵县人民政府",                         480,    3,   6,   1,   1,   0,  0),
    ("430281",     "醴陵市人民政府",                         760,   13,  11,   3,   2,   1,  0),
]
# fmt: on
SECTIONS = [
    (CITY, "市本级", "市政府"),
    (DEPARTMENTS, "市本级", "市政府工作部门"),
    (COUNTIES, "县市区", "县市区政府"),
]

# City-wide splits (the seed's figures), dealt out to the units by take()

CATEGORIES = {
    "zd.policy": 480,
    "zd.plan": 235,
    "zd.org": 42,
    "zd.notice": 1400,
    "zd.personnel": 1460,
    "zd.interaction": 3197,
    "zd.news": 16152,
}
CHANNELS = {
    "sq.ch.in_person": 22,
    "sq.ch.fax": 10,
    "sq.ch.online": 282,
    "sq.ch.letter": 213,
}
OUTCOMES = {
    "sq.out.already_public": 122,
    "sq.out.granted": 135,
    "sq.out.partial": 78,
    "sq.out.denied": 37,
    "sq.out.other": 155,
}
DENIAL_REASONS = {
    "sq.deny.state_secret": 2,
    "sq.deny.trade_secret": 3,
    "sq.deny.privacy": 2,
    "sq.deny.other_law": 10,
    "sq.deny.not_gov_info": 20,
}
# The city government publishes through the portal itself: most of the city's news
# and the replies to the mayor's mailbox (政民互动) are its own, so its mix is given
# here rather than dealt from the city-wide one.
PORTAL_MIX = {
    "zd.policy": 160,
    "zd.plan": 70,
    "zd.org": 12,
    "zd.notice": 520,
    "zd.personnel": 380,
    "zd.interaction": 2100,
    "zd.news": 9800,
}

# Figures only one unit reports; every other unit reports 0 for these codes.
# Totals (rx.accepted, ql.retained) are not listed: they follow from their parts.
FIXED: dict[str, Figures] = {
    CITY_GOVERNMENT: {"zd.portal_visits": Decimal(1124), "zd.gazette_issues": 4},
    NEWS_OFFICE: {"xw.city_office": 133, "xw.city_office_heads": 33},
    HOTLINE_OFFICE: {
        "rx.calls": 147435,
        "rx.calls_prev": 137405,
        "rx.ch.hotline": 86908,
        "rx.ch.mailbox": 3139,
        "rx.ch.weibo": 279,
        "rx.ch.wechat": 439,
        "rx.ch.sms": 18,
        "rx.ch.web_posts": 76,
        "rx.ch.police110": 667,
        "rx.on_the_spot": 42369,
        "rx.closed": 90794,
        "rx.closed_on_time": 81916,
    },
    POWER_LIST_KEEPER: {
        "ql.added": 69,
        "ql.removed": 19,
        "ql.renamed": 8,
        "ql.t.license": 144,
        "ql.t.penalty": 2046,
        "ql.t.coercion": 147,
        "ql.t.levy": 33,
        "ql.t.payment": 12,
        "ql.t.confirmation": 57,
        "ql.t.reward": 27,
        "ql.t.inspection": 59,
        "ql.t.supervision": 138,
        "ql.t.other": 324,
    },
}

# Invented clerks: the workbooks need a 填报人, and a demo must not name real people.
SURNAMES = "刘李王陈周谭彭易罗黄"
GIVEN_NAMES = "敏丽华芳军静勇艳婷伟"


def roster() -> list[Unit]:
    """The units of 2017 in roster order: the city government, departments, counties."""
    return [
        Unit(code, name, level, kind, *figures)
        for rows, level, kind in SECTIONS
        for code, name, *figures in rows
    ]


def take(pool: dict[str, int], n: int) -> dict[str, int]:
    """Take ``n`` items out of ``pool``, split in proportion to what is left in it.

    Shares are rounded by largest remainder (ties go to the earlier key). A share
    never exceeds what is left of its key, so the pool never goes negative, and the
    unit that comes last takes exactly what is left: dealing a pool out completely
    reproduces its totals exactly.

    :param pool: items left per key; reduced in place by what is taken.
    :param n: how many items to take, at most what is left in the pool.
    :returns: the items taken per key, in the pool's key order.
    """
    left = sum(pool.values())
    if not 0 <= n <= left:
        raise ValueError(f"cannot take {n} items from a pool of {left}")
    if n == 0:
        return dict.fromkeys(pool, 0)
    shares = {key: n * count // left for key, count in pool.items()}
    remainders = {key: n * count % left for key, count in pool.items()}
    short = n - sum(shares.values())
    for key in sorted(pool, key=lambda k: -remainders[k])[:short]:
        shares[key] += 1
    for key, share in shares.items():
        pool[key] -= share
    return shares


def distribute(units: list[Unit], fmt: Format) -> dict[str, Figures]:
    """The figures of every unit, by unit code.

    :raises ValueError: when the table does not add up to the city-wide splits.
    """
    categories = {code: CATEGORIES[code] - PORTAL_MIX[code] for code in CATEGORIES}
    channels, outcomes, reasons = dict(CHANNELS), dict(OUTCOMES), dict(DENIAL_REASONS)
    figures: dict[str, Figures] = {}
    for unit in units:
        v: Figures = {}
        if unit.code == CITY_GOVERNMENT:
            if sum(PORTAL_MIX.values()) != unit.published:
                raise ValueError("PORTAL_MIX does not add up to the city government's")
            v.update(PORTAL_MIX)
        else:
            v.update(take(categories, unit.published))
        v.update(take(channels, unit.received))
        # Every request was answered within the year (no SQ-OPEN warnings).
        answered = take(outcomes, unit.received)
        v.update(answered)
        v.update(take(reasons, answered["sq.out.denied"]))
        v.update(
            {
                "xw.own": unit.press,
                "fy.reconsideration": unit.reconsideration,
                "fy.litigation": unit.litigation,
                "fy.litigation_upheld": unit.upheld,
                "fy.complaints": unit.complaints,
            }
        )
        v.update(FIXED.get(unit.code, {}))
        figures[unit.code] = complete_totals(v, fmt)
    for name, pool in [
        ("published", categories),
        ("channels", channels),
        ("outcomes", outcomes),
        ("denial reasons", reasons),
    ]:
        if any(pool.values()):
            raise ValueError(f"the table leaves {name} undealt: {pool}")
    return figures


def contact(index: int) -> dict[str, str]:
    """The 填报人, 联系电话 and 填报日期 of the unit at ``index`` in the roster."""
    return {
        "filler": SURNAMES[index % 10] + GIVEN_NAMES[(index // 10 + index) % 10],
        "phone": f"0731-2868{index:04d}",
        "date": f"2018-01-{10 + index % 10:02d}",
    }


def build(out_dir: Path) -> list[Path]:
    """Write ``units.csv`` and one workbook per unit into ``out_dir``.

    :returns: the files written, the roster first, then the workbooks in roster order.
    """
    fmt = load_format(FORMAT_ID)
    units = roster()
    figures = distribute(units, fmt)
    rows = [(u.code, u.name, u.level, u.kind) for u in units]
    return write_inputs(
        out_dir, fmt, YEAR, rows, lambda i: figures[units[i].code], contact
    )


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: ``--out FOLDER``."""
    description = (__doc__ or "").splitlines()[0]
    return inputs_script(description, DEFAULT_OUT, PROJECT_ROOT, build, argv)


if __name__ == "__main__":
    sys.exit(main())
