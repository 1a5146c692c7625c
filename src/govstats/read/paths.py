"""Which files a list of paths names: files as given, workbooks inside folders."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.problems import GovstatsError, Problem
from govstats.read.excel import ACCEPTED_SUFFIXES


def expand_paths(
    paths: Iterable[str | Path], limits: Limits = DEFAULT_LIMITS
) -> list[Path]:
    """Files as given, and the workbooks inside any folder given, sorted by name.

    Office lock files (``~$name.xlsx``) and hidden files in folders are skipped.

    :raises GovstatsError: ``too-many-files`` past ``limits.files`` workbooks,
        counted before any is read.
    """
    limit = limits.files
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


def linked_from_outside(
    paths: Iterable[Path], folder: Path, strict: bool = False
) -> dict[Path, Problem]:
    """The files among ``paths`` that are symbolic links to a file outside
    ``folder`` (issue 21): their bytes are not the office's own copy, and the
    SHA-256 recorded for them proves nothing about what the office holds.

    :param strict: an error (the file is not compiled) instead of a warning.
    """
    try:
        inside = folder.resolve()
    except OSError:
        return {}
    out: dict[Path, Problem] = {}
    for path in paths:
        if not path.is_symlink():
            continue
        try:
            target = path.resolve()
        except (OSError, RuntimeError):  # a loop of links: reading it says so
            continue
        if not target.is_relative_to(inside):
            out[path] = Problem.make(
                "input-symlink",
                severity="error" if strict else None,
                file=str(path),
                found=str(target),
            )
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
