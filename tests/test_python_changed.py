"""A venv whose Python changed under it: ``check`` and ``scan`` flag it, ``fix`` re-points it.

Each venv is made from an unversioned ``base/bin/python3`` link to Python
3.11, as from Homebrew's or pyenv's ``python3``; the test then points that
link at Python 3.12, as ``brew upgrade`` or ``pyenv global 3.12`` does.
"""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

import pytest

from tests.support.fixing import venv_doctor
from tests.support.tools import Tools, check_json
from tests.test_fix import content_digest

pytestmark = pytest.mark.slow


def _installed(name: str) -> Path | None:
    """An installed base ``pythonX.Y`` of pyenv's, else one on PATH."""
    found = sorted(glob.glob(f"/root/.pyenv/versions/*/bin/{name}"))
    if found:
        return Path(os.path.realpath(found[-1]))
    on_path = shutil.which(name)
    return Path(os.path.realpath(on_path)) if on_path else None


PY311 = _installed("python3.11")
PY312 = _installed("python3.12")
needs_both = pytest.mark.skipif(
    PY311 is None or PY312 is None, reason="needs Python 3.11 and 3.12 installed"
)
MAKERS = [pytest.param("venv", id="python-m-venv"), pytest.param("uv", id="uv-venv")]


def make_venv(tools: Tools, maker: str, venv: Path, python: Path) -> Path:
    if maker == "venv":
        tools.run(python, "-m", "venv", "--without-pip", venv)
    elif maker == "uv":
        tools.make_uv_venv(venv, python=python)
    else:
        tools.make_virtualenv(venv, python=python)
    tools.uv_pip_install(venv, "polarslike")
    return venv


def imports(tools: Tools, venv: Path) -> bool:
    ran = tools.run(venv / "bin" / "python", "-c", "import polarslike", check=False)
    return ran.returncode == 0


def upgraded(tools: Tools, tmp_path: Path, maker: str) -> tuple[Path, Path]:
    """A venv made from base/bin/python3 -> 3.11 with polarslike, after the link went to 3.12."""
    assert PY311 is not None
    assert PY312 is not None
    python3 = tmp_path / "base" / "bin" / "python3"
    python3.parent.mkdir(parents=True)
    python3.symlink_to(PY311)
    venv = make_venv(tools, maker, tmp_path / "project" / ".venv", python3)
    assert imports(tools, venv)
    assert check_json(venv).exit_code == 0
    python3.unlink()
    python3.symlink_to(PY312)  # the upgrade
    return venv, python3


def empty_path(tmp_path: Path) -> dict[str, str]:
    nowhere = tmp_path / "empty-path"
    nowhere.mkdir(exist_ok=True)
    return {"PATH": str(nowhere)}


@needs_both
@pytest.mark.parametrize("maker", MAKERS)
def test_check_flags_a_venv_whose_python3_now_runs_another_version(
    tools: Tools, tmp_path: Path, maker: str
) -> None:
    venv, _ = upgraded(tools, tmp_path, maker)
    assert not imports(tools, venv)

    for args in ((), ("--quick",)):
        result = check_json(venv, *args)
        assert result.exit_code == 1, result.stdout
        assert {f["code"] for f in result.failing()} == {"interpreter-changed"}
        (found,) = result.of("interpreter-changed")
        assert found["severity"] == "error"
        assert found["path"] == "bin/python"
        message = found["message"]
        assert "Python 3.11." in message, message
        assert "Python 3.12." in message, message
        assert str(PY312) in message, message
        assert str(tmp_path / "base" / "bin") in message or str(PY311) in message, message
        assert "3.11" in found["hint"]
        assert "uv sync --frozen --python 3.12" in found["hint"]


@needs_both
def test_virtualenv_resolves_the_link_when_it_makes_the_venv_so_it_stays_healthy(
    tools: Tools, tmp_path: Path
) -> None:
    # virtualenv writes the real interpreter's path, not the python3 link it was given.
    venv, _ = upgraded(tools, tmp_path, "virtualenv")
    assert imports(tools, venv)
    assert check_json(venv).exit_code == 0


@needs_both
@pytest.mark.parametrize("maker", [*MAKERS, pytest.param("virtualenv", id="virtualenv")])
def test_venvs_made_from_a_versioned_link_are_healthy(
    tools: Tools, tmp_path: Path, maker: str
) -> None:
    assert PY311 is not None
    python = tmp_path / "base" / "bin" / "python3.11"
    python.parent.mkdir(parents=True)
    python.symlink_to(PY311)
    venv = make_venv(tools, maker, tmp_path / "venv", python)
    result = check_json(venv)
    assert result.exit_code == 0, result.stdout
    assert not result.of("interpreter-changed")


