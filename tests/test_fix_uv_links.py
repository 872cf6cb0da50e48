"""``fix`` in a venv uv fills with hard links into its cache links what it reinstalls, as uv does.

The oracle is uv itself: a twin project synced by uv in hardlink mode from
the same cache holds every file of a wheel as the same inode as uv's
unpacked wheel, and so must the repaired venv.  A file of uv's cache that no
longer holds what the wheel's RECORD says (a person edited the venv's file in
place, and so the cache's) is never linked: the wheel's bytes are written.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.tools import Tools, check_json, rel, site_packages
from tests.test_fix import (
    assert_healthy,
    assert_in_sync,
    assert_same_state,
    installed_state,
    run_fix,
)

pytestmark = pytest.mark.slow

# Written by the installer itself, never linked from the cache.
_OWN = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "uv_cache.json"}


def _inodes(venv: Path) -> dict[str, tuple[int, int]]:
    """site-packages' files as (device, inode), but bytecode and the installer's own files."""
    sp = site_packages(venv)
    found = {}
    for folder, dirs, files in os.walk(sp):
        dirs[:] = [name for name in dirs if name != "__pycache__"]
        for name in files:
            path = Path(folder, name)
            if path.parent.name.endswith(".dist-info") and name in _OWN:
                continue
            info = path.lstat()
            found[path.relative_to(sp).as_posix()] = (info.st_dev, info.st_ino)
    return found


def _twin(tools: Tools, project: Path, tmp_path: Path, link_mode: str) -> Path:
    """The same project and lock, synced afresh by uv; its venv."""
    twin = tmp_path / "twin"
    twin.mkdir()
    for name in ("pyproject.toml", "uv.lock"):
        (twin / name).write_bytes((project / name).read_bytes())
    tools.run_uv("sync", "--frozen", "--link-mode", link_mode, cwd=twin)
    return twin / ".venv"


@pytest.mark.parametrize(
    ("damage", "action"),
    [
        # Only files gone: they are put back, the rest stays.
        ("files", "restore lib/python3.11/site-packages/polarslike/frame.py and 1 more of"),
        # RECORD emptied too: the wheel is installed whole.
        ("record", "install polarslike 1.2.0"),
    ],
)
def test_fix_in_a_hardlink_venv_links_the_reinstalled_files_as_a_fresh_uv_sync_does(
    tools: Tools, tmp_path: Path, damage: str, action: str
) -> None:
    own = tools.with_uv_cache(tmp_path / "uv-cache")
    project = tmp_path / "proj"
    venv = own.uv_project(project, ["rufflike", "polarslike"], link_mode="hardlink")
    sp = site_packages(venv)
    (sp / "polarslike" / "frame.py").unlink()
    (sp / "polarslike" / "io" / "csv.py").unlink()
    if damage == "record":
        (sp / "polarslike-1.2.0.dist-info" / "RECORD").write_bytes(b"")

    fixed = run_fix(own, venv, "--from", str(project / "uv.lock"))
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert action in fixed.stdout
    assert_healthy(venv)
    assert_in_sync(own, project)

    twin = _twin(own, project, tmp_path, "hardlink")
    assert_same_state(installed_state(venv), installed_state(twin))
    mine, uvs = _inodes(venv), _inodes(twin)
    assert mine.keys() == uvs.keys()
    differ = sorted(path for path in mine if mine[path] != uvs[path])
    assert not differ, f"not the inodes of uv's cache: {differ}"
    assert (sp / "polarslike" / "frame.py").stat().st_nlink >= 3  # cache, venv, twin


def test_fix_never_links_a_cache_file_edited_in_place_and_writes_the_wheels_bytes(
    tools: Tools, tmp_path: Path
) -> None:
    own = tools.with_uv_cache(tmp_path / "uv-cache")
    project = tmp_path / "proj"
    venv = own.uv_project(project, ["polarslike"], link_mode="hardlink")
    sp = site_packages(venv)
    frame = sp / "polarslike" / "frame.py"
    original = frame.read_bytes()
    # Edited in place through the venv's name: uv's cache holds the edit too.
    with frame.open("r+b") as handle:
        handle.write(b"#")
    assert frame.stat().st_nlink >= 2
    assert check_json(venv).at("file-modified", rel(venv, frame))

    fixed = run_fix(own, venv, "--from", str(project / "uv.lock"))
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert_healthy(venv)
    assert_in_sync(own, project)
    assert frame.read_bytes() == original
    assert frame.stat().st_nlink == 1
    # The files of uv's cache that still hold the wheel's bytes are linked.
    assert (sp / "polarslike" / "__init__.py").stat().st_nlink >= 2


def test_fix_in_a_copy_venv_writes_copies(tools: Tools, tmp_path: Path) -> None:
    own = tools.with_uv_cache(tmp_path / "uv-cache")
    project = tmp_path / "proj"
    venv = own.uv_project(project, ["polarslike"], link_mode="copy")
    sp = site_packages(venv)
    (sp / "polarslike" / "frame.py").unlink()

    fixed = run_fix(own, venv, "--from", str(project / "uv.lock"))
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert_in_sync(own, project)
    twin = _twin(own, project, tmp_path, "copy")
    assert_same_state(installed_state(venv), installed_state(twin))
    package = sp / "polarslike"
    assert all(path.stat().st_nlink == 1 for path in package.rglob("*.py"))
