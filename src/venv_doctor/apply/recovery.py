"""After a crash, and on request: ``recover`` rolls back, ``undo`` reverts the last commit.

``recover`` must run before anything else touches a venv: it finds journals
with neither ``commit`` nor ``rolled-back`` and rolls them back, going on
where an earlier rollback stopped.  ``undo`` is itself a transaction (so it
can be recovered after a crash): it replays the newest committed transaction
that no undo has reverted yet backwards, moving what it had written to its
own trash and renaming what it had removed back out of that transaction's
trash.  An undo is never the one undone: undo after undo goes one
transaction further back, as an editor's does.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from venv_doctor.apply.durable import roll_back_records
from venv_doctor.apply.journal import JournalWriter
from venv_doctor.apply.lock import VenvLock
from venv_doctor.apply.steps import RecoveryNeededError, RollbackError, StepHook
from venv_doctor.apply.transaction import Transaction
from venv_doctor.apply.trash import trash_path, venv_path
from venv_doctor.errors import VenvDoctorError
from venv_doctor.read.journal import (
    Create,
    JournalFile,
    Mkdir,
    Move,
    ParsedJournal,
    Replace,
    Restore,
    read_journals,
    read_open_journals,
    trash_dir,
)
from venv_doctor.read.records import is_bytecode
from venv_doctor.words import counted


class UndoError(VenvDoctorError):
    """There is nothing to undo, or undoing it would lose a change made since."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryReport:
    """What ``recover`` did: transactions rolled back, empty journals dropped, notes."""

    rolled_back: tuple[str, ...]
    discarded: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def nothing_to_do(self) -> bool:
        return not self.rolled_back and not self.discarded


@dataclass(frozen=True, slots=True, kw_only=True)
class UndoReport:
    """``undone``: the transaction reverted; ``transaction``: the one that reverted it."""

    undone: str
    description: str
    transaction: str
    notes: tuple[str, ...]


@contextlib.contextmanager
def holding(root: Path, lock: VenvLock | None) -> Iterator[VenvLock]:
    """``lock`` when it is held for ``root``; otherwise take the venv's lock for the block."""
    if lock is None:
        with VenvLock(root) as own:
            yield own
        return
    if not lock.held or lock.root != Path(os.path.abspath(root)):
        raise VenvDoctorError(f"the lock on {root} must be held", path=Path(root))
    yield lock


def recover(
    root: Path, *, lock: VenvLock | None = None, on_step: StepHook | None = None
) -> RecoveryReport:
    """Roll back every interrupted transaction of the venv at ``root``, newest first.

    Safe to run at any time and any number of times; a crash while it runs
    leaves a journal it finishes next time.  Raises ``RollbackError`` when a
    step cannot be undone (the rest waits for the next run).
    """
    rolled_back: list[str] = []
    discarded: list[str] = []
    notes: list[str] = []
    with holding(root, lock) as held:
        for journal in reversed(read_open_journals(held.root)):
            state = journal.parsed.state
            if state == "empty":
                _discard(held.root, journal)
                discarded.append(journal.txn)
            elif state == "unfinished":
                notes.extend(_roll_back(held.root, journal, on_step))
                rolled_back.append(journal.txn)
    return RecoveryReport(
        rolled_back=tuple(rolled_back), discarded=tuple(discarded), notes=tuple(notes)
    )


def _roll_back(root: Path, journal: JournalFile, on_step: StepHook | None) -> tuple[str, ...]:
    writer = JournalWriter.resume(journal)
    try:
        return roll_back_records(root, journal.txn, journal.parsed.records, writer, on_step)
    except (OSError, VenvDoctorError) as exc:
        raise RollbackError(
            f"could not finish rolling back the interrupted change {journal.txn}: {exc}",
            hint="fix the cause, then run venv-doctor on this venv again: it goes on "
            "where it stopped",
            path=journal.path,
            os_error=exc if isinstance(exc, OSError) else None,
        ) from exc
    finally:
        writer.close()


def _discard(root: Path, journal: JournalFile) -> None:
    """A journal whose ``begin`` never made it to disk: no step can have happened."""
    folder = os.path.join(trash_dir(root), journal.txn)
    if os.path.isdir(folder) and not any(files for _, _, files in os.walk(folder)):
        shutil.rmtree(folder)
    os.unlink(journal.path)


