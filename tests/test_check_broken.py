"""Each finding code, from a real venv broken the way uv and pip really break it.

``chattr +i`` on one installed file stands in for a file Windows will not
delete while a process holds it (a running ``ruff.exe``, a loaded ``.pyd``).
What uv and pip leave behind was observed with uv 0.13 and pip 23/26:

* uv removes the rows of RECORD in file order, and uv writes RECORD sorted,
  so ``bin/`` scripts go first, then ``<name>-<ver>.dist-info/*``, then the
  package files.  It stops at the first failure, with no rollback, and never
  removes the (now empty) dist-info folder: the package folder is left
  without __init__.py yet ``import`` still works, as a namespace package.
* Later ``uv sync`` runs report success ("Checked", or "Uninstalled" with a
  warning about the missing RECORD) and leave that state as it is.
* pip renames what it removes to ``~xxx`` folders and deletes them at the
  end; when the delete fails the ``~`` folder stays.
"""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fixing import venv_doctor
from tests.support.tools import (
    BASE_PYTHON,
    CHECKS_RUN,
    ImmutableFiles,
    Tools,
    check_json,
    checked,
    rel,
    run_check,
    site_packages,
    tree_digest,
    write_pyproject,
)

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def next_command_acts(tools: Tools, tmp_path: Path) -> Iterator[None]:
    """After each scenario: the command each failing check suggested next does something.

    It changes the venv or leaves it healthy; a suggestion that does neither
    would send the user round in a loop.  Runs after the test's own fixtures
    are gone (files released, processes ended), as a person would run it.
    """
    CHECKS_RUN.clear()
    yield
    seen: set[tuple[str, Path | None]] = set()
    for args, cwd, status in list(CHECKS_RUN):
        venv_args = [arg for arg in args if not arg.startswith("-") and Path(arg).is_dir()]
        if status != 1 or len(venv_args) != 1 or (venv_args[0], cwd) in seen:
            continue
        seen.add((venv_args[0], cwd))
        venv = Path(venv_args[0])
        text = run_check(venv, cwd=cwd, env=tools.environ)
        if text.exit_code == 0:
            continue  # the test itself repaired it since
        nexts = [line for line in text.stdout.splitlines() if line.startswith("Next: ")]
        assert len(nexts) == 1, text.stdout
        command = nexts[0].removeprefix("Next: ").split(" (")[0].split(" moves ")[0]
        words = shlex.split(command)
        if words[0] not in {"venv-doctor", "uv"}:
            continue  # words for a person: "fix cannot repair these", "install what ..."
        before = tree_digest(venv)
        if words[0] == "uv":
            tools.run_uv(*words[1:], cwd=cwd, check=False)
        else:
            ran = venv_doctor(tools, *words[1:], cache=tmp_path / "next-cache", cwd=cwd)
            assert ran.exit_code in {0, 1}, ran.output
        after = run_check(venv, cwd=cwd, env=tools.environ)
        assert tree_digest(venv) != before or after.exit_code == 0, (
            f"{command!r} (suggested after checking {venv}) changed nothing:\n{text.stdout}"
        )


def replace_file(path: Path, content: bytes) -> None:
    """Give ``path`` new content without writing into it.

    The installed file may be a hard link shared with uv's cache and other
    venvs: unlink it first, as an editor that saves by rename would.
    """
    path.unlink()
    path.write_bytes(content)


def python_says(tools: Tools, venv: Path, code: str) -> str:
    return tools.run(venv / "bin" / "python", "-c", code).stdout.strip()


# -- half-removed packages ---------------------------------------------------


def assert_half_removed_polarslike(venv: Path) -> None:
    sp = site_packages(venv)
    result = check_json(venv)
    assert result.exit_code == 1
    incomplete = result.at("dist-info-incomplete", rel(venv, sp / "polarslike-1.2.0.dist-info"))
    assert incomplete["package"] == "polarslike"
    assert incomplete["version"] == "1.2.0"
    assert incomplete["severity"] == "error"
    orphan = result.at("orphan-file", rel(venv, sp / "polarslike"))
    assert orphan["severity"] == "warning"
    # Nothing else in the venv is broken.
    assert {f["package"] for f in result.failing()} <= {"polarslike", None}


