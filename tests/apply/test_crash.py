"""SIGKILL at random moments, during a transaction and during recovery.

Whatever the moment, ``recover`` brings the venv back to exactly what it was
before, or the transaction had committed and ``undo`` does.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.apply.venvs import assert_same_tree, copy_venv, tree
from venv_doctor.apply import VenvLock, recover, undo
from venv_doctor.read.journal import read_journals

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
RUNS = 25


def start(*args: str | int | Path) -> subprocess.Popen[str]:
    """Start ``plan_runner`` and wait until it holds the venv's lock."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.apply.plan_runner", *map(str, args)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line == "ready\n", line + proc.communicate()[1]
    return proc


def kill_after(proc: subprocess.Popen[str], delay: float) -> bool:
    """SIGKILL ``proc`` after ``delay`` seconds; True when it was still running."""
    time.sleep(delay)
    alive = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=30)
    assert alive or proc.returncode == 0, err
    return alive


def duration(proc: subprocess.Popen[str]) -> float:
    """Seconds ``proc``, left alone, takes from ``ready`` to ``done`` (its work, not its exit)."""
    assert proc.stdout is not None
    began = time.monotonic()
    line = proc.stdout.readline()
    span = time.monotonic() - began
    _, err = proc.communicate(timeout=60)
    assert line == "done\n", line + err
    assert proc.returncode == 0, err
    return span


def back_to_before(venv: Path, before: dict[str, tuple[object, ...]]) -> str:
    """Recover; undo a transaction that got to commit; the tree must be ``before``."""
    with VenvLock(venv) as lock:
        report = recover(venv, lock=lock)
        states = [journal.parsed.state for journal in read_journals(venv)]
        outcome = "rolled back" if report.rolled_back else "untouched"
        if states and states[-1] == "committed":
            undo(venv, lock=lock)
            outcome = "committed"
    assert_same_tree(before, venv)
    return outcome


def test_sigkill_during_a_transaction(
    tmp_path: Path, template_venv: Path, wheels: dict[str, Path]
) -> None:
    rng = random.Random(20250101)  # noqa: S311 - reproducible delays
    # Kill within the time a whole run takes here, however fast this machine is.
    # The fastest of three runs: the first one also compiles bytecode, warms caches.
    span = min(
        duration(
            start("plan", copy_venv(template_venv, tmp_path / f"timed-{n}"), wheels["beta"], 0)
        )
        for n in range(3)
    )
    outcomes: list[str] = []
    for run in range(RUNS):
        venv = copy_venv(template_venv, tmp_path / f"run-{run}")
        before = tree(venv)
        proc = start("plan", venv, wheels["beta"], run)
        # Mostly inside the transaction; the span also holds the commit and what follows it.
        kill_after(proc, rng.uniform(0, 0.8 * span))
        outcomes.append(back_to_before(venv, before))
    # Most kills must land inside the transaction, or the test proves little.
    assert outcomes.count("rolled back") >= RUNS // 2, outcomes


def test_sigkill_during_recovery(
    tmp_path: Path, template_venv: Path, wheels: dict[str, Path]
) -> None:
    rng = random.Random(7)  # noqa: S311 - reproducible delays
    interrupted = 0
    for run in range(8):
        venv = copy_venv(template_venv, tmp_path / f"run-{run}")
        before = tree(venv)
        crashed = start("crash", venv, wheels["beta"], 10 + 2 * run)
        crashed.communicate(timeout=30)
        assert crashed.returncode == -signal.SIGKILL
        (journal,) = read_journals(venv)
        assert journal.parsed.state == "unfinished"
        for attempt in range(3):
            proc = start("recover", venv, attempt)
            interrupted += kill_after(proc, rng.uniform(0, 0.06))
        assert back_to_before(venv, before) in {"rolled back", "untouched"}
    assert interrupted >= 8
