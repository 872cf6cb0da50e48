"""A file system with Windows' rules for files in use, for the tests: FUSE over a folder.

On Windows a program that runs ``ruff.exe`` or has loaded a ``.pyd`` holds the
file: it cannot be deleted, opened for writing or truncated, but it can be
renamed on the same volume (the holder keeps its handle), and a folder that
holds such a file anywhere below it can be neither renamed nor removed.  Linux
allows all of that, and ``chattr +i`` refuses the rename too, so neither shows
what ``fix`` meets on Windows.  This module mounts a passthrough of a backing
folder (``mfusepy`` over libfuse 3) that refuses what Windows refuses:

- *in use* means: some process holds a handle on the file (its inode) that it
  opened for reading.  That is how a running program and a loaded library
  hold their file: the kernel opens an executable for ``execve`` and keeps it
  open while the program runs, and ``dlopen`` maps a ``.so`` and closes its
  descriptor, but the mapping keeps the open file alive, so FUSE hears its
  ``release`` only when the process unmaps it or ends (seen on Linux 6.x).
  Handles opened for writing (an installer's own temporary file, uv's
  ``.lock``) do not count: Windows programs open those with sharing allowed.
- a file in use cannot be unlinked, opened for writing, truncated, nor
  replaced by a rename onto it (``EACCES``, as Windows' ``ERROR_ACCESS_DENIED``
  reaches Rust and Python); renaming it elsewhere works.
- a folder that holds a file in use below it cannot be renamed (``EACCES``);
  removing it fails anyway, as it is not empty.
- there are no hard links (``EPERM``): installers and venv-doctor fall back
  to copies and exclusive creates, as on file systems without them.

FUSE tells the server about a ``close`` asynchronously, so a refused request
first waits briefly for releases on their way.  The mount lives in a child
process (``python -m tests.support.winfs BACKING MOUNT``); ``mounted`` starts
and stops it.  It needs ``/dev/fuse``, libfuse 3 (Debian: ``fuse3``) and
``mfusepy``; ``unavailable`` says why it cannot run here.
"""

# ruff: noqa: ARG002 - mfusepy calls each operation with its full, fixed signature

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# How long a refused request waits for releases FUSE has not delivered yet.
_SETTLE = 0.3
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR


def unavailable() -> str | None:
    """Why the Windows file system cannot be mounted here, or None when it can."""
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse is missing (a container without FUSE)"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        return "/dev/fuse is not usable by this user"
    if shutil.which("fusermount3") is None:
        return "fusermount3 is missing (Debian: apt-get install fuse3)"
    try:
        import mfusepy  # noqa: F401
    except (ImportError, OSError) as exc:
        return f"mfusepy cannot load libfuse: {exc} (pip install mfusepy; apt-get install fuse3)"
    return None


