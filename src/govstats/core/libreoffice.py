"""LibreOffice headless: many files converted by one start-up, formulas recalculated.

Used to render the documentation's screenshots (``make docs``) and by the tests
that let LibreOffice compute a template's checks (issue 17). Each run uses a
profile of its own in a folder of the caller's, so that it shares no lock with
another LibreOffice of the machine and reads none of the user's settings, and
that profile recalculates every formula of a file it opens, whatever wrote it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = ["available", "convert"]

# Calc > Formula > Recalculation on file load: 0 = always (.xlsx and .ods).
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
  xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def available() -> bool:
    """True when ``soffice`` is on the PATH."""
    return shutil.which("soffice") is not None


def convert(paths: list[Path], target: str, out_dir: Path, timeout: int = 600) -> Path:
    """Open ``paths`` in LibreOffice (recalculating them) and save each as ``target``
    (``pdf``, ``xlsx``, ``ods`` or a filter with options) into ``out_dir/converted``.

    :returns: the folder written to; each output is named after its input's stem.
    :raises RuntimeError: when LibreOffice fails.
    """
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
        timeout=timeout,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"soffice failed ({proc.returncode}): {proc.stderr}")
    return out
