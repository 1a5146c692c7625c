"""The intake site: department and office pages, and the JSON API they use.

Built on Starlette (a small, typed ASGI toolkit; the pages are the project's
jinja2 templates and need no JavaScript; ``app.js`` only adds drag and drop and
progress). The library runs in worker threads, at most ``CHECKS`` checks at a
time: they are CPU-bound, and more at once would only share two cores worse.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from govstats.core.limits import DEFAULT_LIMITS
from govstats.core.problems import GovstatsError, Problem
from govstats.serve.security import RateLimiter, Sessions, tokens_match
from govstats.serve.store import Store
from govstats.serve.texts import texts
from govstats.serve.uploads import UploadRefused, received_form
from govstats.serve.work import (
    CompileJob,
    SubmitRefused,
    check_upload,
    problems_csv,
    run_compile,
    submit_upload,
)

__all__ = ["Site", "create_app"]

CHECKS = 2
CSRF_COOKIE = "govstats_csrf"
SESSION_COOKIE = "govstats_office"
OUTPUT_TYPES = {
    "report.md": "text/markdown; charset=utf-8",
    "report.html": "text/html; charset=utf-8",
    "report.docx": "application/vnd.openxmlformats-officedocument."
    "wordprocessingml.document",
    "tables.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "figures.json": "application/json",
    "validation.json": "application/json",
    "validation.md": "text/markdown; charset=utf-8",
    "summary.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
XLSX = OUTPUT_TYPES["tables.xlsx"]
STATES = ("submitted", "warnings", "on-disk", "missing")
# Headers on every response: no framing by other sites, no content sniffing, and
# nothing loaded from anywhere but this site (the pages work offline).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
}

REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


class Site:
    """What the site's handlers share: the store, the guards, the compiles."""

    def __init__(
        self,
        root: Path,
        office_password: str | None,
        limiter: RateLimiter | None = None,
        relative: bool = False,
    ) -> None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined

        self.store = Store(root)
        self.password = office_password or None
        self.limiter = limiter or RateLimiter()
        self.sessions = Sessions()
        self.jobs: dict[int, CompileJob] = {}
        self.jobs_lock = threading.Lock()
        self.checks = anyio.CapacityLimiter(CHECKS)
        self.file_bytes = DEFAULT_LIMITS.file_bytes
        # Paths the compile is given: relative when the server runs in the root
        # (as `govstats serve` does), so its outputs are byte for byte those of
        # `govstats compile` run there.
        self.inputs = Path("inputs") if relative else self.store.inputs
        self.outputs = Path("outputs") if relative else self.store.outputs
        here = Path(__file__).parent
        self.env = Environment(
            loader=FileSystemLoader(here / "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.static = {
            name: (here / "static" / name).read_bytes()
            for name in ("app.js", "style.css")
        }


# Helpers


def _lang(request: Request, fields: dict[str, str] | None = None) -> str:
    value = request.query_params.get("lang") or (fields or {}).get("lang", "")
    return "en" if value == "en" else "zh"


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _problem(code: str, lang: str, **kw: Any) -> dict[str, Any]:
    return Problem.make(code, **kw).to_dict(lang)


def _json(data: Any, status: int = 200) -> Response:
    """JSON as ``govstats ... --format json`` prints it: indented, UTF-8, a
    final newline."""
    body = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return Response(body, status, media_type="application/json")


def _problem_json(status: int, code: str, lang: str, **kw: Any) -> Response:
    return _json({"problem": _problem(code, lang, **kw)}, status)


def _csrf(request: Request) -> str:
    """The CSRF token of the browser (its cookie), or a new one."""
    import secrets

    token = request.cookies.get(CSRF_COOKIE, "")
    return token if len(token) == 43 else secrets.token_urlsafe(32)


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def _is_office(site: Site, request: Request) -> bool:
    return site.password is not None and site.sessions.valid(
        request.cookies.get(SESSION_COOKIE)
    )


def _year(site: Site, raw: Any) -> int | None:
    """A year the site serves, from a path or form field; None otherwise."""
    text = str(raw or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        return None
    year = int(text)
    return year if year in site.store.years() else None


def _url(path: str, lang: str, **query: str) -> str:
    params = {k: v for k, v in query.items() if v}
    if lang == "en":
        params["lang"] = "en"
    return path + ("?" + urlencode(params) if params else "")


def _attachment(name: str) -> str:
    """A Content-Disposition naming a download, in any language (RFC 6266)."""
    ascii_name = "".join(
        c if c.isascii() and c.isalnum() or c in "-_." else "_" for c in name
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _render(
    site: Site,
    request: Request,
    template: str,
    lang: str,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    token = _csrf(request)
    t = texts(lang)
    html = site.env.get_template(template).render(
        t=t,
        lang=lang,
        csrf=token,
        url=lambda path, **q: _url(path, lang, **q),
        other_lang_url=_url(request.url.path, "zh" if lang == "en" else "en"),
        office=_is_office(site, request),
        office_on=site.password is not None,
        **context,
    )
    response = HTMLResponse(html, status)
    _cookie(response, request, CSRF_COOKIE, token)
    return response


def _error_page(
    site: Site, request: Request, lang: str, status: int, problem: dict[str, Any]
) -> HTMLResponse:
    return _render(site, request, "error.html.j2", lang, status, problem=problem)


def _not_served(site: Site, request: Request, lang: str) -> HTMLResponse:
    """The page for a year in the URL that the site does not serve."""
    found = request.path_params["year"]
    problem = _problem("year-not-served", lang, found=found)
    return _error_page(site, request, lang, 404, problem)


def _refusal(refused: UploadRefused, lang: str) -> dict[str, Any]:
    return _problem(refused.code, lang, found=refused.found, expected=refused.expected)


async def _in_thread(site: Site, fn: Callable[[], Any]) -> Any:
    return await anyio.to_thread.run_sync(fn, limiter=site.checks)


async def _small_form(request: Request) -> dict[str, str]:
    """The fields of a small form (sign-in, status, compile); none when the body
    is not one (a CSRF check then refuses it)."""
    from starlette.formparsers import MultiPartException

    from govstats.serve.uploads import FORM_ROOM, limited

    try:
        small = limited(request, FORM_ROOM, FORM_ROOM)
        form = await small.form(max_files=0, max_fields=8, max_part_size=4096)
    except (MultiPartException, UploadRefused):
        return {}
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _form_csrf_ok(request: Request, fields: dict[str, str]) -> bool:
    return tokens_match(fields.get("csrf"), request.cookies.get(CSRF_COOKIE))


# Department pages


async def index(request: Request) -> Response:
    site: Site = request.app.state.site
    lang = _lang(request)
    return _render(site, request, "index.html.j2", lang, years=site.store.years())


async def year_page(request: Request) -> Response:
    site: Site = request.app.state.site
    lang = _lang(request)
    year = _year(site, request.path_params["year"])
    if year is None:
        return _not_served(site, request, lang)
    try:
        roster = site.store.roster(year)
    except GovstatsError as exc:
        return _error_page(site, request, lang, 500, exc.problem.to_dict(lang))
    return _render(site, request, "year.html.j2", lang, year=year, units=roster.units)


async def template_download(request: Request) -> Response:
    site: Site = request.app.state.site
    lang = _lang(request)
    year = _year(site, request.path_params["year"])
    code = request.query_params.get("unit", "")
    unit = site.store.roster(year).get(code) if year is not None else None
    if year is None or unit is None:
        return _error_page(
            site,
            request,
            lang,
            404,
            _problem("unit-not-in-roster", lang, found=code, file="units.csv"),
        )

    def make() -> bytes:
        import tempfile

        from govstats import make_template

        site.store.state.mkdir(exist_ok=True)
        with tempfile.TemporaryDirectory(dir=site.store.state) as tmp:
            path = make_template(year, Path(tmp) / "t.xlsx", unit.code, unit.name)
            return path.read_bytes()

    data = await _in_thread(site, make)
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": _attachment(f"{unit.code}-{year}.xlsx")},
    )


async def check_page(request: Request) -> Response:
    """A workbook checked and shown, nothing stored (``POST /{year}/check``)."""
    site: Site = request.app.state.site
    lang = _lang(request)
    year = _year(site, request.path_params["year"])
    if year is None:
        return _not_served(site, request, lang)
    try:
        async with received_form(
            request, site.store.state / "tmp", site.file_bytes
        ) as upload:
            lang = _lang(request, upload.fields)
            if upload.path is None:
                raise UploadRefused(400, "upload-invalid", "no file")
            path, name = upload.path, upload.name
            annotate = lang if upload.fields.get("annotate") else None
            checked = await _in_thread(
                site, lambda: check_upload(path, name, year, annotate_lang=annotate)
            )
    except UploadRefused as refused:
        return _error_page(site, request, lang, refused.status, _refusal(refused, lang))
    except GovstatsError as exc:
        return _error_page(site, request, lang, 400, exc.problem.to_dict(lang))
    annotated = None
    if checked.annotated is not None:
        annotated = f"data:{XLSX};base64,{base64.b64encode(checked.annotated).decode()}"
    report = checked.report
    return _render(
        site,
        request,
        "check.html.j2",
        lang,
        status=200 if report.valid else 422,
        year=year,
        report=report.to_dict(lang),
        stats=report.stats,
        annotated=annotated,
        annotated_name=f"{Path(name).stem}-问题标注.xlsx",
    )


async def submit_page(request: Request) -> Response:
    site: Site = request.app.state.site
    return await _submit(request, site, api=False)


async def status_page(request: Request) -> Response:
    """A unit's own submissions, shown to whoever has its access code."""
    site: Site = request.app.state.site
    lang = _lang(request)
    year = _year(site, request.path_params["year"])
    fields = await _small_form(request)
    lang = _lang(request, fields)
    if year is None:
        return _not_served(site, request, lang)
    if not _form_csrf_ok(request, fields):
        return _error_page(site, request, lang, 403, _problem("csrf-invalid", lang))
    address = _address(request)
    if wait := site.limiter.wait(address):
        return _error_page(
            site, request, lang, 429, _problem("too-many-attempts", lang, found=wait)
        )
    unit = site.store.unit_of_code(year, fields.get("code", ""))
    if unit is None:
        site.limiter.fail(address)
        return _error_page(
            site, request, lang, 403, _problem("access-code-wrong", lang)
        )
    found = site.store.roster(year).get(unit)
    history = site.store.submissions(year, unit)
    filed = [s for s in history if s.verdict == "filed"]
    return _render(
        site,
        request,
        "status.html.j2",
        lang,
        year=year,
        unit_code=unit,
        unit_name=found.name if found else "",
        latest=filed[-1] if filed else None,
        history=history,
    )


async def _submit(request: Request, site: Site, api: bool) -> Response:
    """File a workbook for the unit of the access code: the page and the API."""
    lang = _lang(request)
    address = _address(request)

    def refuse(status: int, problem: dict[str, Any], report: Any = None) -> Response:
        if api:
            return _json(
                {
                    "filed": False,
                    "problem": problem,
                    "submission": None,
                    "validation": report.to_dict(lang) if report else None,
                },
                status,
            )
        if report is None:
            return _error_page(site, request, lang, status, problem)
        return _render(
            site,
            request,
            "submit.html.j2",
            lang,
            status=status,
            year=year,
            problem=problem,
            submission=None,
            report=report.to_dict(lang),
        )

    year: int | None = None
    try:
        async with received_form(
            request, site.store.state / "tmp", site.file_bytes
        ) as upload:
            fields = upload.fields
            lang = _lang(request, fields)
            raw_year = request.path_params.get("year", fields.get("year"))
            year = _year(site, raw_year)
            if year is None:
                return refuse(404, _problem("year-not-served", lang, found=raw_year))
            if not api and not _form_csrf_ok(request, fields):
                return refuse(403, _problem("csrf-invalid", lang))
            if wait := site.limiter.wait(address):
                return refuse(429, _problem("too-many-attempts", lang, found=wait))
            if upload.path is None:
                raise UploadRefused(400, "upload-invalid", "no file")
            path, name, code, y = upload.path, upload.name, fields.get("code", ""), year
            submission, report = await _in_thread(
                site,
                lambda: submit_upload(
                    site.store,
                    y,
                    path,
                    name,
                    code,
                    address,
                    lambda: site.limiter.fail(address),
                ),
            )
    except UploadRefused as refused:
        return refuse(refused.status, _refusal(refused, lang))
    except SubmitRefused as refused:
        return refuse(refused.status, refused.problem.to_dict(lang), refused.report)
    except GovstatsError as exc:
        return refuse(400, exc.problem.to_dict(lang))
    if api:
        return _json(
            {
                "filed": True,
                "problem": None,
                "submission": submission.to_dict(),
                "validation": report.to_dict(lang),
            }
        )
    return _render(
        site,
        request,
        "submit.html.j2",
        lang,
        year=year,
        problem=None,
        submission=submission,
        report=report.to_dict(lang),
    )


# Office pages


async def office_page(request: Request) -> Response:
    site: Site = request.app.state.site
    lang = _lang(request)
    return _render(
        site,
        request,
        "office.html.j2",
        lang,
        status=200 if site.password else 404,
        years=site.store.years(),
        failed=None,
    )


async def office_login(request: Request) -> Response:
    site: Site = request.app.state.site
    fields = await _small_form(request)
    lang = _lang(request, fields)
    address = _address(request)
    if site.password is None:
        return _error_page(site, request, lang, 404, _problem("office-required", lang))
    if not _form_csrf_ok(request, fields):
        return _error_page(site, request, lang, 403, _problem("csrf-invalid", lang))
    if wait := site.limiter.wait(address):
        return _error_page(
            site, request, lang, 429, _problem("too-many-attempts", lang, found=wait)
        )
    if not tokens_match(fields.get("password", ""), site.password):
        site.limiter.fail(address)
        return _render(
            site,
            request,
            "office.html.j2",
            lang,
            status=403,
            years=site.store.years(),
            failed=_problem("office-sign-in-failed", lang),
        )
    response = RedirectResponse(_url("/office", lang), 303)
    _cookie(response, request, SESSION_COOKIE, site.sessions.open())
    return response


async def office_logout(request: Request) -> Response:
    site: Site = request.app.state.site
    fields = await _small_form(request)
    lang = _lang(request, fields)
    if not _form_csrf_ok(request, fields):
        return _error_page(site, request, lang, 403, _problem("csrf-invalid", lang))
    site.sessions.close(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(_url("/office", lang), 303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def _office_guard(
    handler: Callable[[Request, Site, int, str], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Office pages: signed in, and a year the site serves."""

    async def guarded(request: Request) -> Response:
        site: Site = request.app.state.site
        lang = _lang(request)
        if not _is_office(site, request):
            return RedirectResponse(_url("/office", lang), 303)
        year = _year(site, request.path_params["year"])
        if year is None:
            return _error_page(
                site,
                request,
                lang,
                404,
                _problem("year-not-served", lang, found=request.path_params["year"]),
            )
        return await handler(request, site, year, lang)

    return guarded


def unit_states(site: Site, year: int) -> list[dict[str, Any]]:
    """Each unit of the roster with its state: submitted (with or without
    warnings) through the site, in the folder by other means, or missing."""
    latest = site.store.latest_filed(year)
    rows = []
    for unit in site.store.roster(year).units:
        s = latest.get(unit.code)
        if s is not None:
            state = "warnings" if s.warnings else "submitted"
        elif site.store.unit_files(year, unit.code):
            state = "on-disk"
        else:
            state = "missing"
        rows.append(
            {
                "code": unit.code,
                "name": unit.name,
                "level": unit.level,
                "kind": unit.kind,
                "state": state,
                "submission": s.to_dict() if s else None,
            }
        )
    return rows


async def _dashboard(request: Request, site: Site, year: int, lang: str) -> Response:
    rows = unit_states(site, year)
    level = request.query_params.get("level", "")
    kind = request.query_params.get("kind", "")
    levels = sorted({r["level"] for r in rows})
    kinds = sorted({r["kind"] for r in rows})
    shown = [
        r
        for r in rows
        if (not level or r["level"] == level) and (not kind or r["kind"] == kind)
    ]
    counts = {state: sum(1 for r in shown if r["state"] == state) for state in STATES}
    return _render(
        site,
        request,
        "dashboard.html.j2",
        lang,
        year=year,
        rows=shown,
        counts=counts,
        states=STATES,
        levels=levels,
        kinds=kinds,
        level=level,
        kind=kind,
        job=site.jobs.get(year),
    )


async def _problems_download(
    request: Request, site: Site, year: int, lang: str
) -> Response:
    def build() -> bytes:
        from govstats import validate_workbooks

        folder = site.store.inputs / str(year)
        result = validate_workbooks([folder], year, folder / "units.csv")
        return problems_csv(result.report, site.store.roster(year), lang)

    try:
        data = await _in_thread(site, build)
    except GovstatsError as exc:
        return _error_page(site, request, lang, 400, exc.problem.to_dict(lang))
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(f"problems-{year}.csv")},
    )


def start_compile(site: Site, year: int, address: str) -> tuple[CompileJob, bool]:
    """Start a compile of ``year`` in a thread of its own, unless one runs.

    :returns: the job, and whether it was started now.
    """
    with site.jobs_lock:
        job = site.jobs.get(year)
        if job is not None and job.state == "running":
            return job, False
        job = CompileJob(year)
        job.thread = threading.Thread(
            target=run_compile,
            args=(site.store, job, address, site.inputs, site.outputs),
            name=f"govstats-compile-{year}",
            daemon=True,
        )
        site.jobs[year] = job
        job.thread.start()
        return job, True


async def _compile_start(
    request: Request, site: Site, year: int, lang: str
) -> Response:
    fields = await _small_form(request)
    if not _form_csrf_ok(request, fields):
        return _error_page(site, request, lang, 403, _problem("csrf-invalid", lang))
    start_compile(site, year, _address(request))
    return RedirectResponse(_url(f"/office/{year}/compile", lang), 303)


async def _compile_page(request: Request, site: Site, year: int, lang: str) -> Response:
    job = site.jobs.get(year)
    report = job.report.to_dict(lang) if job and job.report else None
    return _render(
        site,
        request,
        "compile.html.j2",
        lang,
        year=year,
        job=job,
        job_json=job.to_dict(lang) if job else None,
        report=report,
    )


async def _output_download(
    request: Request, site: Site, year: int, lang: str
) -> Response:
    name = request.path_params["name"]
    # Only the names a compile writes: nothing from the URL names a file.
    if name not in OUTPUT_TYPES:
        return _error_page(
            site, request, lang, 404, _problem("file-not-found", lang, file=name)
        )
    path = site.store.outputs / str(year) / name
    try:
        data = path.read_bytes()
    except OSError:
        return _error_page(
            site, request, lang, 404, _problem("file-not-found", lang, file=name)
        )
    headers = {"Content-Disposition": _attachment(name)}
    if name == "report.html":
        # Shown in the browser: its own inline styles and SVG charts, and
        # nothing else (no script runs, nothing is fetched).
        headers = {
            "Content-Disposition": "inline",
            "Content-Security-Policy": REPORT_CSP,
        }
    return Response(data, media_type=OUTPUT_TYPES[name], headers=headers)


async def _log_page(request: Request, site: Site, year: int, lang: str) -> Response:
    return _render(
        site,
        request,
        "log.html.j2",
        lang,
        year=year,
        submissions=site.store.submissions(year),
        compiles=site.store.compiles(year),
    )


# The JSON API


async def api_validate(request: Request) -> Response:
    """``POST /api/validate``: exactly ``govstats validate FILE --year Y --format
    json``; 200 when the workbook has no error, 422 when it has."""
    site: Site = request.app.state.site
    lang = _lang(request)
    try:
        async with received_form(
            request, site.store.state / "tmp", site.file_bytes
        ) as upload:
            lang = _lang(request, upload.fields)
            raw = upload.fields.get("year", "").strip()
            if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
                return _problem_json(400, "year-not-served", lang, found=raw)
            if upload.path is None:
                raise UploadRefused(400, "upload-invalid", "no file")
            path, name, year = upload.path, upload.name, int(raw)
            checked = await _in_thread(site, lambda: check_upload(path, name, year))
    except UploadRefused as refused:
        return _json({"problem": _refusal(refused, lang)}, refused.status)
    except GovstatsError as exc:
        return _json({"problem": exc.problem.to_dict(lang)}, 400)
    return _json(checked.report.to_dict(lang), 200 if checked.report.valid else 422)


async def api_submit(request: Request) -> Response:
    site: Site = request.app.state.site
    return await _submit(request, site, api=True)


def _api_office(
    handler: Callable[[Request, Site, int, str], Awaitable[Response]],
    write: bool = False,
) -> Callable[[Request], Awaitable[Response]]:
    """Office API: the office's session cookie, and for a change the page's CSRF
    token in the ``X-CSRF-Token`` header."""

    async def guarded(request: Request) -> Response:
        site: Site = request.app.state.site
        lang = _lang(request)
        if not _is_office(site, request):
            return _problem_json(401, "office-required", lang)
        if write and not tokens_match(
            request.headers.get("x-csrf-token"), request.cookies.get(CSRF_COOKIE)
        ):
            return _problem_json(403, "csrf-invalid", lang)
        year = _year(site, request.path_params["year"])
        if year is None:
            return _problem_json(
                404, "year-not-served", lang, found=request.path_params["year"]
            )
        return await handler(request, site, year, lang)

    return guarded


async def _api_status(request: Request, site: Site, year: int, lang: str) -> Response:
    rows = unit_states(site, year)
    counts = {state: sum(1 for r in rows if r["state"] == state) for state in STATES}
    return _json({"year": year, "counts": counts, "units": rows})


async def _api_compile(request: Request, site: Site, year: int, lang: str) -> Response:
    job, started = start_compile(site, year, _address(request))
    return _json(job.to_dict(lang), 202 if started else 409)


async def _api_compile_state(
    request: Request, site: Site, year: int, lang: str
) -> Response:
    job = site.jobs.get(year)
    if job is None:
        return _json({"year": year, "state": "none"})
    return _json(job.to_dict(lang))


async def api_openapi(request: Request) -> Response:
    from govstats.serve.openapi import openapi

    return JSONResponse(openapi())


async def static(request: Request) -> Response:
    site: Site = request.app.state.site
    name = request.path_params["name"]
    if name not in site.static:
        return Response(status_code=404)
    kind = "text/javascript" if name.endswith(".js") else "text/css"
    return Response(site.static[name], media_type=f"{kind}; charset=utf-8")


class _Headers:
    """ASGI middleware adding :data:`SECURITY_HEADERS` and turning an unexpected
    exception into a catalogued problem instead of a traceback."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [
                    (k.lower().encode(), v.encode())
                    for k, v in SECURITY_HEADERS.items()
                    if k.lower().encode() not in present
                ]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if started:
                raise
            body = json.dumps(
                {"problem": _problem("internal-error", "zh", found=type(exc).__name__)},
                ensure_ascii=False,
            ).encode()
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})


async def _office_data_problem(request: Request, exc: Exception) -> Response:
    """A problem of the office's own files met while answering (a roster that
    cannot be read): the page or the API says which, located; the office must fix
    it, so the status is 500."""
    assert isinstance(exc, GovstatsError)
    site: Site = request.app.state.site
    lang = _lang(request)
    if request.url.path.startswith("/api/"):
        return _json({"problem": exc.problem.to_dict(lang)}, 500)
    return _error_page(site, request, lang, 500, exc.problem.to_dict(lang))


def create_app(
    root: str | Path,
    office_password: str | None = None,
    limiter: RateLimiter | None = None,
    relative: bool = False,
) -> Any:
    """The intake site of the office whose folder is ``root`` (an ASGI app).

    :param office_password: the office's password; without one the office pages
        and API are off.
    :param relative: the process runs in ``root`` (compile with relative paths).
    """
    routes = [
        Route("/", index),
        Route("/static/{name}", static),
        Route("/office", office_page),
        Route("/office/login", office_login, methods=["POST"]),
        Route("/office/logout", office_logout, methods=["POST"]),
        Route("/office/{year}", _office_guard(_dashboard)),
        Route("/office/{year}/problems.csv", _office_guard(_problems_download)),
        Route(
            "/office/{year}/compile",
            _office_guard(_compile_start),
            methods=["POST"],
        ),
        Route("/office/{year}/compile", _office_guard(_compile_page)),
        Route("/office/{year}/outputs/{name}", _office_guard(_output_download)),
        Route("/office/{year}/log", _office_guard(_log_page)),
        Route("/api/openapi.json", api_openapi),
        Route("/api/validate", api_validate, methods=["POST"]),
        Route("/api/submit", api_submit, methods=["POST"]),
        Route("/api/status/{year}", _api_office(_api_status)),
        Route(
            "/api/compile/{year}",
            _api_office(_api_compile, write=True),
            methods=["POST"],
        ),
        Route("/api/compile/{year}", _api_office(_api_compile_state)),
        Route("/{year}", year_page),
        Route("/{year}/template", template_download),
        Route("/{year}/check", check_page, methods=["POST"]),
        Route("/{year}/submit", submit_page, methods=["POST"]),
        Route("/{year}/status", status_page, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes, exception_handlers={GovstatsError: _office_data_problem}
    )
    app.state.site = Site(Path(root), office_password, limiter, relative)
    app.add_middleware(_Headers)
    return app
