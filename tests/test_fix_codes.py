"""``venv-doctor fix`` repairs every finding code it acts on, on venvs uv and pip broke.

Each test breaks a real venv the way uv or pip leave it (``chattr +i`` on one
file stands in for a file Windows will not delete while a process holds it,
and is released before ``fix`` runs, as when that process exits), checks
that ``check`` reports the code, runs ``venv-doctor fix`` as a user would and
shows: exit 0, ``check`` healthy, ``uv sync --frozen --check`` wanting no
change, and the same distributions and file contents as a fresh
``uv sync --frozen`` of the same lock (for venvs without a lockfile: as
before the damage).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.support.fixing import Run, backend_project, uv_in, venv_doctor
from tests.support.tools import (
    BASE_PYTHON,
    ImmutableFiles,
    Tools,
    assert_same_tree,
    check_json,
    rel,
    site_packages,
    tree_digest,
    write_pyproject,
)
from tests.test_check_broken import replace_file, throwaway_base_python
from tests.test_fix import (
    assert_healthy,
    assert_in_sync,
    assert_same_state,
    content_digest,
    fresh_sync_state,
    installed_state,
)

pytestmark = pytest.mark.slow


def fix(tools: Tools, target: Path, tmp_path: Path, *args: str | os.PathLike[str]) -> Run:
    return venv_doctor(tools, "fix", target, *args, cache=tmp_path / "vd-cache")


def failing_codes(venv: Path, *args: str | os.PathLike[str]) -> set[str]:
    return {finding["code"] for finding in check_json(venv, *args).failing()}


def assert_repaired(fixed: Run, tools: Tools, project: Path, expected: dict[str, object]) -> None:
    """Exit 0, healthy, in sync for uv, and the state of a fresh ``uv sync --frozen``."""
    venv = project / ".venv"
    assert fixed.exit_code == 0, fixed.output
    assert_healthy(venv)
    assert_in_sync(tools, project)
    assert_same_state(installed_state(venv), expected)


# -- damaged files -----------------------------------------------------------------------


def test_file_missing_after_uv_remove_stopped_at_a_locked_launcher(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    # RECORD is sorted: uv removes bin/rufflike, then fails on bin/rufflike-py.
    immutable(venv / "bin" / "rufflike-py")
    assert tools.run_uv("remove", "rufflike", cwd=project, check=False).returncode != 0
    immutable.release()
    assert not (venv / "bin" / "rufflike").exists()
    assert failing_codes(venv) == {"file-missing"}
    expected = fresh_sync_state(tools, project, tmp_path)

    fixed = fix(tools, project, tmp_path)
    assert "install rufflike 0.5.0" in fixed.stdout
    assert_repaired(fixed, tools, project, expected)


def test_file_modified_by_an_editor_that_saves_by_rename(tools: Tools, tmp_path: Path) -> None:
    own = tools.with_uv_cache(tmp_path / "uv-cache")
    project = tmp_path / "proj"
    venv = own.uv_project(project, ["rufflike", "polarslike"], link_mode="hardlink")
    package = site_packages(venv) / "polarslike"
    assert (package / "frame.py").stat().st_nlink > 1
    replace_file(package / "frame.py", b"class DataFrame:\n    patched = True\n")
    assert failing_codes(venv) == {"file-modified"}
    expected = fresh_sync_state(own, project, tmp_path)
    cache_before = tree_digest(own.uv_cache)

    fixed = fix(own, project, tmp_path)
    # The old hard links were moved away and the reinstalled files linked to
    # uv's cache again, as uv links them: the cache is untouched.
    assert_same_tree(cache_before, tree_digest(own.uv_cache), own.uv_cache)
    assert all(path.stat().st_nlink > 1 for path in package.rglob("*") if path.is_file())
    assert_repaired(fixed, own, project, expected)


@pytest.mark.parametrize(
    "absolute", [pytest.param(False, id="dotdot"), pytest.param(True, id="absolute")]
)
def test_record_unsafe_path_is_reinstalled_and_never_followed(
    tools: Tools, tmp_path: Path, absolute: bool
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["deptop"])
    outside = tmp_path / "outside.txt"
    outside.write_text("not part of any venv\n")
    before = tree_digest(tmp_path)["outside.txt"]
    row = str(outside) if absolute else "../../../../../outside.txt"
    record = site_packages(venv) / "deplow-1.0.dist-info" / "RECORD"
    replace_file(record, record.read_bytes() + f"{row},,\n".encode())
    assert failing_codes(venv) == {"record-unsafe-path"}
    expected = fresh_sync_state(tools, project, tmp_path)

    fixed = fix(tools, project, tmp_path)
    assert tree_digest(tmp_path)["outside.txt"] == before
    assert_repaired(fixed, tools, project, expected)


def test_record_malformed_by_a_truncated_write(tools: Tools, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["deptop"])
    record = site_packages(venv) / "deplow-1.0.dist-info" / "RECORD"
    # Cut short in the middle of its last row, deplow/__init__.py's.
    replace_file(record, record.read_bytes()[:-20])
    assert "record-malformed" in failing_codes(venv)
    expected = fresh_sync_state(tools, project, tmp_path)

    assert_repaired(fix(tools, project, tmp_path), tools, project, expected)


# -- two copies, leftovers, a person's own files ------------------------------------------


def test_duplicate_distribution_after_a_failed_upgrade_and_a_retry(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["bumpy==1.0"])
    sp = site_packages(venv)
    immutable(sp / "bumpy" / "old.py")
    write_pyproject(project, ["bumpy==2.0"])
    assert tools.uv_sync(project, check=False).returncode != 0
    immutable.release()
    # The retry "uninstalls" the RECORD-less 1.0 and installs 2.0 beside it.
    tools.uv_sync(project)
    assert "duplicate-distribution" in failing_codes(venv)
    expected = fresh_sync_state(tools, project, tmp_path)

    fixed = fix(tools, project, tmp_path)
    # old.py goes with 1.0, and the plan says so rather than listing it as left.
    assert "Left as it is" not in fixed.stdout, fixed.stdout
    assert sorted(p.name for p in sp.glob("bumpy-*.dist-info")) == ["bumpy-2.0.dist-info"]
    assert not (sp / "bumpy" / "old.py").exists()
    assert_repaired(fixed, tools, project, expected)


def test_remnants_in_a_reinstalled_folder_go_a_persons_module_stays(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["bumpy==1.0"])
    sp = site_packages(venv)
    immutable(sp / "bumpy" / "__init__.py")
    write_pyproject(project, ["bumpy==2.0"])
    # Both tries fail on __init__.py: 1.0's old.py stays, 2.0 is half written.
    assert tools.uv_sync(project, check=False).returncode != 0
    assert tools.uv_sync(project, check=False).returncode != 0
    immutable.release()
    mine = sp / "mytool.py"
    mine.write_text("print('a module I keep here')\n")
    result = check_json(venv)
    assert result.at("orphan-file", rel(venv, sp / "bumpy"))["package"] == "bumpy"
    assert result.at("orphan-file", rel(venv, mine))["package"] is None
    expected = fresh_sync_state(tools, project, tmp_path)

    kept = fix(tools, project, tmp_path)
    # bumpy 2.0 is whole again and 1.0's leftover is gone; the person's module
    # stays, so the venv still has one warning and fix exits 1.
    assert kept.exit_code == 1, kept.output
    assert "To move them to the trash too: venv-doctor fix --purge-orphans" in kept.stdout
    assert "Next:" not in kept.stdout
    assert not (sp / "bumpy" / "old.py").exists()
    assert mine.read_text() == "print('a module I keep here')\n"
    remaining = check_json(venv).failing()
    assert [(f["code"], f["path"]) for f in remaining] == [("orphan-file", rel(venv, mine))]
    assert_in_sync(tools, project)
    with_mine = installed_state(venv)
    assert isinstance(with_mine["files"], dict)
    with_mine["files"].pop("mytool.py")
    assert_same_state(with_mine, expected)

    purged = fix(tools, project, tmp_path, "--purge-orphans")
    assert not mine.exists()
    assert list((venv / ".venv-doctor" / "trash").rglob("mytool.py"))
    assert_repaired(purged, tools, project, expected)


# -- editables -------------------------------------------------------------------------------


def editable_state(venv: Path) -> dict[str, object]:
    """``installed_state`` without uv_build.json, uv's record of its own build settings."""
    state = installed_state(venv)
    files = state["files"]
    assert isinstance(files, dict)
    state["files"] = {k: v for k, v in files.items() if not k.endswith("/uv_build.json")}
    return state


