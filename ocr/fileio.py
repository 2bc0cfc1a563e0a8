"""Safe output writing shared by every stage that writes results or models.

Rules (README "Limits and output safety"):

* A regular file is replaced atomically: written to a temporary file beside
  it, named ``.NAME.ocr-tmp-PID-XXXX``, then renamed over it, so readers and
  a crash never see half a file. Temporaries left by a killed process are
  swept on the next write to that directory.
* A symbolic link is written through: its target is replaced, the link stays.
* A device or FIFO (``/dev/null``, ``/dev/stdout``, a named pipe) is written
  to, never replaced by a regular file.
* :func:`check_target` is called before the work: it refuses a target that
  is one of the inputs and a directory that cannot be written, so a long run
  does not fail at its very end.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator

from ocr.errors import OutputError

log = logging.getLogger(__name__)

#: Marks our temporary files: ``.NAME.ocr-tmp-PID-XXXX``.
TMP_MARK = ".ocr-tmp-"
_TMP_RE = re.compile(r"^\..*\.ocr-tmp-(\d+)-[^/]*$")
#: A temporary whose process is gone, or older than this, is stale.
STALE_SECONDS = 24 * 3600


def os_reason(exc: OSError) -> str:
    """The reason of an OSError in words, lower case ("permission denied")."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return reason[:1].lower() + reason[1:]


def describe_os_error(exc: OSError, path: str | os.PathLike | None = None) -> str:
    """``PATH: reason`` in one line for an OSError (no errno numbers, no traceback)."""
    where = exc.filename if exc.filename is not None else path
    reason = os_reason(exc)
    return f"{os.fsdecode(where)}: {reason}" if where is not None else reason


def _special(path: Path) -> bool:
    """True for an existing non-regular, non-directory file: a device, FIFO or socket."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def is_special(path: str | os.PathLike) -> bool:
    """True when writing to ``path`` writes through to a device or FIFO (links followed)."""
    return _special(resolve_target(path))


def resolve_target(path: str | os.PathLike) -> Path:
    """The file a write to ``path`` must change: a symbolic link's target, else ``path``."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def sweep_stale_temporaries(directory: str | os.PathLike) -> int:
    """Remove our temporaries in ``directory`` whose writer died (kill -9, power loss).

    A temporary is stale when its process no longer runs or it is older than
    :data:`STALE_SECONDS`; a live concurrent writer's file is left alone.
    Returns how many were removed. Errors are ignored: sweeping is a courtesy.
    """
    removed = 0
    now = time.time()
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                m = _TMP_RE.match(entry.name)
                if not m:
                    continue
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
                    if old or not _pid_alive(int(m.group(1))):
                        os.unlink(entry.path)
                        removed += 1
                        log.debug("removed stale temporary %s", entry.path)
                except OSError:
                    continue
    except OSError:
        pass
    return removed


def _nearest_existing(path: Path) -> Path:
    for parent in [path, *path.parents]:
        if os.path.lexists(parent):
            return parent
    return Path(".")


class InputFiles:
    """The identities (device, inode) of a run's input files, to refuse writing over them."""

    def __init__(self, inputs: Iterable[str | os.PathLike] = ()) -> None:
        self._ids: dict[tuple[int, int], str] = {}
        for item in inputs:
            try:
                st = os.fstat(sys.stdin.fileno()) if os.fspath(item) == "-" else os.stat(item)
            except (OSError, AttributeError, ValueError):
                continue
            if stat.S_ISREG(st.st_mode):
                self._ids.setdefault((st.st_dev, st.st_ino), os.fspath(item))

    def which(self, path: str | os.PathLike) -> str | None:
        """The input that ``path`` is (the same file, through links), or None."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        return self._ids.get((st.st_dev, st.st_ino))


def check_target(path: str | os.PathLike, inputs: InputFiles | None = None,
                 what: str = "output") -> None:
    """Check, before the work, that ``path`` can be written and is no input.

    Raises :class:`OutputError` with one line saying what is wrong.
    """
    source = inputs.which(path) if inputs is not None else None
    if source is not None:
        same = "" if os.fspath(source) == os.fspath(path) else f" ({source})"
        raise OutputError(f"{path}: {what} is also an input{same}; refusing to overwrite it, "
                          "choose another file")
    target = resolve_target(path)
    if _special(target):
        if not os.access(target, os.W_OK):
            raise OutputError(f"{path}: cannot write {what} (permission denied)")
        return
    if target.is_dir():
        raise OutputError(f"{path}: {what} is a directory")
    parent = target.parent
    existing = _nearest_existing(parent)
    if not existing.is_dir():
        raise OutputError(f"{path}: cannot write {what} ({existing} is not a directory)")
    if existing != parent:
        if not os.access(existing, os.W_OK | os.X_OK):
            raise OutputError(f"{path}: cannot create {what}'s folder ({existing} is not writable)")
        return
    try:  # a real probe: catches read-only file systems and ACLs that access() misses
        fd, probe = tempfile.mkstemp(prefix=_tmp_prefix(target), dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write {what} ({os_reason(exc)})") from None


def check_folder(path: str | os.PathLike, what: str = "output folder") -> None:
    """Check, before the work, that files can be created in folder ``path`` (made if missing)."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{path}: {what} is not a folder")
    check_target(folder / "probe", what=what)


def _tmp_prefix(target: Path) -> str:
    # Keep the whole name under NAME_MAX (255) even for a very long target name.
    return f".{target.name[:120]}{TMP_MARK}{os.getpid()}-"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``'s file; put it in place on success.

    A regular file (or a link's target) is replaced by a rename, so a crash
    or an exception leaves an existing file untouched and removes the
    temporary. A device or FIFO is written through instead: the
    temporary's bytes are copied into it.
    """
    target = resolve_target(path)
    special = _special(target)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory", os.fspath(path))
    directory = Path(tempfile.gettempdir()) if special else target.parent
    directory.mkdir(parents=True, exist_ok=True)
    sweep_stale_temporaries(directory)
    fd, tmp_name = tempfile.mkstemp(prefix=_tmp_prefix(target),
                                    suffix=suffix if suffix is not None else target.suffix, dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if special:
            with open(tmp, "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            return
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)  # keep an existing file's permissions
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # mkstemp creates 0600 files; a new file gets the usual mode
        os.chmod(tmp, mode)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _write(path: str | os.PathLike, data: bytes) -> None:
    target = resolve_target(path)
    try:
        if _special(target):  # no temporary: a pipe or device streams what it is given
            with open(target, "wb") as f:
                f.write(data)
            return
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        if exc.filename is None or TMP_MARK in os.fspath(exc.filename):
            # Name the file the user asked for, not our temporary.
            raise type(exc)(exc.errno, exc.strerror or str(exc), os.fspath(path)) from None
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` safely (see the module's rules)."""
    _write(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` safely (see the module's rules)."""
    _write(path, data)
