"""``fix`` puts back only the files that are wrong when the rest of a distribution is intact.

Files of a distribution that are missing or modified, and nothing else wrong
with it: the plan restores them from the wheel and leaves every other file,
its metadata and RECORD as the installer wrote them.  The result must still
be what a fresh ``uv sync`` gives, and uv must agree.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.fixing import venv_doctor
from tests.support.tools import Tools, site_packages
from tests.test_fix import (
    fix_like_fresh_sync,
    fresh_sync_state,
    installed_state,
    run_fix,
)

pytestmark = pytest.mark.slow


def _inodes(folder: Path) -> dict[str, int]:
    return {
        path.relative_to(folder).as_posix(): path.lstat().st_ino
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def _edit_by_rename(path: Path, data: bytes) -> None:
    """Save ``path`` as editors do: a new file renamed over the old one."""
    temp = path.with_name(path.name + ".swp")
    temp.write_bytes(data)
    os.replace(temp, path)


def test_fix_puts_back_the_missing_and_modified_files_and_leaves_the_rest(
    tools: Tools, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    expected = fresh_sync_state(tools, project, tmp_path)
    sp = site_packages(venv)
    frame, csv = sp / "polarslike" / "frame.py", sp / "polarslike" / "io" / "csv.py"
    frame.unlink()
    _edit_by_rename(csv, b"def read_csv(path):\n    return None\n")
    damaged = installed_state(venv)
    before = _inodes(sp)

    plan = run_fix(tools, venv, "--from", str(project / "uv.lock"), "--dry-run", "--format", "json")
    [action] = plan.report["plan"]["actions"]
    assert action["action"] == "install"
    assert action["restore"] == [
        "lib/python3.11/site-packages/polarslike/frame.py",
        "lib/python3.11/site-packages/polarslike/io/csv.py",
    ]

    fixed = fix_like_fresh_sync(tools, project, venv, expected)
    assert "restore lib/python3.11/site-packages/polarslike/frame.py and 1 more of" in fixed.stdout
    assert "putting back 2 files of polarslike 1.2.0" in fixed.stderr
    after = _inodes(sp)
    moved = sorted(path for path in before if after.get(path) != before[path])
    assert moved == ["polarslike/io/csv.py"]  # the one file replaced; the rest is untouched

    undone = venv_doctor(tools, "undo", venv, cache=tools.tmp / "venv-doctor-cache")
    assert undone.exit_code == 0, undone.output
    assert installed_state(venv) == damaged


def test_fix_installs_whole_when_the_wheel_disagrees_with_the_installed_record(
    tools: Tools, tmp_path: Path
) -> None:
    # The installed copy says frame.py has another hash than the locked wheel
    # does (as a copy installed from another build of the version would):
    # putting back frame.py from this wheel would not match its RECORD.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["polarslike"])
    expected = fresh_sync_state(tools, project, tmp_path)
    sp = site_packages(venv)
    record = sp / "polarslike-1.2.0.dist-info" / "RECORD"
    rows = record.read_text().splitlines()
    rows = [
        "polarslike/frame.py,sha256=" + "A" * 43 + ",1"
        if row.startswith("polarslike/frame.py,")
        else row
        for row in rows
    ]
    record.write_text("\n".join(rows) + "\n")
    (sp / "polarslike" / "frame.py").write_bytes(b"x")
    (sp / "polarslike" / "io" / "csv.py").unlink()

    plan = run_fix(tools, venv, "--from", str(project / "uv.lock"), "--dry-run", "--format", "json")
    [action] = plan.report["plan"]["actions"]
    assert action["restore"], json.dumps(action)

    fixed = fix_like_fresh_sync(tools, project, venv, expected)
    assert "(another build of that version): reinstalling it whole" in fixed.stderr
