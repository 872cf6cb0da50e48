"""SIGKILL real uv and pip at random moments, then ``check`` and ``fix`` the venv they left.

Each installer command moves the project's venv from the old lock state
towards the new one (``scenarios``) and is killed at a seeded random moment
within the time it takes here when left alone (the fastest of three runs).
Then the project is put in the state of one of two stories: the user keeps
the new lock, or goes back to the old one.  Against a fresh ``uv sync
--frozen`` of that lock (``compare``):

- ``check`` exits 1 when the venv differs, 0 when it does not; never 2, never
  a traceback;
- ``fix --from uv.lock`` exits 0, after which the venv equals the fresh sync
  file for file, ``uv sync --frozen --check`` wants nothing, and ``check``
  exits 0.

The default run makes one trial per installer and story; ``--kill-trials N``
makes N, ``--kill-seed S`` only the one a failure names, ``--kill-log FILE``
writes what each trial saw as JSON lines.  A seed fixes the moment as a
fraction of the measured duration: run again, the kill lands at about the
same point of the installer's work, not always between the same two files.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.kill.compare import leftovers
from tests.kill.lab import Lab
from tests.kill.scenarios import INSTALLERS, Bench, Installer, describe
from tests.support.fixing import Run, venv_doctor

pytestmark = pytest.mark.slow

TRACEBACK = "Traceback (most recent call last)"
SHOWN = 60  # lines of each tree difference shown in a failure
FULL_REPORTS = 3  # failing trials shown in full; the others in one line each


@dataclass(slots=True, kw_only=True)
class Trial:
    """Everything one trial saw, for its failure message and the ``--kill-log``."""

    test: str
    seed: int
    fraction: float
    story: str
    argv: list[str] = field(default_factory=list)
    entry: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def rerun(self) -> str:
        return f"pytest 'tests/kill/test_kill_installers.py::{self.test}' --kill-seed {self.seed}"


def findings(run: Run) -> list[dict[str, Any]]:
    """The findings of a ``check --format json`` run, or of a fix's check afterwards."""
    try:
        report = json.loads(run.stdout)
    except ValueError:
        return []
    if "findings" in report:
        return list(report["findings"])
    after = report.get("after") or {}
    return list(after.get("findings", []))


def finding_lines(found: list[dict[str, Any]]) -> list[str]:
    return [
        f"{f['severity']} {f['code']} {f['package']} {f['path']}: {f['message']}" for f in found
    ]


def plan_lines(run: Run) -> list[str]:
    """A fix's plan: each action, and each finding it leaves unresolved."""
    try:
        plan = json.loads(run.stdout).get("plan", {})
    except ValueError:
        return []
    lines = []
    for action in plan.get("actions", []):
        line = f"{action['action']} {action.get('package')} {action.get('version')}"
        moved = action.get("paths") or ([action["path"]] if action.get("path") else [])
        if moved:
            line += f" (moves {', '.join(moved)})"
        lines.append(f"{line}: {action.get('reason')}")
    lines += [f"unresolved: {line}" for line in finding_lines(plan.get("unresolved", []))]
    return lines


def leftover_lines(found: dict[str, Any]) -> list[str]:
    lines = [
        f"{name}: " + ", ".join(f"{file} {size}" for file, size in files.items())
        for name, files in found["dist-info"].items()
    ]
    return lines + [f"temporary: {path}" for path in found["temporary"]]


def venv_doctor_entry(run: Run) -> dict[str, Any]:
    return {
        "exit": run.exit_code,
        "findings": finding_lines(findings(run)),
        "plan": plan_lines(run),
        "stderr": run.stderr,
        "traceback": TRACEBACK in run.output,
    }


def show(lines: list[str]) -> str:
    shown = [f"    {line}" for line in lines[:SHOWN]]
    if len(lines) > SHOWN:
        shown.append(f"    ... and {len(lines) - SHOWN} more")
    return "\n".join(shown) if shown else "    (none)"


def report(trial: Trial) -> str:
    """The whole story of a failed trial, to reproduce it and to see what went wrong."""
    e = trial.entry
    killed = e["kill"]
    parts = [
        f"trial {trial.test} seed {trial.seed}: {'; '.join(trial.problems)}",
        f"  rerun: {trial.rerun}",
        f"  installer: {describe(trial.argv)}",
        f"  killed at {killed['moment_ms']:.1f} ms of {killed['duration_ms']:.1f} ms "
        f"(fraction {trial.fraction:.4f}), still running: {killed['alive']}, "
        f"landed {killed['landed']}, exit {killed['exit']}",
        f"  installer output:\n{show(killed['output'].splitlines()[-10:])}",
        f"  story {trial.story}: the wanted lock is the {e['wanted']} one",
        f"  metadata folders and temporary files it left:\n{show(leftover_lines(e['left']))}",
        f"  venv vs a fresh sync of it, before check:\n{show(e['before'])}",
    ]
    for step, title in (
        ("check", "check"),
        ("fix", "fix --from uv.lock"),
        ("again", "check again"),
    ):
        run = e[step]
        parts.append(f"  {title}: exit {run['exit']}")
        if run["plan"]:
            parts.append(f"   plan:\n{show(run['plan'])}")
        parts.append(f"   findings:\n{show(run['findings'])}")
        if run["stderr"].strip():
            parts.append(f"   stderr:\n{show(run['stderr'].splitlines()[-20:])}")
        if step == "fix":
            parts.append(f"  venv vs a fresh sync, after fix:\n{show(e['after'])}")
            parts.append(
                f"  uv sync --frozen --check: exit {e['uv_check']['exit']}\n"
                f"{show(e['uv_check']['output'].splitlines()[-12:])}"
            )
    return "\n".join(parts)


