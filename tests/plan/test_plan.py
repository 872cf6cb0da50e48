"""The planner on hand-made venvs: what goes, what stays, what is reinstalled."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fakevenv import SITE, FakeVenv
from venv_doctor.diagnose.findings import Finding, Severity
from venv_doctor.diagnose.run import diagnose
from venv_doctor.lockfiles.wanted import Source, WantedDist, WantedSet
from venv_doctor.plan.actions import (
    DiscardPath,
    InstallDist,
    Plan,
    PlanOptions,
    RemoveDist,
    Repoint,
    RewriteFile,
)
from venv_doctor.plan.make import make_plan
from venv_doctor.plan.spare import spare_wheel_files
from venv_doctor.read.installed import NormalizedName


@pytest.fixture
def venv(tmp_path: Path) -> FakeVenv:
    return FakeVenv(tmp_path / "proj" / ".venv")


def lock(tmp_path: Path, **versions: str) -> WantedSet:
    return WantedSet(
        lockfile=tmp_path / "uv.lock",
        kind="uv.lock",
        dists={
            NormalizedName(name): WantedDist(
                name=NormalizedName(name), version=version, source=Source(kind="registry")
            )
            for name, version in versions.items()
        },
    )


def plan_for(venv: FakeVenv, wanted: WantedSet | None = None, **options: object) -> Plan:
    snapshot = venv.snapshot()
    return make_plan(snapshot, diagnose(snapshot), wanted, PlanOptions(**options))  # type: ignore[arg-type]


def of(plan: Plan, kind: type) -> list:
    return [a for a in plan.actions if isinstance(a, kind)]


def test_healthy_venv_matching_its_lock_needs_nothing(venv, tmp_path):
    venv.install("demo", "1.0", {"demo/__init__.py": b"x"})
    plan = plan_for(venv, lock(tmp_path, demo="1.0"))
    assert plan.empty
    assert plan.unresolved == ()


def test_half_removed_package_not_in_the_lock_goes_whole(venv, tmp_path):
    meta = venv.install(
        "ruff",
        "0.5",
        {"ruff/__init__.py": b"x", "ruff/cli.py": b"y", "../../../bin/ruff": b"#!/bin/sh\n"},
    )
    (venv.root / SITE / "ruff" / "cli.py").unlink()
    (venv.root / SITE / "ruff" / "leftover.txt").write_text("remnant")
    (venv.root / meta / "RECORD").unlink()
    venv.install("keep", "1.0", {"keep/__init__.py": b"k"})
    plan = plan_for(venv, lock(tmp_path, keep="1.0"))
    [remove] = of(plan, RemoveDist)
    assert remove.package == "ruff"
    # No RECORD: the folder named after the package and the metadata folder go whole.
    assert remove.paths == (f"{SITE}/ruff", meta)
    assert of(plan, InstallDist) == []


def test_damaged_wanted_package_is_reinstalled_and_shared_files_stay(venv, tmp_path):
    meta = venv.install("nsa", "1.0", {"ns/shared.py": b"s", "ns/a.py": b"a"})
    venv.install("nsb", "1.0", {"ns/shared.py": b"s", "ns/b.py": b"b"})
    (venv.root / SITE / "ns" / "a.py").unlink()
    (venv.root / meta / "METADATA").unlink()  # not only files: a whole reinstall
    plan = plan_for(venv, lock(tmp_path, nsa="1.0", nsb="1.0"))
    [remove] = of(plan, RemoveDist)
    assert remove.package == "nsa"
    assert f"{SITE}/ns" not in remove.paths  # shared with nsb, which stays
    assert remove.kept == (f"{SITE}/ns/shared.py",)
    assert f"{SITE}/ns/b.py" not in remove.paths
    [install] = of(plan, InstallDist)
    assert (install.package, install.version) == ("nsa", "1.0")


def test_duplicate_keeps_the_copy_the_lock_wants(venv, tmp_path):
    old = venv.install("demo", "1.0", {"demo/__init__.py": b"old"})
    venv.install("demo", "2.0", {"demo/__init__.py": b"new!"})
    (venv.root / old / "RECORD").unlink()
    plan = plan_for(venv, lock(tmp_path, demo="2.0"))
    [remove] = of(plan, RemoveDist)
    assert remove.meta_dir == old
    # The folder belongs to 2.0, which stays: only the metadata folder goes.
    assert remove.paths == (old,)
    assert of(plan, InstallDist) == []


def test_without_a_lock_the_installed_version_is_fetched_again(venv):
    venv.install("demo", "1.0", {"demo/__init__.py": b"x", "demo/m.py": b"m"})
    (venv.root / SITE / "demo" / "m.py").write_bytes(b"M")
    plan = plan_for(venv)
    [install] = of(plan, InstallDist)
    assert (install.package, install.version, install.wanted) == ("demo", "1.0", None)
    assert plan.lockfile is None


def test_missing_from_the_venv_is_installed(venv, tmp_path):
    plan = plan_for(venv, lock(tmp_path, demo="1.0"))
    [install] = of(plan, InstallDist)
    assert install.package == "demo"
    assert "missing" in install.reason


def test_orphans_stay_unless_purged_stashes_go(venv, tmp_path):
    (venv.root / SITE / "mine.py").write_text("")
    (venv.root / SITE / "~ich").mkdir()
    plan = plan_for(venv, lock(tmp_path))
    assert [a.path for a in of(plan, DiscardPath)] == [f"{SITE}/~ich"]
    assert [f.code for f in plan.unresolved] == ["orphan-file"]
    purged = plan_for(venv, lock(tmp_path), purge_orphans=True)
    assert sorted(a.path for a in of(purged, DiscardPath)) == [f"{SITE}/mine.py", f"{SITE}/~ich"]
    assert purged.unresolved == ()


def test_moved_venv_is_relocated(venv, tmp_path):
    old = "/old/place/proj/.venv"
    venv.install(
        "demo",
        "1.0",
        {"demo/__init__.py": b"x", "../../../bin/demo": f"#!{old}/bin/python\n".encode()},
    )
    (venv.scripts / "activate").write_text(f'VIRTUAL_ENV="{old}"\n')
    plan = plan_for(venv, lock(tmp_path, demo="1.0"))
    rewrites = {a.path: a for a in of(plan, RewriteFile)}
    assert set(rewrites) == {"bin/demo", "bin/activate"}
    assert rewrites["bin/demo"].owner == f"{SITE}/demo-1.0.dist-info"
    assert rewrites["bin/demo"].replacements == (
        (old, str(venv.root)),
        ("/old/place/proj", str(venv.root.parent)),
    )
    assert plan.unresolved == ()


def test_moved_venv_rewrites_only_the_activate_scripts_that_name_the_old_place(venv, tmp_path):
    old = "/old/place/proj/.venv"
    (venv.scripts / "activate").write_text(f'VIRTUAL_ENV="{old}"\n')
    (venv.scripts / "activate.nu").write_text(f"let virtual_env = r#'{old}'#\n")
    (venv.scripts / "activate.ps1").write_text("$env:VIRTUAL_ENV = $VenvDir\n")
    (venv.scripts / "activate_this.py").write_text("base = os.path.dirname(bin_dir)\n")
    (venv.scripts / "activate.fish").write_text(f"set -gx VIRTUAL_ENV '{venv.root}'\n")
    plan = plan_for(venv, lock(tmp_path))
    rewrites = {a.path: a for a in of(plan, RewriteFile)}
    assert set(rewrites) == {"bin/activate", "bin/activate.nu"}
    assert rewrites["bin/activate"].owner is None
    assert rewrites["bin/activate"].reason == "activate script names the venv's old place"
    assert rewrites["bin/activate"].replacements == (
        (old, str(venv.root)),
        ("/old/place/proj", str(venv.root.parent)),
    )
    assert plan.unresolved == ()


def test_scripts_naming_two_old_places_are_left_with_a_note(venv, tmp_path):
    venv.install(
        "demo",
        "1.0",
        {"demo/__init__.py": b"x", "../../../bin/demo": b"#!/one/.venv/bin/python\n"},
    )
    (venv.scripts / "activate").write_text('VIRTUAL_ENV="/two/.venv"\n')
    plan = plan_for(venv, lock(tmp_path, demo="1.0"))
    assert of(plan, RewriteFile) == []
    assert {f.path for f in plan.unresolved} == {"bin/demo", "bin/activate"}
    assert any("several other venvs" in note for note in plan.notes)


def test_interpreter_missing_needs_a_python(tmp_path):
    venv = FakeVenv(tmp_path / "v")
    (venv.root / "pyvenv.cfg").write_text(f"home = {tmp_path / 'gone'}\nversion_info = 3.11.7\n")
    plan = plan_for(venv)
    assert plan.empty
    assert [f.code for f in plan.unresolved] == ["interpreter-missing"]
    plan = plan_for(venv, python="/usr/bin/python3.11")
    assert of(plan, Repoint) == [
        Repoint(python="/usr/bin/python3.11", version="3.11", reason=of(plan, Repoint)[0].reason)
    ]
    assert plan.unresolved == ()


def test_seed_packages_are_kept(venv, tmp_path):
    venv.install("pip", "24.0", {"pip/__init__.py": b"p"})
    plan = plan_for(venv, lock(tmp_path), keep=frozenset({"pip"}))
    assert plan.empty
    plan = plan_for(venv, lock(tmp_path))
    assert [a.package for a in of(plan, RemoveDist)] == ["pip"]


def test_what_pip_left_of_a_replaced_version_goes_without_purging(venv, tmp_path):
    venv.install("demo", "1.0", {"demo/__init__.py": b"old", "demo/util.py": b"old"})
    (venv.site / "demo-1.0.dist-info" / "REQUESTED").write_bytes(b"")
    (venv.site / "demo-1.0.dist-info").rename(venv.site / "~emo-1.0.dist-info")
    (venv.site / "demo").rename(venv.site / "~emo")
    (venv.site / "demo").mkdir()
    (venv.site / "demo" / "new.py").write_bytes(b"new")  # what pip wrote of 2.0
    (venv.root / SITE / "mine.py").write_text("")
    plan = plan_for(venv, lock(tmp_path, demo="2.0"))
    assert [a.path for a in of(plan, DiscardPath)] == [
        f"{SITE}/~emo-1.0.dist-info",
        f"{SITE}/~emo",
        f"{SITE}/demo",
    ]
    [install] = of(plan, InstallDist)
    assert (install.package, install.version, install.requested) == ("demo", "2.0", True)
    assert [f.code for f in plan.unresolved] == ["orphan-file"]  # mine.py: a person's


def test_in_a_shared_folder_only_what_pip_left_goes(venv, tmp_path):
    # A namespace folder: pip stashed nspkg/alpha as nspkg/~lpha, nsbeta stays;
    # nspkg/loose.py is 1.0's, not moved yet.
    venv.install("nsalpha", "1.0", {"nspkg/alpha/__init__.py": b"a", "nspkg/loose.py": b"l"})
    venv.install("nsbeta", "1.0", {"nspkg/beta/__init__.py": b"b"})
    (venv.site / "nsalpha-1.0.dist-info").rename(venv.site / "~salpha-1.0.dist-info")
    (venv.site / "nspkg" / "alpha").rename(venv.site / "nspkg" / "~lpha")
    (venv.site / "nspkg" / "alpha").mkdir()
    (venv.site / "nspkg" / "alpha" / "__init__.py").write_bytes(b"a2")
    (stopped,) = [f for f in diagnose(venv.snapshot()) if f.code == "pip-interrupted"]
    assert "stashed in ~salpha-1.0.dist-info/, nspkg/~lpha/ (3 files)" in stopped.message
    assert "pip had written 1 file of the version replacing it in nspkg/alpha/" in stopped.message
    assert "pip had not yet moved 1 file of nsalpha 1.0 (nspkg/loose.py)" in stopped.message
    plan = plan_for(venv, lock(tmp_path, nsbeta="1.0"))
    assert [a.path for a in of(plan, DiscardPath)] == [
        f"{SITE}/~salpha-1.0.dist-info",
        f"{SITE}/nspkg/~lpha",
        f"{SITE}/nspkg/alpha",
        f"{SITE}/nspkg/loose.py",
    ]
    assert of(plan, InstallDist) == []
    assert of(plan, RemoveDist) == []


@pytest.mark.parametrize("purge", [pytest.param(False, id="plain"), pytest.param(True, id="purge")])
@pytest.mark.parametrize(
    "locked", [pytest.param(True, id="lock"), pytest.param(False, id="no-lock")]
)
def test_an_empty_record_is_reinstalled_and_what_it_claims_goes_with_it(
    venv, tmp_path, purge, locked
):
    meta = venv.install(
        "python-datelike",
        "1.0",
        {
            "datelike/__init__.py": b"x",
            "datelike/parser.py": b"p",
            "_datelike_c.abi3.so": b"\0",
            "../../../bin/datelike": b"launcher",
        },
        meta_files={
            "top_level.txt": b"datelike\n_datelike_c\n",
            "entry_points.txt": b"[console_scripts]\ndatelike = datelike:main\n",
        },
    )
    (venv.root / meta / "RECORD").write_bytes(b"")
    (venv.root / SITE / "mine.py").write_text("")
    wanted = lock(tmp_path, **{"python-datelike": "1.0"}) if locked else None
    plan = plan_for(venv, wanted, purge_orphans=purge)
    [remove] = of(plan, RemoveDist)
    assert sorted(remove.paths) == [
        "bin/datelike",
        f"{SITE}/_datelike_c.abi3.so",
        f"{SITE}/datelike",
        meta,
    ]
    [install] = of(plan, InstallDist)
    assert (install.package, install.version) == ("python-datelike", "1.0")
    assert (install.wanted is not None) == locked
    # Only what nothing claims is an orphan to purge.
    assert [a.path for a in of(plan, DiscardPath)] == ([f"{SITE}/mine.py"] if purge else [])
    assert [f.path for f in plan.unresolved] == ([] if purge else [f"{SITE}/mine.py"])


def test_a_half_installed_wheel_is_reinstalled_with_its_unrecorded_launcher(venv, tmp_path):
    meta = venv.install(
        "demo",
        "1.0",
        {"demo/__init__.py": b"x"},
        meta_files={"entry_points.txt": b"[console_scripts]\ndemo = demo:main\n"},
    )
    (venv.scripts / "demo").write_text("launcher written, RECORD not yet")
    plan = plan_for(venv, lock(tmp_path, demo="1.0"), purge_orphans=True)
    [remove] = of(plan, RemoveDist)
    assert sorted(remove.paths) == ["bin/demo", f"{SITE}/demo", meta]
    assert [a.package for a in of(plan, InstallDist)] == ["demo"]
    assert of(plan, DiscardPath) == []
    assert plan.unresolved == ()


def test_purged_orphans_the_wheels_write_are_left_to_their_install(venv, tmp_path):
    meta = venv.install(
        "pytestlike",
        "1.0",
        {
            "pytestlike/__init__.py": b"x",
            "_pytestlike/__init__.py": b"",
            "_pytestlike/run.py": b"r",
        },
    )
    (venv.root / meta / "RECORD").write_bytes(b"")
    (venv.root / SITE / "_pytestlike" / "stale.py").write_text("")
    (venv.root / SITE / "mine.py").write_text("")
    plan = plan_for(venv, lock(tmp_path, pytestlike="1.0"), purge_orphans=True)
    # Nothing the installed metadata says ties _pytestlike/ to pytestlike ...
    assert sorted(a.path for a in of(plan, DiscardPath)) == [
        f"{SITE}/_pytestlike",
        f"{SITE}/mine.py",
    ]
    # ... its wheel does: what it writes is its install's, the rest still goes.
    written = [f"{SITE}/_pytestlike/__init__.py", f"{SITE}/_pytestlike/run.py", "bin/pytestlike"]
    spared = spare_wheel_files(plan, venv.snapshot(), written)
    assert sorted(a.path for a in of(spared, DiscardPath)) == [
        f"{SITE}/_pytestlike/stale.py",
        f"{SITE}/mine.py",
    ]
    assert of(spared, RemoveDist) == of(plan, RemoveDist)
    assert of(spared, InstallDist) == of(plan, InstallDist)
    assert any("_pytestlike/ is left for the install" in note for note in spared.notes)


def _stale(meta: str, package: str) -> Finding:
    return Finding(
        code="local-project-stale",
        severity=Severity.WARNING,
        package=package,
        version="1.0",
        path=f"{meta}/uv_cache.json",
        message="uv will rebuild it",
    )


def test_a_project_uv_would_rebuild_is_rebuilt(venv, tmp_path):
    meta = venv.install("app", "1.0", {"app.pth": b"/w/app/src\n"})
    snapshot = venv.snapshot()
    plan = make_plan(snapshot, [_stale(meta, "app")], lock(tmp_path, app="1.0"), PlanOptions())
    [remove] = of(plan, RemoveDist)
    assert "rebuilt, as uv sync would" in remove.reason
    assert [a.package for a in of(plan, InstallDist)] == ["app"]
    assert plan.unresolved == ()


def test_a_stale_editable_whose_folder_is_gone_is_left_alone(venv, tmp_path):
    meta = venv.install("app", "1.0", {"app.pth": b"/w/app/src\n"})
    gone = Finding(
        code="editable-target-missing",
        severity=Severity.ERROR,
        package="app",
        version="1.0",
        path=f"{SITE}/app.pth",
        message="points at nothing",
    )
    findings = [gone, _stale(meta, "app")]
    plan = make_plan(venv.snapshot(), findings, lock(tmp_path, app="1.0"), PlanOptions())
    assert plan.empty
    assert {f.code for f in plan.unresolved} == {"editable-target-missing", "local-project-stale"}


def test_a_distribution_built_for_another_platform_is_reinstalled_not_repointed(venv, tmp_path):
    meta = venv.install(
        "demo",
        "1.0",
        {"demo/__init__.py": b"x", "demo/_core.so": b"\x7fELF"},
        WHEEL=b"Wheel-Version: 1.0\nTag: cp311-cp311-manylinux_2_17_aarch64\n",
    )
    snapshot = venv.snapshot()
    foreign = Finding(
        code="interpreter-changed",
        severity=Severity.ERROR,
        package="demo",
        version="1.0",
        path=meta,
        message="demo 1.0 is built for manylinux_2_17_aarch64",
    )
    for options in (PlanOptions(), PlanOptions(python="/usr/bin/python3.11")):
        plan = make_plan(snapshot, [foreign], lock(tmp_path, demo="1.0"), options)
        assert of(plan, Repoint) == []
        [remove] = of(plan, RemoveDist)
        assert remove.meta_dir == meta
        assert "another platform" in remove.reason
        [install] = of(plan, InstallDist)
        assert (install.package, install.version) == ("demo", "1.0")
        assert plan.unresolved == ()


# -- files put back, the rest intact -----------------------------------------------------


def test_only_missing_and_modified_files_are_put_back_and_nothing_goes(venv, tmp_path):
    meta = venv.install(
        "demo", "1.0", {"demo/__init__.py": b"x", "demo/m.py": b"m", "demo/sub/n.py": b"n"}
    )
    (venv.root / SITE / "demo" / "m.py").unlink()
    (venv.root / SITE / "demo" / "sub" / "n.py").write_bytes(b"N")
    plan = plan_for(venv, lock(tmp_path, demo="1.0"))
    [install] = plan.actions
    assert isinstance(install, InstallDist)
    assert install.restore == (f"{SITE}/demo/m.py", f"{SITE}/demo/sub/n.py")
    assert install.meta_dir == meta
    # Should the wheel not agree with the installed RECORD: the whole copy goes first.
    assert set(install.fallback) == {f"{SITE}/demo", meta}
    assert plan.unresolved == ()


def test_without_a_lock_files_are_put_back_from_the_installed_versions_wheel(venv):
    venv.install("demo", "1.0", {"demo/__init__.py": b"x", "demo/m.py": b"m"})
    (venv.root / SITE / "demo" / "m.py").unlink()
    [install] = plan_for(venv).actions
    assert isinstance(install, InstallDist)
    assert (install.version, install.restore) == ("1.0", (f"{SITE}/demo/m.py",))


@pytest.mark.parametrize(
    "other",
    [
        "metadata gone",
        "an unlisted file in its folder",
        "another version wanted",
        "another source wanted",
        "a second copy",
    ],
)
def test_anything_else_wrong_reinstalls_it_whole(venv, tmp_path, other):
    meta = venv.install("demo", "1.0", {"demo/__init__.py": b"x", "demo/m.py": b"m"})
    (venv.root / SITE / "demo" / "m.py").unlink()
    wanted = lock(tmp_path, demo="1.0")
    if other == "metadata gone":
        (venv.root / meta / "METADATA").unlink()
    elif other == "an unlisted file in its folder":
        (venv.root / SITE / "demo" / "notes.txt").write_text("mine")
    elif other == "another version wanted":
        wanted = lock(tmp_path, demo="2.0")
    elif other == "another source wanted":
        url = Source(kind="url", url="https://example.org/demo-1.0-py3-none-any.whl")
        wanted = WantedSet(
            lockfile=tmp_path / "uv.lock",
            kind="uv.lock",
            dists={NormalizedName("demo"): WantedDist(name="demo", version="1.0", source=url)},
        )
    else:
        venv.install("demo", "0.9", {"demo/old.py": b"o"})
    plan = plan_for(venv, wanted)
    installs = of(plan, InstallDist)
    assert [(i.package, i.restore) for i in installs] == [("demo", ())]
    assert of(plan, RemoveDist)
