"""``venv-doctor fix`` on real venvs broken by real uv and pip.

Each scenario breaks a venv the way a failed ``uv remove`` / upgrade / move
leaves it, runs ``fix`` as a user would, and compares the result with what a
fresh ``uv sync --frozen`` of the same lock gives.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixing import half_removed
from tests.support.tools import (
    ImmutableFiles,
    Tools,
    check_json,
    rel,
    site_packages,
    write_pyproject,
)

pytestmark = pytest.mark.slow

# Files whose bytes differ between installers by design; compared by presence only.
_INSTALLER_FILES = {"RECORD", "INSTALLER", "REQUESTED", "uv_cache.json"}


@dataclass(frozen=True, slots=True)
class FixRun:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.stdout)  # type: ignore[no-any-return]


def run_fix(
    tools: Tools, venv: Path, *args: str, cwd: Path | None = None, cache: Path | None = None
) -> FixRun:
    env = tools.environ
    env["VENV_DOCTOR_CACHE_DIR"] = str(cache or tools.tmp / "venv-doctor-cache")
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    proc = subprocess.run(
        [sys.executable, "-m", "venv_doctor", "fix", str(venv), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert "Traceback (most recent call last)" not in output, output
    return FixRun(proc.returncode, proc.stdout, proc.stderr)


def content_digest(venv: Path) -> dict[str, tuple[object, ...]]:
    """Paths, kinds, modes, contents and link targets; not folder times, not our own files."""
    entries: dict[str, tuple[object, ...]] = {}
    for folder, dirs, files in os.walk(venv):
        rel_folder = os.path.relpath(folder, venv)
        if rel_folder == ".":
            dirs[:] = [d for d in dirs if d != ".venv-doctor"]
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.normpath(os.path.join(rel_folder, name))
            if rel == ".lock":
                continue
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                entries[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                entries[rel] = ("dir", stat.S_IMODE(info.st_mode))
            else:
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
                entries[rel] = ("file", stat.S_IMODE(info.st_mode), digest)
    return entries


def installed_state(venv: Path) -> dict[str, object]:
    """What a fresh ``uv sync`` and a repaired venv must agree on.

    Every distribution and version, and every file of site-packages and the
    scripts folder with its content, except bytecode, launchers written by
    the installer itself, and the installer's own bookkeeping files.
    """
    sp = site_packages(venv)
    dists = sorted(p.name for p in sp.glob("*.dist-info"))
    files: dict[str, str] = {}
    for path in sorted(sp.rglob("*")):
        rel = path.relative_to(sp).as_posix()
        if "__pycache__" in rel or path.is_dir():
            continue
        if rel.split("/")[0].endswith(".dist-info") and path.name in _INSTALLER_FILES:
            files[rel] = "present"
            continue
        files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    scripts = sorted(p.name for p in (venv / "bin").iterdir())
    return {"dists": dists, "files": files, "scripts": scripts}


def assert_same_state(actual: dict[str, object], expected: dict[str, object]) -> None:
    """Equal states, or a failure that names the files that differ."""
    for key, right in expected.items():
        left = actual[key]
        if isinstance(left, dict) and isinstance(right, dict):
            differ = sorted(k for k in left.keys() | right.keys() if left.get(k) != right.get(k))
            assert not differ, f"{key} differ: " + ", ".join(
                f"{k} ({left.get(k, 'absent')} vs {right.get(k, 'absent')})" for k in differ
            )
        else:
            assert left == right, key


def fresh_sync_state(tools: Tools, project: Path, tmp_path: Path) -> dict[str, object]:
    """The state ``uv sync --frozen`` gives a fresh venv from the same project and lock."""
    twin = tmp_path / "twin"
    twin.mkdir()
    for name in ("pyproject.toml", "uv.lock"):
        (twin / name).write_bytes((project / name).read_bytes())
    tools.run_uv("sync", "--frozen", "--link-mode", "copy", cwd=twin)
    return installed_state(twin / ".venv")


def assert_in_sync(tools: Tools, project: Path) -> None:
    """uv itself sees the venv as matching the lock."""
    proc = tools.run_uv("sync", "--frozen", "--check", cwd=project, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def assert_healthy(venv: Path) -> None:
    result = check_json(venv)
    assert result.exit_code == 0, result.stdout
    assert result.failing() == []


def fix_like_fresh_sync(
    tools: Tools, project: Path, venv: Path, expected: dict[str, object]
) -> FixRun:
    """``fix --from uv.lock``: it exits 0, and the venv is healthy, in sync for uv and
    file for file what a fresh sync of the lock gives (``expected``)."""
    fixed = run_fix(tools, venv, "--from", str(project / "uv.lock"))
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert_healthy(venv)
    assert_in_sync(tools, project)
    assert_same_state(installed_state(venv), expected)
    return fixed


# -- the product card: after a failed `uv remove` --------------------------------------


def test_fix_after_failed_uv_remove_reinstalls_what_the_lock_wants(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"], link_mode="hardlink")
    expected = fresh_sync_state(tools, project, tmp_path)
    immutable(site_packages(venv) / "polarslike" / "_native.abi3.so")
    assert tools.run_uv("remove", "polarslike", cwd=project, check=False).returncode != 0
    immutable.release()  # the language server holding the file has exited

    fixed = run_fix(tools, venv, "--from", str(project / "uv.lock"))
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert "install polarslike 1.2.0" in fixed.stdout
    assert_healthy(venv)
    assert_in_sync(tools, project)
    assert_same_state(installed_state(venv), expected)


def test_fix_after_dropping_a_dependency_removes_its_remains(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    immutable(site_packages(venv) / "polarslike" / "_native.abi3.so")
    write_pyproject(project, ["rufflike"])
    assert tools.uv_sync(project, check=False).returncode != 0
    immutable.release()
    expected = fresh_sync_state(tools, project, tmp_path)

    fixed = run_fix(tools, project)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert not (site_packages(venv) / "polarslike").exists()
    assert_healthy(venv)
    assert_in_sync(tools, project)
    assert_same_state(installed_state(venv), expected)


def test_fix_moves_a_locked_file_out_of_the_way(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    # A file that cannot be deleted can still be renamed with its folder (as a
    # running .exe on Windows): the folder goes to the trash whole.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    immutable(site_packages(venv) / "polarslike" / "_native.abi3.so")
    write_pyproject(project, ["rufflike"])
    tools.uv_sync(project, check=False)

    fixed = run_fix(tools, project)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert not (site_packages(venv) / "polarslike").exists()
    trashed = list((venv / ".venv-doctor" / "trash").rglob("_native.abi3.so"))
    assert len(trashed) == 1
    assert_healthy(venv)
    assert_in_sync(tools, project)


def test_fix_fails_on_a_file_it_cannot_move_and_changes_nothing(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    write_pyproject(project, ["polarslike"])
    tools.run_uv("lock", cwd=project)
    # rufflike is no longer wanted; its launcher is locked, so it cannot be moved.
    immutable(venv / "bin" / "rufflike")
    before = content_digest(venv)

    fixed = run_fix(tools, project)
    assert fixed.exit_code == 2, fixed.stdout + fixed.stderr
    assert "bin/rufflike" in fixed.stderr
    assert "hint:" in fixed.stderr
    assert content_digest(venv) == before


# -- duplicates, stashes, symlinks, moves -----------------------------------------------


def test_fix_failed_upgrade_without_a_lock_keeps_the_version_on_disk(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "bumpy==1.0")
    immutable(site_packages(venv) / "bumpy" / "old.py")
    tools.uv_pip_install(venv, "bumpy==2.0", check=False)
    immutable.release()
    tools.uv_pip_install(venv, "bumpy==2.0", check=False)
    assert len(list(site_packages(venv).glob("bumpy-*.dist-info"))) == 2

    fixed = run_fix(tools, venv)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert [p.name for p in site_packages(venv).glob("bumpy-*.dist-info")] == [
        "bumpy-2.0.dist-info"
    ]
    assert not (site_packages(venv) / "bumpy" / "old.py").exists()
    assert_healthy(venv)


def test_fix_removes_pips_stash(tools: Tools, tmp_path: Path, immutable: ImmutableFiles) -> None:
    venv = tools.make_pip_venv(tmp_path / "venv", "polarslike")
    immutable(site_packages(venv) / "polarslike" / "_native.abi3.so")
    tools.pip(venv, "uninstall", "-y", "polarslike", check=False)
    immutable.release()
    stashes = [p for p in site_packages(venv).iterdir() if p.name.startswith("~")]
    assert stashes

    fixed = run_fix(tools, venv)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert not any(p.name.startswith("~") for p in site_packages(venv).iterdir())
    assert_healthy(venv)


def test_fix_symlink_mode_after_uv_cache_clean(tools: Tools, tmp_path: Path) -> None:
    own = tools.with_uv_cache(tmp_path / "uv-cache")
    project = tmp_path / "proj"
    venv = own.uv_project(project, ["rufflike", "polarslike"], link_mode="symlink")
    own.run_uv("cache", "clean")
    assert check_json(venv).of("dangling-symlink")

    fixed = run_fix(own, project)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert not any(p.is_symlink() for p in site_packages(venv).rglob("*"))
    assert_healthy(venv)
    assert_in_sync(own, project)


def test_fix_moved_project_relocates_it(tools: Tools, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "src" / "app").mkdir(parents=True)
    (project / "src" / "app" / "__init__.py").write_text("VALUE = 1\n")
    tools.uv_project(project, ["rufflike"], package=True)
    moved = tmp_path / "elsewhere" / "moved-proj"
    moved.parent.mkdir()
    project.rename(moved)
    venv = moved / ".venv"
    checked = check_json(venv)
    assert checked.of("script-stale-shebang")
    # One editable install, one finding: the pointer Python imports through.
    [editable] = checked.of("editable-target-missing")
    assert editable["path"] == rel(venv, site_packages(venv) / "app.pth")
    assert editable["message"].endswith(
        f"{project / 'src'}, which does not exist (moved or deleted?)"
    )
    assert editable["hint"]

    planned = run_fix(tools, moved, "--dry-run", "--format", "json")
    plan = planned.report["plan"]
    rewritten = {a["path"] for a in plan["actions"] if a["action"] == "rewrite"}
    assert rel(venv, site_packages(venv) / "app-0.1.0.dist-info" / "direct_url.json") in rewritten
    # Findings the plan's own rewrites repair are not left for the person.
    assert plan["unresolved"] == []

    fixed = run_fix(tools, moved)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert_healthy(venv)
    assert_in_sync(tools, moved)
    assert str(moved) in (venv / "bin" / "activate").read_text()
    run = tools.run(venv / "bin" / "python", "-c", "import app; print(app.__file__)")
    assert run.stdout.strip() == str(moved / "src" / "app" / "__init__.py")


@pytest.mark.parametrize(
    "maker",
    [
        pytest.param("venv", id="python-m-venv"),
        pytest.param("uv", id="uv"),
        pytest.param("virtualenv", id="virtualenv"),
    ],
)
def test_fix_moved_venv_rewrites_the_activate_scripts_that_name_the_old_place(
    tools: Tools, tmp_path: Path, maker: str
) -> None:
    venv = tmp_path / "before" / "venv"
    if maker == "venv":
        tools.make_pip_venv(venv, "rufflike")
    elif maker == "uv":
        tools.make_uv_venv(venv)
        tools.uv_pip_install(venv, "rufflike")
    else:
        tools.make_virtualenv(venv, "rufflike")
    scripts = {
        path.name: path.read_bytes()
        for path in (venv / "bin").iterdir()
        if path.name.startswith(("activate", "Activate"))
    }
    naming = {f"bin/{name}" for name, data in scripts.items() if str(venv).encode() in data}
    assert "bin/activate" in naming
    (tmp_path / "before").rename(tmp_path / "after")
    moved = tmp_path / "after" / "venv"
    found = check_json(moved).of("script-stale-shebang")
    assert {f["path"] for f in found if f["package"] is None} == naming

    planned = run_fix(tools, moved, "--dry-run", "--format", "json").report["plan"]
    rewritten = {a["path"] for a in planned["actions"] if a["action"] == "rewrite"}
    assert {path for path in rewritten if "/activate" in path.lower()} == naming
    assert planned["unresolved"] == []

    fixed = run_fix(tools, moved)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert_healthy(moved)
    for name, before in scripts.items():
        after = (moved / "bin" / name).read_bytes()
        if f"bin/{name}" in naming:
            assert after == before.replace(str(venv).encode(), str(moved).encode()), name
        else:
            assert after == before, name
    assert tools.run(moved / "bin" / "rufflike-py", "--version").returncode == 0


def test_fix_dry_run_changes_nothing(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    immutable(site_packages(venv) / "polarslike" / "_native.abi3.so")
    tools.run_uv("remove", "polarslike", cwd=project, check=False)
    immutable.release()
    before = content_digest(venv)

    fixed = run_fix(tools, project, "--dry-run", "--format", "json")
    assert fixed.exit_code == 1
    plan = fixed.report["plan"]
    assert {a["action"] for a in plan["actions"]} >= {"remove", "install"}
    assert fixed.report["transaction"] is None
    assert content_digest(venv) == before


def test_undo_restores_the_venv_as_it_was(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    immutable(site_packages(venv) / "polarslike" / "_native.abi3.so")
    tools.run_uv("remove", "polarslike", cwd=project, check=False)
    immutable.release()
    broken = content_digest(venv)

    assert run_fix(tools, project).exit_code == 0
    assert content_digest(venv) != broken
    env = tools.environ
    undo = subprocess.run(
        [sys.executable, "-m", "venv_doctor", "undo", str(venv)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert content_digest(venv) == broken


def test_fix_offline_without_the_wheel_says_which_and_changes_nothing(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    immutable(site_packages(venv) / "polarslike" / "_native.abi3.so")
    tools.run_uv("remove", "polarslike", cwd=project, check=False)
    immutable.release()
    before = content_digest(venv)

    fixed = run_fix(tools, project, "--offline", cache=tmp_path / "empty-cache")
    assert fixed.exit_code == 2, fixed.stdout + fixed.stderr
    assert "polarslike" in fixed.stderr
    assert content_digest(venv) == before


def test_fix_shows_its_plan_before_it_changes_anything(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    half_removed(tools, project, immutable)
    env = tools.environ | {"VENV_DOCTOR_CACHE_DIR": str(tmp_path / "vd-cache"), "NO_COLOR": "1"}
    # One stream, as a person sees it in a terminal.
    proc = subprocess.run(
        [sys.executable, "-m", "venv_doctor", "fix", str(project)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout
    seen = proc.stdout
    assert seen.index("Will do, in one transaction:") < seen.index("installing polarslike 1.2.0")
    assert seen.index("installing polarslike 1.2.0") < seen.index("Applied as transaction")
    assert seen.index("Applied as transaction") < seen.index("Checked again:")


def test_fix_says_in_its_own_words_what_the_wheel_ships_that_installers_refuse(
    tools: Tools, tmp_path: Path
) -> None:
    # installer refuses bytecode a wheel ships in __pycache__, with a RuntimeWarning
    # that once reached the user twice, raw.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["pycachelike"])
    (site_packages(venv) / "pycachelike" / "__init__.py").unlink()
    # An emptied RECORD too: the wheel is installed whole (not one file put back).
    (site_packages(venv) / "pycachelike-1.0.dist-info" / "RECORD").write_bytes(b"")
    result = run_fix(tools, venv, "--from", str(project / "uv.lock"), cwd=project)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr
    assert result.stderr.count("left out 1 bytecode file that pycachelike's wheel ships") == 1
    assert_in_sync(tools, project)
    assert_same_state(installed_state(venv), fresh_sync_state(tools, project, tmp_path))


def test_fix_from_pip_freeze_keeps_the_seed_packages(tools: Tools, tmp_path: Path) -> None:
    # pip freeze leaves out pip; a fix to that file must not leave python -m pip broken.
    venv = tools.make_pip_venv(tmp_path / "venv", "polarslike", "rufflike")
    frozen = tools.pip(venv, "freeze").stdout
    assert "pip==" not in frozen
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(frozen)
    (site_packages(venv) / "polarslike" / "frame.py").unlink()
    result = run_fix(tools, venv, "--from", str(requirements))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "note: keeps pip" in result.stdout
    assert "the venv's seed packages, which requirements.txt does not list" in result.stdout
    assert tools.pip(venv, "--version").returncode == 0
    assert_healthy_from(venv, requirements)


def assert_healthy_from(venv: Path, lockfile: Path) -> None:
    result = check_json(venv, "--from", lockfile)
    assert result.exit_code == 0, result.stdout
    assert result.failing() == []
