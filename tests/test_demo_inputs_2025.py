"""The demo inputs of 2025 (inputs/2025/, format gk2021): reproducible and valid."""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from govstats.actions import validate_workbooks

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "scripts" / "make_inputs_2025.py"
INPUTS = ROOT / "inputs" / "2025"
ROSTER = INPUTS / "units.csv"

APPLICANTS = ("natural", "business", "research", "nonprofit", "legal", "other")
GROUPS = ("public", "partial", "deny", "unable", "refuse", "other")


@pytest.fixture(scope="module")
def script() -> ModuleType:
    """scripts/make_inputs_2025.py imported from its path (scripts/ is no package)."""
    spec = importlib.util.spec_from_file_location("make_inputs_2025", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is created.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def values() -> dict[str, dict[str, Decimal]]:
    """The figures of each committed workbook, by unit code."""
    result = validate_workbooks([INPUTS], year=2025, roster=ROSTER)
    assert result.report.valid
    return {u.unit_code: result.unit_values(i) for i, u in enumerate(result.units)}


@pytest.fixture(scope="module")
def sums(values) -> dict[str, Decimal]:
    """Every figure of the committed workbooks summed over the units, by code."""
    out: dict[str, Decimal] = {}
    for figures in values.values():
        for code, value in figures.items():
            out[code] = out.get(code, Decimal(0)) + value
    return out


def read_roster_rows() -> list[dict[str, str]]:
    with ROSTER.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# The script


def test_apportion_splits_by_largest_remainder(script):
    # 3 × 2/4 = 1.5 and 3 × 1/4 = 0.75 twice: b and c have the larger remainders.
    assert script.apportion(3, {"a": 2, "b": 1, "c": 1}) == {"a": 1, "b": 1, "c": 1}
    # 1 × 1/2 twice: equal remainders, the earlier key gets the 1.
    assert script.apportion(1, {"a": 1, "b": 1}) == {"a": 1, "b": 0}
    assert script.apportion(0, {"a": 1}) == {"a": 0}
    with pytest.raises(ValueError):
        script.apportion(-1, {"a": 1})


def test_every_mix_uses_result_rows_of_the_format(script):
    from govstats.formats import load_format

    codes = set(load_format("gk2021").codes)
    for name, mix in script.MIXES.items():
        assert {f"t3.{row}.natural" for row in mix} <= codes, name
        assert sum(mix.values()) == 100, name


@pytest.mark.slow
def test_script_reproduces_committed_inputs(script, tmp_path, capsys):
    assert script.main(["--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"wrote 30 files to {tmp_path}\n"
    names = sorted(p.name for p in INPUTS.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    for name in names:
        assert (tmp_path / name).read_bytes() == (INPUTS / name).read_bytes(), name


# The committed inputs


def test_roster_of_2025():
    data = ROSTER.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in data
    assert data.splitlines()[0].decode() == "单位代码,单位名称,层级,类别"
    rows = read_roster_rows()
    assert len({r["单位代码"] for r in rows}) == len(rows)
    assert all(r["单位代码"].isascii() for r in rows)
    kinds = Counter((r["层级"], r["类别"]) for r in rows)
    assert kinds[("本级", "政府")] == 1
    assert 15 <= kinds[("本级", "政府工作部门")] <= 25
    assert 4 <= kinds[("乡镇（街道）", "乡镇（街道）")] <= 6
    assert sum(kinds.values()) == len(rows)
    [government] = [r for r in rows if r["类别"] == "政府"]
    assert (government["单位代码"], government["单位名称"]) == (
        "430281-000",
        "醴陵市人民政府",
    )


def test_inputs_are_valid_without_warnings():
    result = validate_workbooks([INPUTS], year=2025, roster=ROSTER)
    assert result.report.valid
    assert result.report.problems == []
    assert sorted(u.unit_code for u in result.units) == sorted(
        r["单位代码"] for r in read_roster_rows()
    )


def test_totals_of_table_3(sums):
    assert sums["t3.new.total"] == 173
    assert sums["t3.carried_in.total"] == 11
    assert sums["t3.r.total.total"] == 176
    assert sums["t3.carried_out.total"] == 8
    # T3-ID holds on the sums, in every column.
    for col in (*APPLICANTS, "total"):
        assert (
            sums[f"t3.new.{col}"] + sums[f"t3.carried_in.{col}"]
            == sums[f"t3.r.total.{col}"] + sums[f"t3.carried_out.{col}"]
        ), col
    # Natural persons file most requests.
    assert sums["t3.new.natural"] == 144
    # An outcome group is its rows in column 总计: t3.r.public.total, t3.r.deny.*.total.
    groups = {g: Decimal(0) for g in GROUPS}
    for code, value in sums.items():
        if code.startswith("t3.r.") and code.endswith(".total"):
            group = code.split(".")[2]
            if group in groups:
                groups[group] += value
    assert groups == {
        "public": 88,
        "partial": 20,
        "deny": 8,
        "unable": 45,
        "refuse": 14,
        "other": 1,
    }
    assert sum(groups.values()) == sums["t3.r.total.total"]


def test_requests_go_mostly_to_land_and_housing(values, sums):
    received = {code: v["t3.new.total"] for code, v in values.items()}
    land, housing = received.pop("430281-008"), received.pop("430281-009")
    assert (land, housing) == (58, 33)
    assert 2 * (land + housing) > sums["t3.new.total"]
    # Most other units receive a handful of requests or none.
    assert sum(n <= 3 for n in received.values()) > len(received) / 2


def test_totals_of_tables_2_and_4(sums):
    assert [sums[f"t4.{b}.total"] for b in ("review", "suit_direct")] == [12, 4]
    assert sums["t4.suit_after_review.total"] == 1
    # A county makes no 规章.
    assert sums["zd.rules.issued"] == sums["zd.rules.in_force"] == 0
    assert sums["zd.normative.in_force"] == 148
    assert sums["zd.fees_10k_yuan"] == Decimal("640.7310")