def undo(
    root: Path,
    *,
    lock: VenvLock | None = None,
    on_step: StepHook | None = None,
    force: bool = False,
) -> UndoReport:
    """Revert the newest committed transaction not undone yet, as a new transaction.

    Undo transactions are passed over: each undo goes one transaction
    further back.  Refused (``UndoError``) when there is none left (the
    message names the undo that reverted the last one), when its trash was
    cleaned, or (unless ``force``) when a file it wrote or removed has
    changed since; with ``force`` the changed files go to the new
    transaction's trash.
    """
    with holding(root, lock) as held:
        journals = read_journals(held.root)
        pending = [j.txn for j in journals if j.parsed.state in {"unfinished", "empty"}]
        if pending:
            raise RecoveryNeededError(
                f"an earlier change was interrupted ({', '.join(pending)})",
                hint="run any venv-doctor command on this venv: it rolls that back first",
                path=held.root,
            )
        last = _to_undo(held.root, journals)
        begin = last.parsed.begin
        assert begin is not None  # noqa: S101 - a committed journal has begun
        changed = [] if force else changed_since(held.root, last.parsed)
        if changed:
            shown = ", ".join(changed[:10]) + (" …" if len(changed) > 10 else "")
            raise UndoError(
                f"cannot undo {last.txn}: {counted(len(changed), 'path')} changed since: {shown}",
                hint="undo with --force to revert anyway (the changed files go to the trash)",
                path=held.root,
            )
        txn = Transaction(
            held,
            description=f"undo {last.txn}: {begin.description}",
            plan={"undo": last.txn},
            on_step=on_step,
            undoes=last.txn,
        )
        notes: list[str] = []
        with txn:
            for record in reversed(last.parsed.applied):
                if isinstance(record, Mkdir):
                    notes.extend(_remove_if_empty(txn, record.path))
                elif isinstance(record, (Create, Restore)):
                    txn.remove(record.path, missing_ok=True)
                else:
                    if isinstance(record, Replace):
                        txn.remove(record.path, missing_ok=True)
                    txn.restore(record.path, record.trash)
    return UndoReport(
        undone=last.txn, description=begin.description, transaction=txn.id, notes=tuple(notes)
    )


def _to_undo(root: Path, journals: tuple[JournalFile, ...]) -> JournalFile:
    """The newest committed transaction that is not an undo and no undo has reverted."""
    standing: list[JournalFile] = []
    undone = 0
    last_undo: tuple[JournalFile, JournalFile] | None = None  # (reverted, the undo)
    for journal in journals:
        begin = journal.parsed.begin
        if journal.parsed.state != "committed" or begin is None:
            continue
        if begin.undoes is None:
            standing.append(journal)
            continue
        reverted = [j for j in standing if j.txn == begin.undoes]
        standing = [j for j in standing if j.txn != begin.undoes]
        if reverted:
            undone += 1
            last_undo = (reverted[0], journal)
    if not standing:
        if last_undo is None:
            raise UndoError("there is no change to undo", path=root)
        # What the person did last: the newest undo, and the change it reverted.
        reverted_txn, by = last_undo
        begin = reverted_txn.parsed.begin
        what = f" ({begin.description})" if begin is not None else ""
        others = undone - 1
        also = f", as {'was' if others == 1 else 'were'} {counted(others, 'other change')}"
        raise UndoError(
            f"nothing to undo: {reverted_txn.txn}{what} was already undone by {by.txn}"
            + (also if others else ""),
            hint="undo only goes back; to make the change again, run venv-doctor fix",
            path=root,
        )
    last = standing[-1]
    if last.parsed.cleaned:
        raise UndoError(
            f"cannot undo {last.txn}: its trash was cleaned", path=trash_dir(root) / last.txn
        )
    moved = [r.trash for r in last.parsed.applied if isinstance(r, (Move, Replace))]
    missing = [slot for slot in moved if not os.path.lexists(trash_path(root, slot))]
    if missing:
        raise UndoError(
            f"cannot undo {last.txn}: its trash is incomplete "
            f"({counted(len(missing), 'entry')} gone, "
            f"such as {missing[0]})",
            path=trash_dir(root) / last.txn,
        )
    return last


def _remove_if_empty(txn: Transaction, rel: str) -> list[str]:
    path = venv_path(txn.root, rel).path
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            return [f"{rel}: no longer a folder; left in place"]
        if not _only_bytecode(path):
            return [f"{rel}: folder holds files made since; left in place"]
    except FileNotFoundError:
        return []
    txn.remove(rel)
    return []


def _only_bytecode(folder: str) -> bool:
    """Whether ``folder`` holds nothing but folders and bytecode (which Python wrote since).

    Bytecode is Python's, not a person's: it goes to the trash with the folder.
    """
    for here, dirs, files in os.walk(folder):
        if any(os.path.islink(os.path.join(here, name)) for name in dirs):
            return False
        rel = os.path.relpath(here, folder).replace(os.sep, "/")
        if any(not is_bytecode(f"{rel}/{name}") for name in files):
            return False
    return True


def changed_since(root: Path, journal: ParsedJournal) -> list[str]:
    """Paths whose current state is not what the committed ``journal`` left behind."""
    written = journal.written()
    expected: dict[str, tuple[str, str | None]] = {}
    for record in journal.applied:
        if isinstance(record, Mkdir):
            expected[record.path] = ("dir", None)
        elif isinstance(record, Move):
            expected[record.path] = ("absent", None)
        elif isinstance(record, Restore):
            expected[record.path] = ("present", None)
        elif record.link is not None:
            expected[record.path] = ("link", record.link)
        else:
            expected[record.path] = ("file", written.get(record.seq))
    return sorted(rel for rel, want in expected.items() if not _is(root, rel, want))


def _is(root: Path, rel: str, want: tuple[str, str | None]) -> bool:
    kind, detail = want
    path = venv_path(root, rel).path
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return kind == "absent"
    if kind == "link":
        return stat.S_ISLNK(mode) and os.readlink(path) == detail
    if kind == "file":
        return stat.S_ISREG(mode) and (detail is None or _has_hash(path, detail))
    return kind == "present" or (kind == "dir" and stat.S_ISDIR(mode))


def _has_hash(path: str, expected: str) -> bool:
    name, _, digest = expected.partition(":")
    hasher = hashlib.new(name)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest() == digest
