"""What a transaction step is, and the errors a transaction raises, with who holds a busy file."""

from __future__ import annotations

import base64
import errno
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from venv_doctor.errors import VenvDoctorError
from venv_doctor.read.holders import Holder, describe_holders, find_holders

_BUSY = {errno.EPERM, errno.EACCES, errno.EBUSY, errno.ETXTBSY}


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """What the ``on_step`` hook hears before each step: journalled already, not done yet.

    ``op`` is ``mkdir``, ``move``, ``create``, ``replace`` or ``restore``, and
    ``undo-<op>`` while rolling back.  A hook that raises makes the step fail.
    """

    txn: str
    seq: int
    op: str
    path: str


StepHook = Callable[[Step], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Expected:
    """What a file about to be written must hold: ``size`` (if known) and ``digest``.

    ``source`` names what says so, for the error (the RECORD of a wheel).
    """

    size: int | None
    digest: bytes
    source: str


class ContentMismatchError(ValueError):
    """The content written does not match what was ``Expected``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WrittenFile:
    """A file a transaction wrote: venv-relative ``path``, ``size``, ``digest`` by ``hash_name``."""

    path: str
    size: int
    hash_name: str
    digest: bytes


class TransactionError(VenvDoctorError):
    """A change to the venv failed; says which file, why, and who holds it.

    ``rolled_back`` is true once every step done so far has been undone.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        path: Path | None = None,
        step: Step | None = None,
        os_error: OSError | None = None,
        holders: tuple[Holder, ...] = (),
        rolled_back: bool = False,
    ) -> None:
        super().__init__(message, hint=hint, path=path)
        self.step = step
        self.os_error = os_error
        self.holders = holders
        self.rolled_back = rolled_back


class RollbackError(TransactionError):
    """A rollback could not finish; the journal lets the next run go on with it."""


class RecoveryNeededError(TransactionError):
    """An earlier transaction was interrupted and has not been rolled back yet."""


VERBS = {
    "mkdir": "create the folder {}",
    "move": "move {} to the trash",
    "create": "write {}",
    "replace": "replace {}",
    "restore": "put back {}",
}


def transaction_error(
    message: str, *, path: Path | None, exc: BaseException | None, also: tuple[str, ...] = ()
) -> TransactionError:
    """The error for ``message`` caused by ``exc``, naming who holds ``path`` (or ``also``).

    ``also`` are more paths the step touches (the trash entry a restore moves).
    """
    os_error = exc if isinstance(exc, OSError) else None
    if os_error is None and isinstance(exc, VenvDoctorError) and exc.__cause__ is not None:
        os_error = exc.__cause__ if isinstance(exc.__cause__, OSError) else None
    holders: tuple[Holder, ...] = ()
    hint = None
    if os_error is not None:
        reason = os_error.strerror or str(os_error)
        if os_error.errno is not None:
            reason = f"{reason} ({errno.errorcode.get(os_error.errno, os_error.errno)})"
        if path is None and os_error.filename:
            path = Path(os.fsdecode(os_error.filename))
        message = f"{message}: {reason}"
        if os_error.errno in _BUSY and path is not None:
            holders = find_holders([str(path), *also])
            hint = _busy_hint(holders)
        elif os_error.errno == errno.ENOSPC:
            hint = "free some disk space and run the command again"
    elif exc is not None:
        detail = str(exc)
        message = f"{message}: {type(exc).__name__}" + (f": {detail}" if detail else "")
    if holders:
        message += f"; in use by {describe_holders(holders)}"
    return TransactionError(message, hint=hint, path=path, os_error=os_error, holders=holders)


def _busy_hint(holders: tuple[Holder, ...]) -> str:
    if holders:
        return "close the program(s) using it, then run the command again"
    if sys.platform == "win32":  # pragma: no cover
        return "a running program may have it open: close it, then run the command again"
    return "check the file's permissions and attributes (lsattr), then run the command again"


def missing_error(path: str) -> FileNotFoundError:
    return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)


def record_digest(value: str) -> bytes:
    """The digest a RECORD row gives as URL-safe base64 without padding (``sha256=<value>``)."""
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def installed_modes() -> tuple[int, int]:
    """The permission bits installer gives a file and an executable one, less the umask."""
    # The only portable way to read the umask is to set it; set it straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask, (0o777 & ~mask) | 0o111