def test_editable_rebuilt_through_its_backend_after_the_project_moved(
    tools: Tools, tmp_path: Path
) -> None:
    project = backend_project(tmp_path / "proj", name="app", deps=["rufflike"])
    venv = tmp_path / "venvs" / "app"
    uv_in(tools, venv, "lock", cwd=project)
    uv_in(tools, venv, "sync", "--link-mode", "copy", cwd=project)
    moved = tmp_path / "renamed"
    project.rename(moved)
    lock = moved / "uv.lock"
    assert "editable-target-missing" in failing_codes(venv, "--from", lock)
    fresh = tmp_path / "fresh"
    uv_in(tools, fresh, "sync", "--frozen", "--link-mode", "copy", cwd=moved)

    fixed = fix(tools, venv, tmp_path, "--from", lock)
    assert fixed.exit_code == 0, fixed.output
    assert check_json(venv, "--from", lock).failing() == []
    uv_in(tools, venv, "sync", "--frozen", "--check", cwd=moved)
    assert_same_state(editable_state(venv), editable_state(fresh))
    found = tools.run(venv / "bin" / "python", "-c", "import app; print(app.__file__)")
    assert found.stdout.strip() == str(moved / "src" / "app" / "__init__.py")


@pytest.mark.parametrize("how", [pytest.param("deleted"), pytest.param("renamed")])
def test_editable_whose_src_folder_is_gone_is_left_for_the_person(
    tools: Tools, tmp_path: Path, how: str
) -> None:
    # Rebuilding from the same place would point at the same missing folder:
    # fix says what it cannot do and changes nothing; putting src/ back heals it.
    project = backend_project(tmp_path / "proj", name="app", deps=["rufflike"])
    tools.run_uv("lock", cwd=project)
    tools.uv_sync(project)
    venv = project / ".venv"
    src = project / "src"
    if how == "deleted":
        shutil.rmtree(src)
    else:
        src.rename(project / "source")
    # uv sees the project change too (src is gone), and would rebuild it in vain.
    assert failing_codes(venv) == {"editable-target-missing", "local-project-stale"}
    broken = content_digest(venv)

    left = fix(tools, project, tmp_path)
    assert left.exit_code == 1, left.output
    assert "editable-target-missing" in left.stdout
    assert content_digest(venv) == broken
    if how == "deleted":
        (src / "app").mkdir(parents=True)
        (src / "app" / "__init__.py").write_text("VALUE = 1\n")
        # A new src/ is another folder to uv, which then rebuilds the project: so does fix.
        assert failing_codes(venv) == {"local-project-stale"}
        assert fix(tools, project, tmp_path).exit_code == 0
    else:
        (project / "source").rename(src)
    assert_healthy(venv)


