"""What the intake site keeps: the workbooks filed, their versions, the access codes'
hashes and the audit log.

The workbooks stay files in ``inputs/<year>/<unit code><suffix>``, so that
``govstats compile`` on the command line sees what the site filed. Everything else
lives under ``.govstats/`` beside ``inputs/``: ``serve.sqlite3`` (the standard
library's sqlite3: access codes' hashes, the audit log of every submission and
compile) and ``versions/<year>/<unit code>/`` (every workbook a unit ever filed).

A submission is written, synced and renamed into place before its row is
committed, and answered only after the commit: a server killed at any moment loses
no submission it answered as filed.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govstats.core.problems import GovstatsError, Problem

if TYPE_CHECKING:
    from govstats.read.roster import Roster

__all__ = ["Store", "Submission", "generate_code", "normalise_code"]

STATE = ".govstats"
# 31 letters and digits a clerk cannot misread (no 0/O, 1/I/L); 16 of them are
# 79 bits: a code cannot be guessed, so an unsalted SHA-256 of it is safe to keep.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS codes (
    year INTEGER NOT NULL,
    unit TEXT NOT NULL,
    hash TEXT NOT NULL,
    issued TEXT NOT NULL,
    PRIMARY KEY (year, unit)
);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    year INTEGER NOT NULL,
    unit TEXT NOT NULL,
    at TEXT NOT NULL,
    address TEXT NOT NULL,
    by_unit TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    verdict TEXT NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    file TEXT NOT NULL,
    version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS compiles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    year INTEGER NOT NULL,
    at TEXT NOT NULL,
    address TEXT NOT NULL,
    verdict TEXT NOT NULL,
    units INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    figures_sha256 TEXT NOT NULL
);
"""


def generate_code() -> str:
    """A new access code, in groups of four: ``ABCD-EFGH-JKMN-PQRS``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(code: str) -> str:
    """A code as typed (any case, spaces, dashes) in its canonical form."""
    return re.sub(r"[\s\-－—]", "", code).upper()


def code_hash(year: int, code: str) -> str:
    """What is kept of an access code: SHA-256 of the year and the code."""
    data = f"govstats-access-code\0{year}\0{normalise_code(code)}".encode()
    return hashlib.sha256(data).hexdigest()


def now() -> str:
    """The time of an event of the log: UTC, ISO 8601, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Submission:
    """One row of the audit log's submissions."""

    id: int
    year: int
    unit: str
    at: str
    address: str
    by_unit: str
    sha256: str
    verdict: str
    errors: int
    warnings: int
    file: str
    version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "year": self.year,
            "unit_code": self.unit,
            "submitted_at": self.at,
            "by_unit": self.by_unit,
            "sha256": self.sha256,
            "verdict": self.verdict,
            "errors": self.errors,
            "warnings": self.warnings,
            "file": self.file,
            "version": self.version,
        }


