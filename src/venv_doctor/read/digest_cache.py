"""The digest cache: what a file held when it was hashed, kept outside the venv.

As git's index does for a work tree, each digest is kept with what ``lstat``
said of its file: device, inode, size, mtime and ctime (nanoseconds).  A
later check takes the digest over only when all five are the same, and when
the file's ctime is older than the moment the digest was computed by more
than ``RACY_NS`` (git's "racy" rule, Documentation/technical/racy-git.txt):
a change made in the same tick of the file system's clock as the hashing
could otherwise keep every field.  Any write, rename or ``utime`` moves the
ctime, which no program can set back.

One file a venv, in ``<cache dir>/digests-v1/``, named by a hash of the
venv's resolved path (which the file holds too).  It is replaced as a whole
(a new file renamed over it), so two checks that meet each see a complete
file; the last one to finish wins.  A cache file that is not a regular file
of this user, that is damaged or truncated, written by another version or
for another venv is ignored, and written anew after the check.  Entries are
only ever kept for the files a check has just seen, and at most
``MAX_VENVS`` venvs are kept: the oldest go first.

This is the one thing a check writes, and never inside the venv.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import os
import stat
import struct
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from venv_doctor import __version__

CACHE_DIR_ENV = "VENV_DOCTOR_CACHE_DIR"
FOLDER = "digests-v1"
_MAGIC = b"venv-doctor digests\n"
_FORMAT = 1
# header: format, entries, length of the version, of the venv path, of the digest text
_HEADER = struct.Struct("<IIIII")
# Then each entry's key (device, inode, size, mtime_ns, ctime_ns), then when each
# digest was computed (int64 ns), then the digests, then their hash algorithms
# (text, a line each): blocks that load into a dict without a Python-level step
# per entry.
_KEY = struct.Struct("<QQQqq")
_AT = 8
_ENTRY_SIZE = _KEY.size + _AT
_CHECKSUM = 32  # sha256 of everything after it

# A file's ctime must be older than its digest by this much.  ext4, XFS,
# btrfs and tmpfs keep nanoseconds, but the kernel stamps files from a clock
# that moves a tick (1 to 10 ms) at a time; ext3 and HFS+ keep seconds, FAT
# two seconds.  Two seconds covers them all, and an NFS server whose clock is
# a little behind.
RACY_NS = 2_000_000_000
MAX_VENVS = 64
MAX_ENTRIES = 2_000_000
_MAX_BYTES = MAX_ENTRIES * (_ENTRY_SIZE + 128)

# (device, inode, size, mtime_ns, ctime_ns)
Key = tuple[int, int, int, int, int]
# (digest, urlsafe base64 as in RECORD; when it was computed, time.time_ns(); algorithm)
Value = tuple[str, int, str]


def cache_dir(environ: Mapping[str, str]) -> Path:
    """``VENV_DOCTOR_CACHE_DIR``, else the platform's user cache folder for venv-doctor."""
    configured = environ.get(CACHE_DIR_ENV, "").strip()
    if configured:
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("venv-doctor", appauthor=False))


def reusable(ctime_ns: int, computed_at: int) -> bool:
    """Whether a digest computed at ``computed_at`` can vouch for a file of this ctime."""
    return ctime_ns < computed_at - RACY_NS


class DigestCache:
    """The digests one venv's cache file holds, and those to write back."""

    def __init__(self, path: Path, venv: str, entries: dict[Key, Value]) -> None:
        self.path, self.venv = path, venv
        self.entries = entries
        self._new: dict[Key, Value] | None = None

    @classmethod
    def open(cls, environ: Mapping[str, str], venv_root: str, *, read: bool = True) -> DigestCache:
        """The cache of the venv at ``venv_root``; empty when there is none to trust.

        ``read=False`` starts empty (what it held is known otherwise: fix's
        check after takes its digests from the check before).
        """
        venv = os.path.realpath(venv_root)
        name = hashlib.sha256(os.fsencode(venv)).hexdigest()[:32] + ".bin"
        path = cache_dir(environ) / FOLDER / name
        return cls(path, venv, _load(path, venv) if read else {})

    def keep(self, entries: Iterable[tuple[Key, Value]]) -> None:
        """What the file should hold after this check: only what can be taken over later."""
        self._new = {key: value for key, value in entries if reusable(key[4], value[1])}

    def patch(self, gone: Iterable[Key], added: Iterable[tuple[Key, Value]]) -> None:
        """What the file should hold after a change: what it holds (``entries``, all
        reusable), without ``gone``, with those of ``added`` that can be taken over later."""
        new = dict(self.entries)
        for key in gone:
            new.pop(key, None)
        new.update((key, value) for key, value in added if reusable(key[4], value[1]))
        self._new = new

    def save(self) -> bool:
        """Write what ``keep`` was given, unless the file holds it already; never raises.

        Returns whether the file was written.
        """
        new = self._new
        if new is None or new == self.entries or len(new) > MAX_ENTRIES:
            return False
        try:
            _save(self.path, self.venv, new)
        except (OSError, ValueError):
            return False  # a read-only or full disk: the next check hashes again
        self.entries = new
        return True


