"""uv's freshness of local projects: ``check`` sees what uv sees, ``fix`` leaves uv nothing to do.

uv keeps a local project's cache info in ``uv_cache.json`` and rebuilds the
project when the source's info now differs.  Each test asks uv itself, with
``uv sync --frozen --check -v``: exit 1 with "Requirement installed, but
not fresh" when it would rebuild, exit 0 without that line when it would
not.  The projects are built by the in-tree backend, so no build tool is
fetched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

import pytest

from tests.support.fixing import Run, backend_project, uv_in, venv_doctor
from tests.support.tools import (
    ImmutableFiles,
    Tools,
    checked,
    clean_environ,
    run,
    site_packages,
)
from tests.test_check_broken import replace_file
from tests.test_fix import assert_same_state, installed_state

pytestmark = pytest.mark.slow

NOT_FRESH = "Requirement installed, but not fresh"
NO_ENV: Mapping[str, str] = MappingProxyType({})


def tick() -> None:
    # Change times come from the kernel's coarse clock: writes in one tick
    # (1-10 ms) share a time.  Wait a little longer, so that a change shows.
    time.sleep(0.05)


def uv_check(
    tools: Tools, project: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    return run(
        [tools.uv, "sync", "--frozen", "--check", "-v"],
        env=tools.environ | dict(env),
        cwd=project,
        check=False,
    )


def assert_uv_would_rebuild(tools: Tools, project: Path, env: Mapping[str, str] = NO_ENV) -> None:
    proc = uv_check(tools, project, env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert NOT_FRESH in output, output


def assert_uv_agrees(tools: Tools, project: Path, env: Mapping[str, str] = NO_ENV) -> None:
    """uv would change nothing: not the project, not anything else."""
    proc = uv_check(tools, project, env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert NOT_FRESH not in output, output


def fix(tools: Tools, project: Path, tmp_path: Path, env: Mapping[str, str] = NO_ENV) -> Run:
    return venv_doctor(tools, "fix", project, cache=tmp_path / "vd-cache", env=env)


def failing(venv: Path, env: Mapping[str, str] = NO_ENV) -> list[dict[str, object]]:
    """The failing findings of ``check`` run with ``env`` added to a clean environment."""
    result = checked(
        venv, "--format", "json", watch=[venv.parent], cwd=venv.parent, env=clean_environ() | env
    )
    return result.failing()


def project_state(venv: Path) -> dict[str, object]:
    """``installed_state`` without uv_build.json, uv's record of its own build settings."""
    state = installed_state(venv)
    files = state["files"]
    assert isinstance(files, dict)
    state["files"] = {k: v for k, v in files.items() if not k.endswith("/uv_build.json")}
    return state


def fresh_state(tools: Tools, project: Path, tmp_path: Path) -> dict[str, object]:
    """What ``uv sync --frozen`` of the same project gives a new venv."""
    fresh = tmp_path / "fresh"
    uv_in(tools, fresh, "sync", "--frozen", "--link-mode", "copy", cwd=project)
    return project_state(fresh)


def synced_project(
    tools: Tools, root: Path, *, extra: str = "", deps: tuple[str, ...] = ("rufflike",)
) -> Path:
    """A packaged project at ``root`` (``extra`` appended to its pyproject.toml), synced."""
    project = backend_project(root, name="app", deps=list(deps))
    if extra:
        pyproject = project / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + extra)
    tools.run_uv("lock", cwd=project)
    tools.uv_sync(project)
    return project


def assert_stale(venv: Path, package: str = "app", env: Mapping[str, str] = NO_ENV) -> None:
    found = failing(venv, env)
    assert {(f["code"], f["package"]) for f in found} == {("local-project-stale", package)}, found


def assert_repaired(
    fixed: Run,
    tools: Tools,
    project: Path,
    env: Mapping[str, str] = NO_ENV,
) -> None:
    assert fixed.exit_code == 0, fixed.output
    assert_uv_agrees(tools, project, env)
    assert failing(project / ".venv", env) == []


# -- (a) a failed uv remove rewrote pyproject.toml and put it back ----------------------------


def test_failed_uv_remove_locked_leaves_the_project_stale_and_fix_repairs_it(
    tools: Tools, tmp_path: Path
) -> None:
    project = synced_project(tools, tmp_path / "proj")
    venv = project / ".venv"
    assert failing(venv) == []
    assert_uv_agrees(tools, project)
    before = (project / "pyproject.toml").read_bytes()
    tick()
    # uv writes pyproject.toml without rufflike, then --locked refuses the new
    # lock: uv fails and writes the old bytes back.
    failed = tools.run_uv("remove", "--locked", "rufflike", cwd=project, check=False)
    assert failed.returncode != 0, failed.stdout + failed.stderr
    assert (project / "pyproject.toml").read_bytes() == before
    assert_uv_would_rebuild(tools, project)
    assert_stale(venv)

    fixed = fix(tools, project, tmp_path)
    assert "rebuilt, as uv sync would" in fixed.stdout
    assert_repaired(fixed, tools, project)
    assert_same_state(project_state(venv), fresh_state(tools, project, tmp_path))


