"""``govstats serve``: the compiling office's intake site (issue 15).

Departments check and submit their workbooks in a browser; the office watches the
roster fill up and compiles the year. Needs the ``serve`` extra
(``pip install govstats[serve]``): Starlette, uvicorn and python-multipart, which a
CLI-only install does not carry. :func:`write_codes` needs none of them.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from govstats.core.problems import GovstatsError, Problem

__all__ = ["PASSWORD_VARIABLE", "serve", "write_codes"]

PASSWORD_VARIABLE = "GOVSTATS_OFFICE_PASSWORD"


def write_codes(
    year: int,
    output: str | Path,
    root: str | Path = ".",
    units: list[str] | None = None,
) -> Path:
    """Issue an access code to every unit of ``root/inputs/<year>/units.csv`` (or to
    ``units`` only) and write them to ``output`` as CSV (单位代码,单位名称,访问码).

    Only the codes' hashes are kept (in ``root/.govstats/serve.sqlite3``); a unit's
    earlier code stops working. The CSV is written atomically, readable by its
    owner only.

    :raises GovstatsError: when the roster cannot be read, or a unit is not in it.
    """
    from govstats.core.output import atomic_write
    from govstats.serve.store import Store

    roster_path = Path(root) / "inputs" / str(year) / "units.csv"
    if not roster_path.is_file():
        raise GovstatsError(Problem.make("file-not-found", file=str(roster_path)))
    store = Store(Path(root))
    roster = store.roster(year)
    chosen = units or list(roster.codes)
    for code in chosen:
        if roster.get(code) is None:
            raise GovstatsError(
                Problem.make("unit-not-in-roster", found=code, file=str(roster.path))
            )
    codes = store.issue_codes(year, chosen)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["单位代码", "单位名称", "访问码"])
    for code in chosen:
        unit = roster.get(code)
        assert unit is not None
        writer.writerow([unit.code, unit.name, codes[code]])
    path = Path(output)
    atomic_write(path, ("\ufeff" + out.getvalue()).encode("utf-8"))
    os.chmod(path, 0o600)
    return path


def office_password(ask: bool = True) -> str | None:
    """The office password: ``$GOVSTATS_OFFICE_PASSWORD``, else asked for at a
    terminal (not echoed), else none (the office pages are off)."""
    import sys

    password = os.environ.get(PASSWORD_VARIABLE, "")
    if not password and ask and sys.stdin.isatty():
        import getpass

        password = getpass.getpass(
            "汇总单位密码（留空则不开放汇总单位页面）/ office password "
            "(empty: office pages off): "
        )
    return password or None


def serve(root: str | Path = ".", host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the intake site for ``root`` (its ``inputs/<year>/``) until stopped.

    The process works in ``root``, so that a compile started from the site writes
    exactly what ``govstats compile`` run there writes.
    """
    import uvicorn

    from govstats.serve.web import create_app

    if not Path(root).is_dir():
        raise GovstatsError(Problem.make("file-not-found", file=str(root)))
    password = office_password()
    os.chdir(root)
    app = create_app(Path.cwd(), password, relative=True)
    # uvicorn's access log prints each request's path and query, never a body:
    # passwords and access codes travel only in POST bodies.
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)
