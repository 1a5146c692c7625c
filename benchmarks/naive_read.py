"""Reference point: read every workbook of a folder naively, with pandas + openpyxl.

This is what a first attempt would do (``pandas.read_excel(sheet_name=None,
engine="openpyxl")`` per workbook, every sheet into a frame) and nothing more: no
locating of figures, no validation, no output.

Usage::

    python benchmarks/naive_read.py FOLDER [--limit N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=None, help="read only the first N")
    args = parser.parse_args(argv)
    paths = sorted(args.folder.glob("*.xlsx"))[: args.limit]
    cells = 0
    for path in paths:
        for frame in pd.read_excel(path, sheet_name=None, engine="openpyxl").values():
            cells += frame.size
    print(f"read {len(paths)} workbooks, {cells} cells")
    return 0


if __name__ == "__main__":
    sys.exit(main())
