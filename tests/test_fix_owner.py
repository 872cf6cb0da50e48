"""``fix``, ``undo`` and ``trash`` run by root on a venv that another user owns.

A CI container, a bind mount or ``sudo``: the venv belongs to ``nobody`` and
root repairs it.  Afterwards nothing inside the venv may belong to root, and the
owner must still be able to uninstall and reinstall with uv, undo and clean the
trash as themselves.  A user who is neither root nor the owner is refused
before anything changes, and ``check`` run by a user who can read nothing of
site-packages says ``unreadable``, never that files are missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.support.fixing import venv_doctor
from tests.support.tools import Tools, assert_same_tree, site_packages, tree_digest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        sys.platform == "win32" or os.geteuid() != 0, reason="needs root to act as other users"
    ),
]

NOBODY = 65534
STRANGER = 4242  # a user who owns nothing here
# An interpreter every user may run (the one the tests run on may sit in root's home).
SHARED_PYTHON = Path("/usr/bin/python3")
SRC = Path(__file__).resolve().parents[1] / "src"


def as_user(
    uid: int, cmd: Sequence[str | os.PathLike[str]], *, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", *map(os.fspath, cmd)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def venv_doctor_as(
    uid: int, *args: str | os.PathLike[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """venv-doctor from this checkout, run by ``uid`` on an interpreter it may run."""
    libs = os.pathsep.join([str(SRC), sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    proc = as_user(
        uid,
        [SHARED_PYTHON, "-m", "venv_doctor", *args],
        env=env | {"PYTHONPATH": libs, "NO_COLOR": "1", "COLUMNS": "200"},
        cwd=cwd,
    )
    assert "Traceback (most recent call last)" not in proc.stdout + proc.stderr, proc.stderr
    return proc


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder other users can reach (pytest's own tmp_path is root's alone)."""
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is not installed")
    if not SHARED_PYTHON.is_file() or SHARED_PYTHON.resolve().is_relative_to("/root"):
        pytest.skip(f"no interpreter every user may run at {SHARED_PYTHON}")
    folder = Path(tempfile.mkdtemp(prefix="vd-owner-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def user_env(tools: Tools, home: Path) -> dict[str, str]:
    return tools.environ | {
        "HOME": str(home),
        "UV_CACHE_DIR": str(home / "uv-cache"),
        "VENV_DOCTOR_CACHE_DIR": str(home / "vd-cache"),
        "TMPDIR": str(home),
    }


def root_owned(venv: Path) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(venv):
        for name in dirs + files:
            path = os.path.join(folder, name)
            if os.lstat(path).st_uid == 0 or os.lstat(path).st_gid == 0:
                found.append(os.path.relpath(path, venv))
    return sorted(found)


@pytest.fixture
def nobodys_project(tools: Tools, shared: Path) -> Path:
    """A uv project (and its venv) that belongs to nobody, polarslike's frame.py deleted."""
    project = shared / "proj"
    tools.uv_project(project, ["polarslike", "rufflike"], python=SHARED_PYTHON)
    (shared / "home").mkdir()
    subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", shared], check=True)
    (site_packages(project / ".venv") / "polarslike" / "frame.py").unlink()
    probe = venv_doctor_as(NOBODY, "--version", env=user_env(tools, shared / "home"), cwd=project)
    if probe.returncode != 0:
        pytest.skip(f"venv-doctor cannot run as another user here: {probe.stderr.strip()}")
    return project


def test_root_fix_leaves_everything_to_the_owner(tools: Tools, nobodys_project: Path):
    project = nobodys_project
    venv = project / ".venv"
    home = project.parent / "home"
    fixed = venv_doctor(tools, "fix", "--from", "uv.lock", cache=home / "root-cache", cwd=project)
    assert fixed.exit_code == 0, fixed.output
    assert "belongs to nobody:nogroup" in fixed.stdout
    assert root_owned(venv) == []

    env = user_env(tools, home)
    # The owner can revert root's repair and clean its trash as themselves...
    undone = venv_doctor_as(NOBODY, "undo", env=env, cwd=project)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    cleaned = venv_doctor_as(NOBODY, "trash", "clean", env=env, cwd=project)
    assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
    assert "could not delete" not in cleaned.stderr
    assert not any((venv / ".venv-doctor" / "trash").iterdir())

    # ...and, once root repaired it again, change the repaired package with uv.
    fixed = venv_doctor(tools, "fix", "--from", "uv.lock", cache=home / "root-cache", cwd=project)
    assert fixed.exit_code == 0, fixed.output
    assert root_owned(venv) == []
    python = venv / "bin" / "python"
    for args in (
        ["pip", "uninstall", "--python", python, "polarslike"],
        ["pip", "install", "--python", python, "--link-mode", "copy", "polarslike"],
    ):
        proc = as_user(NOBODY, [tools.uv, *args], env=env, cwd=project)
        assert proc.returncode == 0, proc.stderr


def test_another_user_is_refused_before_anything_changes(tools: Tools, nobodys_project: Path):
    project = nobodys_project
    home = project.parent / "stranger"
    home.mkdir()
    os.chown(home, STRANGER, STRANGER)
    before = tree_digest(project / ".venv")
    proc = venv_doctor_as(
        STRANGER, "fix", "--from", "uv.lock", env=user_env(tools, home), cwd=project
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "belongs to nobody" in proc.stderr
    assert "sudo -u nobody venv-doctor fix" in proc.stderr
    assert_same_tree(before, tree_digest(project / ".venv"), project / ".venv")


def test_check_by_a_user_who_cannot_read_says_unreadable(tools: Tools, nobodys_project: Path):
    project = nobodys_project
    site_packages(project / ".venv").chmod(0o700)
    home = project.parent / "stranger"
    home.mkdir()
    os.chown(home, STRANGER, STRANGER)
    proc = venv_doctor_as(STRANGER, "check", ".venv", env=user_env(tools, home), cwd=project)
    assert proc.returncode in {1, 2}, proc.stdout + proc.stderr
    assert "unreadable" in proc.stdout
    # What it could not read, it does not guess at: nothing is said missing or unowned.
    for guess in ("file-missing", "lock-missing", "orphan-file", "dependency-unsatisfied"):
        assert guess not in proc.stdout
    assert "were not verified" in proc.stdout


def test_root_fix_in_a_hardlink_venv_links_no_file_the_owner_would_not_own(
    tools: Tools, shared: Path, tmp_path: Path
):
    # uv's cache is root's, the venv nobody's: a hard link to the cache would be
    # root's file in nobody's venv, and adopting it would give the cache away.
    own = tools.with_uv_cache(tmp_path / "uv-cache")
    project = shared / "proj"
    own.uv_project(project, ["polarslike"], python=SHARED_PYTHON, link_mode="hardlink")
    subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", shared], check=True)
    subprocess.run(["chown", "-R", "0:0", own.uv_cache], check=True)
    sp = site_packages(project / ".venv")
    (sp / "polarslike" / "frame.py").unlink()

    fixed = venv_doctor(own, "fix", "--from", "uv.lock", cache=tmp_path / "vd-cache", cwd=project)
    assert fixed.exit_code == 0, fixed.output
    # frame.py alone is put back: written, nobody's, no link to root's cache.
    info = (sp / "polarslike" / "frame.py").stat()
    assert (info.st_uid, info.st_nlink) == (NOBODY, 1)
    cached = list(own.uv_cache.rglob("polarslike/frame.py"))
    assert cached
    assert all(p.stat().st_uid == 0 for p in cached)
