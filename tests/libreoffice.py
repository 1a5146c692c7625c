"""LibreOffice headless for tests: many files converted in one start-up.

Each call runs one ``soffice`` with a profile of its own (in the caller's temporary
folder: no lock shared with another run, nothing read from the user's settings)
that recalculates every formula when a file is loaded, whatever wrote it, so a
converted workbook holds the values LibreOffice computes (issue 17).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

soffice = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)

# Calc > Formula > Recalculation on file load: 0 = always (for .xlsx and .ods).
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def convert(paths: list[Path], suffix: str, out_dir: Path) -> list[Path]:
    """Let LibreOffice open ``paths`` (recalculating them) and save each as
    ``suffix`` (``xlsx``, ``ods``, ``pdf``) in ``out_dir``; the files written, in order.

    File names must differ by stem: the outputs are named after them.
    """
    out = _run(paths, suffix, out_dir)
    return _written([out / f"{p.stem}.{suffix}" for p in paths])


# Comma-separated, UTF-8 (76), values as shown, every sheet (-1: LibreOffice 7.2 on).
_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def sheet_as_csv(paths: list[Path], sheet: str, out_dir: Path) -> list[Path]:
    """Let LibreOffice open ``paths`` (recalculating them) and write each sheet as
    CSV, values as shown, which is twice as fast as saving a workbook; the CSV of
    ``sheet`` of each file, in order."""
    out = _run(paths, _CSV, out_dir)
    return _written([out / f"{p.stem}-{sheet}.csv" for p in paths])


def _run(paths: list[Path], target: str, out_dir: Path) -> Path:
    profile = out_dir / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE)
    out = out_dir / "converted"
    proc = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def _written(paths: list[Path]) -> list[Path]:
    missing = [p.name for p in paths if not p.exists()]
    assert not missing, f"LibreOffice did not write {missing}"
    return paths
