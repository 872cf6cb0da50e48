"""What a half-finished removal leaves in package folders, and ``fix`` cleaning it up.

uv removes the files of a RECORD in order and cleans up the folders that
removal empties only once every row is gone
(``crates/uv-install-wheel/src/uninstall.rs``).  A removal that stops halfway
leaves empty package folders (``import`` still finds them, as namespace
packages) and modules of the version it was removing.  These tests break real
venvs that way with real uv (``chattr +i`` on one file stands in for a file a
running process holds), run ``fix`` as a user would, and compare with a fresh
``uv sync --frozen`` of the same lock, folders included; then ``undo`` must
give back the broken venv exactly, and ``fix`` must work again.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fixing import Run, venv_doctor
from tests.support.tools import (
    ImmutableFiles,
    Tools,
    check_json,
    rel,
    site_packages,
    write_pyproject,
)
from tests.test_fix import (
    assert_healthy,
    assert_in_sync,
    assert_same_state,
    content_digest,
    fresh_sync_state,
    installed_state,
)
from tests.test_fix_faults import fail_at, fix_here, no_fault
from venv_doctor.apply import Step, TransactionError
from venv_doctor.plan.actions import DiscardPath

pytestmark = pytest.mark.slow


def fix(tools: Tools, target: Path, tmp_path: Path, *args: str) -> Run:
    return venv_doctor(tools, "fix", target, *args, cache=tmp_path / "vd-cache")


def undo(tools: Tools, target: Path, tmp_path: Path) -> Run:
    return venv_doctor(tools, "undo", target, cache=tmp_path / "vd-cache")


def folders(venv: Path) -> list[str]:
    """Every folder of site-packages but bytecode caches: what ``import`` can find."""
    site = site_packages(venv)
    return sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*")
        if path.is_dir() and "__pycache__" not in path.parts
    )


def fresh_sync(tools: Tools, project: Path, tmp_path: Path) -> tuple[dict[str, object], list[str]]:
    """Files and folders of a fresh ``uv sync --frozen`` of the project's lock."""
    state = fresh_sync_state(tools, project, tmp_path)
    return state, folders(tmp_path / "twin" / ".venv")


def assert_like_fresh_sync(
    fixed: Run, tools: Tools, project: Path, expected: tuple[dict[str, object], list[str]]
) -> None:
    venv = project / ".venv"
    assert fixed.exit_code == 0, fixed.output
    assert_healthy(venv)
    assert_in_sync(tools, project)
    assert_same_state(installed_state(venv), expected[0])
    assert folders(venv) == expected[1]


def imports(tools: Tools, venv: Path, module: str) -> bool:
    code = f"import {module}"
    return tools.run(venv / "bin" / "python", "-c", code, check=False).returncode == 0


def assert_undo_and_fix_again(
    tools: Tools, project: Path, tmp_path: Path, broken: dict[str, tuple[object, ...]]
) -> None:
    """``undo`` gives back the broken venv exactly, folders and bytecode included; ``fix`` again."""
    venv = project / ".venv"
    repaired = content_digest(venv)
    undone = undo(tools, venv, tmp_path)
    assert undone.exit_code == 0, undone.output
    assert content_digest(venv) == broken
    again = fix(tools, project, tmp_path)
    assert again.exit_code == 0, again.output
    assert content_digest(venv) == repaired


# -- folders a removal empties ----------------------------------------------------------


def jaracolike_project(tools: Tools, tmp_path: Path, immutable: ImmutableFiles) -> Path:
    """Both jaracolike distributions synced and imported; then a ``uv sync`` that drops
    jaracolike-context stops at its METADATA, after removing its package files.
    """
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["jaracolike-context", "jaracolike-functools"])
    tools.run(venv / "bin" / "python", "-c", "import jaracolike.context, jaracolike.functools")
    site = site_packages(venv)
    immutable(site / "jaracolike_context-1.0.dist-info" / "METADATA")
    write_pyproject(project, ["jaracolike-functools"])
    assert tools.uv_sync(project, check=False).returncode != 0
    immutable.release()
    # The package files went first (RECORD is sorted); the folder keeps its bytecode.
    assert not (site / "jaracolike" / "context" / "__init__.py").exists()
    assert (site / "jaracolike" / "context" / "__pycache__").is_dir()
    return project


