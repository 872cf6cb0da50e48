"""Folders a plan's removals empty, empty package folders, and remnants: on hand-made venvs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.plan.test_plan import lock, of
from tests.support.fakevenv import SITE, FakeVenv
from venv_doctor.diagnose.run import diagnose
from venv_doctor.lockfiles.wanted import WantedSet
from venv_doctor.plan.actions import DiscardPath, InstallDist, Plan, PlanOptions, RemoveDist
from venv_doctor.plan.leftovers import emptied_folders, needs_wheel_contents
from venv_doctor.plan.make import make_plan


@pytest.fixture
def venv(tmp_path: Path) -> FakeVenv:
    return FakeVenv(tmp_path / "proj" / ".venv")


def plan_for(
    venv: FakeVenv,
    wanted: WantedSet | None = None,
    into: Mapping[str, frozenset[str]] | None = None,
    **options: bool,
) -> Plan:
    snapshot = venv.snapshot()
    return make_plan(
        snapshot, diagnose(snapshot), wanted, PlanOptions(**options), installs_into=into
    )


def discarded(plan: Plan) -> list[tuple[str, bool]]:
    return [(a.path, a.empty) for a in of(plan, DiscardPath)]


def bytecode(venv: FakeVenv, folder: str) -> None:
    cache = venv.site / folder / "__pycache__"
    cache.mkdir(parents=True)
    (cache / "__init__.cpython-311.pyc").write_bytes(b"\0")


# -- folders the removals empty ------------------------------------------------------------


def test_removing_a_namespace_subpackage_takes_the_folder_it_empties(venv, tmp_path):
    venv.install("ctx", "1.0", {"jaraco/context/__init__.py": b"c", "jaraco/context/py.typed": b""})
    venv.install("fun", "1.0", {"jaraco/functools/__init__.py": b"f"})
    bytecode(venv, "jaraco/context")
    bytecode(venv, "jaraco/context/sub")
    plan = plan_for(venv, lock(tmp_path, fun="1.0"))
    [remove] = of(plan, RemoveDist)
    assert f"{SITE}/jaraco" not in remove.paths  # fun stays in it
    # Then the folder it leaves holding bytecode only, whole: never jaraco/.
    assert discarded(plan) == [(f"{SITE}/jaraco/context", True)]
    assert plan.actions.index(remove) < plan.actions.index(of(plan, DiscardPath)[0])
    assert plan.unresolved == ()


def test_a_folder_whose_files_an_earlier_removal_took_goes_with_its_distribution(venv, tmp_path):
    meta = venv.install("ctx", "1.0", {"jaraco/context/__init__.py": b"c"})
    venv.install("fun", "1.0", {"jaraco/functools/__init__.py": b"f"})
    (venv.site / "jaraco" / "context" / "__init__.py").unlink()
    bytecode(venv, "jaraco/context")
    plan = plan_for(venv, lock(tmp_path, fun="1.0"))
    [remove] = of(plan, RemoveDist)
    assert remove.paths == (meta,)
    assert discarded(plan) == [(f"{SITE}/jaraco/context", True)]


def test_a_folder_with_anything_else_in_it_stays(venv, tmp_path):
    venv.install("ctx", "1.0", {"jaraco/context/__init__.py": b"c"})
    venv.install("fun", "1.0", {"jaraco/functools/__init__.py": b"f", "jaraco/context/x.py": b"x"})
    plan = plan_for(venv, lock(tmp_path, fun="1.0"))
    assert discarded(plan) == []  # jaraco/context holds fun's x.py
    (venv.site / "other" / "a").mkdir(parents=True)
    (venv.site / "other" / "a" / "mod.py").write_text("")
    (venv.site / "other" / "a" / "link").symlink_to(venv.site / "other" / "a" / "mod.py")
    bytecode(venv, "other/a")
    snapshot = venv.snapshot()
    assert emptied_folders(snapshot, {f"{SITE}/other/a/mod.py"}) == []  # a link stays
    [emptied] = emptied_folders(snapshot, {f"{SITE}/other/a/mod.py", f"{SITE}/other/a/link"})
    assert (emptied.path, emptied.empty) == (f"{SITE}/other", True)  # outermost, whole


def test_only_site_packages_folders_are_emptied(venv):
    (venv.root / "share" / "tool").mkdir(parents=True)
    (venv.root / "share" / "tool" / "f").write_text("")
    snapshot = venv.snapshot()
    assert emptied_folders(snapshot, {"share/tool/f"}) == []


def test_an_empty_package_folder_goes_without_purge_orphans(venv, tmp_path):
    venv.install("fun", "1.0", {"jaraco/functools/__init__.py": b"f"})
    bytecode(venv, "jaraco/context")
    bytecode(venv, "gone")
    (venv.site / "mine").mkdir()
    (venv.site / "mine" / "notes.txt").write_text("mine")
    plan = plan_for(venv, lock(tmp_path, fun="1.0"))
    assert discarded(plan) == [(f"{SITE}/gone", True), (f"{SITE}/jaraco/context", True)]
    # A folder with a file in it may be someone's: that takes --purge-orphans.
    assert [f.path for f in plan.unresolved] == [f"{SITE}/mine"]
    assert not needs_wheel_contents(plan)  # nothing is installed


# -- remnants in the folders a wheel installs into ------------------------------------------


def test_remnants_go_with_the_folder_the_wheel_installs_into(venv, tmp_path):
    (venv.site / "sklike" / "kernels").mkdir(parents=True)
    (venv.site / "sklike" / "kernels" / "old.py").write_text("OLD = True\n")
    (venv.site / "sklike" / "io").mkdir()
    (venv.site / "unrelated").mkdir()
    (venv.site / "unrelated" / "x.py").write_text("")
    wanted = lock(tmp_path, scikitlike="2.0")

    first = plan_for(venv, wanted)
    assert needs_wheel_contents(first)
    assert discarded(first) == []
    assert {f.path for f in first.unresolved} == {f"{SITE}/sklike", f"{SITE}/unrelated"}

    into = {"scikitlike": frozenset({"sklike", "sklike/compute"})}
    plan = plan_for(venv, wanted, into)
    [discard] = of(plan, DiscardPath)
    assert (discard.path, discard.empty) == (f"{SITE}/sklike", False)
    assert "scikitlike 2.0 wheel installs into" in discard.reason
    [install] = of(plan, InstallDist)
    assert plan.actions.index(discard) < plan.actions.index(install)
    assert [f.path for f in plan.unresolved] == [f"{SITE}/unrelated"]


def test_a_shared_folder_stays_and_only_the_wheels_own_subfolder_goes(venv, tmp_path):
    venv.install("fun", "1.0", {"jaraco/functools/__init__.py": b"f"})
    (venv.site / "jaraco" / "context").mkdir()
    (venv.site / "jaraco" / "context" / "old.py").write_text("OLD = 1\n")
    (venv.site / "jaraco" / "notes.txt").write_text("mine")
    (venv.site / "jaraco" / "text").mkdir()
    (venv.site / "jaraco" / "text" / "t.py").write_text("")
    into = {"ctx": frozenset({"jaraco", "jaraco/context"})}
    plan = plan_for(venv, lock(tmp_path, fun="1.0", ctx="1.0"), into)
    assert discarded(plan) == [(f"{SITE}/jaraco/context", False)]
    # jaraco/notes.txt and jaraco/text/ are in no folder of ctx's own: they stay.
    [left] = plan.unresolved
    assert (left.code, left.path) == ("orphan-file", f"{SITE}/jaraco")


def test_a_folder_a_staying_distribution_without_record_claims_stays(venv, tmp_path):
    # A setup.py install: an egg-info that lists no files, only its top-level names.
    (venv.site / "legacy-1.0.egg-info").mkdir()
    (venv.site / "legacy-1.0.egg-info" / "PKG-INFO").write_text(
        "Metadata-Version: 1.1\nName: legacy\nVersion: 1.0\n"
    )
    (venv.site / "legacy-1.0.egg-info" / "top_level.txt").write_text("shared\n")
    (venv.site / "shared").mkdir()
    (venv.site / "shared" / "legacy.py").write_text("")
    into = {"new": frozenset({"shared"})}
    plan = plan_for(venv, lock(tmp_path, legacy="1.0", new="1.0"), into)
    assert of(plan, RemoveDist) == []
    assert of(plan, DiscardPath) == []


def test_no_remnants_for_a_distribution_that_is_not_installed_by_the_plan(venv, tmp_path):
    venv.install("demo", "1.0", {"demo/__init__.py": b"d"})
    (venv.site / "demo" / "old.py").write_text("")
    plan = plan_for(venv, lock(tmp_path, demo="1.0"), {"demo": frozenset({"demo"})})
    assert of(plan, DiscardPath) == []  # demo stays: its loose file takes --purge-orphans
    assert not needs_wheel_contents(plan)
