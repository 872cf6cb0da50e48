"""``fix --python`` with another X.Y than the venv's: the venv moves to that Python in place.

Venvs are made by ``python -m venv``, virtualenv and uv for Python 3.11
(from an unversioned ``base/bin/python3`` link, as Homebrew's or pyenv's),
then moved to Python 3.12: with a uv.lock the result must be what a fresh
``uv sync --frozen`` for 3.12 gives (uv's own ``--check`` clean), without one
every package must import at the version it had.  ``undo`` takes it back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.kill import compare
from tests.support.fixing import backend_project, uv_in, venv_doctor
from tests.support.tools import Tools, check_json, site_packages
from tests.test_fix import content_digest
from tests.test_python_changed import PY311, PY312, _installed, make_venv

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        PY311 is None or PY312 is None, reason="needs Python 3.11 and 3.12 installed"
    ),
]

VERSIONS = (
    "import importlib.metadata as m, json, sys; "
    "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
)


def _python3(tmp_path: Path) -> Path:
    """``base/bin/python3``: an unversioned link to Python 3.11."""
    assert PY311 is not None
    python3 = tmp_path / "base" / "bin" / "python3"
    python3.parent.mkdir(parents=True)
    python3.symlink_to(PY311)
    return python3


def _versions(tools: Tools, venv: Path) -> dict[str, str]:
    ran = tools.run(venv / "bin" / "python", "-c", VERSIONS)
    return dict(json.loads(ran.stdout))


def _yours(venv: Path) -> dict[str, str]:
    """Files a person puts into a venv: a module, a .pth file, a script naming bin/python3.11."""
    site = site_packages(venv)
    (site / "mine.py").write_text("MINE = 1\n")
    (site / "mine.pth").write_text("# my own path file\n")
    script = venv / "bin" / "myscript"
    script.write_text(f"#!{venv}/bin/python3.11\nimport mine\nprint(mine.MINE)\n")
    script.chmod(0o755)
    return {"mine.py": "MINE = 1\n", "mine.pth": "# my own path file\n"}


def _kept_yours(tools: Tools, venv: Path, yours: dict[str, str]) -> None:
    site = site_packages(venv)
    assert site.parent.name == "python3.12", site
    for name, text in yours.items():
        assert (site / name).read_text() == text
    ran = tools.run(venv / "bin" / "myscript")
    assert ran.stdout.strip() == "1"


def _without_uv_build(entries: compare.Snapshot) -> compare.Snapshot:
    """uv's record of its own build settings (uv_build.json) left out: another backend built it."""
    kept = {}
    for path, description in entries.items():
        if path.endswith("/uv_build.json"):
            continue
        lines = description.split("\n")
        kept[path] = "\n".join(line for line in lines if "/uv_build.json," not in line)
    return kept


@pytest.mark.parametrize("upgraded", [False, True], ids=["healthy", "python3-upgraded"])
def test_move_with_a_uv_lock_equals_a_fresh_sync_for_the_new_python(
    tools: Tools, tmp_path: Path, upgraded: bool
) -> None:
    assert PY312 is not None
    python3 = _python3(tmp_path)
    project = backend_project(tmp_path / "proj", name="app", deps=["polarslike", "rufflike"])
    tools.run_uv("lock", "--python", python3, cwd=project)
    tools.uv_sync(project, python=python3)
    venv = project / ".venv"
    yours = _yours(venv)
    if upgraded:  # brew upgrade: the venv's python3 now runs 3.12 and sees nothing
        python3.unlink()
        python3.symlink_to(PY312)
        assert "interpreter-changed" in check_json(venv).codes
    before = content_digest(venv)
    cache = tmp_path / "vd-cache"
    path = {"PATH": str(PY312.parent)}

    planned = venv_doctor(
        tools, "fix", venv, "--python", "3.12", "--dry-run", cache=cache, env=path
    )
    assert "moves the venv from Python 3.11 to 3.12: reinstalls 3 distributions" in planned.stdout
    assert "carries 2 files no distribution owns" in planned.stdout, planned.stdout
    assert content_digest(venv) == before

    # The person's files are orphan-file warnings, before as after.
    moved = venv_doctor(
        tools, "fix", venv, "--python", "3.12", "--ignore", "orphan-file", cache=cache, env=path
    )
    assert moved.exit_code == 0, moved.output
    assert not (venv / "lib" / "python3.11").exists()
    tools.run_uv("sync", "--frozen", "--check", "--python", PY312, cwd=project)
    _kept_yours(tools, venv, yours)
    ran = tools.run(
        venv / "bin" / "python", "-c", "import app, polarslike, sys; print(sys.version)"
    )
    assert ran.stdout.startswith("3.12."), ran.stdout
    # File for file what uv sync --frozen gives a fresh venv for 3.12, and the person's files.
    fresh = tmp_path / "fresh"
    uv_in(
        tools, fresh, "sync", "--frozen", "--python", str(PY312), "--link-mode", "copy", cwd=project
    )
    mine = {"lib/python3.12/site-packages/mine.py", "lib/python3.12/site-packages/mine.pth"}
    ours = compare.without(compare.snapshot(venv), {"bin/myscript", *mine})
    assert compare.differences(ours, _without_uv_build(compare.snapshot(fresh))) == []

    undone = venv_doctor(tools, "undo", venv, cache=cache)
    assert undone.exit_code == 0, undone.output
    assert content_digest(venv) == before


