"""``trash list`` and ``trash clean``: what past transactions kept, and freeing it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from venv_doctor.commands.undo import RolledBack, recovered

if TYPE_CHECKING:
    from venv_doctor.apply.trash import CleanReport, TrashEntry
    from venv_doctor.read.layout import VenvLayout


def run_list(layout: VenvLayout) -> list[TrashEntry]:
    """The kept trash of past transactions, oldest first."""
    from venv_doctor.apply.trash import list_trash

    return list(list_trash(layout.root))


def run_clean(layout: VenvLayout, *, keep_last: int, on_rolled_back: RolledBack) -> CleanReport:
    """Delete the trash of finished transactions but the newest ``keep_last``."""
    from venv_doctor.apply.trash import clean_trash

    with recovered(layout, on_rolled_back=on_rolled_back, command="trash clean") as held:
        return clean_trash(held, keep_last=keep_last)
