"""Installers' own leftovers, made by killing real pip and uv midway.

pip stashes the version it replaces under ``~`` names beside it and deletes
the stash at the end; uv writes every file it copies as ``.tmpXXXXXX`` and
renames it into place.  Each test stops the real installer with SIGKILL at a
chosen moment, so that what it leaves is the same every run:

- pip (Python): an audit hook, loaded from ``sitecustomize`` on
  ``PYTHONPATH``, sends SIGKILL to pip itself when pip opens (or renames, or
  deletes) the path the test names.  pip's own code runs unchanged.
- uv (Rust): one file of the unpacked wheel in uv's cache is replaced by a
  FIFO.  uv creates its ``.tmpXXXXXX`` in the venv, then opens the FIFO to
  copy from it and waits there; the test sees it waiting (a writer can
  open the FIFO once uv has it open for reading) and kills it.

Then ``check`` must call the leftovers what they are, and ``fix --from
uv.lock`` must give the venv a fresh ``uv sync --frozen`` gives, in both
stories: the user keeps the new lock, or goes back to the old one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.tools import (
    BASE_PYTHON,
    Tools,
    check_json,
    rel,
    run,
    run_check,
    site_packages,
    write_pyproject,
)
from tests.test_fix import (
    assert_healthy,
    assert_in_sync,
    assert_same_state,
    fresh_sync_state,
    installed_state,
    run_fix,
)
from venv_doctor.read.layout import is_venv_own_script

pytestmark = pytest.mark.slow

# Loaded by the interpreter pip runs in: SIGKILL when pip reaches the path.
_KILLER = """\
import os
import re
import signal
import sys

_EVENT = os.environ["VD_TEST_KILL_EVENT"]
_AT = re.compile(os.environ["VD_TEST_KILL_AT"])


def _hook(event, args):
    if event != _EVENT or not args or not isinstance(args[0], str) or not _AT.search(args[0]):
        return
    if event == "open" and not (isinstance(args[1], str) and any(c in args[1] for c in "wax+")):
        return
    os.kill(os.getpid(), signal.SIGKILL)


sys.addaudithook(_hook)
"""


def pip_killed(tools: Tools, venv: Path, tmp_path: Path, event: str, at: str, *args: str) -> None:
    """Run ``pip ARGS`` in ``venv``; SIGKILL it at the audit ``event`` on a path matching ``at``."""
    hooks = tmp_path / "kill-hook"
    hooks.mkdir(exist_ok=True)
    (hooks / "sitecustomize.py").write_text(_KILLER, encoding="utf-8")
    env = tools.environ | {
        "PYTHONPATH": str(hooks),
        "VD_TEST_KILL_EVENT": event,
        "VD_TEST_KILL_AT": at,
    }
    proc = run([venv / "bin" / "python", "-m", "pip", *args], env=env, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr


def locked_project(tools: Tools, root: Path, old: str, new: str) -> dict[str, dict[str, bytes]]:
    """A project at ``root`` with a lock for ``old`` and one for ``new``; ``old``'s in place."""
    root.mkdir()
    states = {}
    for story, requirement in (("new", new), ("old", old)):
        write_pyproject(root, [requirement])
        tools.run_uv("lock", "--python", BASE_PYTHON, cwd=root)
        states[story] = {n: (root / n).read_bytes() for n in ("pyproject.toml", "uv.lock")}
    return states