# -- a lost base interpreter ------------------------------------------------------------


@pytest.mark.parametrize("maker", [pytest.param("venv"), pytest.param("uv")])
def test_interpreter_missing_is_repointed_to_a_python_of_that_version(
    tools: Tools, tmp_path: Path, maker: str
) -> None:
    python = throwaway_base_python(tmp_path / "base")
    venv = tmp_path / "venv"
    if maker == "venv":
        tools.run(python, "-m", "venv", "--without-pip", venv)
    else:
        tools.make_uv_venv(venv, python=python)
    tools.uv_pip_install(venv, "rufflike")
    shutil.rmtree(tmp_path / "base")
    assert failing_codes(venv) == {"interpreter-missing"}
    broken = content_digest(venv)

    # No Python 3.11 on PATH: fix says so, exits non-zero and changes nothing.
    nowhere = tmp_path / "empty-path"
    nowhere.mkdir()
    alone = venv_doctor(tools, "fix", venv, cache=tmp_path / "vd-cache", env={"PATH": str(nowhere)})
    assert alone.exit_code == 1, alone.output
    assert "interpreter-missing" in alone.stdout
    assert "--python" in alone.stdout
    assert content_digest(venv) == broken
    # A --python that cannot run is refused before anything changes.
    missing = fix(tools, venv, tmp_path, "--python", tmp_path / "no-such-python")
    assert missing.exit_code == 2, missing.output
    assert "no-such-python" in missing.stderr
    assert content_digest(venv) == broken

    fixed = fix(tools, venv, tmp_path, "--python", BASE_PYTHON)
    assert fixed.exit_code == 0, fixed.output
    assert_healthy(venv)
    ran = tools.run(venv / "bin" / "python", "-c", "import rufflike, sys; print(sys.prefix)")
    assert ran.stdout.strip() == str(venv)


