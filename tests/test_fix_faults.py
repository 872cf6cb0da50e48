"""``fix`` cannot leave a venv worse than it found it: a failure at any step, or SIGKILL.

The venv is the product card's: a ``uv remove`` that stopped at a locked
native module, in a project that was then moved, so the plan removes,
installs and relocates.  A step that fails rolls everything back to the very
bytes there were before; a ``fix`` killed at any moment is reported by
``check`` and finished by the next ``fix``.
"""

from __future__ import annotations

import errno
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.fixing import Run, venv_doctor
from tests.support.tools import ImmutableFiles, Tools, check_json, site_packages
from tests.test_fix import assert_in_sync, content_digest
from venv_doctor.apply import Step, TransactionError
from venv_doctor.apply.wheelsource import wheel_getter
from venv_doctor.commands.check import LockOptions
from venv_doctor.commands.fix import FixOptions, run_fix
from venv_doctor.read.journal import journal_dir, read_journals
from venv_doctor.read.layout import read_layout
from venv_doctor.report.model import FixResult

pytestmark = pytest.mark.slow

KILLS = 20
AFTER_JOURNAL = 8  # of the kills, how many land just after the journal appears


def broken_moved_project(tools: Tools, tmp_path: Path, immutable: ImmutableFiles) -> Path:
    """A failed ``uv remove polarslike``, then the project moved: returns its new place."""
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    immutable(site_packages(venv) / "polarslike" / "_native.abi3.so")
    assert tools.run_uv("remove", "polarslike", cwd=project, check=False).returncode != 0
    immutable.release()
    moved = tmp_path / "moved" / "proj"
    moved.parent.mkdir()
    project.rename(moved)
    codes = {f["code"] for f in check_json(moved / ".venv").failing()}
    assert codes >= {"dist-info-incomplete", "script-stale-shebang"}, codes
    return moved


def fix_here(
    tools: Tools, project: Path, cache: Path, on_step: Callable[[Step], None]
) -> FixResult:
    """``fix`` in this process, through the public API, with a hook before every step."""
    environ = tools.environ | {"VENV_DOCTOR_CACHE_DIR": str(cache)}
    return run_fix(
        read_layout(project / ".venv"),
        lock=LockOptions(),
        options=FixOptions(),
        environ=environ,
        cwd=project,
        get_wheel=wheel_getter(find_links=(), index_url=None, offline=False, environ=environ),
        on_step=on_step,
    )


def fail_at(index: int) -> Callable[[Step], None]:
    """A hook that makes the ``index``-th step fail (rollback steps pass)."""
    seen = 0

    def hook(step: Step) -> None:
        nonlocal seen
        if step.op.startswith("undo-"):
            return
        if seen == index:
            raise OSError(errno.EIO, "injected fault")
        seen += 1

    return hook


def no_fault(step: Step) -> None:
    """A hook that lets every step through."""


def undo(tools: Tools, venv: Path, cache: Path) -> None:
    done = venv_doctor(tools, "undo", venv, cache=cache)
    assert done.exit_code == 0, done.output


def test_a_failure_at_every_step_leaves_the_venv_as_it_was(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = broken_moved_project(tools, tmp_path, immutable)
    venv = project / ".venv"
    cache = tmp_path / "vd-cache"
    broken = content_digest(venv)

    # A first pass only counts the steps; undo brings the broken venv back.
    steps: list[Step] = []
    counted = fix_here(tools, project, cache, steps.append)
    assert counted.healthy
    actions = {type(action).__name__ for action in counted.plan.actions}
    assert actions >= {"RemoveDist", "InstallDist", "RewriteFile"}, actions
    undo(tools, venv, cache)
    assert content_digest(venv) == broken
    forward = [step for step in steps if not step.op.startswith("undo-")]
    assert {step.op for step in forward} >= {"mkdir", "move", "create", "replace"}

    for index, step in enumerate(forward):
        with pytest.raises(TransactionError) as failed:
            fix_here(tools, project, cache, fail_at(index))
        assert failed.value.rolled_back, (index, step)
        assert step.path in str(failed.value), (index, step, str(failed.value))
        assert content_digest(venv) == broken, (index, step)

    # Every failed attempt was rolled back, not left for recovery.
    assert {journal.parsed.state for journal in read_journals(venv)} == {
        "committed",
        "rolled-back",
    }
    assert fix_here(tools, project, cache, no_fault).healthy
    assert_in_sync(tools, project)


# -- SIGKILL -------------------------------------------------------------------------------


def start_fix(tools: Tools, project: Path, cache: Path) -> subprocess.Popen[bytes]:
    env = tools.environ | {"VENV_DOCTOR_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "venv_doctor", "fix", str(project)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_journal(venv: Path, proc: subprocess.Popen[bytes]) -> None:
    """Return as soon as ``fix`` has begun a new transaction (or has ended)."""
    folder = journal_dir(venv)
    known = set(folder.iterdir()) if folder.is_dir() else set()
    while proc.poll() is None:
        if folder.is_dir() and set(folder.iterdir()) - known:
            return
        time.sleep(0.001)


def unfinished(venv: Path) -> list[str]:
    return [j.txn for j in read_journals(venv) if j.parsed.state in {"unfinished", "empty"}]


def test_sigkill_at_random_moments_then_fix_again(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = broken_moved_project(tools, tmp_path, immutable)
    venv = project / ".venv"
    cache = tmp_path / "vd-cache"
    broken = content_digest(venv)

    began = time.monotonic()
    first = venv_doctor(tools, "fix", project, cache=cache)
    duration = time.monotonic() - began
    assert first.exit_code == 0, first.output
    undo(tools, venv, cache)
    assert content_digest(venv) == broken

    rng = random.Random(4242)  # noqa: S311 - reproducible moments, not secrets
    moments: list[float | None] = [rng.uniform(0, duration) for _ in range(KILLS - AFTER_JOURNAL)]
    moments += [None] * AFTER_JOURNAL  # None: just after the journal appears
    interrupted = 0
    for moment in moments:
        proc = start_fix(tools, project, cache)
        if moment is None:
            wait_for_journal(venv, proc)
            time.sleep(rng.uniform(0, 0.03))
        else:
            time.sleep(moment)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)

        halfway = unfinished(venv)
        reported = check_json(venv).of("fix-interrupted")
        assert bool(reported) == bool(halfway), (moment, halfway, reported)
        interrupted += bool(halfway)

        again: Run = venv_doctor(tools, "fix", project, cache=cache)
        assert again.exit_code == 0, (moment, again.output)
        assert unfinished(venv) == []
        assert check_json(venv).failing() == []
        assert_in_sync(tools, project)

        undo(tools, venv, cache)
        assert content_digest(venv) == broken, moment
    # The kills must land inside transactions often enough to prove something.
    assert interrupted >= AFTER_JOURNAL // 2, interrupted