def _owned(st: os.stat_result) -> bool:
    getuid = getattr(os, "geteuid", None)
    return getuid is None or st.st_uid == getuid()


def _load(path: Path, venv: str) -> dict[Key, Value]:
    try:
        data = _read(path)
        return _parse(data, venv) if data is not None else {}
    except (OSError, ValueError, struct.error, UnicodeDecodeError):
        return {}


def _read(path: Path) -> bytes | None:
    """The file's bytes: a regular file of this user, not through a link, not too big."""
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    if not nofollow and os.path.islink(path):  # pragma: no cover - Windows
        return None
    try:
        fd = os.open(path, os.O_RDONLY | nofollow | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None  # none yet, or a link (ELOOP)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not _owned(st) or st.st_size > _MAX_BYTES:
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _need(condition: bool, why: str) -> None:
    if not condition:
        raise ValueError(why)


def _parse(data: bytes, venv: str) -> dict[Key, Value]:
    """The entries of a cache file; ``ValueError`` for one not to trust."""
    start = len(_MAGIC) + _CHECKSUM
    _need(data.startswith(_MAGIC) and len(data) >= start + _HEADER.size, "not a cache file")
    checksum = hashlib.sha256(data[start:]).digest()
    _need(checksum == data[len(_MAGIC) : start], "truncated or damaged")
    fmt, count, v_len, p_len, t_len = _HEADER.unpack_from(data, start)
    at = start + _HEADER.size
    _need(fmt == _FORMAT, "another format")
    _need(len(data) == at + v_len + p_len + t_len + count * _ENTRY_SIZE, "wrong length")
    # Another version may hash or stat differently.
    _need(data[at : at + v_len] == __version__.encode(), "another version")
    at += v_len
    _need(data[at : at + p_len] == os.fsencode(venv), "another venv")  # a copied file
    at += p_len
    lines = data[at : at + t_len].decode("ascii").split("\n") if count else []
    _need(len(lines) == 2 * count, "wrong number of digests")
    at += t_len
    keys = _KEY.iter_unpack(data[at : at + count * _KEY.size])
    at += count * _KEY.size
    computed = array.array("q", data[at:])
    if sys.byteorder != "little":  # pragma: no cover - written little-endian
        computed.byteswap()
    values = zip(lines[:count], computed, lines[count:], strict=True)
    return dict(zip(keys, values, strict=True))


def _dump(venv: str, entries: Mapping[Key, Value]) -> bytes:
    values = entries.values()
    lines = [*(value[0] for value in values), *(value[2] for value in values)]
    text = "\n".join(lines).encode("ascii")
    version, path = __version__.encode(), os.fsencode(venv)
    computed = array.array("q", (value[1] for value in entries.values()))
    if sys.byteorder != "little":  # pragma: no cover
        computed.byteswap()
    pack = _KEY.pack
    body = b"".join(
        [
            _HEADER.pack(_FORMAT, len(entries), len(version), len(path), len(text)),
            version,
            path,
            text,
            *(pack(*key) for key in entries),
            computed.tobytes(),
        ]
    )
    return _MAGIC + hashlib.sha256(body).digest() + body


def _save(path: Path, venv: str, entries: Mapping[Key, Value]) -> None:
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.lstat(folder)
    if not stat.S_ISDIR(st.st_mode) or not _owned(st):
        return  # a link, or another user's folder: written nowhere
    data = _dump(venv, entries)
    temp = folder / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(temp, flags | getattr(os, "O_BINARY", 0), 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        # Atomic: a check that reads meanwhile sees the old file or the new one.
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _prune(folder, path.name)


def _prune(folder: Path, mine: str) -> None:
    """Keep the newest ``MAX_VENVS`` cache files; drop temporary files of killed runs."""
    try:
        with os.scandir(folder) as scanner:
            found = []
            for entry in scanner:
                st = entry.stat(follow_symlinks=False)
                if entry.name.endswith(".tmp") and st.st_mtime < time.time() - 3600:
                    os.unlink(entry.path)
                elif entry.name.endswith(".bin") and entry.name != mine:
                    found.append((st.st_mtime_ns, entry.path))
    except OSError:
        return
    found.sort()
    for _, stale in found[: max(0, len(found) - (MAX_VENVS - 1))]:
        with contextlib.suppress(OSError):
            os.unlink(stale)
