"""``fix``, ``trash clean`` and ``undo`` under Windows' rules for files in use, with real uv.

On Windows a running ``ruff.exe`` or a ``.pyd`` a Python session has loaded
cannot be deleted or written, only renamed, and a folder above it cannot be
renamed at all: ``uv remove`` stops halfway with "Access is denied".  ``fix``
is built around that (every removal a rename into the trash, every new file
written beside its target and renamed into place).  These tests run the
stories on a FUSE file system with those rules (``tests/support/winfs.py``),
with real processes holding real native files (``tests/support/holding.py``),
real uv, and uv as the oracle.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fixing import Run, venv_doctor
from tests.support.holding import Holder, Holders, build_native_wheels, compiler_missing, holders
from tests.support.index import LocalIndex
from tests.support.tools import Tools, check_json, site_packages
from tests.support.winfs import mounted, unavailable
from tests.test_fix import (
    assert_in_sync,
    assert_same_state,
    content_digest,
    fresh_sync_state,
    installed_state,
)
from tests.test_fix_faults import fail_at, fix_here
from venv_doctor.apply import Step, Transaction, TransactionError, VenvLock

pytestmark = pytest.mark.slow

_MISSING = unavailable() or compiler_missing()


@pytest.fixture(scope="module")
def native(tmp_path_factory: pytest.TempPathFactory, tools: Tools) -> Iterator[Tools]:
    """The tools, installing from an index of the natively compiled test packages."""
    if _MISSING:
        pytest.skip(f"no Windows file system here: {_MISSING}")
    work = tmp_path_factory.mktemp("native")
    wheelhouse = build_native_wheels(work / "build", work / "wheels")
    with LocalIndex(wheelhouse) as index:
        yield dataclasses.replace(tools, index_url=index.url, uv_cache=work / "uv-cache")


@dataclass(frozen=True, slots=True)
class Windows:
    """A folder with Windows' rules for files in use, and the holders started in it."""

    root: Path
    holders: Holders
    tools: Tools
    tmp: Path

    def venv_doctor(self, *args: str | os.PathLike[str], cwd: Path | None = None) -> Run:
        return venv_doctor(self.tools, *args, cache=self.tmp / "vd-cache", cwd=cwd)


