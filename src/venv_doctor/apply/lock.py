"""Take a venv's ``.lock`` file exactly the way uv does, so uv and venv-doctor exclude each other.

uv (0.13) guards every change to a virtual environment with an exclusive lock
on ``<venv>/.lock``: on POSIX a BSD ``flock(LOCK_EX)`` on the whole file, on
Windows ``LockFileEx`` over the whole file.  A lock of another kind (a POSIX
``fcntl``/``lockf`` record lock) would not conflict with uv's on Linux, so
only ``flock`` will do here.  The file is created the way uv creates it: mode
0o666 whatever the umask, put in place without ever replacing a lock file that
appeared meanwhile (two processes must never lock two different files).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from venv_doctor.apply.owner import adopt
from venv_doctor.errors import VenvDoctorError

LOCK_NAME = ".lock"
# uv's own default (UV_LOCK_TIMEOUT): long enough for a big install to finish.
DEFAULT_TIMEOUT = 300.0
# Waits shorter than this are normal contention and not worth a message.
DEFAULT_NOTICE_AFTER = 0.5

_HELD: set[tuple[int, int]] = set()
_HELD_GUARD = threading.Lock()


class LockError(VenvDoctorError):
    """The venv's lock file could not be created, opened or locked."""


class LockTimeoutError(LockError):
    """Another process kept the venv locked for longer than we were willing to wait."""


def waiting_message(root: Path) -> str:
    """What to tell the user while another process holds the venv."""
    return f"waiting for uv or another venv-doctor to finish with {root}"


class VenvLock:
    """An exclusive lock on ``<root>/.lock``, compatible with uv's.

    Use it as a context manager (or ``acquire``/``release``).  While it is
    held no ``uv pip``/``uv sync`` and no other venv-doctor changes the venv.
    A process can hold one venv's lock only once: a second ``acquire`` of the
    same lock file in the same process raises instead of deadlocking (flock
    locks belong to an open file, so the two would block each other).
    """

    def __init__(
        self,
        root: Path,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        on_wait: Callable[[str], None] | None = None,
        notice_after: float = DEFAULT_NOTICE_AFTER,
    ) -> None:
        self.root = Path(os.path.abspath(root))
        self.path = self.root / LOCK_NAME
        self.timeout = timeout
        self.on_wait = on_wait
        self.notice_after = notice_after
        self._fd: int | None = None
        self._key: tuple[int, int] | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> VenvLock:
        """Block until the lock is ours; ``timeout`` (seconds, None: forever) bounds the wait.

        ``on_wait`` is called once with a message when the wait lasts longer
        than ``notice_after`` seconds.
        """
        if self._fd is not None:
            raise LockError(f"{self.path} is already locked by this object", path=self.path)
        fd = _open_lock_file(self.path)
        try:
            info = os.fstat(fd)
            key = (info.st_dev, info.st_ino)
            self._claim(key)
            try:
                self._wait_for(fd)
            except BaseException:
                with _HELD_GUARD:
                    _HELD.discard(key)
                raise
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._key = fd, key
        return self

    def _claim(self, key: tuple[int, int]) -> None:
        with _HELD_GUARD:
            if key in _HELD:
                raise LockError(
                    f"this process already holds the lock on {self.root}", path=self.path
                )
            _HELD.add(key)

    def release(self) -> None:
        """Give the lock back (closing the file releases it too, as at process exit)."""
        fd, key = self._fd, self._key
        if fd is None:
            return
        self._fd = self._key = None
        try:
            _unlock(fd)
        finally:
            os.close(fd)
            with _HELD_GUARD:
                if key is not None:
                    _HELD.discard(key)

    def __enter__(self) -> VenvLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def _wait_for(self, fd: int) -> None:
        # Python's flock cannot time out, so poll the non-blocking form; the
        # back-off keeps an idle wait cheap while reacting fast to a release.
        start = time.monotonic()
        noticed = False
        pause = 0.01
        while not _try_lock(fd, self.path):
            waited = time.monotonic() - start
            if self.timeout is not None and waited >= self.timeout:
                raise LockTimeoutError(
                    f"timed out after {self.timeout:g}s waiting for the lock on {self.root} "
                    f"({self.path})",
                    hint="another uv or venv-doctor is changing this venv; let it finish "
                    "and run the command again",
                    path=self.path,
                )
            if not noticed and waited >= self.notice_after:
                noticed = True
                if self.on_wait is not None:
                    self.on_wait(waiting_message(self.root))
            time.sleep(pause)
            pause = min(pause * 2, 0.2)


def _open_lock_file(path: Path) -> int:
    """Open ``path`` read-write, creating it (mode 0o666) without clobbering a rival's."""
    flags = os.O_RDWR | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _lock_error(path, exc) from exc
    # Create beside it, set the mode past the umask, then link into place:
    # link() fails when the name exists, so a lock file created meanwhile by
    # uv is opened rather than replaced.  uv does the same with renameat2.
    temp = path.with_name(f"{LOCK_NAME}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temp, flags | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with contextlib.suppress(OSError):
                # As uv does: any user who may change the venv must be able to lock it.
                os.chmod(temp, 0o666)  # noqa: S103
            adopt(str(temp))
            try:
                os.link(temp, path)
            except FileExistsError:
                os.close(fd)
                fd = os.open(path, flags)
            except OSError:
                # No hard links (some file systems, Windows): an exclusive create.
                os.close(fd)
                fd = _create_exclusive(path, flags)
        except BaseException:
            os.close(fd)
            raise
    except OSError as exc:
        raise _lock_error(path, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    return fd


def _create_exclusive(path: Path, flags: int) -> int:
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return os.open(path, flags)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o666)  # noqa: S103 - see _open_lock_file
    adopt(str(path))
    return fd


def _lock_error(path: Path, exc: OSError) -> LockError:
    return LockError(
        f"cannot open the lock file {path}: {exc.strerror or exc}",
        hint="check that you may write to the venv folder",
        path=path,
    )


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    # msvcrt.locking locks a byte range with LockFile; uv's LockFileEx covers
    # the whole file, so any overlapping range conflicts with it.
    def _try_lock(fd: int, path: Path) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except PermissionError:
            return False
        except OSError as exc:
            raise _lock_error(path, exc) from exc
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int, path: Path) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as exc:
            raise _lock_error(path, exc) from exc
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
