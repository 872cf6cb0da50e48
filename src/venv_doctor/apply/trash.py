"""The trash: where every removal goes, and how it comes back.

A removal is one atomic ``os.rename`` of the entry itself (a symbolic link is
moved as a link, never followed) to ``<venv>/.venv-doctor/trash/<txn>/<path>``,
on the same file system as the venv.  Nothing is deleted while a transaction
can still be undone; ``clean_trash`` deletes the trash of committed
transactions only when asked.

``venv_path`` is the one place that decides whether a path may be touched.
"""

from __future__ import annotations

import contextlib
import errno
import ntpath
import os
import posixpath
import shutil
import stat
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from venv_doctor.apply.journal import JournalWriter, fsync_dir, now_iso
from venv_doctor.apply.lock import LOCK_NAME, VenvLock
from venv_doctor.apply.owner import make_folders
from venv_doctor.errors import VenvDoctorError
from venv_doctor.read.holders import Holder, find_holders
from venv_doctor.read.journal import (
    STATE_DIR,
    Cleaned,
    Create,
    JournalFile,
    Mkdir,
    Replace,
    Restore,
    State,
    StepRecord,
    journal_path,
    list_txn_ids,
    read_journal,
    trash_dir,
)


class UnsafePathError(VenvDoctorError):
    """A path that is not inside the venv, or that belongs to venv-doctor itself."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VenvPath:
    """A checked path: ``rel`` (normalized, ``/``-separated) and ``path`` (absolute)."""

    rel: str
    path: str


def venv_path(
    root: Path | str, rel: str, *, under: str | None = None, known: set[str] | None = None
) -> VenvPath:
    """Check that ``rel`` names an entry inside the venv at ``root`` and return it.

    Refused (``UnsafePathError``): absolute paths, paths that climb out with
    ``..``, paths whose folder resolves (through links) outside the venv,
    venv-doctor's own ``.venv-doctor/`` and uv's ``.lock``, and, with
    ``under``, anything outside that venv-relative folder (a wheel escaping
    its scheme).  The last component is never resolved: the entry itself may
    be a link pointing anywhere, and is then handled as a link.

    ``known`` caches folders already found to resolve inside the venv; its
    owner must empty it whenever a folder or link in the venv changes.
    """
    text = rel.replace("\\", "/") if sys.platform == "win32" else rel
    if "\0" in text or posixpath.isabs(text) or ntpath.splitdrive(text)[0]:
        raise _unsafe(root, rel, "is not a relative path")
    norm = posixpath.normpath(text)
    if norm in {".", ""} or norm == ".." or norm.startswith("../"):
        raise _unsafe(root, rel, "is outside the venv")
    first = norm.split("/", 1)[0].casefold()
    if first == STATE_DIR or norm.casefold() == LOCK_NAME:
        raise _unsafe(root, rel, "belongs to venv-doctor or uv, not to the environment")
    if under is not None and under not in {"", "."}:
        base = posixpath.normpath(under)
        if norm != base and not norm.startswith(base + "/"):
            raise _unsafe(root, rel, f"is outside {base}")
    full = os.path.join(root, *norm.split("/"))
    folder = os.path.dirname(full)
    if known is not None and folder in known:
        return VenvPath(rel=norm, path=full)
    real_root = os.path.realpath(root)
    parent = os.path.realpath(folder)
    if parent != real_root and not parent.startswith(real_root.rstrip(os.sep) + os.sep):
        raise _unsafe(root, rel, f"resolves outside the venv (to {parent})")
    if known is not None:
        known.add(folder)
    return VenvPath(rel=norm, path=full)


def _unsafe(root: Path | str, rel: str, why: str) -> UnsafePathError:
    return UnsafePathError(
        f"refusing to touch {rel!r}: it {why}",
        hint="this is a bug in the plan or a tampered file; nothing was changed",
        path=Path(root),
    )


def trash_path(root: Path, slot: str) -> str:
    """The absolute path of a trash slot (``<txn>/<path>``), checked to stay in the trash."""
    norm = posixpath.normpath(slot)
    if posixpath.isabs(norm) or norm.startswith("../") or norm in {".", ".."} or "\0" in norm:
        raise UnsafePathError(f"refusing the trash slot {slot!r}", path=root)
    return os.path.join(trash_dir(root), *norm.split("/"))


class TrashSlots:
    """Hands out one trash slot per removal within a transaction.

    The first removal of ``path`` goes to ``<txn>/<path>``.  A slot that would
    sit inside, or around, one already used (the same path removed twice, a
    file and then its folder) goes to ``<txn>/.venv-doctor/<step>/<path>``
    instead: no venv path starts with ``.venv-doctor``, so the two never meet.
    """

    def __init__(self, txn: str) -> None:
        self.txn = txn
        self._taken: set[str] = set()
        self._folders: set[str] = set()

    def take(self, rel: str, seq: int) -> str:
        slot = f"{self.txn}/{rel}"
        parents = _parents(slot)
        if slot in self._taken or slot in self._folders or self._taken.intersection(parents):
            slot = f"{self.txn}/{STATE_DIR}/{seq}/{rel}"
            parents = _parents(slot)
        self._taken.add(slot)
        self._folders.update(parents)
        return slot


def _parents(slot: str) -> list[str]:
    parts = slot.split("/")
    return ["/".join(parts[:end]) for end in range(1, len(parts))]


def move_to_trash(root: Path, source: str, slot: str) -> None:
    """Rename ``source`` (absolute, inside the venv) into the trash ``slot``."""
    target = trash_path(root, slot)
    make_folders(os.path.dirname(target))
    os.rename(source, target)


# -- putting things back ---------------------------------------------------------


def undo_step(root: Path, record: StepRecord) -> str | None:
    """Undo one journalled step, whether or not it (fully) happened.

    Idempotent: running it again after it completed changes nothing, so a
    rollback cut short can simply run again (steps are undone newest first,
    and each one only once it is known that every later one is undone).
    Returns a note when something stands in the way; that entry is then left
    where it is (and what it would have replaced stays in the trash).
    """
    target = venv_path(root, record.path)
    if isinstance(record, Mkdir):
        return _remove_empty_dir(target)
    if isinstance(record, (Create, Replace)):
        temp = venv_path(root, record.temp)
        if os.path.lexists(temp.path):
            _unlink(temp.path)
    if isinstance(record, Create):
        return _remove_new(target)
    if isinstance(record, Restore):
        return _move_back(root, record.trash, target, into_trash=True)
    # Move or Replace: the original is in the trash only if the step got that far.
    slot = trash_path(root, record.trash)
    if not os.path.lexists(slot):
        return None
    if isinstance(record, Replace):
        note = _remove_new(target)
        if note is not None:
            return note
    return _move_back(root, record.trash, target, into_trash=False)


def _remove_new(target: VenvPath) -> str | None:
    """Remove an entry this transaction created (nothing else can be there: we hold the lock)."""
    try:
        info = os.lstat(target.path)
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(info.st_mode):
        return f"{target.rel}: expected the file this transaction wrote, found a folder"
    _unlink(target.path)
    return None


def _move_back(root: Path, slot: str, target: VenvPath, *, into_trash: bool) -> str | None:
    source = trash_path(root, slot)
    here, there = (target.path, source) if into_trash else (source, target.path)
    if not os.path.lexists(here):
        return None
    if os.path.lexists(there):
        return f"{target.rel}: both {here} and {there} exist; both kept"
    make_folders(os.path.dirname(there))
    os.rename(here, there)
    fsync_dir(Path(os.path.dirname(target.path)))
    return None


def _remove_empty_dir(target: VenvPath) -> str | None:
    try:
        info = os.lstat(target.path)
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return f"{target.rel}: expected the folder this transaction made, found something else"
    try:
        os.rmdir(target.path)
    except OSError:
        if os.listdir(target.path):
            return f"{target.rel}: folder made by this transaction is not empty; kept"
        raise
    return None


def _unlink(path: str) -> None:
    os.unlink(path)
    fsync_dir(Path(os.path.dirname(path)))


# -- trash list and clean ----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TrashEntry:
    """One transaction's trash: what ``venv-doctor trash list`` shows."""

    txn: str
    started: datetime | None
    description: str
    state: State
    undoes: str | None
    files: int
    size: int


