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
    """What ``trash clean`` freed, and how much it had to keep."""
    count = len(report.removed)
    line = (
        f"Deleted the trash of {count} transaction{'s' if count != 1 else ''} "
        f"({report.freed / 1_048_576:.1f} MiB)"
    )
    if report.kept:
        kept = sum(file.size for file in report.kept)
        line += f"; kept {counted(len(report.kept), 'file')} ({_size(kept)}) it could not delete"
    return line + "."


def kept_lines(report: CleanReport) -> list[str]:
    """One line for each file ``trash clean`` kept, saying why; then what to do."""
    from venv_doctor.read.holders import describe_holders

    lines = []
    for file in report.kept:
        line = f"kept {file.path}: {file.reason}"
        if file.holders:
            line += f"; in use by {describe_holders(file.holders)}"
        lines.append(line)
    if any(file.holders for file in report.kept):
        lines.append(
            "hint: close the program(s) using them, then run venv-doctor trash clean again"
        )
    elif report.kept:
        lines.append("hint: fix what keeps them from being deleted, then run trash clean again")
    return lines


def _size(size: int) -> str:
    if size >= 1_048_576:
        return f"{size / 1_048_576:.1f} MiB"
    return f"{size / 1024:.1f} KiB"
