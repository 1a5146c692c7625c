"""Latency of ``govstats serve``'s ``POST /api/validate`` (issue 15).

Starts ``govstats serve`` on loopback with the one-unit synthetic set, warms it up
(the first check imports pandas and pandera), then sends the same workbook
``runs`` times, one request at a time, and reports the median, the 95th
percentile and the largest latency, measured by the client from sending the
request to the last byte of the answer. Also the slowest refusal of a hostile
file of the test suite (``tests/hostile.py``), whose target is 2 s.

Usage: ``python benchmarks/serve_latency.py [--runs N]`` (prints JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
P95_LIMIT = 0.300
HOSTILE_LIMIT = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post_file(url: str, name: str, data: bytes, fields: dict[str, str]) -> int:
    """POST a multipart form (the standard library only); the HTTP status."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url,
        data=b"".join(parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.read()
        return int(exc.code)


def hostile_corpus(folder: Path) -> list[Path]:
    """The hostile files of the tests (tests/hostile.py), written by the dev
    venv's Python: building them needs the test suite's helpers, which the bench
    venv does not install."""
    python = ROOT / ".venv" / "bin" / "python"
    subprocess.run(
        [str(python if python.exists() else sys.executable), "-m", "tests.hostile",
         str(folder)],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return sorted(folder.iterdir())


def serving(root: Path, port: int) -> subprocess.Popen[bytes]:
    """``govstats serve`` on ``port``, once it answers."""
    govstats = Path(sys.executable).parent / "govstats"
    env = {k: v for k, v in os.environ.items() if k != "GOVSTATS_OFFICE_PASSWORD"}
    proc = subprocess.Popen(
        [str(govstats), "serve", "--root", str(root), "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("govstats serve did not start")


def measure(workbook: Path, year: int, runs: int) -> dict[str, Any]:
    """Latencies of ``/api/validate`` for ``workbook`` and the hostile corpus."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "inputs" / str(year)).mkdir(parents=True)
        proc = serving(root, port)
        url = f"http://127.0.0.1:{port}/api/validate"
        data = workbook.read_bytes()
        try:
            for _ in range(5):  # warm-up: imports, caches
                post_file(url, workbook.name, data, {"year": str(year)})
            seconds = []
            for _ in range(runs):
                start = time.perf_counter()
                status = post_file(url, workbook.name, data, {"year": str(year)})
                seconds.append(time.perf_counter() - start)
                assert status == 200, status
            hostile = []
            for path in hostile_corpus(root / "hostile"):
                body = path.read_bytes()
                start = time.perf_counter()
                post_file(url, path.name, body, {"year": "2017"})
                hostile.append((time.perf_counter() - start, path.stem))
        finally:
            proc.terminate()
            proc.wait(30)
    seconds.sort()
    # The machine may be shared: how busy it was is part of the result.
    load = os.getloadavg()[0]
    p95 = seconds[max(0, -(-95 * len(seconds) // 100) - 1)]
    slowest = max(hostile)
    return {
        "runs": runs,
        "median": statistics.median(seconds),
        "p95": p95,
        "max": seconds[-1],
        "hostile_files": len(hostile),
        "hostile_max": slowest[0],
        "hostile_slowest": slowest[1],
        "load": load,
        "cores": os.cpu_count() or 1,
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def lines(r: dict[str, Any]) -> tuple[str, ...]:
    """The section of results.md."""
    p95, hostile = r["p95"], r["hostile_max"]
    return (
        "## Intake site (issue 15)",
        "",
        "`govstats serve` on loopback, warmed up; latency seen by the client,"
        " one request at a time (`benchmarks/serve_latency.py`)."
        + (
            f" Load average while measured: {r['load']:.1f} on {r['cores']} cores."
            if "load" in r
            else ""
        ),
        "",
        "| what | requests | median | p95 | max | target | met |",
        "|---|---|---|---|---|---|---|",
        f"| `POST /api/validate`, one.xlsx | {r['runs']} | {_ms(r['median'])}"
        f" | {_ms(p95)} | {_ms(r['max'])} | p95 < 300 ms"
        f" | {'yes' if p95 < P95_LIMIT else '**no**'} |",
        f"| `POST /api/validate`, each hostile file of the tests | {r['hostile_files']}"
        f" | – | – | {_ms(hostile)} ({r['hostile_slowest']}) | each < 2 s"
        f" | {'yes' if hostile < HOSTILE_LIMIT else '**no**'} |",
        "",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("workbook", type=Path, nargs="?")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import generate

    one = args.workbook or (
        generate.dataset(1) / str(generate.YEAR) / f"{generate.unit_code(0)}.xlsx"
    )
    print(json.dumps(measure(one, generate.YEAR, args.runs), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
