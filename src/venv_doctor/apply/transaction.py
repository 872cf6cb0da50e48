"""A transaction over one venv: every change journalled first, all or nothing.

    with VenvLock(venv) as lock, Transaction(lock, description="fix") as txn:
        txn.remove("lib/python3.12/site-packages/old.py")
        txn.create("lib/python3.12/site-packages/new.py", data=b"...")

Each step is journalled (and fsynced) before it happens.  An exception in
the block, a failing step or ``KeyboardInterrupt`` rolls back every step in
reverse order; a crash leaves a journal that ``recover`` rolls back.  Nothing
is ever written into an existing file: it may be a hard link shared with uv's
cache and other venvs.  It is moved to the trash, and a new file takes its
place.  A folder Windows refuses to move (a file below it is in use) goes
entry by entry (``piecewise``).  On success the trash is kept, so ``undo``
can revert the transaction.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import posixpath
import stat
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Literal, TypeVar

from venv_doctor.apply.durable import UNFINISHED, link_or_write, make_durable, roll_back_records
from venv_doctor.apply.journal import JournalWriter, new_txn_id, now_iso
from venv_doctor.apply.lock import VenvLock
from venv_doctor.apply.owner import adopt
from venv_doctor.apply.piecewise import PiecewiseMoves
from venv_doctor.apply.prepared import PreparedSteps
from venv_doctor.apply.steps import (
    VERBS,
    Expected,
    RecoveryNeededError,
    RollbackError,
    Step,
    StepHook,
    TransactionError,
    WrittenFile,
    missing_error,
    transaction_error,
)
from venv_doctor.apply.trash import TrashSlots, VenvPath, move_to_trash, trash_path, venv_path
from venv_doctor.errors import VenvDoctorError
from venv_doctor.read.journal import (
    STEP_KINDS,
    Begin,
    Commit,
    Create,
    JSONValue,
    Mkdir,
    Move,
    Record,
    Replace,
    Restore,
    StepRecord,
    Written,
    list_txn_ids,
    read_open_journals,
    touched_paths,
)
from venv_doctor.words import counted

T = TypeVar("T")


class Transaction(PreparedSteps, PiecewiseMoves):
    """All-or-nothing changes to the venv whose lock is held; see the module docstring.

    ``description`` and ``plan`` (any JSON) are journalled for ``trash list``
    and for people reading the journal.  ``on_step`` is called before every
    step (see ``Step``); tests use it to make step *k* fail.
    """

    def __init__(
        self,
        lock: VenvLock,
        *,
        description: str,
        plan: JSONValue = None,
        on_step: StepHook | None = None,
        undoes: str | None = None,
    ) -> None:
        self.lock = lock
        self.root = lock.root
        self.description = description
        self.id = ""
        self._plan = plan
        self._on_step = on_step
        self._undoes = undoes
        self._state: Literal["new", "open", "failed", "committed", "rolled-back"] = "new"
        self._records: list[Record] = []
        self._seq = 0
        self._inside: set[str] = set()
        self._writer: JournalWriter | None = None
        self._slots = TrashSlots("")
        self._failure: TransactionError | None = None
        self._created: list[str] = []
        self._folders: set[str] = set()
        # Steps journalled ahead by ``prepared``, by path, until they are taken.
        self._ahead: dict[str, Create | Replace] = {}
        self._ahead_dirs: dict[str, Mkdir] = {}

    # -- life cycle ----------------------------------------------------------------

    def __enter__(self) -> Transaction:
        return self.begin()

    def begin(self) -> Transaction:
        """Journal the start; refuses while an interrupted transaction awaits ``recover``."""
        if self._state != "new":
            raise TransactionError("a transaction can only begin once")
        if not self.lock.held:
            raise TransactionError(f"the lock on {self.root} must be held", path=self.root)
        unfinished = [j.txn for j in read_open_journals(self.root) if j.parsed.state in UNFINISHED]
        if unfinished:
            raise RecoveryNeededError(
                f"an earlier change to {self.root} was interrupted ({', '.join(unfinished)})",
                hint="run any venv-doctor command on this venv: it rolls that change back first",
                path=self.root,
            )
        self.id = new_txn_id(list_txn_ids(self.root), datetime.now(timezone.utc))
        self._slots = TrashSlots(self.id)
        begin = Begin(
            txn=self.id,
            time=now_iso(),
            description=self.description,
            plan=self._plan,
            undoes=self._undoes,
        )
        self._writer = JournalWriter.create(self.root, begin)
        self._state = "open"
        return self

    def commit(self) -> None:
        """Make every change durable, then journal the commit.  The trash is kept."""
        writer = self._require_open()
        try:
            self._void_ahead()
            make_durable(self.root, self._created, self._folders)
            writer.append(Commit(time=now_iso()))
        except (OSError, VenvDoctorError) as exc:
            self._state = "failed"
            error = transaction_error(
                f"could not commit {self.description}: {exc}", path=None, exc=exc
            )
            self._failure = error
            raise error from exc
        self._state = "committed"
        writer.close()

    def rollback(self) -> tuple[str, ...]:
        """Undo every step done so far, newest first; returns notes on entries left in place.

        Raises ``RollbackError`` when it cannot finish (the journal keeps the
        rest for ``recover``).
        """
        if self._state in {"new", "committed", "rolled-back"}:
            raise TransactionError(f"cannot roll back a transaction that is {self._state}")
        writer = self._writer
        assert writer is not None  # noqa: S101 - set by begin()
        try:
            notes = roll_back_records(self.root, self.id, self._records, writer, self._on_step)
        except (OSError, VenvDoctorError) as exc:
            self._state = "failed"
            writer.close()
            raise RollbackError(
                f"could not finish rolling back {self.description} ({self.id}): {exc}",
                hint="fix the cause, then run venv-doctor on this venv again: "
                "it finishes the rollback first",
                path=self.root,
                os_error=exc if isinstance(exc, OSError) else None,
            ) from exc
        self._state = "rolled-back"
        writer.close()
        return notes

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._state == "open" and exc is None:
            self.commit()
            return
        if self._state in {"committed", "rolled-back", "new"}:
            return
        cause = exc if exc is not None else self._failure
        try:
            self.rollback()
        except RollbackError as failure:
            raise failure from cause
        if cause is None or isinstance(cause, Exception):
            raise self._rolled_back_error(cause) from cause
        # KeyboardInterrupt, SystemExit: rolled back, and they go on as they were.

    def _rolled_back_error(self, cause: BaseException | None) -> TransactionError:
        done = sum(1 for record in self._records if isinstance(record, STEP_KINDS))
        tail = f"; every change was rolled back ({counted(done, 'step')}), the venv is as it was"
        failure = self._failure
        if failure is not None and (cause is failure or cause is None):
            return TransactionError(
                failure.message + tail,
                hint=failure.hint,
                path=failure.path,
                step=failure.step,
                os_error=failure.os_error,
                holders=failure.holders,
                rolled_back=True,
            )
        error = transaction_error(f"{self.description} failed", path=None, exc=cause)
        error.message += tail
        error.rolled_back = True
        return error

    @property
    def touched(self) -> frozenset[str]:
        """Every venv path a step named (and its temporary file): all this transaction changed."""
        return touched_paths(self._records)

    # -- steps ---------------------------------------------------------------------

    def mkdir(self, rel: str) -> None:
        """Create the folder ``rel`` and any missing parents; nothing if it exists."""
        with self._operation():
            self._ensure_dir(self.path(rel))

    def remove(self, rel: str, *, missing_ok: bool = False) -> bool:
        """Move ``rel`` (a file, link or whole folder) to the trash; False when it was absent."""
        with self._operation():
            target = self.path(rel)
            try:
                mode = os.lstat(target.path).st_mode
            except FileNotFoundError:
                if missing_ok:
                    return False
                raise self._refuse("move", target, missing_error(target.path)) from None
            if not stat.S_ISREG(mode):
                self._inside.clear()  # a folder or link moves: paths may resolve elsewhere
            seq = self._next_seq()
            move = Move(seq=seq, path=target.rel, trash=self._slots.take(target.rel, seq))
            self._step(move, lambda: self._move_out(target, move))
            return True

    def remove_all(self, rels: Iterable[str], *, missing_ok: bool = False) -> int:
        """``remove`` each of ``rels`` in order; returns how many were moved.

        The moves are journalled together, with one fsync instead of one per
        file (a distribution's RECORD can list thousands), and still before
        any of them happens.  Repeated paths are moved once.
        """
        with self._operation():
            writer = self._require_open()
            batch: list[tuple[Move, VenvPath]] = []
            seen: set[str] = set()
            for rel in rels:
                target = self.path(rel)
                if target.rel in seen:
                    continue
                seen.add(target.rel)
                try:
                    mode = os.lstat(target.path).st_mode
                except FileNotFoundError:
                    if missing_ok:
                        continue
                    raise self._refuse("move", target, missing_error(target.path)) from None
                if not stat.S_ISREG(mode):
                    self._inside.clear()
                seq = self._next_seq()
                move = Move(seq=seq, path=target.rel, trash=self._slots.take(target.rel, seq))
                batch.append((move, target))
            writer.append_all(move for move, _ in batch)
            self._records.extend(move for move, _ in batch)
            for move, target in batch:
                self._run(move, partial(self._trash_if_there, target, move, missing_ok))
            return len(batch)

    def _trash_if_there(self, target: VenvPath, move: Move, missing_ok: bool) -> None:
        # An earlier move in the batch may have taken it along (its folder).
        if missing_ok and not os.path.lexists(target.path):
            return
        self._move_out(target, move)

    def create(
        self,
        rel: str,
        *,
        data: bytes | None = None,
        stream: BinaryIO | None = None,
        mode: int = 0o644,
        hash_name: str = "sha256",
        expected: Expected | None = None,
        link_from: str | None = None,
        link_expected: Expected | None = None,
    ) -> WrittenFile:
        """Write a new file at ``rel`` from ``data`` or ``stream``, with permission bits ``mode``.

        Whatever was at ``rel`` (a file or link, never a folder) goes to the
        trash first.  The content goes to a temporary file in the same
        folder, which is then renamed into place.  With ``expected`` (a
        ``hash_name`` digest), content that does not match makes the step
        fail before anything is put in place.  With ``link_from`` (a file in
        uv's cache) the new file is a hard link to it instead, as uv makes
        them, when that file holds ``link_expected`` (see ``link_or_write``).
        """
        return self._create(
            rel,
            data=data,
            stream=stream,
            mode=mode,
            hash_name=hash_name,
            expected=expected,
            link_from=link_from,
            link_expected=link_expected,
        )

    def replace(
        self,
        rel: str,
        *,
        data: bytes | None = None,
        stream: BinaryIO | None = None,
        mode: int = 0o644,
        hash_name: str = "sha256",
    ) -> WrittenFile:
        """Like ``create``, for a file that must exist (it goes to the trash)."""
        return self._create(
            rel, data=data, stream=stream, mode=mode, hash_name=hash_name, must_exist=True
        )

    def symlink(self, rel: str, target: str) -> None:
        """Make ``rel`` a symbolic link to ``target``; what was there goes to the trash."""
        with self._operation():
            where = self.path(rel)
            self._ensure_dir(self._parent(where))
            self._inside.clear()
            self._put(where, lambda temp: os.symlink(target, temp), link=target)

    def _create(
        self,
        rel: str,
        *,
        data: bytes | None,
        stream: BinaryIO | None,
        mode: int,
        hash_name: str,
        must_exist: bool = False,
        expected: Expected | None = None,
        link_from: str | None = None,
        link_expected: Expected | None = None,
    ) -> WrittenFile:
        if (data is None) == (stream is None):
            raise TypeError("pass exactly one of data and stream")
        with self._operation():
            source = io.BytesIO(data) if data is not None else stream
            assert source is not None  # noqa: S101 - checked above
            where = self.path(rel)
            self._ensure_dir(self._parent(where))
            seq, (size, digest) = self._put(
                where,
                lambda temp: link_or_write(
                    temp, link_from, source, mode, hash_name, expected, link_expected
                ),
                link=None,
                must_exist=must_exist,
            )
            self._records.append(Written(seq=seq, hash=f"{hash_name}:{digest.hex()}"))
            writer = self._require_open()
            writer.append(self._records[-1], sync=False)
            return WrittenFile(path=where.rel, size=size, hash_name=hash_name, digest=digest)

    def _put(
        self,
        target: VenvPath,
        write: Callable[[str], T],
        *,
        link: str | None,
        must_exist: bool = False,
    ) -> tuple[int, T]:
        try:
            info: os.stat_result | None = os.lstat(target.path)
        except FileNotFoundError:
            info = None
        if info is None and must_exist:
            raise self._refuse("replace", target, missing_error(target.path))
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise self._refuse(
                "create",
                target,
                IsADirectoryError(errno.EISDIR, "a folder is in the way", target.path),
            )
        record = self._take_ahead(target, info is not None, link)
        ahead = record is not None
        if isinstance(record, (Create, Replace)):
            seq = record.seq
            temp = self.path(record.temp)
            slot = record.trash if isinstance(record, Replace) else None
        else:
            seq = self._next_seq()
            temp = self._temp(target, seq)
            slot = None if info is None else self._slots.take(target.rel, seq)
            if slot is None:
                record = Create(seq=seq, path=target.rel, temp=temp.rel, link=link)
            else:
                record = Replace(seq=seq, path=target.rel, trash=slot, temp=temp.rel, link=link)

        def effect() -> T:
            result = write(temp.path)
            adopt(temp.path)
            if slot is not None:
                self._trash(target, slot)
            os.replace(temp.path, target.path)
            self._created.append(target.path)
            return result

        return seq, self._run(record, effect) if ahead else self._step(record, effect)

    def _temp(self, target: VenvPath, seq: int) -> VenvPath:
        name = f".venv-doctor-{self.id}-{seq}.tmp"
        return self.path(posixpath.join(posixpath.dirname(target.rel), name))

    def restore(self, rel: str, slot: str) -> None:
        """Move the trash entry ``slot`` (``<txn>/<path>``) back to ``rel``.

        What is at ``rel`` now goes to this transaction's trash first.  Used
        by ``undo``; a slot of an unfinished transaction must not be taken.
        """
        with self._operation():
            target = self.path(rel)
            if os.path.lexists(target.path):
                self.remove(target.rel)
            self._ensure_dir(self._parent(target))
            self._inside.clear()
            source = trash_path(self.root, slot)
            seq = self._next_seq()
            self._step(
                Restore(seq=seq, path=target.rel, trash=slot),
                lambda: os.rename(source, target.path),
            )
            self._folders.add(os.path.dirname(target.path))

    def path(self, rel: str, *, under: str | None = None) -> VenvPath:
        """``rel`` checked by ``venv_path`` (folders already checked are remembered)."""
        return venv_path(self.root, rel, under=under, known=self._inside)

    def _parent(self, target: VenvPath) -> VenvPath | None:
        parent = posixpath.dirname(target.rel)
        return self.path(parent) if parent else None

    def _ensure_dir(self, target: VenvPath | None) -> None:
        missing: list[VenvPath] = []
        while target is not None and not os.path.isdir(target.path):
            if os.path.lexists(target.path):
                error = NotADirectoryError(errno.ENOTDIR, "not a folder", target.path)
                raise self._refuse("mkdir", target, error)
            missing.append(target)
            target = self._parent(target)
        for folder in reversed(missing):
            ahead = self._ahead_dirs.pop(folder.rel, None)
            if ahead is not None:
                self._run(ahead, partial(_mkdir, folder.path))
            else:
                mkdir = Mkdir(seq=self._next_seq(), path=folder.rel)
                self._step(mkdir, partial(_mkdir, folder.path))
            self._folders.add(os.path.dirname(folder.path))

    def _trash(self, target: VenvPath, slot: str) -> None:
        move_to_trash(self.root, target.path, slot)
        self._folders.add(os.path.dirname(target.path))
        self._folders.add(os.path.dirname(trash_path(self.root, slot)))

    def _step(self, record: StepRecord, effect: Callable[[], T]) -> T:
        writer = self._require_open()
        writer.append(record)
        self._records.append(record)
        return self._run(record, effect)

    def _run(self, record: StepRecord, effect: Callable[[], T]) -> T:
        """Call the hook, then do the journalled step ``record``."""
        try:
            if self._on_step is not None:
                self._on_step(Step(txn=self.id, seq=record.seq, op=record.OP, path=record.path))
            return effect()
        except TransactionError:
            raise  # a step within this one (a folder moved entry by entry) failed: as it said
        except Exception as exc:
            target = self.path(record.path)
            # A restore moves a trash entry: who holds something in it matters too.
            also = (trash_path(self.root, record.trash),) if isinstance(record, Restore) else ()
            raise self._refuse(record.OP, target, exc, seq=record.seq, also=also) from exc

    def _refuse(
        self,
        op: str,
        target: VenvPath,
        exc: BaseException,
        *,
        seq: int | None = None,
        also: tuple[str, ...] = (),
    ) -> TransactionError:
        """Mark the transaction failed and describe why, naming any process holding the file."""
        error = transaction_error(
            "could not " + VERBS[op].format(target.rel), path=Path(target.path), exc=exc, also=also
        )
        if seq is not None:
            error.step = Step(txn=self.id, seq=seq, op=op, path=target.rel)
        self._state = "failed"
        self._failure = error
        return error

    @contextlib.contextmanager
    def _operation(self) -> Iterator[None]:
        self._require_open()
        try:
            yield
        except BaseException:
            self._state = "failed"
            raise

    def _require_open(self) -> JournalWriter:
        if self._state != "open" or self._writer is None:
            raise TransactionError(
                f"the transaction is {self._state}: no more changes can be made", path=self.root
            )
        return self._writer

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq


# -- shared by rollback and recovery ---------------------------------------------------


def _mkdir(path: str) -> None:
    os.mkdir(path)
    adopt(path)