@pytest.mark.parametrize(
    "copies", [pytest.param(False, id="linked-venv"), pytest.param(True, id="copied-venv")]
)
def test_interpreter_missing_is_never_repointed_to_another_venvs_python(
    tools: Tools, tmp_path: Path, copies: bool
) -> None:
    python = throwaway_base_python(tmp_path / "base")
    venv = tools.make_uv_venv(tmp_path / "venv", python=python)
    tools.uv_pip_install(venv, "rufflike")
    shutil.rmtree(tmp_path / "base")
    # Another venv of the same Python, active: its bin/ first on PATH.
    other = tmp_path / "other"
    tools.run(BASE_PYTHON, "-m", "venv", "--without-pip", *(["--copies"] if copies else []), other)
    version = f"python{BASE_PYTHON.name.removeprefix('python')}"
    assert (other / "bin" / version).is_symlink() != copies
    env = {"PATH": str(other / "bin"), "VIRTUAL_ENV": str(other)}
    broken = content_digest(venv)

    planned = venv_doctor(tools, "fix", venv, "--dry-run", cache=tmp_path / "vd-cache", env=env)
    assert str(other) not in planned.stdout, planned.output
    if copies:
        # Nothing but the other venv's copy on PATH: no base interpreter to be had.
        assert "re-point the venv" not in planned.stdout
        refused = venv_doctor(tools, "fix", venv, cache=tmp_path / "vd-cache", env=env)
        assert refused.exit_code == 1, refused.output
        assert "--python" in refused.stdout
        named = fix(tools, venv, tmp_path, "--python", other / "bin" / version)
        assert named.exit_code == 2, named.output
        assert f"{other / 'bin' / version} is a virtual environment's" in named.stderr
        assert content_digest(venv) == broken
        return
    # A link out of the other venv leads to a real base interpreter: that one is used.
    fixed = venv_doctor(tools, "fix", venv, cache=tmp_path / "vd-cache", env=env)
    assert fixed.exit_code == 0, fixed.output
    assert_healthy(venv)
    cfg = (venv / "pyvenv.cfg").read_text()
    assert str(other) not in cfg
    assert f"home = {Path(os.path.realpath(BASE_PYTHON)).parent}" in cfg.splitlines()
    assert str(other) not in os.readlink(venv / "bin" / "python")


# -- drift from the lockfile -------------------------------------------------------------


