"""The figures of a kill-the-installer run, from the JSON lines ``--kill-log`` wrote.

    python -m tests.kill.summary kill-log.jsonl

prints a Markdown table, one row per installer and story and a total:
trials; kills that landed midway (the venv neither as it was nor as the
installer would have left it); trials whose venv differed from a fresh sync of
the wanted lock (*differed*) and how many of those ``check`` found (exit 1);
trials ``fix`` repaired (exit 0, the venv equal to the fresh sync, ``uv sync
--frozen --check`` clean and ``check`` exiting 0 after); failed trials; the
median and the worst time of ``fix``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class Row:
    """The trials of one installer and story, or of them all."""

    trials: int = 0
    midway: int = 0
    differed: int = 0
    detected: int = 0
    repaired: int = 0
    failed: int = 0
    fix_seconds: list[float] = field(default_factory=list)

    def add(self, entry: dict[str, Any]) -> None:
        self.trials += 1
        self.midway += entry["kill"]["landed"] == "midway"
        if entry["before"]:
            self.differed += 1
            self.detected += entry["check"]["exit"] == 1
        self.repaired += repaired(entry)
        self.failed += bool(entry["problems"])
        self.fix_seconds.append(entry["seconds"]["fix"])

    def cells(self) -> list[str]:
        median = statistics.median(self.fix_seconds) if self.fix_seconds else 0.0
        worst = max(self.fix_seconds, default=0.0)
        return [
            str(self.trials),
            str(self.midway),
            f"{self.detected} of {self.differed}",
            str(self.repaired),
            str(self.failed),
            f"{median:.2f} s",
            f"{worst:.2f} s",
        ]


def repaired(entry: dict[str, Any]) -> bool:
    """Whether ``fix`` left what a fresh sync gives, and uv and ``check`` agree."""
    return (
        entry["fix"]["exit"] == 0
        and not entry["after"]
        and entry["uv_check"]["exit"] == 0
        and entry["again"]["exit"] == 0
    )


def read_log(lines: Iterable[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines if line.strip()]


def table(entries: Sequence[dict[str, Any]]) -> str:
    """The Markdown table of ``entries``: a row per installer and story, then the total."""
    rows: dict[tuple[str, str], Row] = {}
    total = Row()
    for entry in entries:
        rows.setdefault((entry["installer"], entry["story"]), Row()).add(entry)
        total.add(entry)
    head = [
        "installer",
        "story",
        "trials",
        "killed midway",
        "found by check",
        "repaired",
        "failed",
        "fix, median",
        "fix, worst",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (installer, story), row in sorted(rows.items()):
        lines.append("| " + " | ".join([f"`{installer}`", story, *row.cells()]) + " |")
    lines.append("| " + " | ".join(["**all**", "", *total.cells()]) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path, help="the file --kill-log wrote")
    args = parser.parse_args(argv)
    entries = read_log(args.log.read_text(encoding="utf-8").splitlines())
    if not entries:
        sys.stderr.write(f"{args.log}: no trials\n")
        return 1
    sys.stdout.write(table(entries) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
