"""When a folder was created (its birth time), as uv reads it for its cache keys.

uv's ``created_time`` (crates/uv-fs/src/lib.rs) asks Linux with
``statx(AT_FDCWD, path, 0, STATX_BASIC_STATS | STATX_BTIME)`` and takes the
birth time only when the kernel sets ``STATX_BTIME`` in the answer's mask;
elsewhere it takes the platform's creation time.  Python's ``os.stat`` has
no birth time on Linux (``st_birthtime`` exists on macOS, the BSDs and, from
3.12, Windows), so on Linux this calls ``statx`` through ctypes: the C
library's wrapper where it has one (glibc 2.28+, musl 1.2.5+), else the raw
system call.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from functools import cache

_AT_FDCWD = -100
_STATX_BASIC_STATS = 0x000007FF
_STATX_BTIME = 0x00000800
# The statx system call's number, where the C library has no wrapper.
_SYS_STATX = {
    "x86_64": 332,
    "aarch64": 291,
    "arm64": 291,
    "riscv64": 291,
    "i386": 383,
    "i686": 383,
    "ppc64le": 383,
    "armv7l": 397,
    "s390x": 379,
}


class _Timestamp(ctypes.Structure):
    _fields_ = (
        ("tv_sec", ctypes.c_int64),
        ("tv_nsec", ctypes.c_uint32),
        ("reserved", ctypes.c_int32),
    )


class _Statx(ctypes.Structure):
    # struct statx of <linux/stat.h>, padded to its 256 bytes.
    _fields_ = (
        ("stx_mask", ctypes.c_uint32),
        ("stx_blksize", ctypes.c_uint32),
        ("stx_attributes", ctypes.c_uint64),
        ("stx_nlink", ctypes.c_uint32),
        ("stx_uid", ctypes.c_uint32),
        ("stx_gid", ctypes.c_uint32),
        ("stx_mode", ctypes.c_uint16),
        ("spare0", ctypes.c_uint16),
        ("stx_ino", ctypes.c_uint64),
        ("stx_size", ctypes.c_uint64),
        ("stx_blocks", ctypes.c_uint64),
        ("stx_attributes_mask", ctypes.c_uint64),
        ("stx_atime", _Timestamp),
        ("stx_btime", _Timestamp),
        ("stx_ctime", _Timestamp),
        ("stx_mtime", _Timestamp),
        ("spare", ctypes.c_uint8 * 128),
    )


class BirthTimeUnknownError(Exception):
    """The birth time cannot be asked for here (no statx to call), though uv could."""


@cache
def _libc() -> ctypes.CDLL:
    # The symbols already loaded into this process, the C library's among them
    # (ctypes.util.find_library would run a compiler or ldconfig to find it).
    return ctypes.CDLL(None, use_errno=True)


def _statx(path: str) -> _Statx | None:
    try:
        libc = _libc()
    except OSError as exc:
        raise BirthTimeUnknownError(f"no C library to call statx with: {exc}") from exc
    answer = _Statx()
    encoded = os.fsencode(path)
    mask = _STATX_BASIC_STATS | _STATX_BTIME
    wrapper = getattr(libc, "statx", None)
    if wrapper is not None:
        wrapper.argtypes = (
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.POINTER(_Statx),
        )
        wrapper.restype = ctypes.c_int
        result = wrapper(_AT_FDCWD, encoded, 0, mask, ctypes.byref(answer))
    else:
        number = _SYS_STATX.get(platform.machine())
        if number is None:
            raise BirthTimeUnknownError(f"no statx system call known for {platform.machine()}")
        libc.syscall.restype = ctypes.c_long
        result = libc.syscall(
            ctypes.c_long(number),
            ctypes.c_int(_AT_FDCWD),
            ctypes.c_char_p(encoded),
            ctypes.c_int(0),
            ctypes.c_uint(mask),
            ctypes.byref(answer),
        )
    # Any failure (no such file, a kernel without statx) is no birth time to uv.
    return answer if result == 0 else None


def _linux_birth_time(path: str) -> int | None:
    answer = _statx(path)
    if answer is None or not answer.stx_mask & _STATX_BTIME:
        return None
    seconds, nanos = answer.stx_btime.tv_sec, answer.stx_btime.tv_nsec
    # uv rejects nanoseconds out of range; a time before 1970 cannot be
    # written to uv_cache.json at all.
    if nanos >= 1_000_000_000 or seconds < 0:
        return None
    return int(seconds) * 1_000_000_000 + int(nanos)


def birth_time_ns(path: str, info: os.stat_result) -> int | None:
    """The creation time of ``path`` (symbolic links followed) in ns, or ``None``.

    ``None`` where uv finds none either: the file system does not record
    one (ext4 with 128-byte inodes, older tmpfs and overlayfs, NFS), ``statx``
    fails, or the time is not a valid one after 1970.  ``info`` is
    ``os.stat(path)``, for the platforms whose ``stat`` has it.  Raises
    ``BirthTimeUnknownError`` when ``statx`` cannot be called from here.
    """
    if sys.platform.startswith("linux"):
        return _linux_birth_time(path)
    exact = getattr(info, "st_birthtime_ns", None)
    if exact is not None:
        return int(exact)
    rough = getattr(info, "st_birthtime", None)
    if rough is not None:
        return int(rough * 1_000_000_000)
    if os.name == "nt":  # before Python 3.12, st_ctime is the creation time on Windows
        return info.st_ctime_ns
    return None
