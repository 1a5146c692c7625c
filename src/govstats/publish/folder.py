"""The outputs folder: its lock, and the swap that publishes a compile's files at once."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

from govstats.core.output import Streamed
from govstats.core.problems import GovstatsError, Problem


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold ``outputs/.<year>.lock`` for a whole compile: a second compile of the
    same year is refused at once (``compile-locked``) instead of racing the first.

    The lock (:func:`govstats.core.lock.exclusive`) is released by the system when
    its process ends, however it ends, and is never held by a child process, so a
    killed compile never leaves a lock behind; it works on Windows too.

    :raises GovstatsError: ``compile-locked``; ``output-unwritable`` or
        ``disk-full`` when the lock file cannot be made.
    """
    from govstats.core.lock import Locked, exclusive
    from govstats.core.oserrors import os_problem

    path = out_dir.parent / f".{out_dir.name}.lock"
    with contextlib.ExitStack() as stack:
        try:
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            stack.enter_context(exclusive(path))
        except Locked:
            raise GovstatsError(
                Problem.make("compile-locked", file=str(out_dir))
            ) from None
        except OSError as exc:
            raise GovstatsError(os_problem(exc, path, writing=True)) from exc
        recover(out_dir)
        yield


def recover(out_dir: Path) -> None:
    """Put back what an interrupted compile left (call with the lock held).

    Where the two-rename swap is used, a compile killed between the renames leaves
    the previous outputs in ``.<year>.old`` and no ``<year>``: they are moved back.
    Temporary folders of killed compiles (``.<year>.<random>``) are removed.
    """
    old = out_dir.parent / f".{out_dir.name}.old"
    if not out_dir.exists() and old.is_dir():
        old.rename(out_dir)
    # Only names publish makes (tempfile's 8 random characters, and .old): a
    # folder of the user's own beside the outputs is never touched.
    made = re.compile(rf"\.{re.escape(out_dir.name)}\.([a-z0-9_]{{8}}|old)")
    for stale in out_dir.parent.iterdir():
        if made.fullmatch(stale.name) and stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)


def publish(
    out_dir: Path, files: Mapping[str, bytes | Streamed], locked: bool = False
) -> list[Path]:
    """Swap the rendered outputs in as ``out_dir``; the old ones stay until then.

    The files are written and synced into a fresh folder beside ``out_dir``, which
    then takes its place in one atomic ``renameat2(RENAME_EXCHANGE)`` where the
    system has it (Linux), so that ``out_dir`` is at every moment either the whole
    previous set or the whole new one, even if the process is killed. Elsewhere two
    renames are used and :func:`recover` repairs an interrupted swap.

    :param locked: the caller already holds :func:`output_lock`.
    :raises GovstatsError: ``compile-locked`` when another compile holds the lock.
    """
    if not locked:
        with output_lock(out_dir):
            return publish(out_dir, files, locked=True)
    try:
        _publish(out_dir, files)
    except OSError as exc:
        # A full disk, a folder without write permission, a read-only file
        # system: the previous outputs are untouched (the swap comes last).
        from govstats.core.oserrors import os_error

        raise os_error(exc, out_dir, writing=True) from exc
    return [out_dir / name for name in files]


def _publish(out_dir: Path, files: Mapping[str, bytes | Streamed]) -> None:
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        from govstats.core.output import normal_mode

        # A name may hold a folder (datapackage/figures.csv): made in the fresh
        # folder, so that it is swapped in with the rest.
        folders = sorted({tmp / Path(name).parent for name in files} - {tmp})
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, normal_mode(directory=True))
        for name, data in files.items():
            with (tmp / name).open("wb") as fh:
                if isinstance(data, Streamed):
                    for piece in data.pieces():
                        fh.write(piece)
                else:
                    fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for folder in folders:
            _fsync_dir(folder)
        os.chmod(tmp, normal_mode(directory=True))
        _fsync_dir(tmp)
        if out_dir.exists() and _exchange(tmp, out_dir):
            pass  # tmp now holds the previous outputs, removed below
        else:
            old = out_dir.parent / f".{out_dir.name}.old"
            if old.exists():
                shutil.rmtree(old)
            if out_dir.exists():
                out_dir.rename(old)
            tmp.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        _fsync_dir(out_dir.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2; False where unsupported."""
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
    except ImportError:  # a Python built without it: the two renames then
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(rc == 0)


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # a folder cannot be opened there; NTFS journals renames
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
