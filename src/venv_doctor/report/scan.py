"""The output of ``scan``: a table for people, JSON lines for programs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from venv_doctor.report.json import check_dict

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


def row_json(row: ScanRow) -> str:
    """One line of JSON for one venv: the check report, or the reason it could not run."""
    if row.result is not None:
        data = {"venv": row.venv, "worst": row.worst, "problems": row.problems}
        data["report"] = check_dict(row.result)
    else:
        data = {"venv": row.venv, "worst": row.worst, "problems": 0, "error": row.error}
    return json.dumps(data, ensure_ascii=False)


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
    table = Table(title=f"{len(collected)} venvs")
    table.add_column("venv", overflow="fold")
    table.add_column("problems", justify="right")
    table.add_column("worst")
    table.add_column("most frequent", overflow="fold")
    failed = False
    for row in sorted(collected, key=lambda r: r.venv):
        worst = row.worst
        failed |= worst in {"error", "warning", "unchecked"}
        if row.result is not None:
            codes = row.result.code_counts()
            top = ", ".join(
                f"{code} x{count}"
                for code, count in sorted(codes.items(), key=lambda kv: -kv[1])[:2]
            )
        else:
            top = row.error or ""
        table.add_row(
            escape(row.venv),
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
