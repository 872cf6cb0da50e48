"""A case-insensitive, case-preserving view of a folder, mounted with FUSE.

It stands in for a ``chattr +F`` folder of a ``casefold`` ext4 where the
kernel has no Unicode tables (``CONFIG_UNICODE``): a name is found whatever
its case, a new name keeps the case it was given, and a name that differs
from an existing one only in case *is* that one (creating it opens the
existing file, ``mkdir`` fails with ``EEXIST``, renaming onto it replaces it,
renaming a file to its own name in another case changes the case).  Names
compare as ext4's casefold does them: Unicode case folding after NFD.

Run as ``python -m tests.support.foldfs BACKING MOUNTPOINT``; it stays in the
foreground until ``fusermount3 -u MOUNTPOINT``.
"""

# FUSE calls each operation with its fixed arguments, used or not.
# ruff: noqa: ARG002

from __future__ import annotations

import errno
import os
import sys
import unicodedata
from typing import Any

import mfusepy  # type: ignore[import-untyped]


def fold(name: str) -> str:
    """The key under which a case-insensitive folder finds ``name``."""
    return unicodedata.normalize("NFD", name).casefold()


class FoldFS(mfusepy.Operations):  # type: ignore[misc]
    """Every call on the mount, passed through to ``backing`` with names looked up case-folded."""

    use_ns = True

    def __init__(self, backing: str) -> None:
        self.backing = os.path.realpath(backing)

    # -- names -------------------------------------------------------------

    def _find(self, folder: str, name: str) -> str:
        """The name in ``folder`` that ``name`` stands for: the existing spelling, else itself."""
        if os.path.lexists(os.path.join(folder, name)):
            return name
        key = fold(name)
        try:
            found = [n for n in os.listdir(folder) if fold(n) == key]
        except OSError:
            return name
        return found[0] if found else name

    def _real(self, path: str) -> str:
        real = self.backing
        for part in path.strip("/").split("/"):
            if part:
                real = os.path.join(real, self._find(real, part))
        return real

    @staticmethod
    def _error(exc: OSError) -> mfusepy.FuseOSError:
        return mfusepy.FuseOSError(exc.errno or errno.EIO)

    def _call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OSError as exc:
            raise self._error(exc) from exc

    # -- metadata ----------------------------------------------------------

    def getattr(self, path: str, fh: int | None = None) -> dict[str, int]:
        st = self._call(os.fstat, fh) if fh is not None else self._call(os.lstat, self._real(path))
        keys = (
            "st_mode",
            "st_nlink",
            "st_uid",
            "st_gid",
            "st_size",
            "st_ino",
            "st_dev",
            "st_blocks",
        )
        attrs = {key: getattr(st, key) for key in keys}
        for key in ("st_atime", "st_mtime", "st_ctime"):
            attrs[key] = getattr(st, key + "_ns")
        return attrs

    def access(self, path: str, amode: int) -> int:
        if not os.access(self._real(path), amode, follow_symlinks=False):
            raise mfusepy.FuseOSError(errno.EACCES)
        return 0

    def chmod(self, path: str, mode: int) -> int:
        self._call(os.chmod, self._real(path), mode, follow_symlinks=False)
        return 0

    def chown(self, path: str, uid: int, gid: int) -> int:
        self._call(os.chown, self._real(path), uid, gid, follow_symlinks=False)
        return 0

    def utimens(self, path: str, times: tuple[int, int] | None = None) -> int:
        self._call(os.utime, self._real(path), ns=times, follow_symlinks=False)
        return 0

    def readlink(self, path: str) -> str:
        return str(self._call(os.readlink, self._real(path)))

    def statfs(self, path: str) -> dict[str, int]:
        sv = self._call(os.statvfs, self._real(path))
        keys = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files")
        return {key: getattr(sv, key) for key in (*keys, "f_flag", "f_frsize", "f_namemax")}

    # -- folders -----------------------------------------------------------

    def readdir(self, path: str, fh: int) -> list[tuple[str, dict[str, int], int]]:
        # Each entry with its inode: with use_ino an entry of inode 0 is hidden.
        real = self._real(path)
        entries = [(".", os.lstat(real)), ("..", os.lstat(os.path.dirname(real)))]
        with os.scandir(real) as scanner:
            entries += [(item.name, item.stat(follow_symlinks=False)) for item in scanner]
        return [(name, {"st_mode": st.st_mode, "st_ino": st.st_ino}, 0) for name, st in entries]

    def mkdir(self, path: str, mode: int) -> int:
        self._call(os.mkdir, self._real(path), mode)
        return 0

    def rmdir(self, path: str) -> int:
        self._call(os.rmdir, self._real(path))
        return 0

    # -- names made and removed --------------------------------------------

    def unlink(self, path: str) -> int:
        self._call(os.unlink, self._real(path))
        return 0

    def symlink(self, target: str, source: str) -> int:
        self._call(os.symlink, source, self._real(target))
        return 0

    def link(self, target: str, source: str) -> int:
        self._call(os.link, self._real(source), self._real(target), follow_symlinks=False)
        return 0

    def rename(self, old: str, new: str) -> int:
        real_old, real_new = self._real(old), self._real(new)
        if real_old == real_new:
            # The same name in another case: the name takes the new case.
            real_new = os.path.join(os.path.dirname(real_new), os.path.basename(new))
        self._call(os.rename, real_old, real_new)
        return 0

    def mknod(self, path: str, mode: int, dev: int) -> int:
        self._call(os.mknod, self._real(path), mode, dev)
        return 0

    # -- files -------------------------------------------------------------

    def create(self, path: str, mode: int, fi: Any = None) -> int:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        if fi is not None and not isinstance(fi, int):
            flags = fi.flags | os.O_CREAT
        return int(self._call(os.open, self._real(path), flags, mode))

    def open(self, path: str, flags: int) -> int:
        return int(self._call(os.open, self._real(path), flags))

    def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
        return bytes(self._call(os.pread, fh, size, offset))

    def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
        return int(self._call(os.pwrite, fh, data, offset))

    def truncate(self, path: str, length: int, fh: int | None = None) -> int:
        if fh is not None:
            self._call(os.ftruncate, fh, length)
        else:
            self._call(os.truncate, self._real(path), length)
        return 0

    def flush(self, path: str, fh: int) -> int:
        return 0

    def fsync(self, path: str, datasync: int, fh: int) -> int:
        self._call(os.fdatasync if datasync else os.fsync, fh)
        return 0

    def release(self, path: str, fh: int) -> int:
        self._call(os.close, fh)
        return 0


def main(argv: list[str]) -> None:
    backing, mountpoint = argv
    mfusepy.FUSE(
        FoldFS(backing),
        mountpoint,
        foreground=True,
        nothreads=True,
        use_ino=True,
        # No kernel caching of names or attributes: "Foo" and "foo" are two
        # entries to the kernel, and what is done through one must show at once
        # through the other.
        entry_timeout=0,
        attr_timeout=0,
        negative_timeout=0,
        fsname="foldfs",
    )


if __name__ == "__main__":
    main(sys.argv[1:])
