"""Writing inputs that were not filled by a clerk: demo years, benchmarks, tests.

The demo scripts (``scripts/make_inputs_<year>.py``) share these pieces: totals
completed from the format's own ``sum`` rules, so every workbook satisfies them by
construction, and the roster written as ``units.csv``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path

from govstats.core.output import atomic_write
from govstats.formats import Format
from govstats.formats.rules import kind_of
from govstats.read.roster import COLUMNS

__all__ = ["complete_totals", "inputs_script", "write_inputs", "write_roster"]


def complete_totals(
    values: Mapping[str, int | Decimal], fmt: Format
) -> dict[str, int | Decimal]:
    """``values`` with every figure a rule makes from others set so that the rule
    holds: each total of a ``sum`` rule is the sum of its parts
    (:meth:`govstats.formats.rules.RuleKind.satisfy`).

    A total may itself be a part of another (（七）总计 of column 总计 is the total of
    its row and of its column; 不予公开 is a part of 已答复), so the rules are applied
    until no figure changes; the sums form no cycle, so this ends.
    """
    out: dict[str, int | Decimal] = dict(values)
    rules = [(rule, kind_of(rule)) for rule in fmt.rules]
    changed = True
    while changed:
        changed = False
        for rule, kind in rules:
            change = kind.satisfy(rule, out)
            out.update(change)
            changed = changed or bool(change)
    return out


def write_roster(units: Iterable[tuple[str, str, str, str]], path: Path) -> None:
    """Write ``units.csv`` (代码, 名称, 层级, 类别 per unit): UTF-8 without BOM,
    ``\\n`` line endings, atomically."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS.values())
    writer.writerows(units)
    atomic_write(path, buf.getvalue())


def inputs_script(
    description: str,
    default_out: Path,
    root: Path,
    build: Callable[[Path], list[Path]],
    argv: list[str] | None = None,
) -> int:
    """The command line of a script that writes a demo year's inputs
    (``scripts/make_inputs_<year>.py``): ``--out FOLDER``, then ``build`` there.

    :param root: the project's folder, ``default_out`` is shown relative to it.
    :param argv: the arguments (without the program name); ``sys.argv`` when None.
    :returns: the exit code.
    """
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--out",
        type=Path,
        default=default_out,
        help=f"folder to write into (default: {default_out.relative_to(root)})",
    )
    args = parser.parse_args(argv)
    written = build(args.out)
    print(f"wrote {len(written)} files to {args.out}")
    return 0


def write_inputs(
    out_dir: Path,
    fmt: Format,
    year: int,
    units: list[tuple[str, str, str, str]],
    values: Callable[[int], Mapping[str, int | Decimal]],
    info: Callable[[int], Mapping[str, str]],
) -> list[Path]:
    """Write ``units.csv`` and one workbook per unit (``<code>.xlsx``) into ``out_dir``.

    :param units: 代码, 名称, 层级, 类别 of each unit, in roster order.
    :param values: the figures of the unit at an index of ``units``.
    :param info: its further identification fields (填报人, 联系电话, 填报日期).
    :returns: the files written, the roster first, then the workbooks in roster order.
    """
    from govstats.core.output import write_workbook
    from govstats.publish.template_xlsx import build_template

    written = [out_dir / "units.csv"]
    write_roster(units, written[0])
    for index, (code, name, *_) in enumerate(units):
        # Figures as a compile reads them, without the clerk's live checks: the
        # benchmarks measure reading figures, not a 校验 sheet nobody reads.
        wb = build_template(
            fmt, year, code, name, values(index), info(index), checks=False
        )
        path = out_dir / f"{code}.xlsx"
        write_workbook(wb, path)
        written.append(path)
    return written