def test_fix_removing_a_namespace_subpackage_removes_the_folder_it_empties(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = jaracolike_project(tools, tmp_path, immutable)
    venv = project / ".venv"
    expected = fresh_sync(tools, project, tmp_path)
    broken = content_digest(venv)

    fixed = fix(tools, project, tmp_path)
    assert "remove jaracolike-context 1.0" in fixed.stdout
    assert_like_fresh_sync(fixed, tools, project, expected)
    assert_undo_and_fix_again(tools, project, tmp_path, broken)
    assert not imports(tools, venv, "jaracolike.context")
    assert imports(tools, venv, "jaracolike.functools")


def test_empty_namespace_subfolder_uv_leaves_is_reported_and_removed(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    # The user runs uv sync again once the file is free: uv finishes the removal
    # but never looks at the folder whose files it had already removed.
    project = jaracolike_project(tools, tmp_path, immutable)
    venv = project / ".venv"
    tools.uv_sync(project)
    assert_in_sync(tools, project)
    emptied = site_packages(venv) / "jaracolike" / "context"
    assert emptied.is_dir()
    assert imports(tools, venv, "jaracolike.context")  # the trap: a namespace package

    result = check_json(venv)
    assert result.exit_code == 1, result.stdout
    finding = result.at("orphan-file", rel(venv, emptied))
    assert "import jaracolike.context" in finding["message"]
    assert finding["package"] is None
    assert {f["code"] for f in result.failing()} == {"orphan-file"}

    expected = fresh_sync(tools, project, tmp_path)
    broken = content_digest(venv)
    fixed = fix(tools, project, tmp_path)  # no --purge-orphans: the folder holds no files
    assert_like_fresh_sync(fixed, tools, project, expected)
    assert_undo_and_fix_again(tools, project, tmp_path, broken)
    assert not imports(tools, venv, "jaracolike.context")


def test_empty_top_level_folder_goes_without_purge_orphans(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    # Dropping pytestlike: uv got through bin/, _pytestlike/ and the dist-info
    # before it failed on pytestlike/__init__.py.  _pytestlike/ keeps only its
    # bytecode, and the name fix removes by is pytestlike's own.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["pytestlike", "rufflike"])
    tools.run(venv / "bin" / "python", "-c", "import pytestlike")
    site = site_packages(venv)
    immutable(site / "pytestlike" / "__init__.py")
    write_pyproject(project, ["rufflike"])
    assert tools.uv_sync(project, check=False).returncode != 0
    immutable.release()
    assert sorted(os.listdir(site / "_pytestlike")) == ["__pycache__"]
    expected = fresh_sync(tools, project, tmp_path)
    broken = content_digest(venv)

    fixed = fix(tools, project, tmp_path)
    assert_like_fresh_sync(fixed, tools, project, expected)
    assert_undo_and_fix_again(tools, project, tmp_path, broken)
    assert not imports(tools, venv, "_pytestlike")


# -- leftovers inside a folder fix installs into -------------------------------------------


def test_fix_installs_into_a_folder_holding_remnants_of_the_old_version(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    # An upgrade whose removal of 1.0 stopped at a held module: uv removed the
    # dist-info first (it sorts before sklike/), then part of sklike/.  Nothing
    # installed says sklike/ is scikitlike's any more; its 2.0 wheel does.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["scikitlike==1.0"])
    site = site_packages(venv)
    tools.run(venv / "bin" / "python", "-c", "import sklike.kernels.old, sklike.io")
    immutable(site / "sklike" / "kernels" / "old.py")
    write_pyproject(project, ["scikitlike==2.0"])
    assert tools.uv_sync(project, check=False).returncode != 0
    immutable.release()
    assert os.listdir(site / "scikitlike-1.0.dist-info") == []
    assert sorted(os.listdir(site / "sklike" / "io")) == ["__pycache__"]
    assert (site / "sklike" / "kernels" / "old.py").is_file()
    expected = fresh_sync(tools, project, tmp_path)
    broken = content_digest(venv)

    # Offline, where uv's cache cannot be found and no wheel is at hand, a dry
    # run says what it cannot know yet: whether sklike/ is the new wheel's.
    elsewhere = {"UV_CACHE_DIR": str(tmp_path / "another-uv-cache")}
    offline = venv_doctor(
        tools,
        "fix",
        project,
        "--dry-run",
        "--offline",
        "--format",
        "json",
        cache=tmp_path / "vd-cache",
        env=elsewhere,
    )
    assert offline.exit_code == 1, offline.output
    assert any("could not be had" in note for note in offline.report["plan"]["notes"])
    assert content_digest(venv) == broken
    # With uv's cache at hand sklike/ is a copy of the unpacked 1.0 wheel, left
    # by the uninstall uv did not finish: it goes without the new wheel.
    offline = fix(tools, project, tmp_path, "--dry-run", "--offline", "--format", "json")
    leftover = rel(venv, site / "sklike")
    assert leftover in [
        f["path"] for f in offline.report["before"]["findings"] if f["code"] == "stash-leftover"
    ]
    assert {"action": "discard", "path": leftover} in [
        {key: action.get(key) for key in ("action", "path")}
        for action in offline.report["plan"]["actions"]
    ]
    assert content_digest(venv) == broken

    planned = fix(tools, project, tmp_path, "--dry-run", "--format", "json")
    assert content_digest(venv) == broken
    plan = planned.report["plan"]
    assert {"action": "discard", "path": rel(venv, site / "sklike")} in [
        {key: action.get(key) for key in ("action", "path")} for action in plan["actions"]
    ]
    assert plan["unresolved"] == []

    fixed = fix(tools, project, tmp_path, "--format", "json")
    assert fixed.report["plan"] == plan  # the dry run said exactly what was done
    assert_like_fresh_sync(fixed, tools, project, expected)
    assert_undo_and_fix_again(tools, project, tmp_path, broken)
    assert not imports(tools, venv, "sklike.kernels")
    assert not imports(tools, venv, "sklike.io")
    assert imports(tools, venv, "sklike.compute.new")


# -- rollback and recovery of folder moves -------------------------------------------------


def broken_twice(tools: Tools, tmp_path: Path, immutable: ImmutableFiles) -> Path:
    """Both breakages above in one venv, one uv command each; returns the project.

    An upgrade of scikitlike stopped at sklike/kernels/old.py, a removal of
    jaracolike-context stopped at its METADATA, and the project's lock says
    what the user wanted: scikitlike 2.0, and no jaracolike-context.
    """
    project = tmp_path / "proj"
    deps = ["scikitlike==1.0", "jaracolike-context", "jaracolike-functools"]
    venv = tools.uv_project(project, deps)
    site = site_packages(venv)
    tools.run(venv / "bin" / "python", "-c", "import sklike.kernels.old, jaracolike.context")
    immutable(site / "sklike" / "kernels" / "old.py")
    assert tools.uv_pip_install(venv, "scikitlike==2.0", check=False).returncode != 0
    immutable.release()
    immutable(site / "jaracolike_context-1.0.dist-info" / "METADATA")
    assert tools.uv_pip_uninstall(venv, "jaracolike-context", check=False).returncode != 0
    immutable.release()
    write_pyproject(project, ["scikitlike==2.0", "jaracolike-functools"])
    tools.run_uv("lock", cwd=project)
    return project


def test_a_failure_at_every_step_puts_every_folder_back(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = broken_twice(tools, tmp_path, immutable)
    venv = project / ".venv"
    site = rel(venv, site_packages(venv))
    cache = tmp_path / "vd-cache"
    broken = content_digest(venv)

    steps: list[Step] = []
    counted = fix_here(tools, project, cache, steps.append)
    assert counted.healthy
    discarded = {a.path for a in counted.plan.actions if isinstance(a, DiscardPath)}
    assert discarded == {f"{site}/sklike", f"{site}/jaracolike/context"}
    assert undo(tools, venv, tmp_path).exit_code == 0
    assert content_digest(venv) == broken
    forward = [step for step in steps if not step.op.startswith("undo-")]
    assert {step.path for step in forward} >= discarded

    for index, step in enumerate(forward):
        with pytest.raises(TransactionError) as failed:
            fix_here(tools, project, cache, fail_at(index))
        assert failed.value.rolled_back, (index, step)
        assert content_digest(venv) == broken, (index, step)
    assert fix_here(tools, project, cache, no_fault).healthy
    assert_in_sync(tools, project)


_KILLED_FIX = """
import os, signal, sys
from pathlib import Path
from venv_doctor.apply.wheelsource import wheel_getter
from venv_doctor.commands.check import LockOptions
from venv_doctor.commands.fix import FixOptions, run_fix
from venv_doctor.read.layout import read_layout

project, victim, after = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "after"
moved = []
def hook(step):
    # Just before the folder's move, or just before the step after it.
    if moved or (step.path == victim and step.op == "move" and not after):
        os.kill(os.getpid(), signal.SIGKILL)
    if step.path == victim and step.op == "move":
        moved.append(step)
run_fix(read_layout(project / ".venv"), lock=LockOptions(), options=FixOptions(),
        environ=os.environ, cwd=project, on_step=hook,
        get_wheel=wheel_getter(find_links=(), index_url=None, offline=False, environ=os.environ))
"""


def test_a_fix_killed_at_a_folder_move_is_rolled_back_by_the_next(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = broken_twice(tools, tmp_path, immutable)
    venv = project / ".venv"
    site = rel(venv, site_packages(venv))
    cache = tmp_path / "vd-cache"
    broken = content_digest(venv)
    env = tools.environ | {"VENV_DOCTOR_CACHE_DIR": str(cache)}
    for victim, when in itertools.product(
        (f"{site}/sklike", f"{site}/jaracolike/context"), ("at", "after")
    ):
        killed = subprocess.run(
            [sys.executable, "-c", _KILLED_FIX, str(project), victim, when],
            env=env,
            capture_output=True,
            check=False,
            timeout=300,
        )
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert check_json(venv).of("fix-interrupted"), (victim, when)

        fixed = fix(tools, project, tmp_path)
        assert "Rolled back an interrupted change first" in fixed.stdout, fixed.output
        assert fixed.exit_code == 0, fixed.output
        assert_in_sync(tools, project)
        assert undo(tools, venv, tmp_path).exit_code == 0
        assert content_digest(venv) == broken, (victim, when)


# -- uv killed while it installs -------------------------------------------------------------


def strace_works() -> bool:
    try:
        done = subprocess.run(
            ["strace", "-f", "-qq", "-o", os.devnull, "true"], capture_output=True, check=False
        )
    except OSError:
        return False
    return done.returncode == 0


@pytest.mark.skipif(not strace_works(), reason="strace cannot trace processes here")
def test_uv_killed_while_copying_a_module_leaves_its_temp_file_and_fix_clears_it(
    tools: Tools, tmp_path: Path
) -> None:
    # uv copies a file to a .tmpXXXXXX beside its place, then renames it into
    # place (crates/uv-fs/src/link.rs).  SIGKILL on entry of the copy, as strace
    # delivers it, leaves that temp file in jaracolike/context/; whether the
    # dist-info was placed before depends on the order uv's cache folder lists.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["jaracolike-functools"])
    write_pyproject(project, ["jaracolike-context", "jaracolike-functools"])
    tools.run_uv("lock", cwd=project)
    expected = fresh_sync(tools, project, tmp_path)
    [source] = tools.uv_cache.glob("archive-v0/*/jaracolike/context/__init__.py")
    # The second copy_file_range of the file returns 0 (end of file): all is copied.
    inject = ["-e", "trace=copy_file_range", "-e", "inject=copy_file_range:signal=KILL:when=2"]
    sync = [tools.uv, "sync", "--frozen", "--link-mode", "copy"]
    killed = subprocess.run(
        ["strace", "-f", "-qq", "-o", os.devnull, "-P", str(source), *inject, *sync],
        env=tools.environ,
        cwd=project,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert killed.returncode in {-signal.SIGKILL, 128 + signal.SIGKILL}, killed.stderr
    context = site_packages(venv) / "jaracolike" / "context"
    [temp] = [p for p in context.iterdir() if p.name.startswith(".tmp")]
    assert temp.stat().st_size > 0  # the whole module, never renamed into place
    broken = content_digest(venv)

    fixed = fix(tools, project, tmp_path)
    assert_like_fresh_sync(fixed, tools, project, expected)
    assert_undo_and_fix_again(tools, project, tmp_path, broken)
