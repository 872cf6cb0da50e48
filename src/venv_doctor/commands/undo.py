"""``undo``: revert the last committed transaction, under the venv's lock."""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from venv_doctor.apply.lock import VenvLock
    from venv_doctor.apply.recovery import UndoReport
    from venv_doctor.read.layout import VenvLayout

RolledBack = Callable[[tuple[str, ...]], None]


@contextlib.contextmanager
def recovered(
    layout: VenvLayout, *, on_rolled_back: RolledBack, command: str
) -> Iterator[VenvLock]:
    """The venv's lock, held, after rolling back any interrupted change.

    ``on_rolled_back`` hears the transactions rolled back, if there were any.
    ``command`` (``undo``, ``trash clean``) is what the venv's owner would run
    instead, when another user who is not root may not change it.
    """
    from venv_doctor.apply.lock import VenvLock
    from venv_doctor.apply.owner import refuse_foreign
    from venv_doctor.apply.recovery import recover

    refuse_foreign(layout.root, f"venv-doctor {command} {shlex.quote(str(layout.root))}")

    with VenvLock(layout.root) as held:
        report = recover(layout.root, lock=held)
        if report.rolled_back:
            on_rolled_back(report.rolled_back)
        yield held


def run_undo(layout: VenvLayout, *, force: bool, on_rolled_back: RolledBack) -> UndoReport:
    """Revert the last committed transaction of the venv at ``layout``."""
    from venv_doctor.apply.recovery import undo

    with recovered(layout, on_rolled_back=on_rolled_back, command="undo") as held:
        return undo(held.root, lock=held, force=force)
