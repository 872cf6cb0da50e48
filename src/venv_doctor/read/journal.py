"""The journal: an append-only record of what a transaction is about to do.

One JSON object per line in ``<venv>/.venv-doctor/journal/<txn>.jsonl``.  A
step's record is written and fsynced *before* the step, so after a crash the
journal names every step that may have happened.  The first record is
``begin``; the last is ``commit`` or ``rolled-back`` once the transaction is
over.  ``undone`` marks a step already rolled back, so that a rollback cut
short can go on where it stopped; in a committed transaction it marks a step
journalled ahead in a batch that never happened (void).  ``written`` (the hash of a file just
written) is not synced on its own: it is informational, and the next synced
record makes it durable.

This module reads journals: ``parse_journal`` works on bytes only and
``read_journals`` does the file work.  Writing one is ``apply.journal``'s.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import ClassVar, Literal, TypeAlias

from venv_doctor.errors import VenvDoctorError

JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"

STATE_DIR = ".venv-doctor"
JOURNAL_SCHEMA = 1
_SUFFIX = ".jsonl"
_TXN = re.compile(r"^(\d{5,})-\d{8}T\d{6}Z$")


class JournalError(VenvDoctorError):
    """A journal that cannot be read or written; the message names the file and line."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Begin:
    """A transaction starts: what it is for (``plan`` is the caller's JSON)."""

    OP: ClassVar[str] = "begin"
    txn: str
    time: str
    description: str
    plan: JSONValue = None
    undoes: str | None = None
    v: int = JOURNAL_SCHEMA


@dataclass(frozen=True, slots=True, kw_only=True)
class Mkdir:
    """About to create the folder ``path`` (it did not exist)."""

    OP: ClassVar[str] = "mkdir"
    seq: int
    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Move:
    """About to rename ``path`` to the trash slot ``trash`` (relative to the trash folder)."""

    OP: ClassVar[str] = "move"
    seq: int
    path: str
    trash: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Create:
    """About to write ``temp`` and rename it to ``path`` (which did not exist).

    ``link`` is set when the new entry is a symbolic link to that target.
    """

    OP: ClassVar[str] = "create"
    seq: int
    path: str
    temp: str
    link: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Replace:
    """About to move ``path`` to the trash slot ``trash``, then create it anew from ``temp``."""

    OP: ClassVar[str] = "replace"
    seq: int
    path: str
    trash: str
    temp: str
    link: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Restore:
    """About to rename the trash slot ``trash`` back to ``path`` (which did not exist)."""

    OP: ClassVar[str] = "restore"
    seq: int
    path: str
    trash: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Written:
    """Step ``seq`` wrote a file with this ``hash`` (``algo:hexdigest``)."""

    OP: ClassVar[str] = "written"
    seq: int
    hash: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Undone:
    """Step ``seq`` has been rolled back, or (journalled ahead) never happened."""

    OP: ClassVar[str] = "undone"
    seq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Commit:
    OP: ClassVar[str] = "commit"
    time: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RolledBack:
    OP: ClassVar[str] = "rolled-back"
    time: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Cleaned:
    """The transaction's trash was deleted: it can no longer be undone."""

    OP: ClassVar[str] = "cleaned"
    time: str


StepRecord: TypeAlias = Mkdir | Move | Create | Replace | Restore
Record: TypeAlias = (
    Begin
    | Mkdir
    | Move
    | Create
    | Replace
    | Restore
    | Written
    | Undone
    | Commit
    | RolledBack
    | Cleaned
)
State = Literal["committed", "rolled-back", "unfinished", "empty"]

_KINDS: dict[str, type[Record]] = {
    kind.OP: kind
    for kind in (
        *(Begin, Mkdir, Move, Create, Replace, Restore),
        *(Written, Undone, Commit, RolledBack, Cleaned),
    )
}
STEP_KINDS = (Mkdir, Move, Create, Replace, Restore)


def touched_paths(records: Iterable[Record]) -> frozenset[str]:
    """The venv paths the steps among ``records`` name, with their temporary files."""
    paths: set[str] = set()
    for record in records:
        if isinstance(record, STEP_KINDS):
            paths.add(record.path)
            if isinstance(record, (Create, Replace)):
                paths.add(record.temp)
    return frozenset(paths)


