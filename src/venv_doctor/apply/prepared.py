"""Steps journalled ahead in one batch: how a transaction writes a wheel's thousands of files.

``Transaction`` takes this in; it is apart only to keep the transaction's own
module short.  Each step is still journalled before it happens.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Literal

from venv_doctor.read.journal import Create, Mkdir, Record, Replace, StepRecord, Undone

if TYPE_CHECKING:
    from venv_doctor.apply.journal import JournalWriter
    from venv_doctor.apply.trash import TrashSlots, VenvPath


class PreparedSteps:
    """``prepared`` and the bookkeeping of the steps it journals ahead."""

    _state: Literal["new", "open", "failed", "committed", "rolled-back"]
    _records: list[Record]
    _slots: TrashSlots
    # Steps journalled ahead by ``prepared``, by path, until they are taken.
    _ahead: dict[str, Create | Replace]
    _ahead_dirs: dict[str, Mkdir]

    if TYPE_CHECKING:  # what the transaction provides

        def path(self, rel: str, *, under: str | None = None) -> VenvPath: ...
        def _parent(self, target: VenvPath) -> VenvPath | None: ...
        def _temp(self, target: VenvPath, seq: int) -> VenvPath: ...
        def _next_seq(self) -> int: ...
        def _require_open(self) -> JournalWriter: ...
        def _operation(self) -> contextlib.AbstractContextManager[None]: ...

    @contextlib.contextmanager
    def prepared(self, rels: Iterable[str]) -> Iterator[int]:
        """Journal ahead, in one batch with one fsync, the files about to be written at ``rels``.

        For a wheel's thousands of files: inside the block, ``create`` and
        ``replace`` of a prepared path take its journalled step (and the
        folders it needs) instead of journalling and fsyncing one of their
        own.  Every step is still journalled before it happens, and the
        ``on_step`` hook still hears it just before.  Write in the order of
        ``rels`` to keep step numbers in the order the steps happen.  Steps
        prepared and not taken by the end of the block are journalled as void
        (``undone``): they never happened.  Yields how many steps were journalled.
        """
        with self._operation():
            writer = self._require_open()
            batch: list[StepRecord] = []
            for rel in rels:
                target = self.path(rel)
                if target.rel in self._ahead:
                    continue
                folders = self._missing_folders(self._parent(target))
                if folders is None:
                    continue  # something else is in the way: the write itself says so
                for folder in folders:
                    mkdir = Mkdir(seq=self._next_seq(), path=folder.rel)
                    self._ahead_dirs[folder.rel] = mkdir
                    batch.append(mkdir)
                try:
                    info: os.stat_result | None = os.lstat(target.path)
                except FileNotFoundError:
                    info = None
                if info is not None and stat.S_ISDIR(info.st_mode):
                    continue
                seq = self._next_seq()
                temp = self._temp(target, seq).rel
                record: Create | Replace
                if info is None:
                    record = Create(seq=seq, path=target.rel, temp=temp)
                else:
                    slot = self._slots.take(target.rel, seq)
                    record = Replace(seq=seq, path=target.rel, trash=slot, temp=temp)
                self._ahead[target.rel] = record
                batch.append(record)
            writer.append_all(batch)
            self._records.extend(batch)
        yield len(batch)
        if self._state == "open":
            self._void_ahead()

    def _missing_folders(self, target: VenvPath | None) -> list[VenvPath] | None:
        """Folders to make for ``target`` to exist, outermost first, beyond those prepared.

        ``None`` when something that is not a folder stands in the way.
        """
        missing: list[VenvPath] = []
        while target is not None and target.rel not in self._ahead_dirs:
            if os.path.isdir(target.path):
                break
            if os.path.lexists(target.path):
                return None
            missing.append(target)
            target = self._parent(target)
        return missing[::-1]

    def _take_ahead(self, target: VenvPath, exists: bool, link: str | None) -> StepRecord | None:
        """The step prepared for ``target``, if it still fits what is there now."""
        record = self._ahead.pop(target.rel, None)
        if record is None:
            return None
        if isinstance(record, Create) == (not exists) and link is None:
            return record
        self._void(record)
        return None

    def _void_ahead(self) -> None:
        """Journal the steps prepared and never taken as void: they did not happen."""
        for record in [*self._ahead_dirs.values(), *self._ahead.values()]:
            self._void(record)
        self._ahead_dirs.clear()
        self._ahead.clear()

    def _void(self, record: StepRecord) -> None:
        # Not synced: a void step that a crash keeps in the journal is undone
        # by the rollback, which is harmless for a step that never happened.
        undone = Undone(seq=record.seq)
        self._require_open().append(undone, sync=False)
        self._records.append(undone)
