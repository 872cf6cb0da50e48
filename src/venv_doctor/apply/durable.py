"""Making changes durable and undoing journalled steps: shared by rollback and recovery."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from venv_doctor.apply.journal import JournalWriter, now_iso
from venv_doctor.apply.owner import owned_as_adopted
from venv_doctor.apply.steps import (
    ContentMismatchError,
    Expected,
    Step,
    StepHook,
)
from venv_doctor.apply.trash import undo_step as _undo_step
from venv_doctor.read.journal import (
    STEP_KINDS,
    Record,
    RolledBack,
    Undone,
)

_CHUNK = 1 << 20
_SYNCFS_FROM = 64  # paths to flush: more, and one syncfs does it


UNFINISHED = {"unfinished", "empty"}


def roll_back_records(
    root: Path,
    txn: str,
    records: Sequence[Record],
    writer: JournalWriter,
    on_step: StepHook | None = None,
) -> tuple[str, ...]:
    """Undo the steps of ``records`` not yet undone, newest first, then journal the rollback.

    Each undone step is journalled before the next is undone, so this can be
    cut short at any moment and run again on the journal it leaves.
    """
    undone = {record.seq for record in records if isinstance(record, Undone)}
    notes: list[str] = []
    steps = [record for record in records if isinstance(record, STEP_KINDS)]
    for record in reversed(steps):
        if record.seq in undone:
            continue
        if on_step is not None:
            on_step(Step(txn=txn, seq=record.seq, op=f"undo-{record.OP}", path=record.path))
        note = _undo_step(root, record)
        if note is not None:
            notes.append(note)
        writer.append(Undone(seq=record.seq))
    writer.append(RolledBack(time=now_iso()))
    return tuple(notes)


def write_file(
    temp: str, source: BinaryIO, mode: int, hash_name: str, expected: Expected | None
) -> tuple[int, bytes]:
    """Write ``source`` to the new file ``temp`` (never an existing one); size and digest."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    hasher = hashlib.new(hash_name)
    size = 0
    fd = os.open(temp, flags, 0o600)
    try:
        while chunk := source.read(_CHUNK):
            hasher.update(chunk)
            size += len(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
    finally:
        os.close(fd)
    if not hasattr(os, "fchmod"):  # pragma: no cover - Windows
        os.chmod(temp, mode)
    digest = hasher.digest()
    if expected is not None and (digest != expected.digest or expected.size not in {None, size}):
        os.unlink(temp)
        raise ContentMismatchError(f"its content does not match {expected.source}")
    return size, digest


def link_or_write(
    temp: str,
    link_from: str | None,
    source: BinaryIO,
    mode: int,
    hash_name: str,
    expected: Expected | None,
    link_expected: Expected | None,
) -> tuple[int, bytes]:
    """``write_file``, or a hard link to ``link_from`` where that file holds ``link_expected``.

    The file at ``link_from`` (in uv's cache) is hashed first and linked only
    when its size and digest are what ``link_expected`` says, it is a regular
    file, its owner is the one the new file would get, and the link made is
    that same file, unchanged since it was hashed.  Anything else writes
    ``source`` as ``write_file`` does.
    """
    if link_from is not None and link_expected is not None:
        linked = _link_verified(temp, link_from, hash_name, link_expected)
        if linked is not None:
            return linked
    return write_file(temp, source, mode, hash_name, expected)


def _link_verified(
    temp: str, link_from: str, hash_name: str, expected: Expected
) -> tuple[int, bytes] | None:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(link_from, flags)
    except OSError:
        return None
    try:
        hashed = _hash_if_usable(fd, temp, hash_name, expected)
        if hashed is None:
            return None
        before, digest = hashed
        try:
            os.link(link_from, temp, follow_symlinks=False)
        except OSError:  # another file system, a refused link (protected_hardlinks)
            return None
        # The link itself moves the file's ctime: dev, ino, size and mtime say
        # it is the file hashed, unchanged.
        if _identity(os.lstat(temp)) != _identity(before):
            os.unlink(temp)
            return None
        return before.st_size, digest
    finally:
        os.close(fd)


def _hash_if_usable(
    fd: int, temp: str, hash_name: str, expected: Expected
) -> tuple[os.stat_result, bytes] | None:
    """The open file's ``stat`` and digest, if a link to it may become ``temp`` as ``expected``."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or expected.size not in {None, info.st_size}:
        return None
    if not owned_as_adopted(temp, info):
        return None
    hasher = hashlib.new(hash_name)
    while chunk := os.read(fd, _CHUNK):
        hasher.update(chunk)
    digest = hasher.digest()
    return (info, digest) if digest == expected.digest else None


def _identity(info: os.stat_result) -> tuple[int, int, int, int]:
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def make_durable(root: Path, files: Sequence[str], folders: set[str]) -> None:
    """Flush what the transaction wrote before its commit is journalled.

    Files are not fsynced one by one as they are written: until the commit,
    a crash rolls them back whatever their content, so only the commit needs
    them on disk.  Each file and folder is fsynced then; on Linux, where that
    is many, one ``syncfs`` of the venv's file system does it instead (which
    also flushes whatever else waits to be written there, a venv another tool
    just made: for a few paths that costs more than it saves).
    """
    if not files and not folders:
        return
    if (
        sys.platform.startswith("linux")
        and len(files) + len(folders) > _SYNCFS_FROM
        and _syncfs(root)
    ):
        return
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for path in files:
        try:
            fd = os.open(path, flags)
        except FileNotFoundError:
            continue
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                continue  # a symbolic link: the fsync of its folder keeps it
            raise
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    from venv_doctor.apply.journal import fsync_dir

    for folder in folders:
        with contextlib.suppress(FileNotFoundError):
            fsync_dir(Path(folder))


def _syncfs(root: Path) -> bool:
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        syncfs = libc.syncfs
    except (OSError, AttributeError):
        return False
    fd = os.open(root, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(root))
    finally:
        os.close(fd)
    return True
