"""Which files a list of paths names: files as given, workbooks inside folders."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.problems import GovstatsError, Problem
from govstats.read.excel import ACCEPTED_SUFFIXES

# The roster's name in an inputs folder: it is no workbook, and not reported as one.
ROSTER_NAME = "units.csv"


def expand_paths(
    paths: Iterable[str | Path], limits: Limits = DEFAULT_LIMITS
) -> list[Path]:
    """Files as given, and the workbooks inside any folder given, sorted by name.

    Office lock files (``~$name.xlsx``) and hidden files in folders are skipped,
    and so are files that are no workbook (:func:`list_inputs` says which).

    :raises GovstatsError: ``too-many-files`` past ``limits.files`` workbooks,
        counted before any is read.
    """
    return list_inputs(paths, limits=limits)[0]


def list_inputs(
    paths: Iterable[str | Path],
    ignore: Iterable[str | Path] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[list[Path], list[Problem]]:
    """The workbooks :func:`expand_paths` names, and a ``file-skipped`` warning for
    each other file of a folder given (issue 16, point 6).

    A file of a folder is a workbook when its suffix is one of
    ``ACCEPTED_SUFFIXES`` or its content is a workbook's (WPS saves an .et that
    is an .xls inside; the reader then says its suffix does not match). Lock
    files (``~$``), hidden files, the roster (``units.csv``) and the files in
    ``ignore`` are passed over without a word.
    """
    limit = limits.files
    ignored = {Path(p).resolve() for p in ignore}
    out: list[Path] = []
    skipped: list[Problem] = []
    for p in map(Path, paths):
        if p.is_dir():
            found: list[Path] = []
            for f in _listing(p):
                if (
                    f.name.startswith(("~$", "."))
                    or f.name.casefold() == ROSTER_NAME
                    or not f.is_file()
                    # (resolving a path asks the system once per folder above it)
                    or (ignored and f.resolve() in ignored)
                ):
                    continue
                if f.suffix.lower() not in ACCEPTED_SUFFIXES and not _is_workbook(
                    f, limits
                ):
                    skipped.append(
                        Problem.make(
                            "file-skipped", file=str(f), found=f.suffix or f.name
                        )
                    )
                    continue
                found.append(f)
                if len(out) + len(found) > limit:
                    raise _too_many(p, limit)
            out.extend(sorted(found))
        else:
            out.append(p)
        if len(out) > limit:
            raise _too_many(p, limit)
    return out, sorted(skipped, key=lambda problem: problem.file)


def _is_workbook(path: Path, limits: Limits) -> bool:
    """Whether a file of another suffix is a workbook by its content (one of more
    than ``file_bytes`` is not looked into: no workbook of a unit is so large)."""
    from govstats.read.kinds import content_kind, may_be_workbook

    limit = limits.file_bytes
    try:
        with path.open("rb") as fh:
            if not may_be_workbook(fh.read(8)):
                return False
            fh.seek(0)
            data = fh.read(limit + 1)
    except OSError:
        return False
    return len(data) <= limit and content_kind(data) is not None


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
