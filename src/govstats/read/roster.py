"""The roster of reporting units of a year (``inputs/<year>/units.csv``)."""

from __future__ import annotations

import codecs
import csv
import functools
import io
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


@dataclass(frozen=True, slots=True)
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
    """Read and check ``units.csv``.

    The file may be UTF-8 (with or without BOM), GB18030 (which GBK, what Excel and
    WPS write as “CSV (逗号分隔)” on a Chinese Windows, is part of) or UTF-16 with
    BOM (Excel's “Unicode 文本”, tab-separated), with any line ends (issue 16).

    :param spec: the format's roster vocabulary; 层级 and 类别 must be among its
        allowed values.

    :raises GovstatsError: carrying every problem of the roster at once
        (``roster-encoding``, ``roster-column-missing``, ``roster-code-duplicate``,
        ...), each naming its line.
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
        data = path.read_bytes()
    except OSError as exc:  # no permission to read it, an I/O error
        raise os_error(exc, path) from exc
    text = decode_roster(data)
    if text is None:
        raise GovstatsError(
            Problem.make("roster-encoding", file=str(path), found=_sniff(path))
        )
    units, problems = _read_units(text, spec)
    if not units and not problems:
        problems.append(Problem.make("roster-empty"))
    if problems:
        located = [p.located(file=str(path)) for p in problems]
        raise GovstatsError(located[0], located[1:])
    return Roster(path=path, units=tuple(units))


# Byte order marks, longest first (UTF-32's would otherwise read as UTF-16's).
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_roster(data: bytes) -> str | None:
    """The text of a roster file, or ``None`` when it is in none of the encodings
    read: UTF-8 with or without BOM, UTF-16 or UTF-32 with BOM, else GB18030.

    UTF-8 is tried before GB18030: a GBK file of Chinese names is almost never
    valid UTF-8, while UTF-8 text often is valid GB18030 (as other characters).
    Text with a NUL character is refused: it is UTF-16 without its BOM, or not
    text at all (a workbook renamed to .csv).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            candidates: tuple[str, ...] = (encoding,)
            data = data[len(bom) :]
            break
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return None if "\x00" in text else text
    return None


def _sniff(path: Path) -> str:
    """What the refused file looks like, for the message (words, not bytes)."""
    data = path.read_bytes()
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return "Excel/WPS workbook, not CSV"
    if b"\x00" in data:
        return "UTF-16 without BOM / binary"
    return "not UTF-8, GB18030 or UTF-16"


def _read_units(text: str, spec: RosterSpec | None) -> tuple[list[Unit], list[Problem]]:
    """The rows of units.csv as units, and every problem of them (issue 16: all
    of them, as a workbook's are, not only the first)."""
    first = text.split("\n", 1)[0]
    # Excel's “Unicode 文本” separates by tabs.
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems: list[Problem] = []
    units: list[Unit] = []
    try:
        header = [h.strip() for h in next(reader, [])]
        missing = [h for h in COLUMNS.values() if h not in header]
        if missing:
            problems.append(
                Problem.make(
                    "roster-column-missing",
                    found="、".join(missing),
                    expected=",".join(COLUMNS.values()),
                )
            )
            return units, problems
        index = {h: header.index(h) for h in header if h}
        seen: dict[str, int] = {}
        while True:
            line = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                break
            row = {
                h: (record[i] if i < len(record) else "").strip()
                for h, i in index.items()
            }
            values = {k: row[h] for k, h in COLUMNS.items()}
            found = _row_problems(values, row, line, seen, spec)
            problems += found
            if not found and any(values.values()):
                units.append(Unit(**values))
    except csv.Error as exc:
        # A field past csv's 128 KB limit, a stray quote: the rest cannot be read.
        problems.append(
            Problem.make(
                "roster-not-csv",
                row=reader.line_num,
                context={"row": reader.line_num, "detail": str(exc)},
            )
        )
    return units, problems


def _row_problems(
    values: dict[str, str],
    row: dict[str, str],
    line: int,
    seen: dict[str, int],
    spec: RosterSpec | None,
) -> list[Problem]:
    """Every problem of one line of the roster (none for a blank line)."""
    if not any(values.values()):
        return []
    if not values["code"] or not values["name"]:
        return [Problem.make("roster-row-incomplete", row=line, context={"row": line})]
    code = values["code"]
    problems: list[Problem] = []
    fault = unit_code_fault(code)
    if fault:
        problems.append(
            Problem.make(
                "roster-code-invalid",
                row=line,
                found=code,
                context={"row": line, "detail": fault},
            )
        )
    elif code in seen:
        problems.append(
            Problem.make(
                "roster-code-duplicate",
                row=line,
                found=code,
                expected=str(seen[code]),
                context={"row": line},
            )
        )
    else:
        seen[code] = line
    for column, allowed in spec.allowed if spec else ():
        if row.get(column, "") not in allowed:
            problems.append(
                Problem.make(
                    "roster-value-invalid",
                    row=line,
                    found=row.get(column, ""),
                    expected="、".join(allowed),
                    context={"row": line, "column": column},
                )
            )
    return problems


def government_unit(roster: Roster, fmt: Format) -> Unit | None:
    """The people's government itself, as the format's roster declaration names it."""
    return next(iter(roster.members(fmt.roster.government)), None)


def government_name(roster: Roster, fmt: Format) -> str:
    unit = government_unit(roster, fmt)
    return unit.name if unit else ""
