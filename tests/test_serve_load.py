"""`govstats serve` as a real process on loopback (issue 15): 200 submissions from
20 concurrent clients, all answered, none lost or duplicated; and a server killed
in the middle of submissions loses none that it answered as filed.

Bounded: a fixed number of requests, each with a timeout; the server is stopped
by the test whatever happens. Nothing here asserts a time (see benchmarks/).
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.serve_site import make_office, server, workbook

httpx = pytest.importorskip("httpx2")
pytest.importorskip("uvicorn")

CLIENTS = 20
SUBMISSIONS = 200
UNITS = 10
TIMEOUT = 120.0


def post(client, base: str, data: bytes, code: str, name: str = "unit.xlsx"):
    return client.post(
        base + "/api/submit",
        files={"file": (name, data)},
        data={"year": "2017", "code": code},
        timeout=TIMEOUT,
    )


@pytest.mark.slow
def test_200_submissions_from_20_concurrent_clients(tmp_path):
    office = make_office(tmp_path / "office", units=UNITS)
    units = sorted(office.codes)
    # Every submission is a different workbook; two clients share each unit, so
    # submissions of one unit race each other.
    per_client = SUBMISSIONS // CLIENTS
    plan = [
        [
            (units[c % UNITS], workbook(units[c % UNITS], visits=c * 100 + k))
            for k in range(per_client)
        ]
        for c in range(CLIENTS)
    ]
    with server(office.root) as (base, _):

        def run(jobs):
            answers = []
            with httpx.Client() as client:
                for unit, data in jobs:
                    r = post(client, base, data, office.codes[unit])
                    answers.append((unit, r.status_code, r.json()))
            return answers

        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = [a for batch in pool.map(run, plan) for a in batch]
    assert len(answers) == SUBMISSIONS
    assert [status for _, status, _ in answers] == [200] * SUBMISSIONS
    sent = {hashlib.sha256(data).hexdigest() for jobs in plan for _, data in jobs}
    assert len(sent) == SUBMISSIONS
    filed = [body["submission"] for _, _, body in answers]
    assert {s["sha256"] for s in filed} == sent
    assert len({s["id"] for s in filed}) == SUBMISSIONS
    log = sqlite3.connect(office.root / ".govstats" / "serve.sqlite3")
    rows = log.execute(
        "SELECT id, unit, sha256 FROM submissions ORDER BY id"
    ).fetchall()
    assert len(rows) == SUBMISSIONS and {r[2] for r in rows} == sent
    for unit in units:
        last = [r for r in rows if r[1] == unit][-1]
        on_disk = (office.year_dir / f"{unit}.xlsx").read_bytes()
        assert hashlib.sha256(on_disk).hexdigest() == last[2], unit
        versions = office.root / ".govstats" / "versions" / "2017" / unit
        kept = {hashlib.sha256(p.read_bytes()).hexdigest() for p in versions.iterdir()}
        assert kept == {r[2] for r in rows if r[1] == unit}
        assert len(list(versions.iterdir())) == SUBMISSIONS // UNITS
    assert sorted(p.name for p in office.year_dir.iterdir()) == sorted(
        [f"{u}.xlsx" for u in units] + ["units.csv"]
    )
    assert list((office.root / ".govstats" / "tmp").iterdir()) == []
    log.close()


@pytest.mark.slow
@pytest.mark.parametrize("answered_before_kill", [1, 4])
def test_a_killed_server_loses_no_submission_it_answered(
    tmp_path, answered_before_kill
):
    office = make_office(tmp_path / "office", units=1)
    code = office.codes["U01"]
    answered: list[str] = []
    stop = threading.Event()
    with server(office.root) as (base, proc):

        def submit_forever():
            with httpx.Client() as client:
                for k in range(1000):
                    if stop.is_set():
                        return
                    data = workbook("U01", visits=k)
                    try:
                        r = post(client, base, data, code)
                    except httpx.TransportError:
                        return  # the server died under this request
                    assert r.status_code == 200
                    answered.append(hashlib.sha256(data).hexdigest())

        submitter = threading.Thread(target=submit_forever)
        submitter.start()
        for _ in range(int(TIMEOUT * 10)):
            if len(answered) >= answered_before_kill:
                break
            time.sleep(0.1)
        # Killed at once, no clean-up: a submission is likely in flight.
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        stop.set()
        submitter.join(TIMEOUT)
    assert len(answered) >= answered_before_kill
    db = sqlite3.connect(office.root / ".govstats" / "serve.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    logged = [r[0] for r in db.execute("SELECT sha256 FROM submissions ORDER BY id")]
    # every answered submission is logged, in order, with its version kept
    assert logged[: len(answered)] == answered
    versions = office.root / ".govstats" / "versions" / "2017" / "U01"
    kept = {hashlib.sha256(p.read_bytes()).hexdigest() for p in versions.glob("0*")}
    assert set(answered) <= kept
    # the workbook on disk is whole: the last answered one or the one in flight
    on_disk = hashlib.sha256((office.year_dir / "U01.xlsx").read_bytes()).hexdigest()
    assert on_disk in kept
    assert on_disk == logged[-1] or on_disk not in logged  # never an older one
    db.close()
    # and the site, started again, serves on from there
    with server(office.root) as (base, _):
        r = post(httpx, base, workbook("U01", visits=5000), code)
        assert r.status_code == 200
