"""A compile's memory grows by little with its units (issue 18).

A province compiles 100,000 units at once: what a compile holds for each unit
(its figures, its file, its report) must stay a few kilobytes, and nothing may
hold every unit's cells at once. A generated year of 2,000 distinct units is
compiled in a subprocess, and the peak memory of all its processes (PSS, as
``benchmarks/measure.py`` samples it) must stay within a cap above that of a
200-unit compile: 15 kB for each unit more, which the 30.9 kB a unit measured
before (benchmarks/results.md) exceeds twice over. Nothing here is timed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.test_benchmarks import BENCH, load

UNITS = 2000
FEW = 200
# Bytes of peak memory a unit more may cost (the target is under 5 kB).
PER_UNIT_CAP = 15_000
BEFORE = 30_900  # a unit cost this much before issue 18

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="measures /proc (Linux)"
)


def compile_peak(inputs: Path, outputs: Path) -> dict[str, Any]:
    """Compile in a subprocess; what measure.py reports (peak PSS of all processes)."""
    govstats = Path(sys.executable).parent / "govstats"
    command = [str(govstats), "compile", "2017", "--inputs", str(inputs)]
    run = subprocess.run(
        [sys.executable, str(BENCH / "measure.py"), "--pss", "--", *command]
        + ["--outputs", str(outputs)],
        capture_output=True,
        text=True,
        check=True,
    )
    measured: dict[str, Any] = json.loads(run.stdout)
    assert measured["returncode"] == 0, measured["stderr"]
    return measured


def test_a_compile_of_2000_units_fits_a_few_kilobytes_a_unit(tmp_path):
    generate = load("generate")
    many = generate.filled(UNITS, tmp_path / "many")  # distinct units, in seconds
    few = tmp_path / "few" / "2017"
    few.mkdir(parents=True)
    for i in range(FEW):
        name = f"{generate.unit_code(i)}.xlsx"
        os.link(many / "2017" / name, few / name)
    (few / "units.csv").write_text(generate.roster_csv(FEW), encoding="utf-8")

    base = compile_peak(few.parent, tmp_path / "out-few")["tree_pss_bytes"]
    cap = base + (UNITS - FEW) * PER_UNIT_CAP
    assert base + (UNITS - FEW) * BEFORE > cap  # the cost before would not fit
    peak = compile_peak(many, tmp_path / "out-many")["tree_pss_bytes"]
    per_unit = (peak - base) / (UNITS - FEW)
    assert peak < cap, f"{per_unit:.0f} bytes a unit (peaks {base} and {peak})"
    compiled = json.loads(
        (tmp_path / "out-many" / "2017" / "figures.json").read_text(encoding="utf-8")
    )
    assert len(compiled["units"]) == UNITS
