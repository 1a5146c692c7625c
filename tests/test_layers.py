"""The stages as layers (scripts/check_layers.py, run by ``make lint``; issue 13)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import check_layers  # noqa: E402


def test_the_package_keeps_its_layers_and_has_no_cycle():
    assert check_layers.problems(ROOT / "src") == []


def test_every_stage_is_in_a_layer():
    stages = {
        p.stem if p.is_file() else p.name
        for p in (ROOT / "src" / "govstats").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__")
        or (p.is_dir() and (p / "__init__.py").exists())
    }
    layered = {name for layer in check_layers.LAYERS for name in layer}
    assert stages == layered


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in {"govstats/__init__.py": "", **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "statement",
    [
        "from govstats.check.validate import validate_units",
        "import govstats.check.validate",
        "from govstats.check import validate",
        "from ..check import validate",
    ],
)
def test_an_import_of_a_stage_above_is_found_even_inside_a_function(
    tmp_path, statement
):
    root = _tree(
        tmp_path,
        {
            "govstats/check/__init__.py": "",
            "govstats/check/validate.py": "def validate_units(): ...\n",
            "govstats/read/__init__.py": "",
            "govstats/read/excel.py": f"def read():\n    {statement}\n",
        },
    )
    assert check_layers.problems(root) == [
        "govstats.read.excel:2: imports govstats.check.validate, "
        "a stage above its own (check is above read)"
    ]


def test_siblings_of_one_layer_are_independent(tmp_path):
    root = _tree(
        tmp_path,
        {
            "govstats/actions.py": "import govstats.synthetic\n",
            "govstats/synthetic.py": "",
        },
    )
    assert check_layers.problems(root) == [
        "govstats.actions:1: imports govstats.synthetic; "
        "actions and synthetic are independent stages of one layer"
    ]


def test_a_cycle_within_a_stage_is_found_but_not_through_type_checking(tmp_path):
    files = {
        "govstats/publish/__init__.py": "",
        "govstats/publish/grid.py": "def f():\n    from govstats.publish import tables\n",
        "govstats/publish/tables.py": "from govstats.publish.grid import f\n",
    }
    assert check_layers.problems(_tree(tmp_path, files)) == [
        "import cycle: govstats.publish.grid → govstats.publish.tables"
    ]
    files["govstats/publish/grid.py"] = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from govstats.publish import tables\n"
    )
    assert check_layers.problems(_tree(tmp_path, files)) == []


def test_a_stage_outside_the_layers_is_named(tmp_path):
    root = _tree(tmp_path, {"govstats/extra.py": "import govstats.cli\n"})
    (tmp_path / "govstats" / "cli").mkdir()
    (tmp_path / "govstats" / "cli" / "__init__.py").write_text("")
    assert check_layers.problems(root) == [
        "govstats.extra:1: stage 'extra' is in no layer"
    ]
