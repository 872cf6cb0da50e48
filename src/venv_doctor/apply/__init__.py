"""Changing a venv safely: the lock shared with uv, the journal, the trash, transactions.

Every change ``fix`` makes goes through a ``Transaction`` while the venv's
``VenvLock`` is held; ``recover`` must run before anything else touches a
venv, and ``undo`` reverts the last committed transaction.
"""

from venv_doctor.apply.holders import Holder, find_holders
from venv_doctor.apply.lock import LockError, LockTimeoutError, VenvLock
from venv_doctor.apply.recovery import RecoveryReport, UndoError, UndoReport, recover, undo
from venv_doctor.apply.transaction import (
    RecoveryNeededError,
    RollbackError,
    Step,
    StepHook,
    Transaction,
    TransactionError,
    WrittenFile,
)
from venv_doctor.apply.trash import (
    CleanReport,
    TrashEntry,
    UnsafePathError,
    clean_trash,
    list_trash,
    venv_path,
)

__all__ = [
    "CleanReport",
    "Holder",
    "LockError",
    "LockTimeoutError",
    "RecoveryNeededError",
    "RecoveryReport",
    "RollbackError",
    "Step",
    "StepHook",
    "Transaction",
    "TransactionError",
    "TrashEntry",
    "UndoError",
    "UndoReport",
    "UnsafePathError",
    "VenvLock",
    "WrittenFile",
    "clean_trash",
    "find_holders",
    "list_trash",
    "recover",
    "undo",
    "venv_path",
]