def decode_record(body: object) -> Record:
    """The record for one parsed JSON line; ``ValueError`` when it is not one."""
    if not isinstance(body, dict):
        raise ValueError("not a JSON object")  # noqa: TRY004 - bad data, as json.loads says
    kind = _KINDS.get(body.get("op"))  # type: ignore[arg-type]
    if kind is None:
        raise ValueError(f"unknown record {body.get('op')!r}")
    values: dict[str, object] = {}
    for name, expected in _field_types(kind):
        if name not in body:
            continue
        value = body[name]
        if expected == "int" and (not isinstance(value, int) or isinstance(value, bool)):
            raise ValueError(f"{name} must be an integer")
        if expected.startswith("str") and not (
            isinstance(value, str) or (value is None and "None" in expected)
        ):
            raise ValueError(f"{name} must be a string")
        values[name] = value
    record = kind(**values)  # type: ignore[arg-type]
    if isinstance(record, Begin) and record.v > JOURNAL_SCHEMA:
        raise ValueError(f"journal schema {record.v} is newer than this venv-doctor's")
    return record


_FIELD_TYPES: dict[type[Record], tuple[tuple[str, str], ...]] = {}


def _field_types(kind: type[Record]) -> tuple[tuple[str, str], ...]:
    """Each field of ``kind`` and its type as written: ``dataclasses.fields`` once per kind.

    A journal has thousands of records and ``fields`` is slow.
    """
    found = _FIELD_TYPES.get(kind)
    if found is None:
        found = _FIELD_TYPES[kind] = tuple((field.name, str(field.type)) for field in fields(kind))
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedJournal:
    """The records of a journal, and how many leading bytes hold them.

    ``torn`` says the bytes after ``valid_bytes`` are a last line cut short
    by a crash (never a record: records are synced before anything relies
    on them).
    """

    records: tuple[Record, ...]
    valid_bytes: int
    torn: bool

    @property
    def begin(self) -> Begin | None:
        first = self.records[0] if self.records else None
        return first if isinstance(first, Begin) else None

    @property
    def state(self) -> State:
        if self.begin is None:
            return "empty"
        for record in reversed(self.records):
            if isinstance(record, Commit):
                return "committed"
            if isinstance(record, RolledBack):
                return "rolled-back"
        return "unfinished"

    @property
    def steps(self) -> tuple[StepRecord, ...]:
        return tuple(r for r in self.records if isinstance(r, STEP_KINDS))

    @property
    def applied(self) -> tuple[StepRecord, ...]:
        """The steps whose effect is in place: neither rolled back nor void."""
        undone = {r.seq for r in self.records if isinstance(r, Undone)}
        return tuple(r for r in self.steps if r.seq not in undone)

    @property
    def cleaned(self) -> bool:
        return any(isinstance(r, Cleaned) for r in self.records)

    def written(self) -> dict[int, str]:
        """The hash each file-writing step recorded, by step number."""
        return {r.seq: r.hash for r in self.records if isinstance(r, Written)}


_DECODE = json.JSONDecoder().decode


def parse_journal(data: bytes, *, name: str = "journal") -> ParsedJournal:
    """Parse journal bytes, tolerating a torn last line; ``JournalError`` otherwise."""
    records: list[Record] = []
    offset = 0
    # Records are written as ASCII: decoded once, each line goes straight to
    # the decoder json.loads ends in (a journal has thousands of lines).
    text = data.decode("ascii") if data.isascii() else None
    while offset < len(data):
        newline = data.find(b"\n", offset)
        if newline == -1:
            # No newline yet: the line was being written when the process stopped.
            return ParsedJournal(records=tuple(records), valid_bytes=offset, torn=True)
        try:
            if text is None:
                body: object = json.loads(data[offset:newline])
            else:
                body = _DECODE(text[offset:newline])
            record = decode_record(body)
        except ValueError as exc:
            if newline + 1 == len(data):
                return ParsedJournal(records=tuple(records), valid_bytes=offset, torn=True)
            raise JournalError(f"{name}, line {len(records) + 1}: {exc}") from exc
        if (not records) != isinstance(record, Begin):
            raise JournalError(f"{name}, line {len(records) + 1}: 'begin' must come first, once")
        records.append(record)
        offset = newline + 1
    return ParsedJournal(records=tuple(records), valid_bytes=offset, torn=False)


