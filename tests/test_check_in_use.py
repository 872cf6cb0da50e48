"""file-in-use: a full check names the running processes that use files of the venv."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.support.tools import Tools, check_json, clean_environ, rel, run_check, site_packages

pytestmark = pytest.mark.slow

HOLD_OPEN = """\
import sys, time
held = open(sys.argv[1], "rb")
print("ready", flush=True)
time.sleep(300)
"""


@pytest.fixture
def venv(tools: Tools, tmp_path: Path) -> Path:
    venv = tools.make_uv_venv(tmp_path / ".venv")
    tools.uv_pip_install(venv, "rufflike", "polarslike")
    return venv


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts, killed at its end whatever happens."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        proc.kill()
        proc.communicate()


def test_full_check_names_processes_that_open_or_run_files_of_the_venv(
    venv: Path, started: list[subprocess.Popen[str]]
) -> None:
    module = site_packages(venv) / "polarslike" / "frame.py"
    # The venv's own python, holding a module of the venv open.
    holder = subprocess.Popen(
        [str(venv / "bin" / "python"), "-c", HOLD_OPEN, str(module)],
        stdout=subprocess.PIPE,
        text=True,
    )
    started.append(holder)
    assert holder.stdout is not None
    assert holder.stdout.readline() == "ready\n"
    # An executable of the venv's bin folder, running.
    sleep = shutil.which("sleep")
    assert sleep is not None
    sleeper = venv / "bin" / "sleeper"
    shutil.copy2(sleep, sleeper)
    runner = subprocess.Popen([str(sleeper), "300"], text=True)  # returns once exec is done
    started.append(runner)

    # The copied executable is an orphan-file; an info finding alone exits 0.
    result = check_json(venv, "--ignore", "orphan-file")

    assert result.exit_code == 0, result.stdout
    by_path = {finding["path"]: finding for finding in result.of("file-in-use")}
    opened = by_path[rel(venv, module)]
    name = psutil.Process(holder.pid).name()
    assert opened["severity"] == "info"
    assert opened["package"] is None
    assert opened["message"] == (
        f"{name} (pid {holder.pid}) uses 1 file of this venv (open): {rel(venv, module)}"
    )
    running = by_path["bin/sleeper"]
    assert running["message"] == (
        f"sleeper (pid {runner.pid}) uses 1 file of this venv (running): bin/sleeper"
    )
    assert result.stderr == ""

    quick = check_json(venv, "--quick", "--ignore", "orphan-file")
    assert quick.exit_code == 0, quick.stdout
    assert "file-in-use" not in quick.codes


def test_check_never_names_itself() -> None:
    """venv-doctor checking the venv it runs from maps that venv's files itself."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "venv_doctor", "check", "--format", "json", sys.prefix],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_environ(),
    )
    out, err = proc.communicate(timeout=300)
    assert proc.returncode in {0, 1}, err
    assert psutil.Process().memory_maps(), "this platform does not show memory maps"
    report = json.loads(out)
    assert not [f for f in report["findings"] if f"(pid {proc.pid})" in f["message"]]


def test_text_check_prints_no_progress_when_stderr_is_not_a_terminal(venv: Path) -> None:
    result = run_check(str(venv))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert "full check" in result.stdout
