"""LibreOffice headless for tests: many files converted in one start-up
(:mod:`govstats.core.libreoffice`: a profile of its own that recalculates on load)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govstats.core import libreoffice

soffice = pytest.mark.skipif(
    not libreoffice.available(), reason="LibreOffice (soffice) is not installed"
)


def convert(paths: list[Path], suffix: str, out_dir: Path) -> list[Path]:
    """Let LibreOffice open ``paths`` (recalculating them) and save each as
    ``suffix`` (``xlsx``, ``ods``, ``pdf``) in ``out_dir``; the files written, in order.

    File names must differ by stem: the outputs are named after them.
    """
    out = libreoffice.convert(paths, suffix, out_dir)
    return _written([out / f"{p.stem}.{suffix}" for p in paths])


# Comma-separated, UTF-8 (76), values as shown, every sheet (-1: LibreOffice 7.2 on).
_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def sheet_as_csv(paths: list[Path], sheet: str, out_dir: Path) -> list[Path]:
    """Let LibreOffice open ``paths`` (recalculating them) and write each sheet as
    CSV, values as shown, which is twice as fast as saving a workbook; the CSV of
    ``sheet`` of each file, in order."""
    out = libreoffice.convert(paths, _CSV, out_dir)
    return _written([out / f"{p.stem}-{sheet}.csv" for p in paths])


def _written(paths: list[Path]) -> list[Path]:
    missing = [p.name for p in paths if not p.exists()]
    assert not missing, f"LibreOffice did not write {missing}"
    return paths
