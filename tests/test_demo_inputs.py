"""The demo inputs of 2017 (inputs/2017/): reproducible, valid, and the seed's figures."""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from govstats.actions import validate_workbooks

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "scripts" / "make_inputs_2017.py"
INPUTS = ROOT / "inputs" / "2017"
ROSTER = INPUTS / "units.csv"
# The seed's figures, copied from the shared spec (tests/test_fixtures.py).
FIGURES = Path(__file__).parent / "fixtures" / "spec" / "zhuzhou-2017-figures.yaml"

COUNTIES = {
    "荷塘区人民政府": "430202",
    "芦淞区人民政府": "430203",
    "石峰区人民政府": "430204",
    "天元区人民政府": "430211",
    "株洲县人民政府": "430221",
    "攸县人民政府": "430223",
    "茶陵县人民政府": "430224",
    "炎陵县人民政府": "430225",
    "醴陵市人民政府": "430281",
}


@pytest.fixture(scope="module")
def script() -> ModuleType:
    """scripts/make_inputs_2017.py imported from its path (scripts/ is no package)."""
    spec = importlib.util.spec_from_file_location("make_inputs_2017", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is created.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def read_roster_rows() -> list[dict[str, str]]:
    with ROSTER.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def matches(row: dict[str, str], group_key: str) -> bool:
    """True when a roster row is in the group ``层级=市本级,类别=市政府工作部门``."""
    pairs = (item.split("=", 1) for item in group_key.split(","))
    return all(row[column.strip()] == value.strip() for column, value in pairs)


# The script


def test_take_deals_a_pool_out_exactly(script):
    pool = {"a": 3, "b": 1}
    # 2 × 3/4 = 1.5 and 2 × 1/4 = 0.5: equal remainders, the earlier key gets the 1.
    assert script.take(pool, 2) == {"a": 2, "b": 0}
    assert pool == {"a": 1, "b": 1}
    assert script.take(pool, 2) == {"a": 1, "b": 1}
    assert pool == {"a": 0, "b": 0}
    with pytest.raises(ValueError):
        script.take(pool, 1)


@pytest.mark.slow
def test_script_reproduces_committed_inputs(script, tmp_path, capsys):
    assert script.main(["--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"wrote 51 files to {tmp_path}\n"
    names = sorted(p.name for p in INPUTS.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    for name in names:
        assert (tmp_path / name).read_bytes() == (INPUTS / name).read_bytes(), name


# The committed inputs


def test_roster_of_2017():
    data = ROSTER.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in data
    assert data.splitlines()[0].decode() == "单位代码,单位名称,层级,类别"
    rows = read_roster_rows()
    assert len({r["单位代码"] for r in rows}) == len(rows)
    kinds = Counter((r["层级"], r["类别"]) for r in rows)
    assert kinds[("市本级", "市政府")] == 1
    assert 30 <= kinds[("市本级", "市政府工作部门")] <= 45
    assert kinds[("县市区", "县市区政府")] == 9
    assert sum(kinds.values()) == len(rows)
    [city] = [r for r in rows if r["类别"] == "市政府"]
    assert (city["单位代码"], city["单位名称"]) == ("430200-000", "株洲市人民政府")
    counties = {r["单位名称"]: r["单位代码"] for r in rows if r["类别"] == "县市区政府"}
    assert counties == COUNTIES


def test_inputs_are_valid_and_add_up_to_the_seed():
    spec = yaml.safe_load(FIGURES.read_text(encoding="utf-8"))
    assert (spec["year"], spec["format"]) == (2017, "gk2008")

    result = validate_workbooks([INPUTS], year=2017, roster=ROSTER)
    assert result.report.valid
    assert result.report.problems == []
    rows = read_roster_rows()
    values = {u.unit_code: result.unit_values(i) for i, u in enumerate(result.units)}
    assert sorted(values) == sorted(r["单位代码"] for r in rows)

    def sums(units: list[dict[str, str]], codes: list[str]) -> dict[str, Decimal]:
        return {
            code: sum((values[u["单位代码"]][code] for u in units), Decimal(0))
            for code in codes
        }

    assert sums(rows, list(spec["city"])) == spec["city"]
    for key, figures in spec["groups"].items():
        members = [r for r in rows if matches(r, key)]
        assert members, key
        assert sums(members, list(figures)) == figures, key
