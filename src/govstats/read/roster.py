"""The roster of reporting units of a year (``inputs/<year>/units.csv``)."""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.problems import GovstatsError, Problem
from govstats.formats import Format, Group, RosterSpec

__all__ = [
    "COLUMNS",
    "Roster",
    "Unit",
    "government_name",
    "government_unit",
    "read_roster",
    "unit_code_fault",
]

# Column headers of units.csv (gk2008.md, "Who submits what"). The values allowed
# in 层级 and 类别 belong to the format (its `roster:` declaration).
COLUMNS = {"code": "单位代码", "name": "单位名称", "level": "层级", "kind": "类别"}
_FIELD_OF_HEADER = {v: k for k, v in COLUMNS.items()}


UNIT_CODE_MAX = 64
_CODE_PUNCTUATION = "-_."


def unit_code_fault(code: str) -> str:
    """What is wrong with a unit code, or ``""`` when it is fine.

    A code names a unit in every output and may name a file (``govstats template``
    writes ``<code>-<year>.xlsx``), so it holds only letters, digits and ``- _ .``,
    starting with a letter or digit: no path separator, ``..``, control character,
    line break or formula sign can get through (issue 6).
    """
    if len(code) > UNIT_CODE_MAX:
        return f"> {UNIT_CODE_MAX}"
    for i, ch in enumerate(code):
        if ch.isalnum() and ch.isprintable():
            continue
        if i > 0 and ch in _CODE_PUNCTUATION:
            continue
        shown = ch if ch.isprintable() and not ch.isspace() else ""
        return f"“{shown}” U+{ord(ch):04X}" if shown else f"U+{ord(ch):04X}"
    return ""


@dataclass(frozen=True)
class Unit:
    """One reporting unit (填报单位)."""

    code: str
    name: str
    level: str
    kind: str

    def attribute(self, key: str) -> str:
        """The value of a roster column by its Chinese header (层级, 类别, …)."""
        return str(getattr(self, _FIELD_OF_HEADER.get(key, key)))


@dataclass(frozen=True, eq=False)
class Roster:
    """The units of a year, in file order."""

    path: Path
    units: tuple[Unit, ...]

    def get(self, code: str) -> Unit | None:
        return self._by_code.get(code)

    @functools.cached_property
    def _by_code(self) -> dict[str, Unit]:
        # A scan per look-up made a compile quadratic: 10,000 units took seconds.
        return {u.code: u for u in self.units}

    def members(self, group: Group) -> list[Unit]:
        """The units of a group (``层级=市本级``); every unit for the empty group."""
        return [
            u for u in self.units if all(u.attribute(k) == v for k, v in group.where)
        ]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(u.code for u in self.units)


def read_roster(
    path: str | Path,
    spec: RosterSpec | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Roster:
    """Read and check ``units.csv`` (UTF-8, with or without BOM).

    :param spec: the format's roster vocabulary; 层级 and 类别 must be among its
        allowed values.

    :raises GovstatsError: ``roster-invalid`` naming the line at fault.
    """
    import stat

    from govstats.core.oserrors import os_error

    path = Path(path)
    try:
        # Asked, not tested with is_file(): a folder the user may not read is
        # then told as such, not as a missing file.
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = 0
    except OSError as exc:
        raise os_error(exc, path) from exc
    if not stat.S_ISREG(mode):
        raise GovstatsError(Problem.make("file-not-found", file=str(path)))

    def bad(detail: str, line: int | None = None) -> GovstatsError:
        return GovstatsError(
            Problem.make(
                "roster-invalid", file=str(path), row=line, context={"detail": detail}
            )
        )

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise os_error(exc, path) from exc
    if size > limits.file_bytes:
        raise GovstatsError(
            Problem.make(
                "file-too-large",
                file=str(path),
                found=f"{size / 1024 / 1024:.1f} MiB",
                expected=f"{limits.file_bytes / 1024 / 1024:.0f} MiB",
            )
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bad("文件不是UTF-8编码 (not UTF-8)") from exc
    except OSError as exc:  # no permission to read it, an I/O error
        raise os_error(exc, path) from exc
    try:
        units = _read_units(csv.DictReader(text.splitlines()), bad, spec)
    except csv.Error as exc:
        # A field past csv's 128 KB limit, a stray quote: the file is not a roster.
        raise bad(f"CSV格式有误 (not valid CSV): {exc}") from None
    if not units:
        raise bad("名册中没有任何单位 (no units)")
    return Roster(path=path, units=tuple(units))


def _read_units(
    reader: csv.DictReader[str],
    bad: Callable[..., GovstatsError],
    spec: RosterSpec | None,
) -> list[Unit]:
    """The rows of units.csv as units, checked one by one."""
    missing = [h for h in COLUMNS.values() if h not in (reader.fieldnames or [])]
    if missing:
        raise bad(f"缺少列 (missing columns) {', '.join(missing)}")
    units: list[Unit] = []
    seen: set[str] = set()
    for row in reader:
        # The physical line the row ends on, as an editor numbers it: blank
        # lines count (csv skips them, so counting rows would not).
        line = reader.line_num
        values = {k: (row.get(h) or "").strip() for k, h in COLUMNS.items()}
        if not any(values.values()):
            continue
        if not values["code"] or not values["name"]:
            raise bad(
                f"第{line}行缺少单位代码或单位名称 (line {line}: code or name missing)",
                line,
            )
        fault = unit_code_fault(values["code"])
        if fault:
            raise bad(
                f"第{line}行单位代码格式有误 {fault} (line {line}: invalid unit code)",
                line,
            )
        if values["code"] in seen:
            raise bad(
                f"第{line}行单位代码“{values['code']}”重复 (line {line}: duplicate code)",
                line,
            )
        for column, allowed in spec.allowed if spec else ():
            value = (row.get(column) or "").strip()
            if value not in allowed:
                raise bad(
                    f"第{line}行{column}应为 {'/'.join(allowed)} "
                    f"(line {line}: {column} must be one of these)",
                    line,
                )
        seen.add(values["code"])
        units.append(Unit(**values))
    return units


def government_unit(roster: Roster, fmt: Format) -> Unit | None:
    """The people's government itself, as the format's roster declaration names it."""
    return next(iter(roster.members(fmt.roster.government)), None)


def government_name(roster: Roster, fmt: Format) -> str:
    unit = government_unit(roster, fmt)
    return unit.name if unit else ""