class Store:
    """The files and the database of one office's site, rooted at ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inputs = root / "inputs"
        self.outputs = root / "outputs"
        self.state = root / STATE
        self.state.mkdir(parents=True, exist_ok=True)
        self.db_path = self.state / "serve.sqlite3"
        self._year_locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._rosters: dict[int, tuple[tuple[int, int], Roster]] = {}
        db = sqlite3.connect(self.db_path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        finally:
            db.close()

    # Database

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection for one unit of work, committed at its end.

        One connection per use: sqlite3 connections are not shared between the
        server's threads. ``synchronous=FULL`` syncs each commit to disk.
        """
        db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def year_lock(self, year: int) -> threading.Lock:
        """The lock that serialises a year's submissions and compiles."""
        with self._locks_guard:
            return self._year_locks.setdefault(year, threading.Lock())

    # Years and rosters

    def years(self) -> list[int]:
        """The years served: folders ``inputs/<year>/`` that hold a ``units.csv``."""
        if not self.inputs.is_dir():
            return []
        return sorted(
            int(p.name)
            for p in self.inputs.iterdir()
            if p.name.isascii()
            and p.name.isdigit()
            and len(p.name) == 4
            and (p / "units.csv").is_file()
        )

    def roster(self, year: int) -> Roster:
        """The roster of ``year``, read again when ``units.csv`` changed.

        :raises GovstatsError: when it cannot be read (``roster-invalid``, ...).
        """
        from govstats.formats import format_for_year
        from govstats.read.roster import read_roster

        path = self.inputs / str(year) / "units.csv"
        if not path.is_file():
            raise GovstatsError(Problem.make("file-not-found", file=str(path)))
        st = path.stat()
        key = (st.st_mtime_ns, st.st_size)
        cached = self._rosters.get(year)
        if cached is not None and cached[0] == key:
            return cached[1]
        roster = read_roster(path, format_for_year(year).roster)
        self._rosters[year] = (key, roster)
        return roster

    # Access codes

    def issue_codes(self, year: int, units: list[str]) -> dict[str, str]:
        """New access codes for ``units`` of ``year``; only their hashes are kept.

        A unit's earlier code stops working.
        """
        codes = {unit: generate_code() for unit in units}
        at = now()
        with self._db() as db:
            db.executemany(
                "INSERT OR REPLACE INTO codes (year, unit, hash, issued) "
                "VALUES (?, ?, ?, ?)",
                [(year, unit, code_hash(year, c), at) for unit, c in codes.items()],
            )
        return codes

    def unit_of_code(self, year: int, code: str) -> str | None:
        """The unit whose access code for ``year`` is ``code``, or None.

        Every stored hash is compared, each in constant time and none skipped, so
        the time taken tells nothing about the code.
        """
        wanted = code_hash(year, code)
        with self._db() as db:
            rows = db.execute(
                "SELECT unit, hash FROM codes WHERE year = ? ORDER BY unit", (year,)
            ).fetchall()
        found = None
        for unit, stored in rows:
            if hmac.compare_digest(str(stored), wanted) and found is None:
                found = str(unit)
        return found

    def has_codes(self, year: int) -> bool:
        with self._db() as db:
            row = db.execute("SELECT 1 FROM codes WHERE year = ?", (year,)).fetchone()
        return row is not None

    # Submissions

    def unit_files(self, year: int, unit: str) -> list[Path]:
        """The workbooks of ``unit`` in ``inputs/<year>/`` under the names the site
        gives them (``<unit code><suffix>``)."""
        folder = self.inputs / str(year)
        return [
            folder / f"{unit}{s}" for s in SUFFIXES if (folder / f"{unit}{s}").is_file()
        ]

    def file_submission(
        self,
        year: int,
        unit: str,
        suffix: str,
        data: bytes,
        address: str,
        errors: int,
        warnings: int,
    ) -> Submission:
        """File ``data`` as ``unit``'s workbook of ``year``, keeping every version.

        Under the year's lock: the version is written and synced, the workbook is
        swapped in by one rename (a reader sees the whole earlier file or the whole
        new one), a workbook of the unit under another suffix is moved to the
        versions, then the log's row is committed.
        """
        from govstats.core.output import atomic_write

        sha = _sha(data)
        folder = self.inputs / str(year)
        versions = self.state / "versions" / str(year) / unit
        with self.year_lock(year):
            versions.mkdir(parents=True, exist_ok=True)
            # A workbook put there by the office, not by the site, is kept too.
            for old in self.unit_files(year, unit):
                kept = versions / f"0000-{_sha(old.read_bytes())[:12]}{old.suffix}"
                if not kept.exists() and not self.submissions(year, unit):
                    atomic_write(kept, old.read_bytes())
            number = 1 + sum(
                1 for v in versions.iterdir() if not v.name.startswith((".", "0000-"))
            )
            version = versions / f"{number:04d}-{sha[:12]}{suffix}"
            atomic_write(version, data)
            _fsync_dir(versions)
            target = folder / f"{unit}{suffix}"
            atomic_write(target, data)
            for old in self.unit_files(year, unit):
                if old != target:
                    old.unlink()
            _fsync_dir(folder)
            return self.log_submission(
                year,
                unit,
                address,
                unit,
                sha,
                "filed",
                errors,
                warnings,
                target,
                version,
            )

    def log_submission(
        self,
        year: int,
        unit: str,
        address: str,
        by_unit: str,
        sha: str,
        verdict: str,
        errors: int,
        warnings: int,
        target: Path | None = None,
        version: Path | None = None,
    ) -> Submission:
        """Add a submission to the audit log (a refused one has no files)."""
        row = (
            year,
            unit,
            now(),
            address,
            by_unit,
            sha,
            verdict,
            errors,
            warnings,
            self._relative(target),
            self._relative(version),
        )
        with self._db() as db:
            cur = db.execute(
                "INSERT INTO submissions (year, unit, at, address, by_unit, sha256, "
                "verdict, errors, warnings, file, version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            ident = int(cur.lastrowid or 0)
        return Submission(ident, *row)

    def _relative(self, path: Path | None) -> str:
        return path.relative_to(self.root).as_posix() if path is not None else ""

    def submissions(
        self, year: int, unit: str | None = None, filed_only: bool = False
    ) -> list[Submission]:
        """The log's submissions of ``year`` (of one unit), oldest first."""
        query = "SELECT * FROM submissions WHERE year = ?"
        args: list[Any] = [year]
        if unit is not None:
            query += " AND unit = ?"
            args.append(unit)
        if filed_only:
            query += " AND verdict = 'filed'"
        with self._db() as db:
            rows = db.execute(query + " ORDER BY id", args).fetchall()
        return [Submission(*row) for row in rows]

    def latest_filed(self, year: int) -> dict[str, Submission]:
        """Each unit's last filed submission of ``year``."""
        return {s.unit: s for s in self.submissions(year, filed_only=True)}

    # Compiles

    def log_compile(
        self,
        year: int,
        address: str,
        verdict: str,
        units: int,
        errors: int,
        warnings: int,
        figures_sha256: str,
    ) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO compiles (year, at, address, verdict, units, errors, "
                "warnings, figures_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    year,
                    now(),
                    address,
                    verdict,
                    units,
                    errors,
                    warnings,
                    figures_sha256,
                ),
            )

    def compiles(self, year: int) -> list[dict[str, Any]]:
        with self._db() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT * FROM compiles WHERE year = ? ORDER BY id", (year,)
            ).fetchall()
        return [dict(r) for r in rows]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    """Sync a folder, so that a rename in it survives a crash."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