def _make_operations(backing: str) -> Any:
    import mfusepy

    class WindowsRules(mfusepy.Operations):  # type: ignore[misc]
        use_ns = True

        def __init__(self) -> None:
            self.root = backing
            self.cond = threading.Condition()
            self.readers: dict[int, int] = {}  # inode -> handles opened for reading
            self.handles: dict[int, tuple[int, bool]] = {}  # fd -> (inode, reading)

        def _full(self, path: str) -> str:
            return os.path.join(self.root, path.lstrip("/"))

        # -- what counts as in use -----------------------------------------------------

        def _held(self, inodes: set[int]) -> bool:
            """Whether any of ``inodes`` is in use, after waiting for releases on their way."""
            deadline = time.monotonic() + _SETTLE
            with self.cond:
                while any(self.readers.get(inode) for inode in inodes):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return True
                    self.cond.wait(left)
            return False

        def _refuse_if_held(self, full: str, *, below: bool = False) -> None:
            try:
                info = os.lstat(full)
            except FileNotFoundError:
                return
            inodes = {info.st_ino}
            if below and os.path.isdir(full) and not os.path.islink(full):
                for folder, dirs, files in os.walk(full):
                    for name in dirs + files:
                        with contextlib.suppress(OSError):
                            inodes.add(os.lstat(os.path.join(folder, name)).st_ino)
            with self.cond:
                if not any(self.readers.get(inode) for inode in inodes):
                    return
            if self._held(inodes):
                raise mfusepy.FuseOSError(errno.EACCES)

        def _track(self, fd: int, *, reading: bool) -> int:
            inode = os.fstat(fd).st_ino
            with self.cond:
                self.handles[fd] = (inode, reading)
                if reading:
                    self.readers[inode] = self.readers.get(inode, 0) + 1
            return fd

        # -- files -----------------------------------------------------------------------

        def open(self, path: str, flags: int) -> int:
            full = self._full(path)
            writing = bool(flags & (_WRITE_FLAGS | os.O_TRUNC))
            if writing:
                self._refuse_if_held(full)
            fd = os.open(full, flags & ~os.O_CREAT)
            return self._track(fd, reading=not flags & _WRITE_FLAGS)

        def create(self, path: str, mode: int, fi: Any = None) -> int:
            full = self._full(path)
            self._refuse_if_held(full)
            fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            return self._track(fd, reading=False)

        def release(self, path: str, fh: int) -> int:
            with self.cond:
                inode, reading = self.handles.pop(fh, (0, False))
                if reading:
                    count = self.readers.get(inode, 0) - 1
                    if count > 0:
                        self.readers[inode] = count
                    else:
                        self.readers.pop(inode, None)
                    self.cond.notify_all()
            os.close(fh)
            return 0

        def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
            return os.pread(fh, size, offset)

        def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
            return os.pwrite(fh, data, offset)

        def truncate(self, path: str, length: int, fh: int | None = None) -> int:
            full = self._full(path)
            self._refuse_if_held(full)
            os.truncate(full, length)
            return 0

        def flush(self, path: str, fh: int) -> int:
            return 0

        def fsync(self, path: str, datasync: int, fh: int) -> int:
            os.fsync(fh)
            return 0

        def fsyncdir(self, path: str, datasync: int, fh: int) -> int:
            return 0

        def unlink(self, path: str) -> int:
            full = self._full(path)
            self._refuse_if_held(full)
            os.unlink(full)
            return 0

        def rename(self, old: str, new: str) -> int:
            source, target = self._full(old), self._full(new)
            # The file itself may move; a folder holding a file in use may not,
            # and nothing may replace a file in use.
            if os.path.isdir(source) and not os.path.islink(source):
                self._refuse_if_held(source, below=True)
            self._refuse_if_held(target)
            os.rename(source, target)
            return 0

        # -- everything else passes through ---------------------------------------------

        def getattr(self, path: str, fh: int | None = None) -> dict[str, Any]:
            info = os.fstat(fh) if fh is not None else os.lstat(self._full(path))
            keys = ("st_mode", "st_ino", "st_nlink", "st_uid", "st_gid", "st_size")
            attrs: dict[str, Any] = {key: getattr(info, key) for key in keys}
            for key in ("st_atime_ns", "st_mtime_ns", "st_ctime_ns"):
                attrs[key.removesuffix("_ns")] = getattr(info, key)
            return attrs

        def access(self, path: str, amode: int) -> int:
            if not os.access(self._full(path), amode, follow_symlinks=False):
                raise mfusepy.FuseOSError(errno.EACCES)
            return 0

        def readdir(self, path: str, fh: int) -> list[Any]:
            # With each entry's type: programs trust d_type (uv's removal of a
            # wheel's data folder skips an entry of unknown type).
            entries: list[Any] = [".", ".."]
            with os.scandir(self._full(path)) as found:
                for entry in found:
                    info = entry.stat(follow_symlinks=False)
                    entries.append(
                        (entry.name, {"st_mode": info.st_mode, "st_ino": info.st_ino}, 0)
                    )
            return entries

        def readlink(self, path: str) -> str:
            return os.readlink(self._full(path))

        def mkdir(self, path: str, mode: int) -> int:
            os.mkdir(self._full(path), mode)
            return 0

        def rmdir(self, path: str) -> int:
            os.rmdir(self._full(path))
            return 0

        def symlink(self, target: str, source: str) -> int:
            os.symlink(source, self._full(target))
            return 0

        def link(self, target: str, source: str) -> int:
            # libfuse's high-level API knows a file by its path: a file opened
            # under one name, linked under another and then unlinked under the
            # first could no longer be stat'ed through its descriptor (ESTALE).
            # No hard links, then, as on a file system without them.
            raise mfusepy.FuseOSError(errno.EPERM)

        def mknod(self, path: str, mode: int, dev: int) -> int:
            os.mknod(self._full(path), mode, dev)
            return 0

        def chmod(self, path: str, mode: int) -> int:
            os.chmod(self._full(path), mode, follow_symlinks=False)
            return 0

        def chown(self, path: str, uid: int, gid: int) -> int:
            os.chown(self._full(path), uid, gid, follow_symlinks=False)
            return 0

        def utimens(self, path: str, times: tuple[int, int] | None = None) -> int:
            full = self._full(path)
            if times is None:
                os.utime(full, follow_symlinks=False)
            else:
                os.utime(full, ns=times, follow_symlinks=False)
            return 0

        def statfs(self, path: str) -> dict[str, int]:
            info = os.statvfs(self._full(path))
            keys = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree")
            return {key: getattr(info, key) for key in (*keys, "f_files", "f_frsize", "f_namemax")}

    return WindowsRules()


def serve(backing: str, mount: str) -> None:
    """Mount ``backing`` at ``mount`` with Windows' rules; returns when it is unmounted."""
    import mfusepy

    class _Fuse(mfusepy.FUSE):  # type: ignore[misc]
        def rename_fuse_3(self, old: bytes, new: bytes, flags: int) -> int:
            # mfusepy drops renameat2's flags; RENAME_NOREPLACE must not replace.
            if flags & 1 and os.path.lexists(os.path.join(backing, new.decode().lstrip("/"))):
                return -errno.EEXIST
            if flags & ~1:
                return -errno.EINVAL
            return super().rename_fuse_3(old, new, 0)  # type: ignore[no-any-return]

    _Fuse(
        _make_operations(backing),
        mount,
        foreground=True,
        hard_remove=True,  # unlink an open file for real, as asked; no .fuse_hidden files
        use_ino=True,
        default_permissions=True,
        fsname="winfs",
    )


@contextlib.contextmanager
def mounted(backing: Path, mount: Path) -> Iterator[Path]:
    """Mount ``backing`` at ``mount`` for the block; unmount after (holders must be gone)."""
    backing.mkdir(parents=True, exist_ok=True)
    mount.mkdir(parents=True, exist_ok=True)
    log = (mount.parent / f"{mount.name}.log").open("wb")
    root = Path(__file__).resolve().parents[2]
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.support.winfs", str(backing), str(mount)],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while not os.path.ismount(mount):
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                text = (mount.parent / f"{mount.name}.log").read_text(errors="replace")
                raise RuntimeError(f"the Windows file system did not mount:\n{text}")
            time.sleep(0.02)
        yield mount
    finally:
        if os.path.ismount(mount):
            done = subprocess.run(["fusermount3", "-u", str(mount)], check=False)
            if done.returncode != 0:
                subprocess.run(["fusermount3", "-u", "-z", str(mount)], check=False)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
