"""The lines of ``trash list`` and ``trash clean``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from venv_doctor.words import counted

if TYPE_CHECKING:
    from venv_doctor.apply.trash import CleanReport, TrashEntry


def trash_line(entry: TrashEntry) -> str:
    """One row of ``trash list``."""
    started = entry.started.strftime("%Y-%m-%d %H:%M") if entry.started else "?"
    return (
        f"{entry.txn}  {started}  {entry.state:11}  {counted(entry.files, 'file'):>12}  "
        f"{entry.size / 1_048_576:8.1f} MiB  {entry.description}"
    )


def clean_line(report: CleanReport) -> str:
    """What ``trash clean`` freed."""
    count = len(report.removed)
    return (
        f"Deleted the trash of {count} transaction{'s' if count != 1 else ''} "
        f"({report.freed / 1_048_576:.1f} MiB)."
    )
