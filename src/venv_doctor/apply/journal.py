"""Writing the journal: each record fsynced before the step it names (see ``read.journal``)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path

from venv_doctor.apply.owner import adopt
from venv_doctor.read.journal import (
    Begin,
    JournalError,
    JournalFile,
    JSONValue,
    Record,
    journal_dir,
    journal_path,
    txn_number,
)


def encode_record(record: Record) -> bytes:
    """One journal line (with its newline) for ``record``."""
    body: dict[str, JSONValue] = {"op": record.OP}
    for field in fields(record):
        value = getattr(record, field.name)
        if value is not None:
            body[field.name] = value
    # ensure_ascii keeps undecodable file names (lone surrogates) round-tripping.
    return json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii") + b"\n"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_txn_id(existing: Iterable[str], now: datetime) -> str:
    """A new id, after every one in ``existing``: ``00042-20250101T120000Z``."""
    number = max((txn_number(txn) for txn in existing), default=0) + 1
    return f"{number:05d}-{now.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (new names, renames) durable, where the OS allows it."""
    if sys.platform == "win32":  # pragma: no cover - folders cannot be opened there
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_dirs(path: Path) -> None:
    """``mkdir -p`` that fsyncs each parent that got a new entry."""
    missing: list[Path] = []
    probe = path
    while not probe.is_dir():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
        except FileExistsError:
            continue
        adopt(str(folder))
        fsync_dir(folder.parent)


class JournalWriter:
    """Appends records to one journal; each append is fsynced unless told otherwise.

    A failed append is cut off again, so the journal never holds a broken
    line followed by good ones.
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd
        self._size = os.fstat(fd).st_size

    @classmethod
    def create(cls, root: Path, begin: Begin) -> JournalWriter:
        """Start the journal of ``begin.txn``; durable (file and folder) on return."""
        folder = journal_dir(root)
        path = journal_path(root, begin.txn)
        try:
            make_dirs(folder)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | _CLOEXEC, 0o644)
            adopt(str(path))
        except OSError as exc:
            raise JournalError(f"cannot create {path}: {exc.strerror}", path=path) from exc
        writer = cls(path, fd)
        try:
            writer.append(begin)
            fsync_dir(folder)
        except BaseException:
            writer.close()
            raise
        return writer

    @classmethod
    def resume(cls, journal: JournalFile) -> JournalWriter:
        """Reopen a journal to append to it, first cutting off a torn last line."""
        path = journal.path
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | _CLOEXEC)
            if journal.parsed.torn:
                os.ftruncate(fd, journal.parsed.valid_bytes)
                os.fsync(fd)
        except OSError as exc:
            raise JournalError(f"cannot reopen {path}: {exc.strerror}", path=path) from exc
        return cls(path, fd)

    def append(self, record: Record, *, sync: bool = True) -> None:
        """Add ``record``; with ``sync`` it is on disk when this returns."""
        self.append_all((record,), sync=sync)

    def append_all(self, records: Iterable[Record], *, sync: bool = True) -> None:
        """Add ``records`` in one write (and one fsync with ``sync``)."""
        if self._fd is None:
            raise JournalError(f"{self.path} is closed", path=self.path)
        line = b"".join(encode_record(record) for record in records)
        data = memoryview(line)
        try:
            while data:
                data = data[os.write(self._fd, data) :]
            if sync:
                os.fsync(self._fd)
        except OSError as exc:
            self._cut_back()
            raise JournalError(
                f"cannot write to the journal {self.path}: {exc.strerror}", path=self.path
            ) from exc
        self._size += len(line)

    def _cut_back(self) -> None:
        fd = self._fd
        if fd is None:
            return
        try:
            os.ftruncate(fd, self._size)
        except OSError:
            # The tail may now be a broken line: refuse to write after it.
            self.close()

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
