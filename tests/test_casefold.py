"""``check`` and ``fix`` on a folder whose names are case-insensitive, as on Windows and macOS.

The folder is a ``chattr +F`` folder of a loop-mounted casefold ext4, or its
FUSE stand-in (``tests/support/casefold.py``); real uv and pip install real
wheels into it.  There ``Foo/Bar.py`` and ``foo/bar.py`` are one file, and
``Foo-1.0.dist-info`` and ``foo-1.0.dist-info`` one folder.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.casefold import CaseInsensitiveFolder, case_insensitive_folder
from tests.support.tools import Tools, check_json, site_packages, write_pyproject
from tests.test_fix import assert_in_sync, assert_same_state, installed_state, run_fix
from venv_doctor.read.casefold import case_insensitive

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseInsensitiveFolder]:
    with case_insensitive_folder(tmp_path_factory.mktemp("casefold")) as found:
        if isinstance(found, str):
            pytest.skip(found)
        yield found


@pytest.fixture
def here(folder: CaseInsensitiveFolder) -> Iterator[Path]:
    """An empty folder of this test inside the case-insensitive folder."""
    path = Path(tempfile.mkdtemp(dir=folder.path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def record_paths(meta: Path) -> list[str]:
    return [row[0] for row in csv.reader(io.StringIO((meta / "RECORD").read_text()))]


def project(tools: Tools, root: Path, deps: list[str]) -> Path:
    """A uv project at ``root`` synced with copies (hard links cannot reach uv's cache)."""
    return tools.uv_project(root, deps, link_mode="copy")


def fresh_twin_state(tools: Tools, project_root: Path, here: Path) -> dict[str, object]:
    """What ``uv sync --frozen`` of the same lock gives in a new venv in the same folder."""
    twin = here / "twin"
    twin.mkdir()
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copyfile(project_root / name, twin / name)
    tools.run_uv("sync", "--frozen", "--link-mode", "copy", cwd=twin)
    return installed_state(twin / ".venv")


def assert_clean(venv: Path) -> None:
    result = check_json(venv)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.report is not None
    assert result.report["findings"] == [], result.stdout


def test_the_folder_is_case_insensitive(here: Path) -> None:
    (here / "Foo").mkdir()
    (here / "Foo" / "Bar.py").write_text("x = 1\n")
    assert (here / "foo" / "bar.py").read_text() == "x = 1\n"
    assert os.listdir(here) == ["Foo"]  # the case it was made with
    with pytest.raises(FileExistsError):
        (here / "FOO").mkdir()
    assert case_insensitive(str(here), ["Foo"])


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_a_healthy_venv_gives_no_warning(tools: Tools, here: Path, installer: str) -> None:
    reqs = ["rufflike", "Mixed.Case_Pkg", "clikit==2.0"]
    if installer == "uv":
        venv = project(tools, here / "proj", reqs)
    else:
        venv = tools.make_pip_venv(here / "venv", *reqs)
    assert_clean(venv)


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_record_rows_in_another_case_than_the_disk(
    tools: Tools, here: Path, installer: str
) -> None:
    # caseupper makes CaseShared/; caselower's caseshared/lower.py lands in it.
    if installer == "uv":
        venv = tools.make_uv_venv(here / "venv")
        tools.uv_pip_install(venv, "caseupper")
        tools.uv_pip_install(venv, "caselower")
    else:
        venv = tools.make_pip_venv(here / "venv", "caseupper")
        tools.pip_install(venv, "caselower")
    sp = site_packages(venv)
    assert "caseshared" not in os.listdir(sp)
    assert (sp / "CaseShared" / "lower.py").name in os.listdir(sp / "CaseShared")
    assert "caseshared/lower.py" in record_paths(sp / "caselower-1.0.dist-info")
    assert_clean(venv)

    # A file really gone is still missing, where the disk would have it.
    (sp / "CaseShared" / "lower.py").unlink()
    result = check_json(venv)
    missing = [f["path"] for f in result.of("file-missing")]
    assert missing == [f"{sp.relative_to(venv).as_posix()}/CaseShared/lower.py"], result.stdout
    assert result.of("orphan-file") == [], result.stdout


def test_a_dist_info_folder_in_another_case(tools: Tools, here: Path) -> None:
    # Older installers spelled the folder as the project does; a RECORD
    # written since may name it in lower case: on this folder, one folder.
    venv = tools.make_uv_venv(here / "venv")
    tools.uv_pip_install(venv, "bumpy==1.0")
    sp = site_packages(venv)
    (sp / "bumpy-1.0.dist-info").rename(sp / "Bumpy-1.0.dist-info")
    assert record_paths(sp / "Bumpy-1.0.dist-info")[0].startswith("bumpy-1.0.dist-info/")
    assert_clean(venv)


def test_two_versions_whose_folders_differ_in_case(tools: Tools, here: Path) -> None:
    # Bumpy-1.0.dist-info, left by an uninstall that stopped, beside
    # bumpy-2.0.dist-info: two distributions of one name.  A second
    # bumpy-2.0 spelled BUMPY-2.0 cannot exist here: it is the same folder.
    root = here / "proj"
    venv = project(tools, root, ["bumpy==1.0"])
    sp = site_packages(venv)
    kept = here / "kept-1.0.dist-info"
    shutil.copytree(sp / "bumpy-1.0.dist-info", kept)
    write_pyproject(root, ["bumpy==2.0"])
    tools.run_uv("lock", cwd=root)
    tools.uv_sync(root)
    kept.rename(sp / "Bumpy-1.0.dist-info")
    with pytest.raises(FileExistsError):
        (sp / "BUMPY-2.0.dist-info").mkdir()

    result = check_json(venv)
    assert [f["path"] for f in result.of("duplicate-distribution")], result.stdout
    # bumpy/__init__.py belongs to 2.0; only what 1.0 alone had is missing.
    missing = {f["path"].rpartition("/")[2] for f in result.of("file-missing")}
    assert missing == {"old.py"}, result.stdout
    expected = fresh_twin_state(tools, root, here)

    fixed = run_fix(tools, venv, "--from", str(root / "uv.lock"))
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert_clean(venv)
    assert_in_sync(tools, root)
    assert_same_state(installed_state(venv), expected)


def test_repair_after_removed_files_and_a_half_removed_dist_info(tools: Tools, here: Path) -> None:
    root = here / "proj"
    venv = project(tools, root, ["caseupper", "bumpy==2.0", "rufflike"])
    # caselower after caseupper, so that its RECORD names CaseShared/ in lower case.
    write_pyproject(root, ["caseupper", "caselower", "bumpy==2.0", "rufflike"])
    tools.run_uv("lock", cwd=root)
    tools.uv_sync(root)
    sp = site_packages(venv)
    assert "caseshared/lower.py" in record_paths(sp / "caselower-1.0.dist-info")
    expected = fresh_twin_state(tools, root, here)

    (sp / "CaseShared" / "upper.py").unlink()
    (sp / "bumpy" / "new.py").unlink()
    for name in ("METADATA", "RECORD"):
        (sp / "rufflike-0.5.0.dist-info" / name).unlink()
    result = check_json(venv)
    assert {"file-missing", "dist-info-incomplete"} <= result.codes, result.stdout

    fixed = run_fix(tools, venv, "--from", str(root / "uv.lock"))
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert_clean(venv)
    assert_in_sync(tools, root)
    assert_same_state(installed_state(venv), expected)