def test_lock_missing_after_an_uninstall_by_hand(tools: Tools, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    tools.uv_pip_uninstall(venv, "polarslike")
    assert failing_codes(venv) == {"lock-missing"}
    expected = fresh_sync_state(tools, project, tmp_path)

    assert_repaired(fix(tools, project, tmp_path), tools, project, expected)


def test_lock_extraneous_after_a_sync_stopped_at_a_locked_launcher(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    write_pyproject(project, ["polarslike"])
    # bin/rufflike is the first row of rufflike's RECORD: uv stops before removing anything.
    immutable(venv / "bin" / "rufflike")
    assert tools.uv_sync(project, check=False).returncode != 0
    immutable.release()
    assert failing_codes(venv) == {"lock-extraneous"}
    expected = fresh_sync_state(tools, project, tmp_path)

    fixed = fix(tools, project, tmp_path)
    assert not (venv / "bin" / "rufflike").exists()
    assert_repaired(fixed, tools, project, expected)


def test_lock_version_mismatch_after_an_upgrade_stopped_at_its_first_file(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["bumpy==1.0"])
    # The first row of bumpy 1.0's sorted RECORD: the upgrade changes nothing.
    immutable(site_packages(venv) / "bumpy-1.0.dist-info" / "INSTALLER")
    write_pyproject(project, ["bumpy==2.0"])
    assert tools.uv_sync(project, check=False).returncode != 0
    immutable.release()
    result = check_json(venv)
    assert {f["code"] for f in result.failing()} == {"lock-version-mismatch"}
    assert result.of("lock-version-mismatch")[0]["version"] == "1.0"
    expected = fresh_sync_state(tools, project, tmp_path)

    fixed = fix(tools, project, tmp_path)
    assert "install bumpy 2.0: upgrade bumpy 1.0 to 2.0 from uv.lock" in fixed.stdout
    assert_repaired(fixed, tools, project, expected)


def test_lock_source_mismatch_after_installing_a_wheel_file_by_hand(
    tools: Tools, tmp_path: Path, wheelhouse: Path
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["deptop"])
    tools.uv_pip_install(venv, "--reinstall", str(wheelhouse / "deplow-1.0-py3-none-any.whl"))
    assert failing_codes(venv) == {"lock-source-mismatch"}
    expected = fresh_sync_state(tools, project, tmp_path)

    fixed = fix(tools, project, tmp_path)
    assert not (site_packages(venv) / "deplow-1.0.dist-info" / "direct_url.json").exists()
    assert_repaired(fixed, tools, project, expected)


def test_dependency_unsatisfied_after_uninstalling_a_dependency(
    tools: Tools, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["deptop"])
    tools.uv_pip_uninstall(venv, "deplow")
    assert failing_codes(venv) == {"dependency-unsatisfied", "lock-missing"}
    expected = fresh_sync_state(tools, project, tmp_path)

    assert_repaired(fix(tools, project, tmp_path), tools, project, expected)


# -- venvs without a lockfile -------------------------------------------------------------


@pytest.mark.parametrize("maker", [pytest.param("pip"), pytest.param("virtualenv")])
def test_pip_made_venv_is_repaired_without_a_lockfile(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles, maker: str
) -> None:
    if maker == "pip":
        venv = tools.make_pip_venv(tmp_path / "venv", "polarslike", "rufflike")
    else:
        venv = tools.make_virtualenv(tmp_path / "venv", "polarslike", "rufflike")
    before = installed_state(venv)
    dist_info = site_packages(venv) / "polarslike-1.2.0.dist-info"
    # A virus scanner holding RECORD: INSTALLER and METADATA go, the rest stays.
    immutable(dist_info / "RECORD")
    assert tools.uv_pip_uninstall(venv, "polarslike", check=False).returncode != 0
    immutable.release()
    assert not (dist_info / "METADATA").exists()
    assert failing_codes(venv) >= {"dist-info-incomplete", "file-missing"}

    fixed = fix(tools, venv, tmp_path)
    assert "reinstall polarslike 1.2.0 (as installed)" in fixed.stdout
    assert fixed.exit_code == 0, fixed.output
    assert_healthy(venv)
    assert_same_state(installed_state(venv), before)


def test_without_a_lock_an_editable_is_rebuilt_from_its_folder_not_fetched_by_name(
    tools: Tools, tmp_path: Path
) -> None:
    # The index has a bumpy 1.0 of its own: fetching by name and version would
    # install somebody else's code in place of the person's project.
    project = backend_project(tmp_path / "proj", name="bumpy", deps=[])
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"0.1.0"', '"1.0"'))
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "-e", str(project))
    (meta,) = site_packages(venv).glob("bumpy-1.0.dist-info")
    direct_url = (meta / "direct_url.json").read_text()
    (site_packages(venv) / "_bumpy.pth").unlink()
    assert failing_codes(venv, "--no-lock") == {"file-missing"}

    fixed = fix(tools, venv, tmp_path, "--no-lock")
    assert fixed.exit_code == 0, fixed.output
    assert failing_codes(venv, "--no-lock") == set()
    (meta,) = site_packages(venv).glob("bumpy-1.0.dist-info")
    assert json.loads((meta / "direct_url.json").read_text()) == json.loads(direct_url)
    found = tools.run(venv / "bin" / "python", "-c", "import bumpy; print(bumpy.__file__)")
    assert found.stdout.strip() == str(project / "src" / "bumpy" / "__init__.py")