def use_lock(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (root / name).write_bytes(data)


def _state(venv: Path) -> dict[str, object]:
    """``installed_state`` but for what the venv's creator wrote into bin/ (venv or uv venv)."""
    state = installed_state(venv)
    scripts = state["scripts"]
    assert isinstance(scripts, list)
    state["scripts"] = [name for name in scripts if not is_venv_own_script(name)]
    return state


def assert_fixed_like_a_fresh_sync(tools: Tools, project: Path, tmp_path: Path) -> None:
    venv = project / ".venv"
    twin = tmp_path / "twin"
    if "uv = " not in (venv / "pyvenv.cfg").read_text():
        # uv keeps the seed packages (pip, setuptools) of a venv it did not make,
        # so the fresh sync to compare with goes into a venv made the same way.
        twin.mkdir()
        tools.make_pip_venv(twin / ".venv")
        for name in ("pyproject.toml", "uv.lock"):
            (twin / name).write_bytes((project / name).read_bytes())
        tools.run_uv("sync", "--frozen", "--link-mode", "copy", cwd=twin)
        expected = _state(twin / ".venv")
    else:
        expected = fresh_sync_state(tools, project, tmp_path)
    expected["scripts"] = _state(twin / ".venv")["scripts"]
    fixed = run_fix(tools, venv, "--from", str(project / "uv.lock"))
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert_healthy(venv)
    assert_in_sync(tools, project)
    assert_same_state(_state(venv), expected)
    assert not [p for p in site_packages(venv).rglob("*") if p.name.startswith(("~", ".tmp"))]


# -- pip: an upgrade killed midway ----------------------------------------------------------


@pytest.mark.parametrize("story", ["new", "old"])
def test_pip_upgrade_killed_midway_is_one_finding_and_fix_follows_the_lock(
    tools: Tools, tmp_path: Path, story: str
) -> None:
    project = tmp_path / "proj"
    locks = locked_project(tools, project, "bulky==1.0", "bulky==2.0")
    venv = tools.make_pip_venv(project / ".venv", "bulky==1.0")
    sp = site_packages(venv)
    # Killed while writing the 151st of 2.0's 301 files: 1.0 is stashed, half
    # of 2.0 written over nothing, 2.0's metadata not written yet.
    pip_killed(
        tools, venv, tmp_path, "open", r"/bulky/part_150\.py$", "install", "-U", "bulky==2.0"
    )
    assert (sp / "~ulky-1.0.dist-info" / "METADATA").is_file()
    assert (sp / "~ulky" / "part_299.py").is_file()
    assert (sp / "bulky" / "part_149.py").read_text().endswith("'2.0'\n")
    assert not list(sp.glob("bulky-*.dist-info"))
    use_lock(project, locks[story])

    result = check_json(venv)
    assert result.exit_code == 1
    about = [f for f in result.findings if f["package"] == "bulky"]
    assert sorted(f["code"] for f in about) == ["lock-missing", "pip-interrupted"], result.stdout
    (stopped,) = result.of("pip-interrupted")
    assert stopped["path"] == rel(venv, sp / "~ulky-1.0.dist-info")
    assert (stopped["severity"], stopped["version"]) == ("error", "1.0")
    wanted = "2.0" if story == "new" else "1.0"
    assert "bulky 1.0 is stashed" in stopped["message"]
    assert f"uv.lock wants bulky {wanted}" in stopped["message"]
    written = sum(1 for p in (sp / "bulky").iterdir() if p.is_file())
    assert written == 151  # __init__.py first, then part_000 to part_149
    assert (
        f"pip had written {written} files of the version replacing it in bulky/"
        in (stopped["message"])
    )
    # Nothing else takes the stash or the half-written folder for anything.
    for code in ("file-modified", "file-missing", "stash-leftover", "duplicate-distribution"):
        assert not result.of(code), code
    assert not [f for f in result.of("orphan-file") if "bulky" in f["path"]]

    assert_fixed_like_a_fresh_sync(tools, project, tmp_path)
    assert (venv / "bin" / "bulky").is_file()


def test_pip_upgrade_killed_after_a_new_file_going_back_removes_that_file(
    tools: Tools, tmp_path: Path
) -> None:
    # bumpy 2.0 adds new.py, which 1.0 does not have: going back to 1.0, what
    # pip wrote of 2.0 must go, not only be written over.
    project = tmp_path / "proj"
    locks = locked_project(tools, project, "bumpy==1.0", "bumpy==2.0")
    venv = tools.make_pip_venv(project / ".venv", "bumpy==1.0")
    sp = site_packages(venv)
    pip_killed(
        tools, venv, tmp_path, "open", r"/bumpy-2\.0\.dist-info/METADATA$", "install", "bumpy==2.0"
    )
    assert (sp / "bumpy" / "new.py").is_file()
    use_lock(project, locks["old"])

    result = check_json(venv)
    (stopped,) = result.of("pip-interrupted")
    # pip had made 2.0's metadata folder, empty: the version it was installing.
    assert "while replacing bumpy 1.0 with 2.0" in stopped["message"]
    assert "pip had written 2 files of bumpy 2.0 in bumpy/" in stopped["message"]
    assert_fixed_like_a_fresh_sync(tools, project, tmp_path)
    assert not (sp / "bumpy" / "new.py").exists()


def test_pip_upgrade_killed_while_deleting_its_stash_names_both_versions(
    tools: Tools, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    locks = locked_project(tools, project, "bulky==1.0", "bulky==2.0")
    venv = tools.make_pip_venv(project / ".venv", "bulky==1.0")
    sp = site_packages(venv)
    # 2.0 is complete; pip dies as it starts deleting the stash of 1.0.
    pip_killed(tools, venv, tmp_path, "shutil.rmtree", r"/~ulky", "install", "bulky==2.0")
    assert (sp / "bulky-2.0.dist-info" / "RECORD").is_file()
    assert (sp / "~ulky-1.0.dist-info").is_dir()
    use_lock(project, locks["new"])

    result = check_json(venv)
    assert result.exit_code == 1
    (stash,) = result.of("stash-leftover")
    assert (stash["package"], stash["version"], stash["severity"]) == ("bulky", "1.0", "warning")
    assert "bulky 1.0 is still stashed" in stash["message"]
    assert "bulky 2.0 is installed in its place" in stash["message"]
    assert {f["code"] for f in result.findings if f["package"] == "bulky"} == {"stash-leftover"}

    assert_fixed_like_a_fresh_sync(tools, project, tmp_path)


def test_pip_killed_before_renaming_its_record_leaves_a_temp_file(
    tools: Tools, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    locks = locked_project(tools, project, "bumpy==1.0", "bumpy==2.0")
    venv = tools.make_pip_venv(project / ".venv")
    pip_killed(
        tools, venv, tmp_path, "os.rename", r"/RECORD[a-z0-9_]{8}\.tmp$", "install", "bumpy==2.0"
    )
    meta = site_packages(venv) / "bumpy-2.0.dist-info"
    (temp,) = meta.glob("RECORD*.tmp")
    use_lock(project, locks["new"])

    result = check_json(venv)
    found = result.at("stash-leftover", rel(venv, temp))
    assert found["package"] == "bumpy"
    assert "pip writes RECORD under this name" in found["message"]
    assert_fixed_like_a_fresh_sync(tools, project, tmp_path)


def test_pip_killed_before_the_metadata_folder_left_files_of_the_wheel_in_its_temp_folder(
    tools: Tools, tmp_path: Path
) -> None:
    # pip writes a wheel's files in the wheel's order, the metadata folder
    # last; killed at runner.py, _pytestlike/__init__.py belongs to no
    # distribution.  The wheel pip downloaded is still in its pip-unpack-*
    # folder: that says pip wrote it.  Going back to a lock without
    # pytestlike, it must go as pip's leftover, not stay as a person's orphan.
    # pip gets a temp folder of its own: other tests leave pip-unpack-* folders.
    tools = tools.with_tmp(tmp_path / "tmp")
    project = tmp_path / "proj"
    locks = locked_project(tools, project, "deplow", "pytestlike==1.0")
    venv = tools.make_pip_venv(project / ".venv", "deplow")
    sp = site_packages(venv)
    pip_killed(
        tools, venv, tmp_path, "open", r"/_pytestlike/runner\.py$", "install", "pytestlike==1.0"
    )
    assert (sp / "_pytestlike" / "__init__.py").is_file()
    assert not list(sp.glob("pytestlike-*"))
    (wheel,) = tools.tmp.glob("pip-unpack-*/pytestlike-1.0-*.whl")
    use_lock(project, locks["old"])

    result = run_check(venv, "--format", "json", env=tools.environ, cwd=project)
    found = result.at("stash-leftover", rel(venv, sp / "_pytestlike"))
    assert wheel.name in found["message"]
    assert "pip wrote them, in an install it did not finish" in found["message"]
    assert not result.of("orphan-file")
    assert_fixed_like_a_fresh_sync(tools, project, tmp_path)

    # Without the wheel in pip's folder the same file is anyone's: a person's.
    (sp / "_pytestlike").mkdir()
    (sp / "_pytestlike" / "__init__.py").write_bytes(b"")
    for folder in tools.tmp.glob("pip-unpack-*"):
        shutil.rmtree(folder)
    result = run_check(venv, "--format", "json", env=tools.environ, cwd=project)
    assert [f["code"] for f in result.failing()] == ["orphan-file"]


@pytest.mark.parametrize("story", ["new", "old"])
def test_pip_upgrade_killed_while_compiling_leaves_the_wheels_record_and_fix_reinstalls(
    tools: Tools, tmp_path: Path, story: str
) -> None:
    project = tmp_path / "proj"
    locks = locked_project(tools, project, "bumpy==1.0", "bumpy==2.0")
    venv = tools.make_pip_venv(project / ".venv", "bumpy==1.0")
    sp = site_packages(venv)
    # pip has written all of 2.0's files, RECORD the wheel's among them, and
    # dies compiling them, before INSTALLER and its own RECORD.
    pip_killed(
        tools,
        venv,
        tmp_path,
        "os.rename",
        r"/bumpy/__pycache__/[^/]+\.pyc\.\d+$",
        "install",
        "bumpy==2.0",
    )
    meta = sp / "bumpy-2.0.dist-info"
    assert (meta / "RECORD").is_file()
    assert not (meta / "INSTALLER").exists()
    assert (sp / "~umpy-1.0.dist-info").is_dir()
    use_lock(project, locks[story])

    result = check_json(venv)
    assert result.exit_code == 1
    found = result.at("dist-info-incomplete", rel(venv, meta))
    assert "has no INSTALLER beside it while pip's stash of bumpy 1.0" in found["message"]
    assert_fixed_like_a_fresh_sync(tools, project, tmp_path)


# -- uv: killed while copying a file ---------------------------------------------------------


def _stall(cache: Path, wheel_dist_info: str, member: str) -> Path:
    """Replace ``member`` of the unpacked wheel in uv's ``cache`` with a FIFO; return it."""
    (archive,) = [p.parent for p in cache.glob(f"archive-v*/*/{wheel_dist_info}")]
    target = archive / member
    target.unlink()
    os.mkfifo(target)
    return target


def _wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    """Whether ``condition`` came true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _wait_for_reader(fifo: Path, proc: subprocess.Popen[bytes], timeout: float = 120) -> int | None:
    """Open ``fifo`` for writing once a reader has it open; the descriptor, or None if uv ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None  # uv finished (or failed) without reading the FIFO
        with contextlib.suppress(OSError):  # ENXIO: no reader yet
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        time.sleep(0.02)
    raise AssertionError("uv never opened the FIFO")


@pytest.mark.parametrize("story", ["new", "old"])
def test_uv_killed_while_copying_leaves_a_temp_file_fix_removes_it(
    tools: Tools, tmp_path: Path, story: str
) -> None:
    own = tools.with_uv_cache(tmp_path / "uv-cache")
    project = tmp_path / "proj"
    locks = locked_project(own, project, "bulky==1.0", "bulky==2.0")
    own.uv_sync(project)  # bulky 1.0, copied
    # Unpack bulky 2.0 into the cache, then stall uv on one of its files.
    scratch = own.make_uv_venv(tmp_path / "scratch")
    own.uv_pip_install(scratch, "bulky==2.0")
    fifo = _stall(own.uv_cache, "bulky-2.0.dist-info", "bulky/part_150.py")
    bulky = site_packages(project / ".venv") / "bulky"
    # uv opens the source, mostly makes a temporary file beside the target and
    # blocks on the read: it is killed once that file is there.  Now and then
    # its copy takes another path and fails on the FIFO instead, or the
    # temporary file seen was another one's: that attempt is undone with a
    # sync to the old lock and made again.
    for _attempt in range(8):
        use_lock(project, locks["new"])
        proc = subprocess.Popen(
            [own.uv, "sync", "--frozen", "--link-mode", "copy"],
            cwd=project,
            env=own.environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stalled = killed = False
        try:
            writer = _wait_for_reader(fifo, proc)
            if writer is not None:
                stalled = _wait_for(lambda: any(bulky.glob(".tmp*")), timeout=10)
                proc.send_signal(signal.SIGKILL)
                killed = proc.wait(timeout=60) == -signal.SIGKILL
                os.close(writer)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        # The temporary file seen may have been another file's, renamed into
        # place before the kill landed: one still there after it counts.  uv
        # copies several files at once, so there may be more than one.
        if stalled and killed and any(bulky.glob(".tmp*")):
            break
        use_lock(project, locks["old"])
        own.uv_sync(project)
    else:
        pytest.fail("uv never stalled on the FIFO with its temporary file in 8 attempts")
    venv = project / ".venv"
    temps = sorted(bulky.glob(".tmp*"))
    fifo.unlink()  # nothing else reads this cache
    use_lock(project, locks[story])

    result = check_json(venv)
    assert result.exit_code == 1
    for temp in temps:
        found = result.at("stash-leftover", rel(venv, temp))
        assert "temporary file of uv's" in found["message"]
    assert not [f for f in result.of("orphan-file") if ".tmp" in f["message"]]

    assert_fixed_like_a_fresh_sync(tools, project, tmp_path)
