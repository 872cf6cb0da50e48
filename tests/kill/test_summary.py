"""The figures of a kill run, counted from its log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.kill.summary import main, read_log, table


def entry(
    *,
    story: str = "keep-new",
    before: bool,
    check: int,
    fix: int,
    after: bool,
    seconds: float,
    landed: str = "midway",
) -> dict[str, Any]:
    problems = [] if (check == (1 if before else 0) and fix == 0 and not after) else ["x"]
    return {
        "installer": "uv-sync-copy",
        "story": story,
        "kill": {"landed": landed},
        "before": ["- a file"] if before else [],
        "check": {"exit": check},
        "fix": {"exit": fix},
        "after": ["- a file"] if after else [],
        "uv_check": {"exit": 0},
        "again": {"exit": 0},
        "problems": problems,
        "seconds": {"check": 0.1, "fix": seconds},
    }


def test_a_row_counts_what_check_found_and_fix_repaired() -> None:
    entries = [
        entry(before=True, check=1, fix=0, after=False, seconds=0.5),
        entry(before=True, check=0, fix=0, after=False, seconds=0.75),  # check missed it
        entry(before=False, check=0, fix=0, after=True, seconds=2.0, landed="after it ended"),
    ]
    rows = table(entries).splitlines()
    assert rows[2] == "| `uv-sync-copy` | keep-new | 3 | 2 | 1 of 2 | 2 | 2 | 0.75 s | 2.00 s |"
    assert rows[-1].startswith("| **all** |  | 3 | 2 | 1 of 2 | 2 | 2 |")


def test_the_command_reads_the_log_and_refuses_an_empty_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "kill.jsonl"
    log.write_text("")
    assert main([str(log)]) == 1
    log.write_text(json.dumps(entry(before=True, check=1, fix=0, after=False, seconds=1)) + "\n")
    assert main([str(log)]) == 0
    assert "| **all** |  | 1 | 1 | 1 of 1 | 1 | 0 | 1.00 s | 1.00 s |" in capsys.readouterr().out
    assert len(read_log(log.read_text().splitlines())) == 1
