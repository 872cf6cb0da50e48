"""The output of ``scan``: a table for people, JSON lines for programs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from venv_doctor.report.json import check_dict, dumps

if TYPE_CHECKING:
    from rich.console import Console

    from venv_doctor.report.model import ScanRow

_STYLE = {
    "error": "bold red",
    "warning": "yellow",
    "info": "cyan",
    "ok": "green",
    "unchecked": "magenta",
}


# The frame of a four-column table: a border and a space either side of each cell.
_TABLE_FRAME = 4 * 3 + 1
_MIN_VENV_WIDTH = 20


def shorten_path(path: str, width: int) -> str:
    """``path`` in at most ``width`` characters, its start replaced by ``…`` where needed.

    Whole folder names are dropped from the left, so that what is shown still
    ends with the venv's own folders; only a last name longer than the width
    itself is cut.
    """
    if len(path) <= width:
        return path
    kept = ""
    for part in reversed(path.split("/")):
        longer = f"/{part}{kept}"
        if len(longer) + 1 > width:
            break
        kept = longer
    if kept:
        return "…" + kept
    return "…" + path[len(path) - width + 1 :]


def _most_frequent(row: ScanRow) -> str:
    """The two most frequent finding codes, one a line, or why the venv went unchecked."""
    if row.result is None:
        return row.error or ""
    codes = row.result.code_counts()
    return "\n".join(
        f"{code} x{count}" for code, count in sorted(codes.items(), key=lambda kv: -kv[1])[:2]
    )


def row_json(row: ScanRow) -> str:
    """One line of JSON for one venv: the check report, or the reason it could not run."""
    if row.result is not None:
        data = {"venv": row.venv, "worst": row.worst, "problems": row.problems}
        data["report"] = check_dict(row.result)
    else:
        data = {"venv": row.venv, "worst": row.worst, "problems": 0, "error": row.error}
    return dumps(data)


def render_table(rows: Iterable[ScanRow], console: Console, progress_console: Console) -> bool:
    """Print the summary table once every venv is checked; True when any has problems.

    While venvs are being checked, a counter on stderr (a terminal only) keeps
    a long scan visibly alive.
    """
    from rich.markup import escape
    from rich.table import Table

    collected: list[ScanRow] = []
    with progress_console.status("checking venvs…") as status:
        for row in rows:
            collected.append(row)
            status.update(f"checked {len(collected)} venvs, last {row.venv}")
    ordered = sorted(collected, key=lambda r: r.venv)
    tops = [_most_frequent(row) for row in ordered]
    # A path broken mid-word is unreadable: each row is one line, and a path too
    # long for what is left of the width is shortened from the left.
    top_width = min(max((len(line) for top in tops for line in top.splitlines()), default=0), 26)
    top_width = max(top_width, len("most frequent"))
    problems_width = max(len("problems"), *(len(str(row.problems)) for row in ordered), 0)
    fixed = problems_width + len("unchecked") + _TABLE_FRAME
    # The venv column comes first: the codes column gives way down to its title.
    venv_width = console.width - fixed - top_width
    if venv_width < _MIN_VENV_WIDTH:
        top_width = max(len("most frequent"), top_width - (_MIN_VENV_WIDTH - venv_width))
        venv_width = max(console.width - fixed - top_width, 8)
    table = Table(title=f"{len(collected)} venvs")
    table.add_column("venv", no_wrap=True, max_width=venv_width)
    table.add_column("problems", justify="right", no_wrap=True, min_width=problems_width)
    table.add_column("worst", no_wrap=True, min_width=len("unchecked"))
    table.add_column("most frequent", no_wrap=True, overflow="ellipsis", max_width=top_width)
    failed = False
    for row, top in zip(ordered, tops, strict=True):
        worst = row.worst
        failed |= worst in {"error", "warning", "unchecked"}
        table.add_row(
            escape(shorten_path(row.venv, venv_width)),
            str(row.problems),
            f"[{_STYLE[worst]}]{worst}[/]",
            escape(top),
        )
    console.print(table)
    if failed:
        console.print(
            "Next: venv-doctor check PATH for the details, venv-doctor fix PATH to repair."
        )
    return failed