@pytest.fixture
def windows(native: Tools, tmp_path: Path) -> Iterator[Windows]:
    with mounted(tmp_path / "backing", tmp_path / "windows") as root, holders() as started:
        yield Windows(root=root, holders=started, tools=native, tmp=tmp_path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _in_use(venv: Path) -> list[str]:
    """The venv-relative paths ``check`` reports in use."""
    report = check_json(venv, "--no-lock").report
    assert report is not None
    paths: list[str] = []
    for finding in report["findings"]:
        if finding["code"] == "file-in-use":
            # "python (pid 12) uses 2 files of this venv (mapped): a, b"
            paths.extend(finding["message"].split("): ", 1)[1].split(", "))
    return sorted(paths)


def _healthy(venv: Path, project: Path) -> None:
    result = check_json(venv, "--from", project / "uv.lock")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.failing() == []


def test_the_file_system_refuses_what_windows_refuses(windows: Windows) -> None:
    package = windows.root / "package"
    (package / "sub").mkdir(parents=True)
    held = package / "sub" / "held.so"
    held.write_bytes(b"loaded")
    (package / "sub" / "free.py").write_text("", encoding="utf-8")
    holder = windows.holders.opening(held)

    for refused in (
        held.unlink,
        lambda: held.open("r+b"),
        lambda: os.truncate(held, 0),
        lambda: package.rename(windows.root / "elsewhere"),
        lambda: (package / "sub").rename(windows.root / "elsewhere"),
    ):
        with pytest.raises(PermissionError):
            refused()
    (package / "sub" / "free.py").unlink()  # a file nobody holds goes as usual

    moved = windows.root / "moved.so"
    held.rename(moved)  # the file itself moves; its holder keeps it
    package.rename(windows.root / "elsewhere")  # and then its folder can
    replacement = windows.root / "new.so"
    replacement.write_bytes(b"new")
    with pytest.raises(PermissionError):
        replacement.replace(moved)  # nothing replaces a file in use
    assert moved.read_bytes() == b"loaded"

    holder.stop()
    replacement.replace(moved)
    moved.unlink()


# -- ruff: a running program ---------------------------------------------------------


def _ruff_removed_while_running(windows: Windows) -> tuple[Path, Path, Holder]:
    """``uv remove ruffexe`` while ``bin/ruffexe`` runs, then ``fix``; the project and venv."""
    tools = windows.tools
    project = windows.root / "proj"
    venv = tools.uv_project(project, ["ruffexe", "polarsext==1.0"])
    holder = windows.holders.running(venv / "bin" / "ruffexe")

    failed = tools.run_uv("remove", "ruffexe", cwd=project, check=False)
    assert failed.returncode != 0
    assert "Permission denied" in failed.stderr, failed.stderr
    # uv put pyproject.toml and uv.lock back: the user says again what they want,
    # without a sync that would stop at the same file.
    tools.run_uv("remove", "--no-sync", "ruffexe", cwd=project)

    fixed = windows.venv_doctor("fix", "--from", "uv.lock", venv, cwd=project)
    assert fixed.exit_code == 0, fixed.output
    assert holder.alive()
    return project, venv, holder


def test_uv_remove_ruff_while_it_runs_then_fix(windows: Windows) -> None:
    project, venv, holder = _ruff_removed_while_running(windows)

    assert not (venv / "bin" / "ruffexe").exists()
    assert_in_sync(windows.tools, project)
    _healthy(venv, project)
    # What still runs is the copy in the trash, named as such.
    (held,) = _in_use(venv)
    assert held.startswith(".venv-doctor/trash/"), held
    assert held.endswith("/bin/ruffexe")
    holder.stop()


def test_ruff_put_back_is_reinstalled_while_the_old_binary_runs(
    windows: Windows, tmp_path: Path
) -> None:
    tools = windows.tools
    project = windows.root / "proj"
    tools.uv_project(project, ["ruffexe", "polarsext==1.0"])
    kept = {name: (project / name).read_bytes() for name in ("pyproject.toml", "uv.lock")}
    expected = fresh_sync_state(tools, project, tmp_path)
    project, venv, holder = _ruff_removed_while_running(windows)
    (held,) = _in_use(venv)
    held_path = venv / held
    before = (os.stat(held_path).st_ino, _sha256(held_path))

    for name, data in kept.items():
        (project / name).write_bytes(data)
    fixed = windows.venv_doctor("fix", "--from", "uv.lock", venv, cwd=project)

    assert fixed.exit_code == 0, fixed.output
    assert holder.alive()
    # The held binary was never written: same file, same bytes, still in the trash.
    assert (os.stat(held_path).st_ino, _sha256(held_path)) == before
    assert os.stat(venv / "bin" / "ruffexe").st_ino != before[0]
    assert_same_state(installed_state(venv), expected)
    assert_in_sync(tools, project)
    _healthy(venv, project)
    holder.stop()


def test_a_running_program_is_replaced_beside_it_never_written(windows: Windows) -> None:
    tools = windows.tools
    venv = tools.make_uv_venv(windows.root / "venv")
    tools.uv_pip_install(venv, "ruffexe")
    program = venv / "bin" / "ruffexe"
    holder = windows.holders.running(program)
    before = (os.stat(program).st_ino, _sha256(program))

    with VenvLock(venv) as lock, Transaction(lock, description="replace") as txn:
        txn.replace("bin/ruffexe", data=b"#!/bin/sh\necho new\n", mode=0o755)

    assert holder.alive()
    assert program.read_bytes() == b"#!/bin/sh\necho new\n"
    (old,) = (venv / ".venv-doctor" / "trash" / txn.id).rglob("ruffexe")
    assert (os.stat(old).st_ino, _sha256(old)) == before
    holder.stop()


# -- polars: extension modules a Python session has loaded ---------------------------


def _polars_uninstalled_while_imported(windows: Windows) -> tuple[Path, Path, Holder]:
    """``uv pip uninstall polarsext`` while a Python has imported it, then a failing install."""
    tools = windows.tools
    project = windows.root / "proj"
    venv = tools.uv_project(project, ["ruffexe", "polarsext==1.0"])
    holder = windows.holders.importing(venv, "polarsext")

    failed = tools.uv_pip_uninstall(venv, "polarsext", check=False)
    assert failed.returncode != 0
    assert "polarsext_runtime/_core.abi3.so" in failed.stderr, failed.stderr
    again = tools.uv_pip_install(venv, "polarsext==1.0", check=False)
    assert again.returncode != 0
    assert "METADATA" in again.stderr, again.stderr
    return project, venv, holder


def test_uv_pip_uninstall_polars_while_imported_then_fix(windows: Windows, tmp_path: Path) -> None:
    project = windows.root / "proj"
    project, venv, holder = _polars_uninstalled_while_imported(windows)
    expected = fresh_sync_state(windows.tools, project, tmp_path)

    fixed = windows.venv_doctor("fix", "--from", "uv.lock", venv, cwd=project)

    assert fixed.exit_code == 0, fixed.output
    assert holder.alive()
    assert_same_state(installed_state(venv), expected)
    assert_in_sync(windows.tools, project)
    _healthy(venv, project)
    held = _in_use(venv)
    assert [path.rsplit("/", 1)[1] for path in held] == ["_core.abi3.so", "_extra.abi3.so"]
    assert all(path.startswith(".venv-doctor/trash/") for path in held), held
    holder.stop()


def test_a_failure_after_moving_a_folder_entry_by_entry_puts_it_back_whole(
    windows: Windows,
) -> None:
    project, venv, holder = _polars_uninstalled_while_imported(windows)
    cache = windows.tmp / "vd-cache"
    broken = content_digest(venv)
    steps: list[Step] = []
    assert fix_here(windows.tools, project, cache, steps.append).healthy
    assert windows.venv_doctor("undo", venv).exit_code == 0
    assert content_digest(venv) == broken
    forward = [step for step in steps if not step.op.startswith("undo-")]
    runtime = "lib/python3.11/site-packages/polarsext_runtime"
    folder = [
        i for i, step in enumerate(forward) if step.op == "move" and step.path.endswith(runtime)
    ]
    # Refused whole, then what uv left in it one by one, then the emptied folder.
    assert len(folder) == 2, forward
    assert [step.path.rsplit("/", 1)[1] for step in forward[folder[0] + 1 : folder[1]]] == [
        "_core.abi3.so",
        "_extra.abi3.so",
    ]

    for index in (folder[0] + 2, folder[1], folder[1] + 1):
        with pytest.raises(TransactionError) as failed:
            fix_here(windows.tools, project, cache, fail_at(index))
        assert failed.value.rolled_back, (index, forward[index])
        assert content_digest(venv) == broken, (index, forward[index])
    assert holder.alive()
    holder.stop()


def test_upgrade_stopped_at_a_loaded_extension_keeps_the_new_version(windows: Windows) -> None:
    tools = windows.tools
    venv = tools.make_uv_venv(windows.root / "venv")
    tools.uv_pip_install(venv, "polarsext==1.0", "ruffexe")
    holder = windows.holders.importing(venv, "polarsext")
    for _ in range(2):  # the second run gets further, and leaves two versions
        assert tools.uv_pip_install(venv, "polarsext==2.0", check=False).returncode != 0
    listed = tools.run_uv("pip", "list", "--python", venv / "bin" / "python").stdout
    assert "1.0" in listed, listed
    assert "2.0" in listed, listed
    requirements = windows.root / "requirements.txt"
    requirements.write_text("polarsext==2.0\nruffexe==0.5.0\n", encoding="utf-8")

    fixed = windows.venv_doctor("fix", "--from", requirements, venv)

    assert fixed.exit_code == 0, fixed.output
    assert holder.alive()
    assert sorted(p.name for p in site_packages(venv).glob("polarsext-*")) == [
        "polarsext-2.0.dist-info"
    ]
    new = tools.run(venv / "bin" / "python", "-c", "import polarsext; print(polarsext.__version__)")
    assert new.stdout.strip() == "2.0"
    dry = tools.uv_pip_install(venv, "polarsext==2.0", "ruffexe==0.5.0", "--dry-run")
    assert "Would make no changes" in dry.stderr, dry.stderr
    result = check_json(venv, "--from", requirements)
    assert result.exit_code == 0, result.stdout
    holder.stop()


def test_pip_uninstall_polars_while_imported_then_fix(windows: Windows) -> None:
    tools = windows.tools
    venv = tools.make_pip_venv(windows.root / "venv", "polarsext==1.0", "ruffexe")
    holder = windows.holders.importing(venv, "polarsext")
    # pip stashes the folder: the rename is refused, so it copies and deletes, and
    # stops at the loaded module with the old files half gone and a stash beside them.
    failed = tools.pip(venv, "uninstall", "-y", "polarsext", check=False)
    assert failed.returncode != 0
    assert "PermissionError" in failed.stderr, failed.stderr
    assert tools.pip_install(venv, "polarsext==2.0", check=False).returncode != 0
    site = site_packages(venv)
    assert any(p.name.startswith("~") for p in site.iterdir())
    requirements = windows.root / "requirements.txt"
    requirements.write_text("polarsext==2.0\nruffexe==0.5.0\n", encoding="utf-8")

    fixed = windows.venv_doctor("fix", "--from", requirements, venv)

    assert fixed.exit_code == 0, fixed.output
    assert holder.alive()
    assert not any(p.name.startswith("~") for p in site.iterdir())
    new = tools.run(venv / "bin" / "python", "-c", "import polarsext; print(polarsext.__version__)")
    assert new.stdout.strip() == "2.0"
    dry = tools.uv_pip_install(venv, "polarsext==2.0", "ruffexe==0.5.0", "--dry-run")
    assert "Would make no changes" in dry.stderr, dry.stderr
    result = check_json(venv, "--from", requirements)
    assert result.exit_code == 0, result.stdout
    holder.stop()


# -- the trash while a file in it is in use ------------------------------------------


def test_trash_clean_keeps_a_file_in_use_and_says_why(windows: Windows) -> None:
    project, venv, holder = _polars_uninstalled_while_imported(windows)
    assert windows.venv_doctor("fix", "--from", "uv.lock", venv, cwd=project).exit_code == 0
    trash = venv / ".venv-doctor" / "trash"

    cleaned = windows.venv_doctor("trash", "clean", venv)

    assert cleaned.exit_code == 1, cleaned.output
    assert "kept 2 files" in cleaned.stdout, cleaned.output
    assert "Directory not empty" not in cleaned.output
    assert cleaned.output.count("_core.abi3.so") == 1, cleaned.output
    assert f"pid {holder.pid}" in cleaned.output
    left = sorted(p.name for p in trash.rglob("*") if p.is_file())
    assert left == ["_core.abi3.so", "_extra.abi3.so"]
    assert holder.alive()

    holder.stop()
    again = windows.venv_doctor("trash", "clean", venv)
    assert again.exit_code == 0, again.output
    assert not any(p.is_file() for p in trash.rglob("*"))


def test_undo_refused_by_a_file_in_use_in_the_trash_says_who_and_loses_nothing(
    windows: Windows,
) -> None:
    _, venv, ruff = _ruff_removed_while_running(windows)
    ruff.stop()
    trash = venv / ".venv-doctor" / "trash"
    (package,) = trash.glob("*/lib/python3.11/site-packages/ruffexe")
    # Someone opened a file of a folder the fix moved whole, in the trash.
    reader = windows.holders.opening(package / "__init__.py")
    before = content_digest(venv)
    kept = sorted(str(p.relative_to(trash)) for p in trash.rglob("*"))

    refused = windows.venv_doctor("undo", venv)

    assert refused.exit_code == 2, refused.output
    assert "ruffexe" in refused.stderr
    assert f"pid {reader.pid}" in refused.stderr, refused.stderr
    assert "lsattr" not in refused.stderr
    assert "rolled back" in refused.stderr
    assert content_digest(venv) == before
    assert sorted(str(p.relative_to(trash)) for p in trash.rglob("*")) == kept

    reader.stop()
    assert windows.venv_doctor("undo", venv).exit_code == 0
    assert (venv / "bin" / "ruffexe").is_file()


def test_undo_while_the_trash_holds_a_file_in_use(windows: Windows) -> None:
    project, venv, holder = _polars_uninstalled_while_imported(windows)
    broken = installed_state(venv)
    assert windows.venv_doctor("fix", "--from", "uv.lock", venv, cwd=project).exit_code == 0

    undone = windows.venv_doctor("undo", venv)

    assert holder.alive()
    assert undone.exit_code == 0, undone.output
    assert_same_state(installed_state(venv), broken)
    holder.stop()