@pytest.mark.parametrize(
    "maker",
    [
        pytest.param("venv", id="python-m-venv"),
        pytest.param("virtualenv", id="virtualenv"),
        pytest.param("uv", id="uv-venv"),
    ],
)
def test_move_without_a_lockfile_keeps_every_version(
    tools: Tools, tmp_path: Path, maker: str
) -> None:
    assert PY312 is not None
    venv = make_venv(tools, maker, tmp_path / "project" / ".venv", _python3(tmp_path))
    tools.uv_pip_install(venv, "rufflike", "bumpy==1.0")
    yours = _yours(venv)
    versions = _versions(tools, venv)
    before = content_digest(venv)
    cache = tmp_path / "vd-cache"

    moved = venv_doctor(
        tools, "fix", venv, "--python", PY312, "--ignore", "orphan-file", cache=cache
    )
    assert moved.exit_code == 0, moved.output
    assert "moves the venv from Python 3.11 to 3.12" in moved.stdout
    assert _versions(tools, venv) == versions
    ran = tools.run(venv / "bin" / "rufflike-py")
    assert ran.stdout.strip() == "rufflike 0.5.0"
    ran = tools.run(
        venv / "bin" / "python", "-c", "import polarslike, bumpy, sys; print(sys.version)"
    )
    assert ran.stdout.startswith("3.12."), ran.stdout
    _kept_yours(tools, venv, yours)
    links = sorted(p.name for p in (venv / "bin").iterdir() if p.name.startswith("python"))
    assert links == ["python", "python3", "python3.12"]
    assert check_json(venv, "--ignore", "orphan-file").exit_code == 0

    undone = venv_doctor(tools, "undo", venv, cache=cache)
    assert undone.exit_code == 0, undone.output
    assert content_digest(venv) == before
    assert _versions(tools, venv) == versions


def test_a_compiled_dependency_with_no_wheel_for_the_new_python_is_refused(
    tools: Tools, tmp_path: Path
) -> None:
    assert PY312 is not None
    venv = make_venv(tools, "uv", tmp_path / "project" / ".venv", _python3(tmp_path))
    tools.uv_pip_install(venv, "cp311only")
    before = content_digest(venv)
    cache = tmp_path / "vd-cache"

    planned = venv_doctor(tools, "fix", venv, "--python", PY312, "--dry-run", cache=cache)
    assert "the move would stop before changing anything" in planned.stdout, planned.output
    assert "cp311only" in planned.stdout
    refused = venv_doctor(tools, "fix", venv, "--python", PY312, cache=cache)
    assert refused.exit_code == 2, refused.output
    assert "cp311only" in refused.stderr, refused.output
    assert "cp311-none-any" in refused.stderr, refused.output
    assert content_digest(venv) == before


FREE_THREADED = _installed("python3.13t")
PY313 = _installed("python3.13")


@pytest.mark.skipif(
    FREE_THREADED is None or PY313 is None,
    reason="needs Python 3.13 and a free-threaded python3.13t installed (none on this machine)",
)
def test_move_to_a_free_threaded_python_of_the_same_version(tools: Tools, tmp_path: Path) -> None:
    assert FREE_THREADED is not None
    assert PY313 is not None
    venv = tmp_path / "venv"
    tools.run(PY313, "-m", "venv", "--without-pip", venv)
    tools.uv_pip_install(venv, "rufflike")
    moved = venv_doctor(tools, "fix", venv, "--python", FREE_THREADED, cache=tmp_path / "c")
    assert moved.exit_code == 0, moved.output
    assert "moves the venv from Python 3.13 to 3.13t" in moved.stdout
    assert (venv / "lib" / "python3.13t" / "site-packages").is_dir()
    assert not (venv / "lib" / "python3.13").exists()
    ran = tools.run(
        venv / "bin" / "python", "-c", "import rufflike, sys; print(sys._is_gil_enabled())"
    )
    assert ran.stdout.strip() == "False"
