"""Reading a file of the target venv, safely: regular files only, never blocking.

A FIFO or a device where a file belongs would make a plain ``open`` hang or
read forever; this opens without blocking and refuses anything that is not a
regular file.
"""

from __future__ import annotations

import errno
import os
import stat

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def read_regular(path: str, limit: int | None = None, *, follow: bool = True) -> bytes:
    """The bytes of the regular file at ``path`` (at most ``limit`` of them).

    Raises ``OSError`` for anything else, with "not a regular file" as reason;
    without ``follow``, also for a symbolic link (where the OS can tell).
    """
    fd = os.open(path, _FLAGS if follow else _FLAGS | _NOFOLLOW)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        want = st.st_size if limit is None else min(limit, st.st_size)
        chunks = []
        while want > 0:
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            want -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def same_bytes(path: str, other: str, *, block: int = 1 << 20) -> bool:
    """Whether the regular files ``path`` and ``other`` hold the same bytes.

    Neither is followed if it is a link; anything but two regular files of
    one size, or a file that cannot be read, is ``False``.
    """
    fds: list[int] = []
    try:
        fds.append(os.open(path, _FLAGS | _NOFOLLOW))
        fds.append(os.open(other, _FLAGS | _NOFOLLOW))
        sizes = set()
        for fd in fds:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return False
            sizes.add(st.st_size)
        if len(sizes) > 1:
            return False
        while True:
            mine = os.read(fds[0], block)
            if mine != os.read(fds[1], block):
                return False
            if not mine:
                return True
    except OSError:
        return False
    finally:
        for fd in fds:
            os.close(fd)
