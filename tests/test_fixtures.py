"""The copies of the shared reference that the tests use (issue 13).

The seed report and its figures live in ``../shared`` (the reference, beside the
checkout) and, copied, in ``tests/fixtures/`` so that a clone of the project alone
runs every test. ``tests/fixtures/SHARED.sha256`` pins the copies; where
``../shared`` is present, the copies must equal it byte for byte.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def _pinned() -> dict[str, str]:
    lines = (FIXTURES / "SHARED.sha256").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def test_the_copies_are_the_pinned_bytes():
    pinned = _pinned()
    assert sorted(pinned) == [
        "seed/README.md",
        "seed/zhuzhou-2017-report.clean.txt",
        "seed/zhuzhou-2017-report.txt",
        "spec/zhuzhou-2017-figures.yaml",
    ]
    for name, digest in pinned.items():
        assert hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest() == digest


def test_the_copies_equal_the_shared_reference_where_it_is_present():
    # Without ../shared (a clone of the project alone) the pinned digests above
    # are the check; with it, the reference itself must not have moved on.
    present = [name for name in _pinned() if (SHARED / name).is_file()]
    for name in present:
        assert (SHARED / name).read_bytes() == (FIXTURES / name).read_bytes(), (
            f"tests/fixtures/{name} differs from ../shared/{name}: copy it again "
            "and update tests/fixtures/SHARED.sha256"
        )
    assert present == [] or len(present) == len(_pinned())