def test_uv_pip_uninstall_with_a_locked_native_module(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "polarslike", "rufflike")
    sp = site_packages(venv)
    immutable(sp / "polarslike" / "_native.abi3.so")

    failed = tools.uv_pip_uninstall(venv, "polarslike", check=False)
    assert failed.returncode != 0
    assert "_native.abi3.so" in failed.stderr
    # The state the issue describes: dist-info emptied, __init__.py gone, and
    # the import still "works" as a namespace package.
    assert os.listdir(sp / "polarslike-1.2.0.dist-info") == []
    assert not (sp / "polarslike" / "__init__.py").exists()
    assert python_says(tools, venv, "import polarslike; print(polarslike.__file__)") == "None"

    assert_half_removed_polarslike(venv)


def test_uv_remove_with_a_locked_file_then_uv_sync_says_all_is_well(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"], link_mode="hardlink")
    immutable(site_packages(venv) / "polarslike" / "_native.abi3.so")

    failed = tools.run_uv(
        "remove", "--link-mode", "hardlink", "polarslike", cwd=project, check=False
    )
    assert failed.returncode != 0
    # uv rolls pyproject.toml back, and the next sync finds nothing to do.
    assert "polarslike" in (project / "pyproject.toml").read_text()
    again = tools.uv_sync(project, link_mode="hardlink")
    assert again.returncode == 0

    assert_half_removed_polarslike(venv)
    # Checking through the project folder finds the same venv and writes to neither.
    result = checked(project, "--format", "json", watch=[project], cwd=tmp_path)
    assert result.report is not None
    assert result.report["venv"] == str(venv)
    assert "dist-info-incomplete" in result.codes


def test_uv_sync_after_dropping_a_dependency_with_a_locked_file(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    immutable(site_packages(venv) / "polarslike" / "_native.abi3.so")

    write_pyproject(project, ["rufflike"])
    assert tools.uv_sync(project, check=False).returncode != 0
    # The second sync "uninstalls" the RECORD-less dist-info, reports success
    # and changes nothing.
    second = tools.uv_sync(project)
    assert "missing `RECORD`" in second.stderr

    assert_half_removed_polarslike(venv)


def test_orphan_package_folder_after_its_dist_info_was_deleted(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    # pip refuses to uninstall without RECORD; deleting the empty dist-info
    # by hand is the usual next step, and leaves the package folder unowned.
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "polarslike")
    sp = site_packages(venv)
    immutable(sp / "polarslike" / "_native.abi3.so")
    tools.uv_pip_uninstall(venv, "polarslike", check=False)
    (sp / "polarslike-1.2.0.dist-info").rmdir()

    result = check_json(venv)
    assert result.exit_code == 1
    orphan = result.at("orphan-file", rel(venv, sp / "polarslike"))
    assert orphan["package"] is None
    assert result.of("dist-info-incomplete") == []


def test_folder_emptied_before_the_failure_still_imports_as_a_namespace(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "pytestlike")
    sp = site_packages(venv)
    immutable(sp / "pytestlike" / "__init__.py")
    assert tools.uv_pip_uninstall(venv, "pytestlike", check=False).returncode != 0
    # uv got through bin/, _pytestlike/ and the dist-info before it failed,
    # and removes empty folders only when everything succeeded.
    assert not (venv / "bin" / "pytestlike").exists()
    assert (sp / "_pytestlike").is_dir()
    assert list((sp / "_pytestlike").iterdir()) == []
    assert python_says(tools, venv, "import _pytestlike; print(_pytestlike.__file__)") == "None"

    result = check_json(venv)
    assert result.exit_code == 1
    emptied = result.at("orphan-file", rel(venv, sp / "_pytestlike"))
    assert "namespace" in emptied["message"]
    assert result.at("orphan-file", rel(venv, sp / "pytestlike"))
    assert result.at("dist-info-incomplete", rel(venv, sp / "pytestlike-1.0.dist-info"))


def test_half_removed_package_in_a_shared_namespace_folder(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    # Like google-auth and protobuf sharing google/: nsalpha and nsbeta both
    # install into the namespace folder nspkg/ (no __init__.py).
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "nsalpha", "nsbeta")
    sp = site_packages(venv)
    immutable(sp / "nspkg" / "alpha" / "__init__.py")
    assert tools.uv_pip_uninstall(venv, "nsalpha", check=False).returncode != 0

    result = check_json(venv)
    assert result.exit_code == 1
    assert result.at("dist-info-incomplete", rel(venv, sp / "nsalpha-1.0.dist-info"))
    orphan = result.at("orphan-file", rel(venv, sp / "nspkg"))
    assert "alpha/__init__.py" in orphan["message"]
    # The leftover is nsalpha's, not a file of an older nsbeta: nsbeta is whole.
    assert orphan["package"] != "nsbeta", orphan
    assert [f for f in result.failing() if f["package"] == "nsbeta"] == []


def test_uninstall_blocked_on_its_first_row_changes_nothing(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    # RECORD is sorted, so ../../../bin/rufflike is the first row: uv stops
    # before removing anything and the install stays whole.
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "rufflike")
    immutable(venv / "bin" / "rufflike")
    failed = tools.uv_pip_uninstall(venv, "rufflike", check=False)
    assert failed.returncode != 0
    assert "bin/rufflike" in failed.stderr

    result = check_json(venv)
    assert result.exit_code == 0, result.stdout
    assert result.failing() == []


def test_locked_record_leaves_a_dist_info_without_metadata(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    # A virus scanner holding RECORD open: the rows before it (INSTALLER,
    # METADATA) are gone, RECORD and everything after it stay.
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "deplow")
    sp = site_packages(venv)
    dist_info = sp / "deplow-1.0.dist-info"
    immutable(dist_info / "RECORD")
    assert tools.uv_pip_uninstall(venv, "deplow", check=False).returncode != 0
    assert not (dist_info / "METADATA").exists()
    assert (sp / "deplow" / "__init__.py").exists()

    result = check_json(venv)
    assert result.exit_code == 1
    incomplete = result.at("dist-info-incomplete", rel(venv, dist_info))
    assert incomplete["package"] == "deplow"
    assert incomplete["version"] == "1.0"
    assert "METADATA" in incomplete["message"]
    missing = result.at("file-missing", rel(venv, dist_info / "INSTALLER"))
    assert (missing["package"], missing["version"]) == ("deplow", "1.0")
    assert missing["severity"] == "error"
    # The package's own files are all still there.
    assert [f for f in result.of("file-missing") if "/deplow/" in f["path"]] == []


# -- failed upgrades -----------------------------------------------------------


def test_failed_upgrade_then_retry_leaves_two_versions(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "bumpy==1.0")
    sp = site_packages(venv)
    immutable(sp / "bumpy" / "old.py")

    assert tools.uv_pip_install(venv, "bumpy==2.0", check=False).returncode != 0
    retry = tools.uv_pip_install(venv, "bumpy==2.0")
    assert "missing `RECORD`" in retry.stderr
    listed = tools.run_uv("pip", "list", "--python", venv / "bin" / "python").stdout
    assert "1.0" in listed
    assert "2.0" in listed

    result = check_json(venv)
    assert result.exit_code == 1
    duplicates = result.of("duplicate-distribution")
    assert duplicates
    assert {f["package"] for f in duplicates} == {"bumpy"}
    # It says which copy the files on disk belong to: all of 2.0's files are there.
    assert all("bumpy-2.0.dist-info" in f["message"] for f in duplicates)
    stale = result.at("duplicate-distribution", rel(venv, sp / "bumpy-1.0.dist-info"))
    assert stale["version"] == "1.0"
    assert result.at("dist-info-incomplete", rel(venv, sp / "bumpy-1.0.dist-info"))
    leftover = result.at("orphan-file", rel(venv, sp / "bumpy"))
    assert "old.py" in leftover["message"]
    assert result.of("file-missing") == []


def test_failed_upgrade_over_a_locked_file_leaves_mixed_versions(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "bumpy==1.0")
    sp = site_packages(venv)
    immutable(sp / "bumpy" / "__init__.py")
    assert tools.uv_pip_install(venv, "bumpy==2.0", check=False).returncode != 0
    # The retry gets as far as writing 2.0's metadata, then fails on the same file.
    assert tools.uv_pip_install(venv, "bumpy==2.0", check=False).returncode != 0
    assert (sp / "bumpy-2.0.dist-info" / "RECORD").is_file()

    result = check_json(venv)
    assert result.exit_code == 1
    missing = result.at("file-missing", rel(venv, sp / "bumpy" / "new.py"))
    assert (missing["package"], missing["version"]) == ("bumpy", "2.0")
    modified = result.at("file-modified", rel(venv, sp / "bumpy" / "__init__.py"))
    assert (modified["package"], modified["version"]) == ("bumpy", "2.0")
    assert {f["package"] for f in result.of("duplicate-distribution")} == {"bumpy"}
    # The files on disk match neither copy completely.
    assert not any("match bumpy 2.0" in f["message"] for f in result.of("duplicate-distribution"))


# -- pip's stash ---------------------------------------------------------------


def test_pip_uninstall_with_a_locked_file_leaves_its_stash(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    venv = tools.make_pip_venv(tmp_path / "venv", "polarslike", "rufflike")
    sp = site_packages(venv)
    immutable(sp / "polarslike" / "_native.abi3.so")

    failed = tools.pip(venv, "uninstall", "-y", "polarslike", check=False)
    assert failed.returncode != 0
    assert (sp / "~olarslike" / "_native.abi3.so").is_file()
    assert not (sp / "polarslike").exists()

    result = check_json(venv)
    assert result.exit_code == 1
    stash = result.at("stash-leftover", rel(venv, sp / "~olarslike"))
    assert stash["severity"] == "warning"
    assert {f["code"] for f in result.failing()} == {"stash-leftover"}


def test_pip_upgrade_with_a_locked_file_leaves_its_stash(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    venv = tools.make_pip_venv(tmp_path / "venv", "bumpy==1.0")
    sp = site_packages(venv)
    immutable(sp / "bumpy" / "old.py")
    assert tools.pip_install(venv, "bumpy==2.0", check=False).returncode != 0
    assert (sp / "bumpy-2.0.dist-info" / "RECORD").is_file()

    result = check_json(venv)
    assert result.exit_code == 1
    assert result.at("stash-leftover", rel(venv, sp / "~umpy"))
    assert result.of("duplicate-distribution") == []


# -- the uv cache ---------------------------------------------------------------


def test_symlink_mode_after_uv_cache_clean(tools: Tools, tmp_path: Path) -> None:
    own = tools.with_uv_cache(tmp_path / "uv-cache")
    project = tmp_path / "proj"
    venv = own.uv_project(project, ["polarslike", "rufflike"], link_mode="symlink")
    sp = site_packages(venv)
    assert (sp / "polarslike" / "frame.py").is_symlink()
    own.run_uv("cache", "clean")
    assert not (sp / "polarslike" / "frame.py").exists()

    result = check_json(venv)
    assert result.exit_code == 1
    dangling = result.at("dangling-symlink", rel(venv, sp / "polarslike" / "frame.py"))
    assert dangling["package"] == "polarslike"
    assert dangling["version"] == "1.2.0"
    # The binary script was linked too.
    assert result.at("dangling-symlink", rel(venv, venv / "bin" / "rufflike"))["package"] == (
        "rufflike"
    )
    assert result.of("file-missing") == []


def test_editing_a_hardlinked_file_the_safe_way_is_file_modified(
    tools: Tools, tmp_path: Path
) -> None:
    venv = tools.uv_project(tmp_path / "proj", ["polarslike"], link_mode="hardlink")
    target = site_packages(venv) / "polarslike" / "frame.py"
    assert target.stat().st_nlink > 1
    replace_file(target, b"class DataFrame:\n    patched = True\n")

    result = check_json(venv)
    assert result.exit_code == 1
    modified = result.at("file-modified", rel(venv, target))
    assert (modified["package"], modified["version"]) == ("polarslike", "1.2.0")
    # The other files are still shared with the cache; that one is not.
    links = result.of("cache-hardlink")
    assert links
    assert {f["severity"] for f in links} == {"info"}


# -- wheels that ship a wrong RECORD -------------------------------------------


@pytest.mark.parametrize("installer", [pytest.param("uv", id="uv"), pytest.param("pip", id="pip")])
def test_fresh_install_of_a_wheel_with_a_wrong_record_hash(
    tools: Tools, tmp_path: Path, installer: str
) -> None:
    # Neither uv nor pip checks or rewrites RECORD hashes of the files they copy.
    if installer == "uv":
        venv = tools.make_uv_venv(tmp_path / "venv")
        tools.uv_pip_install(venv, "badhash", "polarslike")
    else:
        venv = tools.make_pip_venv(tmp_path / "venv", "badhash", "polarslike")
    path = rel(venv, site_packages(venv) / "badhash" / "__init__.py")

    result = check_json(venv)
    assert result.exit_code == 1
    modified = result.at("file-modified", path)
    assert modified["package"] == "badhash"
    assert "RECORD" in (modified["hint"] or "")
    assert [f["code"] for f in result.failing()] == ["file-modified"]

    silenced = check_json(venv, "--ignore", "file-modified")
    assert silenced.exit_code == 0
    assert silenced.of("file-modified") == []


# -- launchers with interpreter flags -------------------------------------------


def rename_into_place(path: Path, content: bytes) -> None:
    """Give ``path`` new content as pip does: a new file, then renamed over the old one."""
    new = path.with_name(path.name + ".new")
    new.write_bytes(content)
    new.chmod(path.stat().st_mode)
    new.replace(path)


def test_console_script_with_interpreter_flags_as_pipx_writes_it(
    tools: Tools, tmp_path: Path
) -> None:
    # pip, as pipx runs it, writes "#!<venv>/bin/python -E" and records the
    # hash of the launcher it would write without the flag.
    venv = tools.make_pip_venv(tmp_path / "venv", "rufflike")
    script = venv / "bin" / "rufflike-py"
    first, _, rest = script.read_bytes().partition(b"\n")
    assert first == f"#!{venv}/bin/python".encode()
    rename_into_place(script, first + b" -E\n" + rest)

    for args in ((), ("--quick",)):
        result = check_json(venv, *args)
        assert result.exit_code == 0, result.stdout
        assert result.failing() == []
    assert tools.run(script, "--version").returncode == 0

    rename_into_place(script, first + b" -E\n" + rest + b"print('changed')\n")
    result = check_json(venv)
    assert result.exit_code == 1
    assert result.at("file-modified", "bin/rufflike-py")["package"] == "rufflike"
    assert [f["code"] for f in result.failing()] == ["file-modified"]


# -- unsafe RECORD ---------------------------------------------------------------


@pytest.mark.parametrize(
    "row_path",
    [
        pytest.param("../../../../outside.txt", id="dotdot"),
        pytest.param("/etc/hostname", id="absolute"),
    ],
)
def test_record_row_pointing_outside_the_venv(tools: Tools, tmp_path: Path, row_path: str) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "deplow")
    (tmp_path / "outside.txt").write_text("not part of any venv\n")
    record = site_packages(venv) / "deplow-1.0.dist-info" / "RECORD"
    replace_file(record, record.read_bytes() + f"{row_path},,\n".encode())

    result = check_json(venv)
    assert result.exit_code == 1
    unsafe = result.of("record-unsafe-path")
    assert len(unsafe) == 1, result.stdout
    assert unsafe[0]["package"] == "deplow"
    assert unsafe[0]["severity"] == "error"
    # Legitimate rows reaching bin/ are not unsafe.
    tools.uv_pip_install(venv, "rufflike")
    assert len(check_json(venv).of("record-unsafe-path")) == 1


# -- moved projects, editables, interpreters -----------------------------------


def test_moved_uv_project(tools: Tools, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "src" / "app").mkdir(parents=True)
    (project / "src" / "app" / "__init__.py").write_text("VALUE = 1\n")
    tools.uv_project(project, ["rufflike"], package=True)
    moved = tmp_path / "renamed"
    project.rename(moved)
    venv = moved / ".venv"

    result = check_json(venv)
    assert result.exit_code == 1
    stale = result.at("script-stale-shebang", "bin/rufflike-py")
    assert stale["package"] == "rufflike"
    assert str(project) in stale["message"]
    # The binary script has no shebang: nothing to be stale.
    assert [f for f in result.of("script-stale-shebang") if f["path"] == "bin/rufflike"] == []
    editable = result.of("editable-target-missing")
    assert editable
    assert {f["package"] for f in editable} == {"app"}


def test_moved_pip_venv(tools: Tools, tmp_path: Path) -> None:
    venv = tools.make_pip_venv(tmp_path / "venv", "rufflike")
    moved = tmp_path / "elsewhere"
    venv.rename(moved)

    result = check_json(moved)
    assert result.exit_code == 1
    assert result.at("script-stale-shebang", "bin/rufflike-py")["package"] == "rufflike"
    assert result.at("script-stale-shebang", "bin/pip")["package"] == "pip"


ACTIVATE_NAMES = ("activate", "Activate.ps1", "activate.")


def activate_scripts_naming(venv: Path, place: Path) -> set[str]:
    """The activate scripts of ``venv`` whose text holds the path ``place``."""
    return {
        rel(venv, path)
        for path in (venv / "bin").iterdir()
        if path.name.startswith(ACTIVATE_NAMES) and str(place) in path.read_text()
    }


@pytest.mark.parametrize(
    "maker",
    [
        pytest.param("venv", id="python-m-venv"),
        pytest.param("uv", id="uv"),
        pytest.param("virtualenv", id="virtualenv"),
    ],
)
def test_moved_venv_activate_scripts_name_the_old_place(
    tools: Tools, tmp_path: Path, maker: str
) -> None:
    venv = tmp_path / "before" / "venv"
    if maker == "venv":
        tools.make_pip_venv(venv)
    elif maker == "uv":
        tools.make_uv_venv(venv)
    else:
        tools.make_virtualenv(venv)
    naming = activate_scripts_naming(venv, venv)
    assert "bin/activate" in naming
    result = check_json(venv)
    assert result.exit_code == 0, result.stdout
    assert result.of("script-stale-shebang") == []

    (tmp_path / "before").rename(tmp_path / "after")
    moved = tmp_path / "after" / "venv"
    result = check_json(moved)
    assert result.exit_code == 1
    activate = [f for f in result.of("script-stale-shebang") if f["package"] is None]
    assert {f["path"] for f in activate} == naming
    stale = result.at("script-stale-shebang", "bin/activate")
    assert stale["message"].startswith(f"bin/activate sets VIRTUAL_ENV to {venv}, not this venv")
    assert stale["hint"]


@pytest.mark.parametrize("maker", [pytest.param("uv", id="uv"), pytest.param("pip", id="pip")])
@pytest.mark.parametrize(
    "folder",
    [
        # Shebangs over 127 bytes or with a space become a /bin/sh trampoline:
        #   #!/bin/sh
        #   '''exec' '/path/to/venv/bin/python' "$0" "$@"
        pytest.param("x" * 130, id="long-path"),
        pytest.param("with space", id="space"),
    ],
)
def test_moved_venv_with_trampoline_launchers(
    tools: Tools, tmp_path: Path, maker: str, folder: str
) -> None:
    venv = tmp_path / folder / "venv"
    if maker == "uv":
        tools.make_uv_venv(venv)
        tools.uv_pip_install(venv, "rufflike")
    else:
        tools.make_pip_venv(venv, "rufflike")
    assert (venv / "bin" / "rufflike-py").read_text().startswith("#!/bin/sh\n")
    assert check_json(venv).exit_code == 0
    (tmp_path / folder).rename(tmp_path / "moved")
    moved = tmp_path / "moved" / "venv"

    result = check_json(moved)
    assert result.exit_code == 1
    assert result.at("script-stale-shebang", "bin/rufflike-py")["package"] == "rufflike"


def test_moved_relocatable_uv_venv_is_fine(tools: Tools, tmp_path: Path) -> None:
    venv = tmp_path / "before" / "venv"
    tools.run_uv("venv", "--relocatable", "--python", BASE_PYTHON, venv)
    tools.uv_pip_install(venv, "rufflike")
    (tmp_path / "before").rename(tmp_path / "after")

    result = check_json(tmp_path / "after" / "venv")
    assert result.exit_code == 0, result.stdout
    assert result.of("script-stale-shebang") == []


def test_editable_install_whose_source_was_deleted(tools: Tools, tmp_path: Path) -> None:
    source = tmp_path / "checkout"
    (source / "src" / "app").mkdir(parents=True)
    (source / "src" / "app" / "__init__.py").write_text("VALUE = 1\n")
    write_pyproject(source, [], package=True)
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.run_uv("pip", "install", "--python", venv / "bin" / "python", "-e", source)
    assert check_json(venv).exit_code == 0
    shutil.rmtree(source)

    result = check_json(venv)
    assert result.exit_code == 1
    editable = result.of("editable-target-missing")
    assert editable
    assert {(f["package"], f["version"]) for f in editable} == {("app", "0.1.0")}


def test_editable_project_whose_src_folder_was_renamed(tools: Tools, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "src" / "app").mkdir(parents=True)
    (project / "src" / "app" / "__init__.py").write_text("VALUE = 1\n")
    venv = tools.uv_project(project, [], package=True)
    (project / "src").rename(project / "source")

    result = check_json(venv)
    assert result.exit_code == 1
    assert {f["package"] for f in result.of("editable-target-missing")} == {"app"}


def throwaway_base_python(base: Path) -> Path:
    """A base interpreter that can be deleted: a copy of this Python's binary.

    Only the binary is copied; the standard library is a symlink to the real
    one, which is where the copied binary looks for it (``<base>/lib/pythonX.Y``).
    """
    real = Path(os.path.realpath(BASE_PYTHON))
    (base / "bin").mkdir(parents=True)
    (base / "lib").mkdir()
    python = base / "bin" / real.name
    shutil.copy2(real, python)
    version = real.name.removeprefix("python")
    (base / "lib" / f"python{version}").symlink_to(real.parents[1] / "lib" / f"python{version}")
    return python


@pytest.mark.parametrize("maker", [pytest.param("venv", id="venv"), pytest.param("uv", id="uv")])
def test_base_interpreter_removed(tools: Tools, tmp_path: Path, maker: str) -> None:
    python = throwaway_base_python(tmp_path / "base")
    if maker == "venv":
        venv = tools.make_pip_venv(tmp_path / "venv", python=python)
    else:
        venv = tools.make_uv_venv(tmp_path / "venv", python=python)
    tools.uv_pip_install(venv, "rufflike")
    assert tools.run(venv / "bin" / "python", "-c", "import rufflike").returncode == 0
    assert check_json(venv).exit_code == 0

    shutil.rmtree(tmp_path / "base")
    assert not (venv / "bin" / "python").exists()

    result = check_json(venv)
    assert result.exit_code == 1
    missing = result.of("interpreter-missing")
    assert missing, result.stdout
    assert {f["severity"] for f in missing} == {"error"}
    assert any(str(tmp_path / "base") in f["message"] for f in missing)


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.machine() not in {"x86_64", "aarch64"},
    reason="armlib has wheels for Linux on x86_64 and aarch64 only",
)
def test_wheel_synced_for_another_machine(tools: Tools, tmp_path: Path) -> None:
    # uv sync --python-platform into the project's own venv, as a Dockerfile
    # written for another architecture does.
    other = "aarch64" if platform.machine() == "x86_64" else "x86_64"
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["armlib", "rufflike"])
    tools.run_uv(
        "sync", "--frozen", "--reinstall-package", "armlib", "--link-mode", "copy",
        "--python-platform", f"{other}-manylinux_2_17", cwd=project,
    )  # fmt: skip

    result = check_json(venv)
    assert result.exit_code == 1
    (found,) = result.failing()
    assert found["code"] == "interpreter-changed"
    assert found["package"] == "armlib"
    assert found["path"] == rel(venv, site_packages(venv) / "armlib-1.0.dist-info")
    assert f"manylinux_2_17_{other}" in found["message"]


def test_pyvenv_cfg_deleted(tools: Tools, tmp_path: Path) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "rufflike")
    (venv / "pyvenv.cfg").unlink()

    result = check_json(venv)
    assert result.exit_code == 1
    assert result.at("interpreter-missing", "pyvenv.cfg")["severity"] == "error"
