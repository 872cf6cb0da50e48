"""stash-leftover and pip-interrupted on hand-made venvs: names, grouping, what is not one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.fakevenv import SITE, FakeVenv
from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.leftovers import with_lock
from venv_doctor.lockfiles.wanted import Source, WantedDist, WantedSet
from venv_doctor.read.installed import NormalizedName


@pytest.fixture
def venv(tmp_path: Path) -> FakeVenv:
    return FakeVenv(tmp_path / "venv")


def codes(found: list[Finding]) -> list[tuple[str, str, str]]:
    return sorted((f.code, f.package or "", f.path or "") for f in found)


def stash(venv: FakeVenv, name: str, version: str) -> None:
    """What pip's uninstall does before it commits: rename the folders beside themselves."""
    os.rename(
        venv.site / f"{name}-{version}.dist-info", venv.site / f"~{name[1:]}-{version}.dist-info"
    )
    os.rename(venv.site / name, venv.site / f"~{name[1:]}")


def test_a_stashed_metadata_folder_is_not_an_installed_distribution(venv):
    venv.install("demo", "1.0", {"demo/__init__.py": b"old", "demo/gone.py": b"old"})
    stash(venv, "demo", "1.0")
    # pip had written one file of the next version when it was stopped.
    (venv.site / "demo").mkdir()
    (venv.site / "demo" / "__init__.py").write_bytes(b"new")
    snapshot = venv.snapshot()
    assert [d.meta_dir for d in snapshot.dists] == []
    assert [d.meta_dir for d in snapshot.stashed] == [f"{SITE}/~emo-1.0.dist-info"]

    found = venv.check()
    assert codes(found) == [("pip-interrupted", "demo", f"{SITE}/~emo-1.0.dist-info")]
    (stopped,) = found
    assert stopped.version == "1.0"
    assert "demo 1.0 is stashed in ~emo-1.0.dist-info/, ~emo/ (" in stopped.message
    assert "pip had written 1 file of the version replacing it in demo/" in stopped.message


def test_a_stash_beside_the_version_that_replaced_it_names_both(venv):
    venv.install("demo", "1.0", {"demo/__init__.py": b"old"})
    stash(venv, "demo", "1.0")
    # pip writes INSTALLER once the new version's files are in place.
    venv.install("demo", "2.0", {"demo/__init__.py": b"new"}, INSTALLER=b"pip\n")
    found = venv.check()
    assert codes(found) == [("stash-leftover", "demo", f"{SITE}/~emo-1.0.dist-info")]
    assert found[0].version == "1.0"
    assert "demo 1.0 is still stashed" in found[0].message
    assert "demo 2.0 is installed in its place" in found[0].message


def test_a_new_version_without_installer_beside_the_stash_is_unfinished(venv):
    # pip died after the new version's files (the wheel's RECORD among them),
    # before INSTALLER and its own RECORD.
    venv.install("demo", "1.0", {"demo/__init__.py": b"old"})
    stash(venv, "demo", "1.0")
    venv.install("demo", "2.0", {"demo/__init__.py": b"new"})
    found = venv.check()
    assert [c for c, _, _ in codes(found)] == ["dist-info-incomplete", "stash-leftover"]
    assert "has no INSTALLER beside it while pip's stash of demo 1.0" in found[0].message


def test_pip_stopped_before_stashing_the_metadata(venv):
    # pip stashes in sorted order: demo/ before demo-1.0.dist-info/.
    venv.install("demo", "1.0", {"demo/__init__.py": b"x"})
    os.rename(venv.site / "demo", venv.site / "~emo")
    found = venv.check()
    assert [(f.code, f.package, f.path) for f in found if f.code == "stash-leftover"] == [
        ("stash-leftover", "demo", f"{SITE}/~emo")
    ]
    assert "file-missing" in {f.code for f in found}


def test_a_stash_of_nothing_known_is_reported_alone(venv):
    (venv.site / "~ich").mkdir()
    (venv.site / "~ich" / "f.py").write_text("")
    (found,) = venv.check()
    assert (found.code, found.package, found.path) == ("stash-leftover", None, f"{SITE}/~ich")
    assert "folder with 1 file" in found.message


@pytest.mark.parametrize(
    ("where", "says"),
    [
        pytest.param("demo/.tmpAbC123", "temporary file of uv's", id="uv-in-a-package"),
        pytest.param(
            "demo-1.0.dist-info/.tmpM99XiC", "temporary file of uv's", id="uv-in-metadata"
        ),
        pytest.param(
            "demo-1.0.dist-info/RECORDvasyrjl3.tmp", "pip writes RECORD under this name", id="pip"
        ),
    ],
)
def test_temporary_files_in_a_distribution_are_about_it(venv, where, says):
    venv.install("demo", "1.0", {"demo/__init__.py": b"x"})
    (venv.site / where).write_bytes(b"")
    findings = venv.check()
    (found,) = (f for f in findings if f.code == "stash-leftover")
    assert (found.package, found.path) == ("demo", f"{SITE}/{where}")
    assert says in found.message
    # An installer renames its files in a metadata folder into place before its
    # last step: one still there says the install stopped.
    others = {(f.code, f.path) for f in findings} - {(found.code, found.path)}
    in_meta = where.startswith("demo-1.0.dist-info/")
    assert others == (
        {("dist-info-incomplete", f"{SITE}/demo-1.0.dist-info")} if in_meta else set()
    )


@pytest.mark.parametrize(
    ("where", "folder", "says"),
    [
        pytest.param("bin/.tmp9kgftE", False, "temporary file of uv's", id="uv-launcher"),
        pytest.param(
            f"{SITE}/.tmpQDZIW4", True, "(1 file) is a temporary folder of uv's", id="uv-folder"
        ),
        pytest.param(f"{SITE}/lodata-1.0.data", True, "data folder of a wheel uv", id="uv-data"),
        pytest.param(f"{SITE}/pip-uninstall-ab_d12yz", True, "folder of pip's", id="pip-folder"),
    ],
)
def test_temporary_names_alone(venv, where, folder, says):
    path = venv.root / where
    if folder:
        path.mkdir()
        (path / "readme.txt").write_text("x")
    else:
        path.write_text("x")
    (found,) = venv.check()
    assert (found.code, found.path) == ("stash-leftover", where)
    assert says in found.message


def test_a_listed_file_with_a_temporary_name_is_not_one(venv):
    venv.install("odd", "1.0", {"odd/.tmpAbC123": b"x", "lodata-1.0.data/x.txt": b"y"})
    assert venv.check() == []


def test_the_lock_names_the_version_it_wants(venv, tmp_path):
    venv.install("demo", "1.0", {"demo/__init__.py": b"old"})
    stash(venv, "demo", "1.0")
    wanted = WantedSet(
        lockfile=tmp_path / "uv.lock",
        kind="uv.lock",
        dists={
            NormalizedName("demo"): WantedDist(
                name=NormalizedName("demo"), version="2.0", source=Source(kind="registry")
            )
        },
    )
    (named,) = with_lock(venv.check(), wanted)
    assert named.message.endswith("; uv.lock wants demo 2.0")
    assert named.hint == (
        "venv-doctor fix --from uv.lock moves what pip left to the trash and installs demo 2.0"
    )
    empty = WantedSet(lockfile=tmp_path / "uv.lock", kind="uv.lock", dists={})
    (unwanted,) = with_lock(venv.check(), empty)
    assert unwanted.message.endswith("; uv.lock does not want it")
