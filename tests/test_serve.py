"""`govstats serve` through Starlette's ASGI test client (issue 15): the JSON API
equals the CLI, hostile uploads are refused, submissions are filed atomically with
every version kept, access codes, CSRF, cookies, escaping, the office's pages."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sqlite3
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govstats.cli.commands import app as cli
from tests.hostile import CASES as HOSTILE
from tests.serve_site import HOSTILE_NAME, make_office, workbook
from tests.test_cli_validate import CASES as BAD

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from govstats.serve.security import RateLimiter  # noqa: E402
from govstats.serve.web import create_app  # noqa: E402

runner = CliRunner()
PASSWORD = "office-pass-正确"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def office(tmp_path):
    return make_office(tmp_path / "office")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def client(office, clock):
    app = create_app(office.root, PASSWORD, RateLimiter(clock=clock))
    with TestClient(app) as c:
        yield c


def csrf(client) -> str:
    client.get("/2017")
    return client.cookies["govstats_csrf"]


def sign_in(client) -> None:
    r = client.post("/office/login", data={"password": PASSWORD, "csrf": csrf(client)})
    assert r.status_code == 200, r.text  # followed the 303 to /office
    assert "govstats_office" in client.cookies


def submit(client, office, data: bytes, unit="U01", name="a.xlsx", code=None):
    return client.post(
        "/api/submit",
        files={"file": (name, data)},
        data={"year": "2017", "code": code if code is not None else office.codes[unit]},
    )


def tmp_left(office) -> list[Path]:
    return list((office.root / ".govstats" / "tmp").glob("*"))


# /api/validate equals the CLI


@pytest.mark.parametrize("case", ["valid", *sorted(BAD)])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_api_validate_is_the_cli_json(
    make_workbook, tmp_path, monkeypatch, client, case, lang
):
    path = make_workbook(f"{case}.xlsx", edit=BAD.get(case))
    monkeypatch.chdir(tmp_path)
    args = ["validate", path.name, "--year", "2017", "--format", "json"]
    expected = runner.invoke(cli, [*args, "--lang", lang])
    r = client.post(
        f"/api/validate?lang={lang}",
        files={"file": (path.name, path.read_bytes())},
        data={"year": "2017"},
    )
    assert r.text == expected.stdout
    assert r.status_code == (200 if expected.exit_code == 0 else 422)
    assert r.headers["content-type"] == "application/json"


@pytest.mark.parametrize("case", HOSTILE, ids=[c.name for c in HOSTILE])
def test_every_hostile_file_is_refused_with_its_problem(client, office, case):
    name = f"{case.name}{case.suffix}"
    data = case.build()
    r = client.post(
        "/api/validate", files={"file": (name, data)}, data={"year": "2017"}
    )
    report = r.json()
    codes = {p["code"] for f in report["files"] for p in f["problems"]}
    assert set(case.codes) <= codes
    before = sorted(p.name for p in office.year_dir.iterdir())
    s = submit(client, office, data, name=name)
    from govstats.core.problems import catalogue

    if case.name == "unit-name-hostile":
        # Only a hostile *name* is valid data (escaped in pages, see below).
        assert r.status_code == 200 and s.status_code == 200
        return
    assert r.status_code == (200 if report["valid"] else 422)
    assert s.status_code in (403, 422), s.text
    body = s.json()
    assert body["filed"] is False
    assert body["problem"]["code"] in catalogue()
    assert body["problem"]["code"] in (
        "submission-invalid",
        "submission-not-kept",
        "access-code-other-unit",  # the workbook names another unit than U01
    )
    assert set(case.codes) <= {
        p["code"] for f in body["validation"]["files"] for p in f["problems"]
    }
    assert sorted(p.name for p in office.year_dir.iterdir()) == before
    assert tmp_left(office) == []


def test_an_upload_too_large_is_refused_while_it_streams(client, office):
    """The ASGI app itself is called with a body that never ends: it stops
    pulling the body at the limit (20 MiB), and keeps nothing of it."""
    import anyio

    pulled = 0
    sent: list[dict] = []

    async def receive():
        nonlocal pulled
        pulled += 1
        if pulled == 1:
            body = (
                b'--b\r\nContent-Disposition: form-data; name="file"; '
                b'filename="big.xlsx"\r\n\r\n'
            )
        else:
            body = b"\0" * (1024 * 1024)
        return {"type": "http.request", "body": body, "more_body": pulled < 10_000}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/validate",
        "raw_path": b"/api/validate",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"multipart/form-data; boundary=b")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    anyio.run(client.app, scope, receive, send)
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["problem"]["code"] == "file-too-large"
    assert 20 <= pulled <= 22  # MiB: the limit, not the 10,000 offered
    assert tmp_left(office) == []


def test_an_upload_declared_too_large_is_refused_unread(client, office):
    # A declared length over the limit is refused before any of it is read.
    r = client.post(
        "/api/submit",
        content=b"x" * 10,
        headers={
            "content-type": "multipart/form-data; boundary=b",
            "content-length": str(30 * 1024 * 1024),
        },
    )
    assert r.status_code == 413
    assert r.json()["problem"]["code"] == "file-too-large"


def test_a_huge_sign_in_form_is_not_read(client):
    token = csrf(client)
    body = ("csrf=" + token + "&password=" + "x" * (1024 * 1024)).encode()
    r = client.post(
        "/office/login",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 403 and "csrf-invalid" in r.text
    assert "govstats_office" not in client.cookies


def test_not_a_form_is_a_catalogued_problem(client):
    r = client.post(
        "/api/validate", content=b"{}", headers={"content-type": "text/plain"}
    )
    assert r.status_code == 400
    assert r.json()["problem"]["code"] == "upload-invalid"
    r = client.post("/api/validate", data={"year": "2017"}, files={"other": ("x", b"")})
    assert r.status_code == 400
    assert r.json()["problem"]["code"] == "upload-invalid"


# Submissions


def test_submissions_are_filed_atomically_and_every_version_kept(client, office):
    office_copy = workbook("U01", visits=1)
    (office.year_dir / "U01.xls").write_bytes(b"put there by the office")
    first, second = workbook("U01", visits=2), workbook("U01", visits=3)
    r = submit(client, office, first)
    assert r.status_code == 200, r.text
    s = r.json()["submission"]
    assert s["sha256"] == hashlib.sha256(first).hexdigest()
    assert s["unit_code"] == s["by_unit"] == "U01"
    assert (office.year_dir / "U01.xlsx").read_bytes() == first
    # the office's file of the unit is moved aside, not lost
    assert not (office.year_dir / "U01.xls").exists()
    r = submit(client, office, second, name="第二版.xlsx")
    assert r.status_code == 200
    assert (office.year_dir / "U01.xlsx").read_bytes() == second
    versions = office.root / ".govstats" / "versions" / "2017" / "U01"
    kept = sorted(p.read_bytes() for p in versions.iterdir())
    assert sorted([b"put there by the office", first, second]) == kept
    assert office_copy not in kept
    # nothing else in the year's folder: a compile sees one workbook per unit
    assert sorted(p.name for p in office.year_dir.iterdir()) == [
        "U01.xlsx",
        "units.csv",
    ]
    log = sqlite3.connect(office.root / ".govstats" / "serve.sqlite3")
    rows = log.execute("SELECT unit, verdict, sha256 FROM submissions").fetchall()
    assert rows == [
        ("U01", "filed", hashlib.sha256(first).hexdigest()),
        ("U01", "filed", hashlib.sha256(second).hexdigest()),
    ]


def test_a_workbook_with_errors_is_refused_with_the_list(client, office):
    bad = workbook("U01", **{"zd.total": 1})
    r = submit(client, office, bad)
    assert r.status_code == 422
    body = r.json()
    assert body["filed"] is False
    problems = body["validation"]["files"][0]["problems"]
    assert [(p["code"], p["cell"]) for p in problems if p["severity"] == "error"] == [
        ("total-mismatch", "D4")
    ]
    assert not (office.year_dir / "U01.xlsx").exists()
    log = sqlite3.connect(office.root / ".govstats" / "serve.sqlite3")
    assert log.execute("SELECT verdict FROM submissions").fetchall() == [
        ("refused-errors",)
    ]


def test_a_unit_may_only_submit_for_itself(client, office):
    r = submit(client, office, workbook("U01"), code=office.codes["U02"])
    assert r.status_code == 403
    assert r.json()["problem"]["code"] == "access-code-other-unit"
    assert "U02" in r.json()["problem"]["message"]
    r = submit(client, office, workbook("U01"), code="AAAA-AAAA-AAAA-AAAA")
    assert r.status_code == 403
    assert r.json()["problem"]["code"] == "access-code-wrong"
    assert not (office.year_dir / "U01.xlsx").exists()


def test_codes_are_kept_as_hashes_only(office):
    db = (office.root / ".govstats" / "serve.sqlite3").read_bytes()
    wal = office.root / ".govstats" / "serve.sqlite3-wal"
    stored = db + (wal.read_bytes() if wal.exists() else b"")
    for code in office.codes.values():
        assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
        assert code.encode() not in stored
        assert code.replace("-", "").encode() not in stored
    assert len(set(office.codes.values())) == len(office.codes)


def test_codes_command_and_reissuing_one_unit(office, client):
    out = office.root / "again.csv"
    result = runner.invoke(
        cli,
        ["codes", "2017", "-o", str(out), "--root", str(office.root), "--unit", "U01"],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["单位代码"] for r in rows] == ["U01"]
    assert out.stat().st_mode & 0o077 == 0
    new = rows[0]["访问码"]
    # the old code of U01 stops working, the new one works, U02's is untouched
    assert submit(client, office, workbook("U01")).status_code == 403
    assert submit(client, office, workbook("U01"), code=new.lower()).status_code == 200
    assert submit(client, office, workbook("U02"), unit="U02").status_code == 200
    result = runner.invoke(
        cli,
        ["codes", "2017", "-o", str(out), "--root", str(office.root), "--unit", "X9"],
    )
    assert result.exit_code == 2
    assert "X9" in result.stderr


def test_ten_wrong_codes_in_a_minute_slow_the_address_down(client, office, clock):
    for _ in range(10):
        assert submit(client, office, b"", code="WRONG").status_code in (400, 403)
    # the right code is not even tried now
    r = submit(client, office, workbook("U01"))
    assert r.status_code == 429
    assert r.json()["problem"]["code"] == "too-many-attempts"
    assert not (office.year_dir / "U01.xlsx").exists()
    clock.now += 61
    assert submit(client, office, workbook("U01")).status_code == 200


def test_wrong_office_passwords_count_too(client, clock):
    token = csrf(client)
    for _ in range(10):
        r = client.post("/office/login", data={"password": "x", "csrf": token})
        assert r.status_code == 403
        assert "office-sign-in-failed" in r.text
    r = client.post("/office/login", data={"password": PASSWORD, "csrf": token})
    assert r.status_code == 429
    clock.now += 61
    sign_in(client)


# Forms, cookies, escaping


def test_every_form_that_changes_state_needs_the_csrf_token(client, office):
    files = {"file": ("a.xlsx", workbook("U01"))}
    data = {"code": office.codes["U01"]}
    r = client.post("/2017/submit", files=files, data=data)
    assert r.status_code == 403 and "csrf-invalid" in r.text
    r = client.post("/2017/submit", files=files, data={**data, "csrf": "x" * 43})
    assert r.status_code == 403
    assert not (office.year_dir / "U01.xlsx").exists()
    r = client.post("/office/login", data={"password": PASSWORD})
    assert r.status_code == 403 and "govstats_office" not in client.cookies
    sign_in(client)
    r = client.post("/office/2017/compile", data={})
    assert r.status_code == 403
    r = client.post("/api/compile/2017")
    assert r.status_code == 403 and r.json()["problem"]["code"] == "csrf-invalid"
    r = client.post("/office/logout", data={})
    assert r.status_code == 403
    # with the token the page's form works
    r = client.post("/2017/submit", files=files, data={**data, "csrf": csrf(client)})
    assert r.status_code == 200 and 'id="receipt"' in r.text


def test_cookies_are_httponly_and_samesite_strict(client):
    r = client.get("/2017")
    assert re.search(
        r"govstats_csrf=\S+; HttpOnly; Path=/; SameSite=strict", r.headers["set-cookie"]
    )
    r = client.post(
        "/office/login",
        data={"password": PASSWORD, "csrf": client.cookies["govstats_csrf"]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert re.search(
        r"govstats_office=\S+; HttpOnly; Path=/; SameSite=strict",
        r.headers["set-cookie"],
    )
    assert PASSWORD not in r.headers["location"]
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_text_from_the_roster_and_workbooks_is_escaped(client, office):
    page = client.get("/2017").text
    assert HOSTILE_NAME not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    r = client.post(
        "/2017/check",
        files={
            "file": (
                "<img src=x onerror=alert(1)>.xlsx",
                workbook("U03", **{"zd.total": 1}),
            )
        },
        data={"csrf": csrf(client)},
    )
    assert r.status_code == 422
    assert HOSTILE_NAME not in r.text and "<img" not in r.text
    assert "&lt;img src=x onerror=alert(1)&gt;.xlsx" in r.text
    sign_in(client)
    assert submit(client, office, workbook("U03"), unit="U03").status_code == 200
    page = client.get("/office/2017").text
    assert HOSTILE_NAME not in page and "&lt;script&gt;" in page


def test_no_path_from_a_request_reaches_the_file_system(client, office):
    sign_in(client)
    (office.root / "outputs" / "2017").mkdir(parents=True)
    for url in (
        "/office/2017/outputs/units.csv",
        "/office/2017/outputs/..%2F..%2Finputs%2F2017%2Funits.csv",
        "/office/..%2Finputs/outputs/report.md",
        "/static/..%2F__init__.py",
        "/2017/template?unit=../../etc/passwd",
    ):
        r = client.get(url)
        assert r.status_code == 404, url
    r = submit(client, office, workbook("U01"), name="../../../etc/evil.xlsx")
    assert r.status_code == 200
    assert r.json()["validation"]["files"][0]["path"] == "evil.xlsx"
    assert sorted(p.name for p in office.year_dir.iterdir()) == [
        "U01.xlsx",
        "units.csv",
    ]


# Department pages


def test_template_download_is_the_units_blank_workbook(client, office, tmp_path):
    r = client.get("/2017/template?unit=U02")
    assert r.status_code == 200
    assert "U02-2017.xlsx" in r.headers["content-disposition"]
    path = tmp_path / "t.xlsx"
    path.write_bytes(r.content)
    from govstats import validate_workbooks

    files = validate_workbooks([path], 2017).report.files
    assert (files[0].unit_code, files[0].unit_name) == ("U02", "财政局")


def test_check_page_lists_problems_and_offers_the_annotated_copy(client, office):
    r = client.post(
        "/2017/check?lang=en",
        files={"file": ("财政局.xlsx", workbook("U02", **{"zd.total": 1}))},
        data={"csrf": csrf(client), "annotate": "1"},
    )
    assert r.status_code == 422
    assert 'data-code="total-mismatch" data-cell="D4"' in r.text
    assert "表1 主动公开政府信息情况" in r.text and "zd.total" in r.text
    assert "1 errors, 0 warnings" in r.text
    assert 'download="财政局-问题标注.xlsx"' in r.text
    # nothing was stored by a check
    assert sorted(p.name for p in office.year_dir.iterdir()) == ["units.csv"]
    assert tmp_left(office) == []


def test_status_page_shows_the_units_own_submissions(client, office):
    data = workbook("U01")
    assert submit(client, office, data).status_code == 200
    r = client.post(
        "/2017/status", data={"code": office.codes["U01"], "csrf": csrf(client)}
    )
    assert r.status_code == 200
    assert hashlib.sha256(data).hexdigest() in r.text
    assert "测试局（U01）" in r.text
    r = client.post("/2017/status", data={"code": "nope", "csrf": csrf(client)})
    assert r.status_code == 403 and "access-code-wrong" in r.text


def test_a_year_not_served_is_a_catalogued_404(client):
    for url in ("/2016", "/abcd", "/2016/template?unit=U01"):
        r = client.get(url)
        assert r.status_code == 404
        assert "year-not-served" in r.text or "unit-not-in-roster" in r.text


# Office


def test_office_pages_are_off_without_a_password(office):
    with TestClient(create_app(office.root, None)) as c:
        assert c.get("/office").status_code == 404
        assert c.get("/api/status/2017").status_code == 401
        r = c.post("/office/login", data={"password": "", "csrf": csrf(c)})
        assert r.status_code == 404
        # the department pages still work
        assert c.get("/2017").status_code == 200


def test_dashboard_counts_and_filters(client, office):
    sign_in(client)
    api = client.get("/api/status/2017").json()
    assert api["counts"] == {"submitted": 0, "warnings": 0, "on-disk": 0, "missing": 3}
    assert submit(client, office, workbook("U02"), unit="U02").status_code == 200
    api = client.get("/api/status/2017").json()
    assert api["counts"]["submitted"] == 1 and api["counts"]["missing"] == 2
    page = client.get("/office/2017?level=市本级").text
    assert re.findall(r'data-unit="(\w+)" data-state="(\S+)"', page) == [
        ("U01", "missing"),
        ("U02", "submitted"),
    ]
    page = client.get("/office/2017?kind=县市区政府").text
    assert re.findall(r'data-unit="(\w+)"', page) == ["U03"]


def test_problems_of_all_units_as_csv(client, office):
    sign_in(client)
    (office.year_dir / "U01.xlsx").write_bytes(workbook("U01", **{"zd.total": 1}))
    r = client.get("/office/2017/problems.csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["单位代码", "单位名称", "文件"]
    codes = {(row[0], row[6]) for row in rows[1:]}
    assert ("U01", "total-mismatch") in codes
    assert any(row[6] == "unit-not-submitted" for row in rows[1:])


def test_compile_from_the_site_is_the_cli_compile(client, office, tmp_path):
    for unit in ("U01", "U02", "U03"):
        assert submit(client, office, workbook(unit), unit=unit).status_code == 200
    sign_in(client)
    r = client.post("/api/compile/2017", headers={"x-csrf-token": csrf(client)})
    assert r.status_code == 202
    app_site = client.app.state.site
    app_site.jobs[2017].thread.join(60)
    job = client.get("/api/compile/2017").json()
    assert job["state"] == "done", job
    assert job["compile"]["compiled"] is True and job["compile"]["units"] == 3
    assert "report.html" in job["outputs"]
    r = client.get("/office/2017/outputs/report.html")
    assert r.status_code == 200 and r.text.startswith("<!DOCTYPE html>")
    # its inline styles apply, no script runs, nothing is fetched
    assert r.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
    )
    assert (
        "report.md"
        in client.get("/office/2017/outputs/report.md").headers["content-disposition"]
    )
    page = client.get("/office/2017/compile").text
    assert 'data-output="report.html"' in page
    # the same bytes as `govstats compile` of the same inputs
    copy = tmp_path / "cli"
    (copy / "inputs").mkdir(parents=True)
    import shutil

    shutil.copytree(office.year_dir, copy / "inputs" / "2017")
    result = runner.invoke(
        cli,
        [
            "compile",
            "2017",
            "--inputs",
            str(copy / "inputs"),
            "--outputs",
            str(copy / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (copy / "out" / "2017" / "figures.json").read_bytes().replace(
        str(copy / "inputs").encode(), b""
    ) == (office.root / "outputs" / "2017" / "figures.json").read_bytes().replace(
        str(office.root / "inputs").encode(), b""
    )
    log = client.get("/office/2017/log").text
    assert "compiled" in log
    figures = (office.root / "outputs" / "2017" / "figures.json").read_bytes()
    assert hashlib.sha256(figures).hexdigest() in log


def test_a_compile_sees_a_submission_whole_before_or_after(client, office, monkeypatch):
    """A unit submits while the year compiles: the submission waits for the
    compile, which reads the earlier workbook, whole."""
    import govstats.actions

    for unit in ("U01", "U02", "U03"):
        assert submit(client, office, workbook(unit), unit=unit).status_code == 200
    before = (office.year_dir / "U01.xlsx").read_bytes()
    reading, release = threading.Event(), threading.Event()
    real = govstats.actions.compile_year

    def slow_compile(*args, progress=None, **kw):
        def hold(done, total, path):
            reading.set()
            release.wait(30)
            if progress:
                progress(done, total, path)

        return real(*args, progress=hold, **kw)

    monkeypatch.setattr(govstats.actions, "compile_year", slow_compile)
    sign_in(client)
    r = client.post("/api/compile/2017", headers={"x-csrf-token": csrf(client)})
    assert r.status_code == 202
    assert reading.wait(30)
    # a second compile of the year is refused while the first runs
    r = client.post("/api/compile/2017", headers={"x-csrf-token": csrf(client)})
    assert r.status_code == 409
    answers = []
    later = workbook("U01", visits=99)
    submitter = threading.Thread(
        target=lambda: answers.append(submit(client, office, later).status_code)
    )
    submitter.start()
    submitter.join(2)
    assert submitter.is_alive() and answers == []  # waits for the compile
    assert (office.year_dir / "U01.xlsx").read_bytes() == before
    release.set()
    client.app.state.site.jobs[2017].thread.join(60)
    submitter.join(60)
    assert answers == [200]
    figures = json.loads(
        (office.root / "outputs" / "2017" / "figures.json").read_text()
    )
    digest = {u["code"]: u["sha256"] for u in figures["units"]}["U01"]
    assert digest == hashlib.sha256(before).hexdigest()
    assert (office.year_dir / "U01.xlsx").read_bytes() == later


def test_office_pages_need_a_session(client):
    for url in ("/office/2017", "/office/2017/compile", "/office/2017/log"):
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/office"
    assert client.get("/api/status/2017").status_code == 401
    assert client.post("/api/compile/2017").status_code == 401


def test_openapi_describes_the_api(client):
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/api/validate",
        "/api/submit",
        "/api/status/{year}",
        "/api/compile/{year}",
        "/api/openapi.json",
    }


def test_pages_in_english(client):
    import html

    page = html.unescape(client.get("/2017?lang=en").text)
    assert "Step 1: download your unit's blank workbook" in page
    assert 'action="/2017/check?lang=en"' in page


def test_serve_without_the_extra_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_starlette(name, *args, **kw):
        if name == "starlette":
            raise ImportError(name)
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_starlette)
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert "govstats[serve]" in result.stderr


def test_the_office_server_page_shows_the_browser_tests_screenshots():
    docs = Path(__file__).parents[1] / "docs"
    page = (docs / "office-server.md").read_text(encoding="utf-8")
    shots = re.findall(r"\(img/(office-server-[a-z-]+\.png)\)", page)
    browser_test = (Path(__file__).parent / "test_serve_browser.py").read_text(
        encoding="utf-8"
    )
    taken = {
        f"{name}.png" for name in re.findall(r'"(office-server-[a-z-]+)"', browser_test)
    }
    assert sorted(shots) == sorted(taken)
    for shot in shots:
        assert (docs / "img" / shot).stat().st_size < 60_000, shot


def test_serve_refuses_a_root_that_is_not_a_folder(tmp_path):
    result = runner.invoke(cli, ["serve", "--root", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "nowhere" in result.stderr and "Traceback" not in result.output


def test_pages_have_every_word_in_both_languages():
    from govstats.serve.texts import TEXTS

    assert set(TEXTS["zh"]) == set(TEXTS["en"])
    used = set()
    folder = Path(__file__).parents[1] / "src" / "govstats" / "serve" / "templates"
    for template in folder.glob("*.j2"):
        used |= set(
            re.findall(r"\bt\.([a-z_0-9]+)", template.read_text(encoding="utf-8"))
        )
    assert used <= set(TEXTS["zh"])


def test_a_compile_with_errors_shows_them_and_writes_nothing(client, office):
    assert submit(client, office, workbook("U01"), unit="U01").status_code == 200
    sign_in(client)
    r = client.post("/api/compile/2017", headers={"x-csrf-token": csrf(client)})
    assert r.status_code == 202
    client.app.state.site.jobs[2017].thread.join(60)
    job = client.get("/api/compile/2017?lang=en").json()
    assert job["state"] == "done" and job["outputs"] == []
    assert job["compile"]["compiled"] is False
    page = client.get("/office/2017/compile").text
    assert "汇总未完成" in page
    assert page.count('data-code="unit-not-submitted"') == 2
    assert not (office.root / "outputs" / "2017").exists()
    assert "refused-errors" in client.get("/office/2017/log").text


def test_codes_for_a_year_without_a_roster_is_a_located_problem(tmp_path):
    (tmp_path / "inputs" / "2018").mkdir(parents=True)
    for year in ("2018", "2019"):
        result = runner.invoke(
            cli, ["codes", year, "-o", str(tmp_path / "c.csv"), "--root", str(tmp_path)]
        )
        assert result.exit_code == 2, result.output
        assert f"{year}/units.csv" in result.stderr
    assert not (tmp_path / "c.csv").exists()


def test_a_broken_roster_is_shown_located_not_as_an_internal_error(client, office):
    sign_in(client)
    (office.year_dir / "units.csv").write_text(
        "单位代码,单位名称,层级,类别\nU01,测试局,月球,其他\n", encoding="utf-8"
    )
    for url in ("/2017", "/2017/template?unit=U01", "/office/2017"):
        r = client.get(url)
        assert r.status_code == 500 and 'data-code="roster-value-invalid"' in r.text, (
            url
        )
    r = client.get("/api/status/2017")
    assert (
        r.status_code == 500 and r.json()["problem"]["code"] == "roster-value-invalid"
    )
