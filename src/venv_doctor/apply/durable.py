"""Making changes durable and undoing journalled steps: shared by rollback and recovery."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from venv_doctor.apply.journal import JournalWriter, now_iso
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


def make_durable(root: Path, files: Sequence[str], folders: set[str]) -> None:
    """Flush what the transaction wrote before its commit is journalled.

    Files are not fsynced one by one as they are written: until the commit,
    a crash rolls them back whatever their content, so only the commit needs
    them on disk.  One ``syncfs`` of the venv's file system does that on
    Linux; elsewhere each file and folder is fsynced.
    """
    if not files and not folders:
        return
    if sys.platform.startswith("linux") and _syncfs(root):
        return
    for path in files:  # pragma: no cover - other platforms
        with contextlib.suppress(FileNotFoundError):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    from venv_doctor.apply.journal import fsync_dir

    for folder in folders:  # pragma: no cover
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
