"""Synthetic years for the benchmarks: N units, each a workbook made by the template.

Every unit's figures come from a random generator seeded with ``(seed, index)``, so a
unit's workbook depends only on its index: the first N workbooks of any set are the
same files, whatever N, and the set can be built by several processes in any order.
The figures are plausible (most departments publish a few hundred items and receive a
handful of requests; one unit runs the hotline, one keeps the power list) and satisfy
every rule of the format, soft rules included, so a compile of any set succeeds with
no problem at all.

Generated sets are cached under ``benchmarks/.data/`` (git-ignored), keyed by the
generator version, the seed and N; bump :data:`GENERATOR_VERSION` whenever what is
written changes. Workbooks are built once into a pool shared by every N and linked
into each set.

Usage::

    .venv/bin/python benchmarks/generate.py 1000 [--seed 2017] [--jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import re
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

from govstats.core.output import atomic_write, write_workbook
from govstats.formats import Format, load_format
from govstats.publish.template_xlsx import build_template
from govstats.read.roster import COLUMNS

GENERATOR_VERSION = 1
YEAR = 2017
FORMAT_ID = "gk2008"
DEFAULT_SEED = 2017
DATA = Path(__file__).resolve().parent / ".data"
# Unit 0 is the city government; the others cycle through this pattern of
# (层级, 类别): four city departments, one county government, five county offices.
KINDS = (
    [("市本级", "市政府工作部门")] * 4
    + [("县市区", "县市区政府")]
    + [("县市区", "其他")] * 5
)
NAME_OF_KIND = {
    "市政府": "合成市人民政府",
    "市政府工作部门": "合成市第{n}局",
    "县市区政府": "合成第{n}县人民政府",
    "其他": "合成县第{n}办公室",
}
HOTLINE_UNIT = 1  # runs the mayor's hotline (表6); every other unit reports 0
POWER_LIST_UNIT = 2  # keeps the list of administrative powers (表7)

Figures = dict[str, int | Decimal]


# The roster


def unit_code(index: int) -> str:
    return f"S{index:06d}"


def roster_row(index: int) -> tuple[str, str, str, str]:
    """``(单位代码, 单位名称, 层级, 类别)`` of the unit at ``index``."""
    if index == 0:
        level, kind = "市本级", "市政府"
    else:
        level, kind = KINDS[(index - 1) % len(KINDS)]
    return unit_code(index), NAME_OF_KIND[kind].format(n=index), level, kind


def roster_csv(n: int) -> str:
    """``units.csv`` of the first ``n`` units (UTF-8 text, ``\\n`` line endings)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS.values())
    writer.writerows(roster_row(i) for i in range(n))
    return buf.getvalue()


# Figures


def split(total: int, codes: Iterable[str], rng: random.Random) -> dict[str, int]:
    """``total`` dealt out to ``codes`` at random weights, adding up exactly."""
    keys = list(codes)
    weights = [rng.random() + 0.05 for _ in keys]
    scale = sum(weights)
    shares = [int(total * w / scale) for w in weights]
    for k in range(total - sum(shares)):
        shares[k % len(keys)] += 1
    return dict(zip(keys, shares, strict=True))