def run_trial(lab: Lab, bench: Bench, *, test: str, story: str, seed: int) -> Trial:
    """Kill the installer at the moment ``seed`` picks, then check and fix as the story goes."""
    rng = random.Random(f"{test}/{seed}")  # noqa: S311 - reproducible moments, not secrets
    trial = Trial(test=test, seed=seed, fraction=rng.random(), story=story)
    moment = trial.fraction * bench.duration
    killed = bench.kill(moment)
    trial.argv = killed.argv
    landed = bench.landing(killed)
    left = leftovers(bench.venv)

    wanted = lab.states["new" if story == "keep-new" else "old"]
    wanted.put(bench.project)
    twin = lab.twins[wanted.name]
    before = bench.differences(twin)

    def vd(*args: str | Path) -> Run:
        # -v: an unexpected error shows its traceback, which the trial reports.
        return venv_doctor(
            lab.tools, "-v", *args, cache=lab.cache, cwd=bench.project, allow_traceback=True
        )

    began = time.monotonic()
    check = vd("check", bench.venv, "--format", "json")
    checked = time.monotonic()
    fix = vd("fix", "--from", "uv.lock", "--format", "json")
    fixed = time.monotonic()
    after = bench.differences(twin)
    uv_check = lab.tools.run_uv("sync", "--frozen", "--check", cwd=bench.project, check=False)
    again = vd("check", bench.venv, "--format", "json")

    trial.entry = {
        "test": test,
        "seed": seed,
        "installer": bench.installer.id,
        "story": story,
        "wanted": wanted.name,
        "argv": trial.argv,
        "kill": {
            "fraction": trial.fraction,
            "moment_ms": moment * 1000,
            "duration_ms": bench.duration * 1000,
            "alive": killed.alive,
            "landed": landed,
            "exit": killed.exit_code,
            "output": killed.output,
        },
        "left": left,
        "before": before,
        "check": venv_doctor_entry(check),
        "fix": venv_doctor_entry(fix),
        "after": after,
        "uv_check": {"exit": uv_check.returncode, "output": uv_check.stdout + uv_check.stderr},
        "again": venv_doctor_entry(again),
        "seconds": {"check": checked - began, "fix": fixed - checked},
    }
    problems = trial.problems
    for step, run in (("check", check), ("fix", fix), ("check again", again)):
        if TRACEBACK in run.output:
            problems.append(f"{step} printed a traceback")
    wanted_check = 1 if before else 0
    if check.exit_code != wanted_check:
        problems.append(f"check exited {check.exit_code}, wanted {wanted_check}")
    if fix.exit_code != 0:
        problems.append(f"fix exited {fix.exit_code}")
    if after:
        problems.append(f"after fix the venv differs from a fresh sync ({len(after)} lines)")
    if uv_check.returncode != 0:
        problems.append("uv sync --frozen --check wants changes")
    if again.exit_code != 0:
        problems.append(f"check after fix exited {again.exit_code}")
    trial.entry["problems"] = problems
    lab.record(trial.entry)
    return trial


@pytest.mark.parametrize(
    "story",
    [
        pytest.param("keep-new", id="keep-new"),
        pytest.param("go-back", id="go-back"),
    ],
)
@pytest.mark.parametrize(
    "installer", [pytest.param(installer, id=installer.id) for installer in INSTALLERS]
)
def test_check_and_fix_after_a_killed_installer(
    kill_lab: Lab,
    kill_seeds: list[int],
    installer: Installer,
    story: str,
    request: pytest.FixtureRequest,
) -> None:
    bench = kill_lab.bench(installer)
    test = request.node.name
    failed = []
    for seed in kill_seeds:
        trial = run_trial(kill_lab, bench, test=test, story=story, seed=seed)
        if trial.problems:
            failed.append(trial)
    if failed:
        shown = [report(trial) for trial in failed[:FULL_REPORTS]]
        shown += [f"trial seed {t.seed}: {'; '.join(t.problems)}" for t in failed[FULL_REPORTS:]]
        # The reports say all there is: no traceback, no reprs of the fixtures.
        pytest.fail(
            f"{len(failed)} of {len(kill_seeds)} trials failed\n\n" + "\n\n".join(shown),
            pytrace=False,
        )
