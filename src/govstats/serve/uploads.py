"""Uploads, held to the limits of a file on disk while they stream.

The request body is counted as it arrives and refused the moment it passes the
limit of a workbook (``Limits.file_bytes``) plus room for the form's other
fields: a 2 GB upload is refused after 20 MiB, not after 2 GB. The workbook is
then written to a folder of its own under ``.govstats/tmp/`` as ``upload<suffix>``
(a name from the request never names a file) and checked there by the same
reader as any file on disk (zip bombs, entities, cells); the folder is removed
when the request ends, whatever its outcome.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message

__all__ = ["FORM_ROOM", "Upload", "UploadRefused", "limited", "received_form"]

# Bytes the form may hold besides the workbook (year, code, token, boundaries).
FORM_ROOM = 64 * 1024
_COPY_CHUNK = 64 * 1024


class UploadRefused(Exception):
    """A request whose upload cannot be taken: an HTTP status and a problem."""

    def __init__(
        self, status: int, code: str, found: str = "", expected: str = ""
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.found = found
        self.expected = expected


@dataclass
class Upload:
    """A workbook received: the name the client gave it, where it is kept for the
    request, and the other fields of the form."""

    name: str
    path: Path | None
    fields: dict[str, str] = field(default_factory=dict)

    def data(self) -> bytes:
        assert self.path is not None
        return self.path.read_bytes()


def display_name(raw: str, suffix: str) -> str:
    """The client's file name as shown and reported: its last part only, without
    control characters, at most 120 characters; ``workbook<suffix>`` when none."""
    name = PurePosixPath(raw.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable())[-120:].strip()
    return name if name not in ("", ".", "..") else f"workbook{suffix}"


def upload_suffix(raw: str) -> str:
    """The suffix the reader goes by (``.xlsx``), or ``""`` for an odd one."""
    suffix = PurePosixPath(raw.replace("\\", "/")).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


def _mib(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MiB"


def limited(request: Request, limit: int, file_bytes: int) -> Request:
    """``request`` whose body is refused (``file-too-large``, 413) past ``limit``
    bytes, as it streams and before when its declared length is larger."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise UploadRefused(
            413,
            "file-too-large",
            f"{int(declared) / 1024 / 1024:.1f} MiB",
            _mib(file_bytes),
        )
    received = 0
    receive = request.receive

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise UploadRefused(
                    413, "file-too-large", f"> {_mib(file_bytes)}", _mib(file_bytes)
                )
        return message

    return Request(request.scope, counted)


@contextlib.asynccontextmanager
async def received_form(
    request: Request, tmp_root: Path, file_bytes: int
) -> AsyncIterator[Upload]:
    """The form of ``request`` with its workbook (field ``file``) kept for the
    request's duration in a fresh folder under ``tmp_root``.

    :raises UploadRefused: 413 ``file-too-large`` past ``file_bytes`` (counted as
        the body streams), 400 ``upload-invalid`` for a body that is not a form.
    """
    counted = limited(request, file_bytes + FORM_ROOM, file_bytes)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UploadRefused(400, "upload-invalid", "not multipart/form-data")
    tmp_root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=tmp_root))
    form: Any = None
    try:
        from starlette.formparsers import MultiPartException

        try:
            form = await counted.form(
                max_files=1, max_fields=16, max_part_size=FORM_ROOM
            )
        except MultiPartException as exc:
            raise UploadRefused(400, "upload-invalid", str(exc)) from None
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        part = form.get("file")
        upload = Upload("", None, fields)
        if isinstance(part, UploadFile) and part.filename:
            suffix = upload_suffix(part.filename)
            upload.name = display_name(part.filename, suffix)
            upload.path = folder / f"upload{suffix}"
            size = 0
            with upload.path.open("wb") as out:
                while chunk := await part.read(_COPY_CHUNK):
                    size += len(chunk)
                    if size > file_bytes:
                        raise UploadRefused(
                            413,
                            "file-too-large",
                            f"> {_mib(file_bytes)}",
                            _mib(file_bytes),
                        )
                    out.write(chunk)
        yield upload
    finally:
        if form is not None:
            await form.close()
        shutil.rmtree(folder, ignore_errors=True)