def unit_figures(index: int, fmt: Format, seed: int = DEFAULT_SEED) -> Figures:
    """The figures of the unit at ``index``: plausible, and passing every rule."""
    rng = random.Random(f"{seed}-{index}")
    codes = fmt.codes
    v: Figures = dict.fromkeys(codes, 0)
    big = index == 0 or roster_row(index)[3] == "县市区政府"
    published = int(rng.lognormvariate(6.5 if big else 4.8, 0.6))
    v.update(split(published, _parts(fmt, "ZD-SUM"), rng))
    received = int(rng.expovariate(1 / (25 if big else 6)))
    channels = [c for c in codes if c.startswith("sq.ch.")]
    v.update(split(received, channels, rng))
    if received > 50:  # SQ-ONE-CHANNEL: many requests never all come one way
        top = max(channels, key=lambda c: int(v[c]))
        v[top] = int(v[top]) - 1
        other = channels[(channels.index(top) + 1) % len(channels)]
        v[other] = int(v[other]) + 1
    outcomes = split(received, [c for c in codes if c.startswith("sq.out.")], rng)
    v.update(outcomes)
    v.update(split(outcomes["sq.out.denied"], _prefixed(codes, "sq.deny."), rng))
    v["xw.own"] = rng.randint(0, 12 if big else 4)
    v["fy.reconsideration"] = rng.randint(0, received // 5 + 1) if received else 0
    v["fy.litigation"] = rng.randint(0, int(v["fy.reconsideration"]))
    v["fy.litigation_upheld"] = rng.randint(0, int(v["fy.litigation"]))
    v["fy.complaints"] = int(rng.random() < 0.05)
    # An amount with cents now and then, so that amounts are exercised too.
    if rng.random() < 0.1:
        v["sf.fees"] = Decimal(rng.randint(1, 20000)).scaleb(-2)
    if index == 0:
        v["zd.portal_visits"] = Decimal(rng.randint(100000, 200000)).scaleb(-2)
        v["zd.gazette_issues"] = 4
        v["xw.city_office"] = rng.randint(50, 150)
        v["xw.city_office_heads"] = rng.randint(10, int(v["xw.city_office"]))
    if index == HOTLINE_UNIT:
        v.update(_hotline(fmt, rng))
    if index == POWER_LIST_UNIT:
        v.update(split(rng.randint(2000, 4000), _prefixed(codes, "ql.t."), rng))
        v.update({"ql.added": 69, "ql.removed": 19, "ql.renamed": 8})
    return _with_totals(v, fmt)


def _hotline(fmt: Format, rng: random.Random) -> Figures:
    calls_prev = rng.randint(100000, 150000)
    accepted = rng.randint(60000, 90000)
    closed = accepted - rng.randint(0, accepted // 10)
    return {
        "rx.calls": calls_prev + rng.randint(-20000, 20000),  # within RX-CALLS-CHANGE
        "rx.calls_prev": calls_prev,
        **split(accepted, _prefixed(fmt.codes, "rx.ch."), rng),
        "rx.on_the_spot": accepted // 2,
        "rx.closed": closed,
        "rx.closed_on_time": closed - closed // 10,
    }


def _parts(fmt: Format, rule_id: str) -> tuple[str, ...]:
    return next(r.parts for r in fmt.rules if r.id == rule_id)


def _prefixed(codes: Iterable[str], prefix: str) -> list[str]:
    return [c for c in codes if c.startswith(prefix)]


def _with_totals(values: Mapping[str, int | Decimal], fmt: Format) -> Figures:
    """Every total of a ``sum`` rule set to its parts' sum."""
    out = dict(values)
    for rule in fmt.rules:
        if rule.kind == "sum":
            out[rule.params["total"]] = sum(int(out[p]) for p in rule.parts)
    return out


# Writing


def write_unit(index: int, path: Path, seed: int = DEFAULT_SEED) -> None:
    """Write the workbook of the unit at ``index`` (atomically, reproducibly)."""
    fmt = load_format(FORMAT_ID)
    code, name, _level, _kind = roster_row(index)
    info = {"filler": "合成填报人", "phone": f"0000-{index:06d}", "date": "2018-01-15"}
    # Without the live checks (issue 17), as the cached sets and the results so far
    # were made: a 校验 sheet adds reading time to compare separately.
    figures = unit_figures(index, fmt, seed)
    wb = build_template(fmt, YEAR, code, name, figures, info, checks=False)
    write_workbook(wb, path)


def _write_many(job: tuple[list[int], str, int]) -> int:
    indexes, folder, seed = job
    for i in indexes:
        write_unit(i, Path(folder) / f"{unit_code(i)}.xlsx", seed)
    return len(indexes)


def dataset(
    n: int,
    seed: int = DEFAULT_SEED,
    jobs: int = 2,
    root: Path = DATA,
    log: bool = True,
) -> Path:
    """The inputs folder of a synthetic year of ``n`` units, built if not cached.

    :returns: a folder holding ``<YEAR>/units.csv`` and the workbooks (pass it to
        ``govstats compile --inputs``).
    """
    base = root / f"v{GENERATOR_VERSION}-seed{seed}"
    inputs = base / f"n{n}" / "inputs"
    year_dir = inputs / str(YEAR)
    done = year_dir / ".complete"
    if done.exists():
        return inputs
    pool = base / "pool"
    pool.mkdir(parents=True, exist_ok=True)
    missing = [i for i in range(n) if not (pool / f"{unit_code(i)}.xlsx").exists()]
    if missing:
        if log:
            print(f"generating {len(missing)} workbooks ({jobs} processes)", flush=True)
        if jobs > 1 and len(missing) > 50:
            chunks = [
                (missing[k : k + 200], str(pool), seed)
                for k in range(0, len(missing), 200)
            ]
            with ProcessPoolExecutor(jobs) as ex:
                list(ex.map(_write_many, chunks))
        else:
            _write_many((missing, str(pool), seed))
    year_dir.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        name = f"{unit_code(i)}.xlsx"
        if not (year_dir / name).exists():
            os.link(pool / name, year_dir / name)
    atomic_write(year_dir / "units.csv", roster_csv(n))
    done.touch()
    return inputs


# Filled in by substitution: the template made once, each unit's figures and
# identification put into its XML. A hundred times faster than openpyxl a unit,
# for sets of tens of thousands of units and for a test of a 2,000-unit compile.

# Figures the template is filled with, one per indicator, each met once in its
# XML (checked), then replaced by a unit's figure.
SENTINEL = 987_650_000
SENTINEL_CODE = unit_code(999_999)
SENTINEL_NAME = "合成哨兵单位"
SENTINEL_PHONE = "0000-999999"
_SENTINEL_VALUE = re.compile(rb"<v>98765[0-9]{4}</v>")


def _xml_text(text: str) -> bytes:
    # As the template's writer puts text (lxml): every character beyond ASCII
    # as a reference.
    return text.encode("ascii", "xmlcharrefreplace")


def _sentinel_parts(fmt: Format) -> list[tuple[str, bytes]]:
    """The template filled with the sentinels: its zip entries, in order."""
    import zipfile

    from govstats.core.output import workbook_bytes

    values = {code: SENTINEL + k for k, code in enumerate(fmt.codes)}
    info = {"filler": "合成填报人", "phone": SENTINEL_PHONE, "date": "2018-01-15"}
    wb = build_template(
        fmt, YEAR, SENTINEL_CODE, SENTINEL_NAME, values, info, checks=False
    )
    with zipfile.ZipFile(io.BytesIO(workbook_bytes(wb))) as z:
        parts = [(i.filename, z.read(i)) for i in z.infolist()]
    found = [m for _, part in parts for m in _SENTINEL_VALUE.findall(part)]
    if sorted(found) != sorted(b"<v>%d</v>" % v for v in values.values()):
        raise RuntimeError("the template does not hold each figure once")
    return parts


def filled_unit(
    parts: list[tuple[str, bytes]], index: int, fmt: Format, seed: int = DEFAULT_SEED
) -> bytes:
    """The workbook of the unit at ``index``: the sentinels' template (from
    :func:`_sentinel_parts`) with the unit's figures and identification put in.
    It holds what :func:`write_unit` writes, in other bytes."""
    import zipfile

    from govstats.core.output import FIXED_TIME

    figures = unit_figures(index, fmt, seed)
    code, name, _level, _kind = roster_row(index)
    by_sentinel = {
        b"<v>%d</v>" % (SENTINEL + k): f"<v>{figures[c]}</v>".encode()
        for k, c in enumerate(fmt.codes)
    }
    texts = [
        (_xml_text(SENTINEL_NAME), _xml_text(name)),
        (SENTINEL_CODE.encode(), code.encode()),
        (SENTINEL_PHONE.encode(), f"0000-{index:06d}".encode()),
    ]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name_in_zip, part in parts:
            if name_in_zip.startswith("xl/worksheets/"):
                part = _SENTINEL_VALUE.sub(lambda m: by_sentinel[m[0]], part)
                for old, new in texts:
                    part = part.replace(old, new)
            z.writestr(zipfile.ZipInfo(name_in_zip, FIXED_TIME), part)
    return out.getvalue()


def filled(n: int, folder: Path, seed: int = DEFAULT_SEED) -> Path:
    """A synthetic year of ``n`` units in ``folder`` (not cached), made by
    :func:`filled_unit`: the units of :func:`dataset`, a hundred times faster.

    :returns: the inputs folder (``folder``, holding ``<YEAR>/``).
    """
    fmt = load_format(FORMAT_ID)
    parts = _sentinel_parts(fmt)
    year_dir = folder / str(YEAR)
    year_dir.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        data = filled_unit(parts, i, fmt, seed)
        (year_dir / f"{unit_code(i)}.xlsx").write_bytes(data)
    (year_dir / "units.csv").write_text(roster_csv(n), encoding="utf-8")
    return folder


def filled_set(n: int, seed: int = DEFAULT_SEED, root: Path = DATA) -> Path:
    """The set of :func:`filled`, cached as :func:`dataset`'s are."""
    inputs = root / f"v{GENERATOR_VERSION}-seed{seed}" / f"n{n}-filled" / "inputs"
    done = inputs / str(YEAR) / ".complete"
    if not done.exists():
        print(f"filling in {n} workbooks", flush=True)
        filled(n, inputs, seed)
        done.touch()
    return inputs


def varied(n: int, seed: int = DEFAULT_SEED, root: Path = DATA) -> Path:
    """The set of :func:`dataset`, every XML part of every workbook made its own.

    Each unit's workbook of the plain set is the template filled in by the same
    code, so its theme, styles and sheets' markup are the same bytes as every
    other unit's, which govstats reads faster (govstats.read.package: known parts,
    layouts). Workbooks filled in by hand and saved by different programs share
    less. Here the root element of each part declares a namespace of its own
    unit (``xmlns:u17="urn:govstats-bench:17"``): the same figures, but no two
    workbooks share a part or a sheet's markup.
    """
    plain = dataset(n, seed, root=root) / str(YEAR)
    inputs = root / f"v{GENERATOR_VERSION}-seed{seed}" / f"n{n}-varied" / "inputs"
    year_dir = inputs / str(YEAR)
    done = year_dir / ".complete"
    if done.exists():
        return inputs
    year_dir.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        name = f"{unit_code(i)}.xlsx"
        atomic_write(year_dir / name, _own_parts((plain / name).read_bytes(), i))
    atomic_write(year_dir / "units.csv", roster_csv(n))
    done.touch()
    return inputs


def resaved(n: int, seed: int = DEFAULT_SEED, root: Path = DATA) -> Path | None:
    """The set of :func:`dataset`, every workbook opened and saved again by
    LibreOffice Calc, as a clerk's office suite saves a filled-in template.

    A real year's workbooks come from more than one program: LibreOffice writes
    its own styles, shared strings and sheets' markup, and the document
    properties of each file carry the moment it was saved, so no two workbooks
    share every part. None when LibreOffice (``soffice``) is not installed.
    """
    import shutil
    import tempfile

    from govstats.core import libreoffice

    plain = dataset(n, seed, root=root) / str(YEAR)
    inputs = root / f"v{GENERATOR_VERSION}-seed{seed}" / f"n{n}-libreoffice" / "inputs"
    year_dir = inputs / str(YEAR)
    done = year_dir / ".complete"
    if done.exists():
        return inputs
    if not libreoffice.available():
        return None
    year_dir.mkdir(parents=True, exist_ok=True)
    names = [f"{unit_code(i)}.xlsx" for i in range(n)]
    todo = [name for name in names if not (year_dir / name).exists()]
    print(f"saving {len(todo)} workbooks again with LibreOffice", flush=True)
    for k in range(0, len(todo), 200):  # one soffice start-up a batch
        batch = todo[k : k + 200]
        with tempfile.TemporaryDirectory(dir=year_dir.parent) as work:
            out = libreoffice.convert(
                [plain / name for name in batch],
                "xlsx:Calc MS Excel 2007 XML",
                Path(work),
                timeout=1800,
            )
            for name in batch:
                if (out / name).exists():
                    shutil.move(out / name, year_dir / name)
    missing = [name for name in names if not (year_dir / name).exists()]
    if missing:
        raise RuntimeError(f"LibreOffice did not save {len(missing)} workbooks")
    atomic_write(year_dir / "units.csv", roster_csv(n))
    done.touch()
    return inputs


def _own_parts(data: bytes, index: int) -> bytes:
    """A workbook whose XML parts' root elements declare a namespace of their own."""
    import re
    import zipfile

    mark = f' xmlns:u{index}="urn:govstats-bench:{index}"'.encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            part = src.read(info)
            if info.filename.endswith((".xml", ".rels")):
                # after the root element's name: the first tag not "<?"
                part = re.sub(
                    rb"(<[A-Za-z][^\s>/]*)", lambda m: m[1] + mark, part, count=1
                )
            dst.writestr(info.filename, part)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="how many units")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--jobs", type=int, default=2, help="processes to build with")
    parser.add_argument("--root", type=Path, default=DATA, help="cache folder")
    parser.add_argument(
        "--filled",
        type=Path,
        help="write the set into this folder by substitution (filled), not cached",
    )
    parser.add_argument(
        "--libreoffice",
        action="store_true",
        help="the set saved again by LibreOffice (resaved)",
    )
    args = parser.parse_args(argv)
    if args.filled:
        print(filled(args.n, args.filled, args.seed))
        return 0
    if args.libreoffice:
        print(resaved(args.n, args.seed, args.root))
        return 0
    print(dataset(args.n, args.seed, args.jobs, args.root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