def list_trash(root: Path) -> tuple[TrashEntry, ...]:
    """Every transaction that has a trash folder, oldest first (reads only)."""
    entries = []
    for txn in list_txn_ids(root):
        folder = os.path.join(trash_dir(root), txn)
        if not os.path.isdir(folder):
            continue
        files, size = _measure(folder)
        journal = _journal_or_none(root, txn)
        begin = journal.parsed.begin if journal else None
        entries.append(
            TrashEntry(
                txn=txn,
                started=_parse_time(begin.time) if begin else None,
                description=begin.description if begin else "(no journal)",
                state=journal.parsed.state if journal else "empty",
                undoes=begin.undoes if begin else None,
                files=files,
                size=size,
            )
        )
    return tuple(entries)


@dataclass(frozen=True, slots=True, kw_only=True)
class KeptFile:
    """A file of the trash ``clean_trash`` could not delete: venv-relative ``path``, ``size``.

    ``reason`` is the error (``Permission denied (EACCES)``); ``holders`` the
    processes that have it in use, when the system says (on Windows a file a
    program runs or has loaded cannot be deleted until it ends).
    """

    path: str
    size: int
    reason: str
    holders: tuple[Holder, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CleanReport:
    """What ``clean_trash`` deleted (``removed``, ``freed`` bytes) and what it could not.

    ``kept`` are the files left behind, each once; ``errors`` anything else
    that failed (a folder is not named again for the kept files in it).
    """

    removed: tuple[str, ...]
    freed: int
    errors: tuple[str, ...]
    kept: tuple[KeptFile, ...] = ()


def clean_trash(
    lock: VenvLock,
    *,
    older_than: timedelta = timedelta(0),
    keep_last: int = 0,
    now: datetime | None = None,
) -> CleanReport:
    """Delete the trash of committed transactions started before ``now - older_than``.

    The ``keep_last`` newest committed transactions keep theirs.  Trash of a
    rolled-back transaction goes only when nothing was left in it; trash of an
    unfinished one is never touched (it may hold the only copy of a file).
    A cleaned transaction can no longer be undone, and its journal says so.
    """
    if not lock.held:
        raise VenvDoctorError("clean_trash needs the venv's lock held", path=lock.root)
    root = lock.root
    cutoff = (now or datetime.now(timezone.utc)) - older_than
    entries = {entry.txn: entry for entry in list_trash(root)}
    committed = [txn for txn, entry in entries.items() if entry.state == "committed"]
    protected = set(committed[len(committed) - keep_last :]) if keep_last > 0 else set()
    removed: list[str] = []
    errors: list[str] = []
    kept: list[KeptFile] = []
    freed = 0
    for entry in entries.values():
        if entry.state == "committed":
            if entry.txn in protected or (entry.started is not None and entry.started > cutoff):
                continue
        elif entry.state != "rolled-back" or entry.files:
            continue
        left, failed = _delete_tree(root, os.path.join(trash_dir(root), entry.txn))
        kept.extend(left)
        errors.extend(failed)
        freed += entry.size - sum(file.size for file in left)
        removed.append(entry.txn)
        if entry.state == "committed":
            writer = JournalWriter.resume(read_journal(root, entry.txn))
            try:
                writer.append(Cleaned(time=now_iso()))
            finally:
                writer.close()
    _forget_rolled_back(root, keep={*entries} - {*removed})
    kept.sort(key=lambda file: file.path)
    return CleanReport(removed=tuple(removed), freed=freed, errors=tuple(errors), kept=tuple(kept))


def _forget_rolled_back(root: Path, *, keep: set[str]) -> None:
    """Delete journals of rolled-back transactions whose trash is gone: only history.

    The newest journal stays, so that transaction numbers keep growing.
    """
    txns = list_txn_ids(root)
    for txn in txns[:-1]:
        journal = _journal_or_none(root, txn)
        if txn not in keep and journal is not None and journal.parsed.state == "rolled-back":
            with contextlib.suppress(FileNotFoundError):
                os.unlink(journal.path)


def _delete_tree(root: Path, folder: str) -> tuple[list[KeptFile], list[str]]:
    """Delete ``folder``; the files it had to keep, and every other failure.

    A folder that could not go because a kept file is still in it is not a
    failure of its own: the file says why.
    """
    failures: list[tuple[str, BaseException]] = []

    def record(_func: object, path: str, exc: BaseException) -> None:
        failures.append((path, exc))

    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=record)
    else:  # pragma: no cover - depends on the Python running the tests
        shutil.rmtree(folder, onerror=lambda func, path, info: record(func, path, info[1]))
    kept: list[KeptFile] = []
    kept_at: list[str] = []
    errors: list[str] = []
    for path, exc in failures:
        try:
            info = os.lstat(path)
        except OSError:
            info = None
        if info is not None and not stat.S_ISDIR(info.st_mode) and isinstance(exc, OSError):
            kept.append(_kept(root, path, info.st_size, exc))
            kept_at.append(path)
        elif not any(file.startswith(path.rstrip(os.sep) + os.sep) for file in kept_at):
            errors.append(f"{path}: {exc}")
    return kept, errors


def _kept(root: Path, path: str, size: int, exc: OSError) -> KeptFile:
    reason = exc.strerror or str(exc)
    if exc.errno is not None:
        reason = f"{reason} ({errno.errorcode.get(exc.errno, exc.errno)})"
    busy = exc.errno in {errno.EACCES, errno.EPERM, errno.EBUSY, errno.ETXTBSY}
    return KeptFile(
        path=os.path.relpath(path, root).replace(os.sep, "/"),
        size=size,
        reason=reason,
        holders=find_holders([path]) if busy else (),
    )


def _measure(folder: str) -> tuple[int, int]:
    files = size = 0
    for current, dirs, names in os.walk(folder):
        for name in dirs + names:
            with contextlib.suppress(OSError):
                info = os.lstat(os.path.join(current, name))
                if not stat.S_ISDIR(info.st_mode):
                    files += 1
                    size += info.st_size
    return files, size


def _journal_or_none(root: Path, txn: str) -> JournalFile | None:
    if not journal_path(root, txn).exists():
        return None
    return read_journal(root, txn)


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
