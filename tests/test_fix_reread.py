"""The check after ``fix`` reads again only what the change touched, and sees all a full check does.

``fix`` holds the venv's lock from before its first check until after its
last, so the check after takes over from the check before whatever the
transaction did not touch (``read.refresh``).  Each test breaks a real venv,
runs the real ``fix`` in this process, and compares the snapshot and the
findings of its check after with those of a full check of the venv made
afterwards from nothing: they must be equal, field by field.  It also shows
that the fix took the patched reading (not a full one) wherever it can.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixing import half_removed
from tests.support.tools import (
    BASE_PYTHON,
    ImmutableFiles,
    Tools,
    check_json,
    site_packages,
    write_pyproject,
)
from tests.test_check_broken import throwaway_base_python
from tests.test_fix import assert_healthy, assert_in_sync
from venv_doctor.apply.wheelsource import wheel_getter
from venv_doctor.commands import check as check_command
from venv_doctor.commands.check import Checked, LockOptions, run_check
from venv_doctor.commands.fix import FixOptions, run_fix
from venv_doctor.read.digest_cache import RACY_NS, DigestCache
from venv_doctor.read.journal import read_journals, touched_paths
from venv_doctor.read.layout import VenvLayout, read_layout
from venv_doctor.read.probe import PendingProbe, start_probe
from venv_doctor.read.refresh import reread
from venv_doctor.read.snapshot import Snapshot

pytestmark = pytest.mark.slow


def _comparable(snapshot: Snapshot) -> Snapshot:
    """What a reading saw, without when it was made and how many digests it reused.

    Lists whose order follows the order of a folder listing are sorted.
    """
    return dataclasses.replace(
        snapshot,
        reused=0,
        stamped_at=0,
        editables=tuple(sorted(snapshot.editables, key=repr)),
        unreadable=tuple(sorted(snapshot.unreadable, key=repr)),
    )


def assert_same_snapshot(patched: Snapshot, full: Snapshot) -> None:
    """Equal field by field; a failure names the field and the paths that differ."""
    left, right = _comparable(patched), _comparable(full)
    for field in dataclasses.fields(Snapshot):
        mine, theirs = getattr(left, field.name), getattr(right, field.name)
        if isinstance(mine, dict) and isinstance(theirs, dict):
            differ = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
            assert not differ, f"{field.name} differs at " + "; ".join(
                f"{k}: {mine.get(k)!r} vs {theirs.get(k)!r}" for k in differ[:5]
            )
        assert mine == theirs, field.name


def assert_cache_holds(environ: dict[str, str], venv: Path, full: Snapshot) -> None:
    """The digest cache the fix left holds entries only for files there now, with their digests."""
    entries = DigestCache.open(environ, str(venv)).entries
    current = {
        (entry.dev, entry.ino, entry.size, *full.stamps[rel]): rel
        for rel, entry in full.tree.items()
        if rel in full.stamps
    }
    for key, (digest, _at, _algo) in entries.items():
        assert key in current, f"an entry for a file that is gone: {key}"
        assert full.hashes[current[key]] == digest, current[key]


def fix_and_compare(
    tools: Tools,
    venv: Path,
    tmp_path: Path,
    *,
    cwd: Path | None = None,
    options: FixOptions | None = None,
    patched: bool = True,
    settled: bool = False,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> Checked:
    """Run ``fix`` on ``venv``, then a full check; their snapshots and findings must agree.

    ``patched``: whether the check after must have read again only what the
    transaction touched (a re-pointed venv is read whole).  ``settled``: wait
    first until every file is older than the digest cache's racy window, so
    that the check before keeps their digests and the check after must drop
    those of the files the fix replaced.  Returns the check after.

    With ``monkeypatch``, the venv's interpreter must have run once for the
    fix (its check after takes over the probe of its check before), twice
    for one that re-pointed the venv.
    """
    if settled:
        time.sleep(RACY_NS / 1e9 + 0.2)
    environ = tools.environ | {"VENV_DOCTOR_CACHE_DIR": str(tmp_path / "vd-cache")}
    where = cwd or venv.parent
    heard: list[Checked] = []
    probed: list[Path] = []
    if monkeypatch is not None:

        def counted(layout: VenvLayout, **kwargs: Any) -> PendingProbe:
            probed.append(layout.interpreter)
            return start_probe(layout, **kwargs)

        monkeypatch.setattr(check_command, "start_probe", counted)
    run_fix(
        read_layout(venv),
        lock=LockOptions(),
        options=options or FixOptions(cache=True),
        environ=environ,
        cwd=where,
        get_wheel=wheel_getter(find_links=(), index_url=None, offline=False, environ=environ),
        on_checked=heard.append,
    )
    assert len(heard) == 2, "the fix changed nothing"
    before, after = heard
    if monkeypatch is not None:
        assert len(probed) == (1 if patched else 2), probed
        monkeypatch.undo()
    full = run_check(
        read_layout(venv),
        quick=False,
        select=None,
        ignore=None,
        lock=LockOptions(),
        environ=environ,
        cwd=where,
        stamps=True,
        next_step=False,
    )
    assert_same_snapshot(after.snapshot, full.snapshot)
    assert sorted(map(repr, after.result.findings)) == sorted(map(repr, full.result.findings))
    assert (after.result.files, after.result.distributions) == (
        full.result.files,
        full.result.distributions,
    )
    assert_cache_holds(environ, venv, full.snapshot)
    # The same reading again, from the journal the fix left: it is a patch, or not.
    journal = read_journals(venv)[-1]
    touched = touched_paths(journal.parsed.records)
    again = reread(read_layout(venv), before.snapshot, touched, environ=environ)
    assert (again is not None) == patched
    if again is not None:
        try:
            assert_same_snapshot(again.finish(), full.snapshot)
        finally:
            again.close()
    return after


def test_a_deleted_file_is_put_back(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"], link_mode="hardlink")
    (site_packages(venv) / "polarslike" / "__init__.py").unlink()

    after = fix_and_compare(tools, venv, tmp_path, settled=True, monkeypatch=monkeypatch)
    assert not any(finding.fails for finding in after.result.findings)
    assert_in_sync(tools, project)


def test_a_half_removed_package_is_installed_again(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = half_removed(tools, project, immutable)

    fix_and_compare(tools, venv, tmp_path)
    assert_healthy(venv)
    assert_in_sync(tools, project)


def test_a_package_the_lock_dropped_is_removed_with_its_launchers(
    tools: Tools, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    write_pyproject(project, ["polarslike"])
    tools.run_uv("lock", cwd=project)
    assert (venv / "bin" / "rufflike-py").exists()

    fix_and_compare(tools, venv, tmp_path)
    assert not (venv / "bin" / "rufflike-py").exists()
    assert_in_sync(tools, project)


def test_orphans_are_purged_and_a_stash_goes(tools: Tools, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    site = site_packages(venv)
    (site / "stray.py").write_text("x = 1\n")
    (site / "polarslike" / "notes.txt").write_text("mine\n")
    (site / "~olarslike").mkdir()
    (site / "~olarslike" / "__init__.py").write_text("")
    (site / "polarslike" / "__init__.py").unlink()

    fix_and_compare(tools, venv, tmp_path, options=FixOptions(purge_orphans=True, cache=True))
    assert not (site / "stray.py").exists()
    assert not (site / "~olarslike").exists()
    assert_in_sync(tools, project)


def test_a_downgrade_to_the_locked_version(tools: Tools, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["bumpy==1.0"])
    tools.uv_pip_install(venv, "bumpy==2.0")
    assert check_json(venv).of("lock-version-mismatch")

    fix_and_compare(tools, venv, tmp_path, settled=True)
    assert [p.name for p in site_packages(venv).glob("bumpy-*.dist-info")] == [
        "bumpy-1.0.dist-info"
    ]
    assert_in_sync(tools, project)


def test_a_lost_launcher_and_a_damaged_script_are_written_again(
    tools: Tools, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "python-datelike"])
    (venv / "bin" / "rufflike-py").unlink()
    (venv / "bin" / "datelike-gui").write_text("#!/bin/sh\necho changed\n")

    fix_and_compare(tools, venv, tmp_path)
    assert (venv / "bin" / "rufflike-py").exists()
    assert_healthy(venv)
    assert_in_sync(tools, project)


def test_two_metadata_folders_of_one_package_become_one(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "bumpy==1.0")
    immutable(site_packages(venv) / "bumpy" / "old.py")
    tools.uv_pip_install(venv, "bumpy==2.0", check=False)
    immutable.release()
    tools.uv_pip_install(venv, "bumpy==2.0", check=False)
    assert len(list(site_packages(venv).glob("bumpy-*.dist-info"))) == 2

    fix_and_compare(tools, venv, tmp_path)
    assert_healthy(venv)


def test_a_repointed_venv_is_read_whole(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = throwaway_base_python(tmp_path / "base")
    venv = tools.make_uv_venv(tmp_path / "venv", python=python)
    tools.uv_pip_install(venv, "rufflike")
    shutil.rmtree(tmp_path / "base")
    (site_packages(venv) / "rufflike" / "__init__.py").unlink()

    fix_and_compare(
        tools,
        venv,
        tmp_path,
        options=FixOptions(python=Path(BASE_PYTHON), cache=True),
        patched=False,
        monkeypatch=monkeypatch,
    )
    assert_healthy(venv)
    assert os.path.realpath(venv / "bin" / "python") == os.path.realpath(BASE_PYTHON)


def test_a_moved_project_gets_its_pointers_scripts_and_activate_scripts_rewritten(
    tools: Tools, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    (project / "src" / "app").mkdir(parents=True)
    (project / "src" / "app" / "__init__.py").write_text("VALUE = 1\n")
    tools.uv_project(project, ["rufflike"], package=True)
    moved = tmp_path / "elsewhere" / "moved-proj"
    moved.parent.mkdir()
    project.rename(moved)
    venv = moved / ".venv"
    assert check_json(venv).of("editable-target-missing")

    after = fix_and_compare(tools, venv, tmp_path, cwd=moved)
    assert after.snapshot.editables
    assert after.snapshot.activations
    assert_healthy(venv)
    assert_in_sync(tools, moved)