def test_uv_remove_that_failed_at_a_locked_file_is_repaired_whole(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = synced_project(tools, tmp_path / "proj", deps=("rufflike", "polarslike"))
    venv = project / ".venv"
    before = (project / "pyproject.toml").read_bytes()
    tick()
    # The sync after the edit stops at a file Windows would hold open: uv puts
    # pyproject.toml and uv.lock back, polarslike is half removed.
    immutable(site_packages(venv) / "polarslike" / "_native.abi3.so")
    failed = tools.run_uv("remove", "polarslike", cwd=project, check=False)
    immutable.release()
    assert failed.returncode != 0, failed.stdout + failed.stderr
    assert (project / "pyproject.toml").read_bytes() == before
    assert "local-project-stale" in {f["code"] for f in failing(venv)}

    fixed = fix(tools, project, tmp_path)
    assert_repaired(fixed, tools, project)
    assert_same_state(project_state(venv), fresh_state(tools, project, tmp_path))


# -- (b) fix rebuilds the project itself --------------------------------------------------------


@pytest.mark.parametrize("what", [pytest.param("editable-root"), pytest.param("path-dependency")])
def test_a_project_fix_rebuilds_is_fresh_to_uv(tools: Tools, tmp_path: Path, what: str) -> None:
    if what == "editable-root":
        project = synced_project(tools, tmp_path / "proj")
        source, broken = project, site_packages(project / ".venv") / "_app.pth"
    else:
        # Not editable: uv installs a path dependency's files, and records the same.
        source = backend_project(tmp_path / "lib", name="lib", deps=[])
        extra = '\n[tool.uv.sources]\nlib = { path = "../lib" }\n'
        project = synced_project(tools, tmp_path / "proj", extra=extra, deps=("lib",))
        broken = site_packages(project / ".venv") / "lib" / "__init__.py"
    tick()
    # A folder added to src/ moves its modification time, not its creation
    # time, which is what uv records: uv still finds the project fresh.
    (source / "src" / "extra").mkdir()
    assert_uv_agrees(tools, project)
    broken.unlink()
    assert {f["code"] for f in failing(project / ".venv")} == {"file-missing"}

    fixed = fix(tools, project, tmp_path)
    assert_repaired(fixed, tools, project)
    assert_same_state(project_state(project / ".venv"), fresh_state(tools, project, tmp_path))


@pytest.fixture
def no_birth_time(tmp_path: Path) -> Iterator[Path]:
    """A folder on a file system that records no creation time (ext4 with 128-byte inodes)."""
    image, mount = tmp_path / "fs.img", tmp_path / "nobtime"
    mount.mkdir()
    steps = [
        ["truncate", "-s", "64M", str(image)],
        ["mkfs.ext4", "-q", "-F", "-I", "128", str(image)],
        ["mount", "-o", "loop", str(image), str(mount)],
    ]
    for step in steps:
        if shutil.which(step[0]) is None:
            pytest.skip(f"{step[0]} is not installed")
        proc = subprocess.run(step, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.skip(f"cannot make an ext4 without birth times here: {proc.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True, check=False)


def test_on_a_file_system_without_birth_times_uv_records_an_inode(
    tools: Tools, tmp_path: Path, no_birth_time: Path
) -> None:
    project = synced_project(tools, no_birth_time / "proj")
    record = next(site_packages(project / ".venv").glob("app-*.dist-info")) / "uv_cache.json"
    assert '"src":' in record.read_text()
    assert '"src":{' not in record.read_text()  # an inode number, not a time
    assert failing(project / ".venv") == []
    time.sleep(1.1)  # one-second timestamps here
    (project / "src" / "extra").mkdir()
    (site_packages(project / ".venv") / "_app.pth").unlink()

    fixed = fix(tools, project, tmp_path)
    assert_repaired(fixed, tools, project)


# -- (c) tool.uv.cache-keys: files, folders, globs, environment, git -------------------------

CACHE_KEYS = """
[tool.uv]
cache-keys = [
    "pyproject.toml",
    { file = "requirements/*.txt" },
    { file = "conf/**/*.ini" },
    { dir = "src" },
    { dir = "assets/" },
    { dir = "data" },
    { env = "VD_FLAVOUR" },
    { git = { commit = true, tags = true } },
]
"""


def _git(project: Path, *args: str) -> None:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "HOME": str(project),
        "PATH": os.environ["PATH"],
    }
    run(["git", "-c", "init.defaultBranch=main", *args], env=env, cwd=project)


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("changed\n")


def _recreate(folder: Path) -> None:
    shutil.rmtree(folder)
    folder.mkdir()


MUTATIONS = {
    "glob-matches-deeper": lambda p: _touch(p / "requirements" / "sub" / "deep.txt"),
    "glob-recursive": lambda p: _touch(p / "conf" / "a" / "b" / "new.ini"),
    "folder-created-again": lambda p: _recreate(p / "assets"),
    "missing-folder-created": lambda p: (p / "data").mkdir(),
    "git-commit": lambda p: _git(p, "commit", "-q", "--allow-empty", "-m", "next"),
    "git-tag": lambda p: _git(p, "tag", "v1"),
}


@pytest.fixture
def keyed_project(tools: Tools, tmp_path: Path) -> Path:
    """A project whose cache keys name files, globs, folders, a variable and git, synced."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo, project = tmp_path / "repo", tmp_path / "repo" / "app"
    for name in ("requirements/base.txt", "conf/app.ini", "assets/logo.svg", "README.md"):
        _touch(project / name)
    _git(repo, "init", "-q")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "first")
    return synced_project(tools, project, extra=CACHE_KEYS)


@pytest.mark.parametrize("mutation", [pytest.param(name) for name in MUTATIONS])
def test_cache_keys_changes_uv_watches_are_found_and_fixed(
    tools: Tools, tmp_path: Path, keyed_project: Path, mutation: str
) -> None:
    project, venv = keyed_project, keyed_project / ".venv"
    assert failing(venv) == []
    assert_uv_agrees(tools, project)
    tick()
    MUTATIONS[mutation](project)
    assert_uv_would_rebuild(tools, project)
    assert_stale(venv)

    assert_repaired(fix(tools, project, tmp_path), tools, project)


def test_cache_keys_an_environment_variable_uv_watches(
    tools: Tools, tmp_path: Path, keyed_project: Path
) -> None:
    project, venv = keyed_project, keyed_project / ".venv"
    # Synced without VD_FLAVOUR; checked and fixed where it is set, as uv then runs.
    env = {"VD_FLAVOUR": "gpu"}
    assert failing(venv) == []
    assert_uv_would_rebuild(tools, project, env)
    assert_stale(venv, env=env)

    assert_repaired(fix(tools, project, tmp_path, env), tools, project, env)
    assert_uv_would_rebuild(tools, project)  # and stale again without it


@pytest.mark.parametrize("where", [pytest.param("README.md"), pytest.param("src/app/__init__.py")])
def test_cache_keys_a_change_uv_does_not_watch_is_not_reported(
    tools: Tools, keyed_project: Path, where: str
) -> None:
    tick()
    _touch(keyed_project / where)
    assert_uv_agrees(tools, keyed_project)
    assert failing(keyed_project / ".venv") == []


def test_cache_keys_that_reach_into_the_venv_are_fresh_after_fix(
    tools: Tools, tmp_path: Path
) -> None:
    # uv computes the info before it installs, so files its install writes
    # (entry_points.txt) leave the project stale after every uv sync; fix
    # computes it after the install, and uv then agrees.
    extra = '\n[tool.uv]\ncache-keys = ["pyproject.toml", { file = "**/*.txt" }]\n'
    project = synced_project(tools, tmp_path / "proj", extra=extra)
    assert_uv_would_rebuild(tools, project)
    assert_stale(project / ".venv")

    assert_repaired(fix(tools, project, tmp_path), tools, project)


# -- a uv_cache.json uv cannot read ------------------------------------------------------------


@pytest.mark.parametrize("owner", [pytest.param("app"), pytest.param("rufflike")])
def test_a_corrupt_uv_cache_json_is_reported_and_replaced(
    tools: Tools, tmp_path: Path, owner: str
) -> None:
    project = synced_project(tools, tmp_path / "proj")
    venv = project / ".venv"
    meta = next(site_packages(venv).glob(f"{owner}-*.dist-info"))
    # A write cut short; uv writes none for rufflike, from the index, but reads any.
    cut = b'{"timestamp":{"secs_since_epoch":17'
    if (meta / "uv_cache.json").exists():
        replace_file(meta / "uv_cache.json", cut)
    else:
        (meta / "uv_cache.json").write_bytes(cut)
    broken = uv_check(tools, project, {})
    assert broken.returncode == 2, broken.stdout + broken.stderr
    assert "Failed to read metadata" in broken.stderr
    found = failing(venv)
    assert {(f["code"], f["package"]) for f in found} >= {("uv-cache-info-invalid", owner)}

    assert_repaired(fix(tools, project, tmp_path), tools, project)
    assert_same_state(project_state(venv), fresh_state(tools, project, tmp_path))
