"""Changing a venv safely: the lock shared with uv, the journal, the trash, transactions.

Every change ``fix`` makes goes through a ``Transaction`` while the venv's
``VenvLock`` is held; ``recover`` must run before anything else touches a
venv, and ``undo`` reverts the last committed transaction.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from venv_doctor.apply.lock import LockError, LockTimeoutError, VenvLock
    from venv_doctor.apply.recovery import RecoveryReport, UndoError, UndoReport, recover, undo
    from venv_doctor.apply.steps import (
        RecoveryNeededError,
        RollbackError,
        Step,
        StepHook,
        TransactionError,
        WrittenFile,
    )
    from venv_doctor.apply.transaction import Transaction
    from venv_doctor.apply.trash import (
        CleanReport,
        TrashEntry,
        UnsafePathError,
        clean_trash,
        list_trash,
        venv_path,
    )

# Where each name lives: imported on first use, so that ``check``, which needs
# only a module or two of this package, does not import the transaction code.
_HOME = {
    "LockError": "lock",
    "LockTimeoutError": "lock",
    "VenvLock": "lock",
    "RecoveryReport": "recovery",
    "UndoError": "recovery",
    "UndoReport": "recovery",
    "recover": "recovery",
    "undo": "recovery",
    "RecoveryNeededError": "transaction",
    "RollbackError": "transaction",
    "Step": "transaction",
    "StepHook": "transaction",
    "Transaction": "transaction",
    "TransactionError": "transaction",
    "WrittenFile": "transaction",
    "CleanReport": "trash",
    "TrashEntry": "trash",
    "UnsafePathError": "trash",
    "clean_trash": "trash",
    "list_trash": "trash",
    "venv_path": "trash",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CleanReport",
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
    "list_trash",
    "recover",
    "undo",
    "venv_path",
]
