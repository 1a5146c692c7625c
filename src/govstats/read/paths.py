"""Which files a list of paths names: files as given, workbooks inside folders."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from govstats.core.problems import GovstatsError, Problem
from govstats.read.excel import ACCEPTED_SUFFIXES
from govstats.read.package import LIMITS


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and the workbooks inside any folder given, sorted by name.

    Office lock files (``~$name.xlsx``) and hidden files in folders are skipped.

    :raises GovstatsError: ``too-many-files`` past ``LIMITS["files"]`` workbooks,
        counted before any is read.
    """
    limit = LIMITS["files"]
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found: list[Path] = []
            for f in _listing(p):
                if (
                    f.suffix.lower() in ACCEPTED_SUFFIXES
                    and not f.name.startswith(("~$", "."))
                    and f.is_file()
                ):
                    found.append(f)
                    if len(out) + len(found) > limit:
                        raise _too_many(p, limit)
            out.extend(sorted(found))
        else:
            out.append(p)
        if len(out) > limit:
            raise _too_many(p, limit)
    return out


def _listing(folder: Path) -> list[Path]:
    """The entries of a folder; ``input-unreadable`` when the user may not list it."""
    try:
        return list(folder.iterdir())
    except OSError as exc:
        from govstats.core.oserrors import os_error

        raise os_error(exc, folder) from exc


def _too_many(where: Path, limit: int) -> GovstatsError:
    return GovstatsError(
        Problem.make(
            "too-many-files", file=str(where), found=f"> {limit}", expected=limit
        )
    )