@needs_both
@pytest.mark.parametrize("how", ["--python", "PATH"])
@pytest.mark.parametrize("maker", MAKERS)
def test_fix_repoints_to_the_python_the_venv_was_made_for_and_undo_takes_it_back(
    tools: Tools, tmp_path: Path, maker: str, how: str
) -> None:
    assert PY311 is not None
    venv, _ = upgraded(tools, tmp_path, maker)
    broken = content_digest(venv)
    cache = tmp_path / "vd-cache"

    if how == "--python":
        fixed = venv_doctor(tools, "fix", venv, "--python", PY311, cache=cache)
    else:
        fixed = venv_doctor(tools, "fix", venv, cache=cache, env={"PATH": str(PY311.parent)})
    assert fixed.exit_code == 0, fixed.output
    assert imports(tools, venv)
    assert check_json(venv).exit_code == 0
    assert f"home = {PY311.parent}" in (venv / "pyvenv.cfg").read_text().splitlines()

    undone = venv_doctor(tools, "undo", venv, cache=cache)
    assert undone.exit_code == 0, undone.output
    assert content_digest(venv) == broken
    assert {f["code"] for f in check_json(venv).failing()} == {"interpreter-changed"}


@needs_both
@pytest.mark.parametrize("maker", MAKERS)
def test_fix_without_a_python_of_the_old_version_changes_nothing(
    tools: Tools, tmp_path: Path, maker: str
) -> None:
    assert PY312 is not None
    venv, _ = upgraded(tools, tmp_path, maker)
    broken = content_digest(venv)
    cache = tmp_path / "vd-cache"

    alone = venv_doctor(tools, "fix", venv, cache=cache, env=empty_path(tmp_path))
    assert alone.exit_code == 1, alone.output
    assert "interpreter-changed" in alone.stdout
    assert "uv sync --frozen --python 3.12" in alone.stdout
    assert content_digest(venv) == broken
    # The new Python is not one to re-point to: naming it moves the venv to it
    # (tests/test_python_move.py), which a dry run only shows.
    other = venv_doctor(tools, "fix", venv, "--python", PY312, "--dry-run", cache=cache)
    assert other.exit_code == 1, other.output
    assert "moves the venv from Python 3.11 to 3.12" in other.stdout
    assert content_digest(venv) == broken


@needs_both
def test_scan_lists_the_venvs_the_upgrade_broke(tools: Tools, tmp_path: Path) -> None:
    venv, _ = upgraded(tools, tmp_path, "uv")
    assert PY312 is not None
    healthy = tools.make_uv_venv(tmp_path / "other" / ".venv", python=PY312)
    for args in ((), ("--full",)):
        scanned = venv_doctor(tools, "scan", tmp_path, *args, cache=tmp_path / "vd-cache")
        assert scanned.exit_code == 1, scanned.output
        lines = [line for line in scanned.stdout.splitlines() if "interpreter-changed" in line]
        assert len(lines) == 1, scanned.stdout
        assert venv.parent.name in lines[0], scanned.stdout
        assert not any(
            str(healthy.parent.name) in line and "error" in line
            for line in scanned.stdout.splitlines()
        ), scanned.stdout


FREE_THREADED = _installed("python3.13t")
PY313 = _installed("python3.13")


@pytest.mark.skipif(
    FREE_THREADED is None or PY313 is None,
    reason="needs Python 3.13 and a free-threaded python3.13t installed (none on this machine)",
)
def test_check_flags_a_free_threaded_python_under_a_313_venv(tools: Tools, tmp_path: Path) -> None:
    assert PY313 is not None
    assert FREE_THREADED is not None
    python3 = tmp_path / "base" / "bin" / "python3"
    python3.parent.mkdir(parents=True)
    python3.symlink_to(PY313)
    venv = tmp_path / "venv"
    tools.run(python3, "-m", "venv", "--without-pip", venv)
    assert check_json(venv).exit_code == 0
    python3.unlink()
    python3.symlink_to(FREE_THREADED)
    result = check_json(venv)
    assert result.exit_code == 1, result.stdout
    (found,) = result.of("interpreter-changed")
    assert "Python 3.13." in found["message"], found["message"]
    assert "t (" in found["message"], found["message"]
