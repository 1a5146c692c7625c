"""An office's folder for the intake-site tests (issue 15): a roster of 2017, the
access codes issued, and workbooks built in code."""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tests.hostile import valid_workbook

# A unit whose name is markup: every page must show it as text.
HOSTILE_NAME = "<script>alert(1)</script>"
UNITS = [
    ("U01", "测试局", "市本级", "市政府工作部门"),
    ("U02", "财政局", "市本级", "市政府工作部门"),
    ("U03", HOSTILE_NAME, "县市区", "县市区政府"),
] + [(f"U{n:02d}", f"第{n}局", "县市区", "其他") for n in range(4, 11)]


@dataclass
class Office:
    root: Path
    codes: dict[str, str]

    @property
    def year_dir(self) -> Path:
        return self.root / "inputs" / "2017"


def make_office(root: Path, units: int = 3) -> Office:
    """``root/inputs/2017/units.csv`` with the first ``units`` units, and codes."""
    from govstats.serve import write_codes

    folder = root / "inputs" / "2017"
    folder.mkdir(parents=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["单位代码", "单位名称", "层级", "类别"])
    writer.writerows(UNITS[:units])
    (folder / "units.csv").write_text(out.getvalue(), encoding="utf-8")
    codes_csv = root / "codes.csv"
    write_codes(2017, codes_csv, root)
    with codes_csv.open(encoding="utf-8-sig") as fh:
        codes = {row["单位代码"]: row["访问码"] for row in csv.DictReader(fh)}
    return Office(root, codes)


def workbook(unit: str = "U01", visits: int = 12, **values: object) -> bytes:
    """A valid workbook of 2017 for ``unit`` (``visits`` makes versions differ)."""
    name = dict((u[0], u[1]) for u in UNITS).get(unit, "测试局")
    return valid_workbook(
        unit, name, {"zd.portal_visits": Decimal(f"{visits}.5"), **values}
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(root: Path, password: str = "pw") -> Iterator[tuple[str, subprocess.Popen]]:
    """``python -m govstats serve`` on a free port of loopback, until the end."""
    port = free_port()
    log = (root.parent / f"serve-{port}.log").open("wb")
    env = {
        **os.environ,
        "GOVSTATS_OFFICE_PASSWORD": password,
        "PYTHONIOENCODING": "utf-8",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "govstats",
            "serve",
            "--root",
            str(root),
            "--port",
            str(port),
        ],
        stdin=subprocess.DEVNULL,
        stdout=log,
        # a file, not a pipe: the access log of many requests would fill a pipe
        # no one reads and stall the server
        stderr=log,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if proc.poll() is not None:
                log.flush()
                raise AssertionError(Path(log.name).read_text(encoding="utf-8"))
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
