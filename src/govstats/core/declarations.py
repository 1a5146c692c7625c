"""YAML declarations (report formats, the problem catalogue), read through a cache.

Every command reads a format declaration, and importing PyYAML and parsing it took
about 15 ms of the half second a clerk waits for ``govstats validate``. The parsed
data (plain dicts, lists, strings and numbers) is kept with :mod:`marshal` in a
``__pycache__`` folder beside the file, as Python keeps compiled modules, and keyed
by the file's content, so that an edited declaration is parsed afresh. A cache that
cannot be read or written is simply not used.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["read_yaml"]


def read_yaml(path: str | Path) -> Any:
    """The data of a UTF-8 YAML file, as ``yaml.safe_load`` gives it."""
    path = Path(path)
    text = path.read_bytes()
    cache = _cache_path(path, text)
    try:
        return marshal.loads(cache.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):  # none yet, or unusable
        pass
    import yaml

    # libyaml's loader when PyYAML has it: the same data, 7x faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text.decode("utf-8"), Loader=loader)
    _store(cache, data)
    return data


def _cache_path(path: Path, text: bytes) -> Path:
    key = hashlib.sha256(text).hexdigest()[:16]
    tag = sys.implementation.cache_tag or "python"
    return path.parent / "__pycache__" / f"{path.name}.{tag}.{key}.marshal"


def _store(cache: Path, data: Any) -> None:
    try:
        blob = marshal.dumps(data)
    except ValueError:  # a type marshal cannot keep (a date): no cache for it
        return
    try:
        cache.parent.mkdir(exist_ok=True)
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
