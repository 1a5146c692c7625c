"""docs/python-api.md: its examples run as they stand (issue 13)."""

from __future__ import annotations

import doctest
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "python-api.md"


@pytest.mark.slow
def test_the_examples_of_the_python_api_page_run(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "inputs" / "2017", tmp_path / "inputs" / "2017")
    monkeypatch.chdir(tmp_path)
    result = doctest.testfile(
        str(PAGE),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        verbose=False,
    )
    assert result.attempted >= 25
    assert result.failed == 0


def test_the_page_names_every_function_of_the_api():
    import govstats

    text = PAGE.read_text(encoding="utf-8")
    for name in govstats.__all__:
        if name != "__version__":
            assert f"`{name}(" in text, name
    assert "(docs/python-api.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