# -- where things live ---------------------------------------------------------


def state_dir(root: Path) -> Path:
    return root / STATE_DIR


def journal_dir(root: Path) -> Path:
    return root / STATE_DIR / "journal"


def trash_dir(root: Path) -> Path:
    return root / STATE_DIR / "trash"


def journal_path(root: Path, txn: str) -> Path:
    return journal_dir(root) / f"{txn}{_SUFFIX}"


def txn_number(txn: str) -> int:
    """The order of a transaction: ids start with a counter that only grows."""
    match = _TXN.match(txn)
    return int(match[1]) if match else -1


# -- reading and writing ---------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalFile:
    """One journal on disk, parsed."""

    txn: str
    path: Path
    parsed: ParsedJournal


def list_txn_ids(root: Path) -> list[str]:
    """Transaction ids with a journal or a trash folder, oldest first."""
    names: set[str] = set()
    for folder, suffix in ((journal_dir(root), _SUFFIX), (trash_dir(root), "")):
        try:
            entries = os.listdir(folder)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise JournalError(f"cannot list {folder}: {exc.strerror}", path=folder) from exc
        for entry in entries:
            txn = entry[: len(entry) - len(suffix)]
            if entry.endswith(suffix) and _TXN.match(txn):
                names.add(txn)
    return sorted(names, key=txn_number)


def read_journal(root: Path, txn: str) -> JournalFile:
    path = journal_path(root, txn)
    try:
        with open(path, "rb") as handle:
            identity = _identity(os.fstat(handle.fileno()))
            known = _PARSED.get(str(path))
            if known is not None and known[0] == identity:
                return JournalFile(txn=txn, path=path, parsed=known[1])
            data = handle.read()
    except OSError as exc:
        raise JournalError(f"cannot read {path}: {exc.strerror}", path=path) from exc
    parsed = parse_journal(data, name=str(path))
    if len(data) == identity[2]:
        _PARSED[str(path)] = (identity, parsed)
    return JournalFile(txn=txn, path=path, parsed=parsed)


# Journals already parsed by this process, by path, with the identity of the
# file they were read from.  One fix reads every journal four times (recover,
# check, begin, check again); a journal that was appended to, replaced or
# touched since has another size, inode, mtime or ctime and is read again.
_PARSED: dict[str, tuple[tuple[int, ...], ParsedJournal]] = {}


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def read_journals(root: Path) -> tuple[JournalFile, ...]:
    """Every journal of the venv at ``root``, oldest first."""
    return tuple(
        read_journal(root, txn) for txn in list_txn_ids(root) if journal_path(root, txn).exists()
    )


def read_open_journals(root: Path) -> tuple[JournalFile, ...]:
    """The journals that may still need recovery, read whole, oldest first.

    A journal whose last line is a ``commit``, ``rolled-back`` or ``cleaned``
    record ended, and is passed over after reading only its tail: a venv
    keeps the journal of every fix, and recovery runs before every command.
    Any other journal (unfinished, empty, damaged) is read and parsed whole.
    """
    found: list[JournalFile] = []
    for txn in list_txn_ids(root):
        path = journal_path(root, txn)
        if path.exists() and not ended(path):
            found.append(read_journal(root, txn))
    return tuple(found)


_ENDS = frozenset({Commit.OP, RolledBack.OP, Cleaned.OP})
_TAIL = 4096  # far more than one commit, rolled-back or cleaned record


def ended(path: Path) -> bool:
    """Whether the journal at ``path`` provably ended, judged by its last line alone."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            handle.seek(max(0, size - _TAIL))
            tail = handle.read()
    except OSError:
        return False
    if not tail.endswith(b"\n"):
        return False  # a record is whole only with its newline
    last = tail[:-1].rpartition(b"\n")[2]
    try:
        record = json.loads(last)
    except ValueError:
        return False
    return isinstance(record, dict) and record.get("op") in _ENDS
