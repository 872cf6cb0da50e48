"""Run an installer to the end to time it, or SIGKILL it at a given moment."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.tools import ToolFailedError


@dataclass(frozen=True, slots=True, kw_only=True)
class Killed:
    """One installer run that was sent SIGKILL ``moment`` seconds after it started."""

    argv: list[str]
    moment: float
    alive: bool  # still running when the signal came (else it had already finished)
    exit_code: int
    output: str


def _start(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        # A session of its own, so that the kill reaches any child it started too.
        return subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _output(log: Path) -> str:
    return log.read_bytes().decode("utf-8", errors="replace")


def time_run(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path) -> float:
    """Seconds from starting ``argv`` to its exit; fails unless it succeeds."""
    began = time.monotonic()
    proc = _start(argv, env=env, cwd=cwd, log=log)
    code = proc.wait(timeout=300)
    span = time.monotonic() - began
    if code != 0:
        raise ToolFailedError(f"{' '.join(argv)} exited {code}\n{_output(log)}")
    return span


def kill_at(
    argv: Sequence[str], moment: float, *, env: Mapping[str, str], cwd: Path, log: Path
) -> Killed:
    """Start ``argv``, SIGKILL it (and its children) ``moment`` seconds later, reap it."""
    began = time.monotonic()
    proc = _start(argv, env=env, cwd=cwd, log=log)
    delay = moment - (time.monotonic() - began)
    if delay > 0:
        time.sleep(delay)
    alive = proc.poll() is None
    if alive:
        # Not reaped yet, so the process group still exists and its id is ours.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    code = proc.wait(timeout=60)
    return Killed(argv=list(argv), moment=moment, alive=alive, exit_code=code, output=_output(log))
