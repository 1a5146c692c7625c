"""YAML declarations (report formats, the problem catalogue), read through a cache.

Every command reads a format declaration, and importing PyYAML and parsing it is a
noticeable part of what a clerk waits for in ``govstats validate``. The parsed
data (plain dicts, lists, strings and numbers) is kept with :mod:`marshal` in the
user's cache folder (:func:`cache_dir`), never inside the package, keyed by the
file's path and content, so that an edited declaration is parsed afresh. A cache
that cannot be read or written is simply not used.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "read_yaml"]


def cache_dir() -> Path:
    """Where parsed declarations are kept: ``$GOVSTATS_CACHE_DIR``, else the
    user's cache folder (``%LOCALAPPDATA%`` on Windows, ``~/Library/Caches`` on
    macOS, ``$XDG_CACHE_HOME`` or ``~/.cache`` elsewhere) / ``govstats``."""
    override = os.environ.get("GOVSTATS_CACHE_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData/Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "govstats"


def read_yaml(path: str | Path, cache: Path | None = None) -> Any:
    """The data of a UTF-8 YAML file, as ``yaml.safe_load`` gives it.

    :param cache: the folder to keep the parsed data in (default: ``declarations``
        in :func:`cache_dir`).
    """
    path = Path(path)
    text = path.read_bytes()
    try:
        folder = cache or cache_dir() / "declarations"
    except RuntimeError:  # no home folder to find the user's cache folder in
        folder = None
    cache = _cache_path(folder, path, text) if folder else None
    if cache is None:
        return _parse(text)
    try:
        return marshal.loads(cache.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):  # none yet, or unusable
        pass
    data = _parse(text)
    _store(cache, data)
    return data


def _parse(text: bytes) -> Any:
    import yaml

    # libyaml's loader when PyYAML has it: the same data, several times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text.decode("utf-8"), Loader=loader)


def _cache_path(folder: Path, path: Path, text: bytes) -> Path:
    """``<name>.<where>.<python>.<content>.marshal``: files of one name in two
    places (two checkouts) are kept apart, and an edited file gets a new name."""
    where = hashlib.sha256(os.fsencode(path.resolve())).hexdigest()[:8]
    key = hashlib.sha256(text).hexdigest()[:16]
    tag = sys.implementation.cache_tag or "python"
    return folder / f"{path.name}.{where}.{tag}.{key}.marshal"


def _store(cache: Path, data: Any) -> None:
    try:
        blob = marshal.dumps(data)
    except ValueError:  # a type marshal cannot keep (a date): no cache for it
        return
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=f".{cache.name}.")
    except OSError:  # a read-only installation: no cache
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from other users
        os.replace(tmp, cache)
        # Caches of earlier versions of the file are of no more use.
        stem = cache.name.rsplit(".", 2)[0]
        for old in cache.parent.glob(f"{stem}.*.marshal"):
            if old != cache:
                old.unlink(missing_ok=True)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
