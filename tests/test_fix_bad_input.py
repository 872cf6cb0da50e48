"""``fix`` given bad input or a full disk: a clear message, exit 2, the venv exactly as it was.

Every wheel is found and verified before the first change, so a tampered
wheel, a lock with no wheel for this platform, a lock URL that fails and a
lockfile that cannot be read all stop ``fix`` before it touches anything.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apply.test_fetch import small_tmpfs
from tests.apply.wheelserver import silent_server
from tests.support.fixing import Run, half_removed, venv_doctor
from tests.support.index import LocalIndex
from tests.support.tools import ImmutableFiles, Tools, write_pyproject
from tests.support.wheels import WheelSpec, build_wheel
from tests.test_fix import content_digest
from venv_doctor.apply.wheelsource import wheel_getter
from venv_doctor.commands.check import LockOptions
from venv_doctor.commands.fix import FixOptions, run_fix
from venv_doctor.errors import VenvDoctorError
from venv_doctor.read.layout import read_layout

pytestmark = pytest.mark.slow

POLARSLIKE_WHEEL = "polarslike-1.2.0-py3-none-any.whl"


def fix(tools: Tools, target: Path, tmp_path: Path, *args: str | Path) -> Run:
    return venv_doctor(tools, "fix", target, *args, cache=tmp_path / "vd-cache")


@pytest.fixture
def own_index(tmp_path: Path, wheelhouse: Path) -> Iterator[tuple[Path, LocalIndex]]:
    """An index of its own, serving a folder the test may change, with rufflike and polarslike."""
    folder = tmp_path / "index"
    folder.mkdir()
    for name in ("rufflike-0.5.0-py3-none-any.whl", POLARSLIKE_WHEEL):
        shutil.copy(wheelhouse / name, folder / name)
    with LocalIndex(folder) as index:
        yield folder, index


def test_a_tampered_wheel_is_refused_by_name(
    tools: Tools,
    tmp_path: Path,
    immutable: ImmutableFiles,
    catalogue: dict[tuple[str, str], WheelSpec],
) -> None:
    project = tmp_path / "proj"
    venv = half_removed(tools, project, immutable)
    spec = catalogue["polarslike", "1.2.0"]
    tampered = dataclasses.replace(
        spec, files={**spec.files, "polarslike/frame.py": "import os  # not what was locked\n"}
    )
    links = tmp_path / "links"
    assert build_wheel(tampered, links).name == POLARSLIKE_WHEEL
    before = content_digest(venv)

    refused = fix(tools, project, tmp_path, "--find-links", links)
    assert refused.exit_code == 2, refused.output
    assert "polarslike 1.2.0" in refused.stderr
    assert str(links / POLARSLIKE_WHEEL) in refused.stderr
    assert "hint:" in refused.stderr
    assert content_digest(venv) == before


def test_a_lock_with_no_wheel_for_this_platform_lists_the_tags(
    tools: Tools, tmp_path: Path, own_index: tuple[Path, LocalIndex]
) -> None:
    folder, index = own_index
    windows = WheelSpec(
        name="wintool",
        version="1.0",
        tag="py3-none-win_amd64",
        files={"wintool/__init__.py": "VALUE = 1\n"},
    )
    build_wheel(windows, folder)
    here = dataclasses.replace(tools, index_url=index.url)
    project = tmp_path / "proj"
    venv = here.uv_project(project, ["rufflike"])
    write_pyproject(project, ["rufflike", "wintool"])
    here.run_uv("lock", cwd=project)
    # uv itself cannot install it here either; the venv lacks what the lock wants.
    assert here.uv_sync(project, check=False).returncode != 0
    before = content_digest(venv)

    refused = fix(here, project, tmp_path)
    assert refused.exit_code == 2, refused.output
    assert "wintool 1.0" in refused.stderr
    assert "wintool-1.0-py3-none-win_amd64.whl" in refused.stderr
    assert "cp311-cp311-manylinux" in refused.stderr or "linux_x86_64" in refused.stderr
    assert content_digest(venv) == before


def test_a_lock_url_that_answers_404(
    tools: Tools,
    tmp_path: Path,
    immutable: ImmutableFiles,
    own_index: tuple[Path, LocalIndex],
) -> None:
    folder, index = own_index
    here = dataclasses.replace(tools, index_url=index.url)
    project = tmp_path / "proj"
    venv = half_removed(here, project, immutable)
    # The file the lock names is gone from the index (deleted, or yanked hard).
    (folder / POLARSLIKE_WHEEL).unlink()
    before = content_digest(venv)

    refused = fix(here, project, tmp_path)
    assert refused.exit_code == 2, refused.output
    assert "polarslike 1.2.0" in refused.stderr
    assert "404" in refused.stderr
    assert POLARSLIKE_WHEEL in refused.stderr
    assert content_digest(venv) == before


def test_a_lock_url_that_never_answers_times_out(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    # The command line waits 30 s per request; the getter takes a shorter limit.
    project = tmp_path / "proj"
    venv = half_removed(tools, project, immutable)
    lock = project / "uv.lock"
    index_base = tools.index_url.removesuffix("/simple/")
    before = content_digest(venv)
    environ = tools.environ | {"VENV_DOCTOR_CACHE_DIR": str(tmp_path / "vd-cache")}
    with silent_server() as silent:
        lock.write_text(lock.read_text().replace(index_base, silent))
        with pytest.raises(VenvDoctorError) as failed:
            run_fix(
                read_layout(venv),
                lock=LockOptions(),
                options=FixOptions(),
                environ=environ,
                cwd=project,
                get_wheel=wheel_getter(
                    find_links=(), index_url=None, offline=False, environ=environ, timeout=0.5
                ),
            )
    assert failed.value.exit_code == 2
    message = str(failed.value)
    assert "polarslike 1.2.0" in message
    assert "did not answer within 0.5s" in message
    assert content_digest(venv) == before


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('version = 1\n[[package]\nname = "rufflike"\n', id="not-toml"),
        pytest.param("version = 99\n", id="newer-schema"),
    ],
)
def test_a_malformed_uv_lock_is_named(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles, text: str
) -> None:
    project = tmp_path / "proj"
    venv = half_removed(tools, project, immutable)
    lock = project / "uv.lock"
    lock.write_text(text)
    before = content_digest(venv)

    refused = fix(tools, project, tmp_path)
    assert refused.exit_code == 2, refused.output
    assert str(lock) in refused.stderr
    assert content_digest(venv) == before


def test_from_and_no_lock_together_are_refused(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = half_removed(tools, project, immutable)
    before = content_digest(venv)

    refused = fix(tools, project, tmp_path, "--from", project / "uv.lock", "--no-lock")
    assert refused.exit_code == 2, refused.output
    assert "--from and --no-lock" in refused.stderr
    assert content_digest(venv) == before


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("missing", id="missing"),
        pytest.param("folder", id="folder"),
        pytest.param("not-python", id="not-python"),
    ],
)
def test_a_python_that_is_no_base_interpreter_is_refused_on_a_healthy_venv(
    tools: Tools, tmp_path: Path, kind: str
) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "rufflike")
    python = tmp_path / "bin" / "python3"
    if kind == "folder":
        python.mkdir(parents=True)
    elif kind == "not-python":
        python.parent.mkdir()
        python.write_text("#!/bin/sh\necho not python\n")
        python.chmod(0o755)
    before = content_digest(venv)

    refused = fix(tools, venv, tmp_path, "--python", python)
    assert refused.exit_code == 2, refused.output
    assert str(python) in refused.stderr
    assert "Nothing to do" not in refused.stdout
    assert content_digest(venv) == before


def test_a_disk_that_fills_up_while_copying_the_wheel(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    with small_tmpfs(tmp_path / "tiny", "32m") as tiny:
        project = tiny / "proj"
        venv = half_removed(tools, project, immutable)
        # Room for the journal and a file or two of the wheel, not for all of them.
        room = os.statvfs(tiny)
        filler = tiny / "filler"
        filler.write_bytes(b"\0" * (room.f_bavail * room.f_frsize - 16 * 1024))
        before = content_digest(venv)

        full = fix(tools, project, tmp_path)
        assert full.exit_code == 2, full.output
        assert "could not write lib/python" in full.stderr
        assert "No space left on device (ENOSPC)" in full.stderr
        assert "every change was rolled back" in full.stderr
        assert "hint: free some disk space" in full.stderr
        assert content_digest(venv) == before

        filler.unlink()
        fixed = fix(tools, project, tmp_path)
        assert fixed.exit_code == 0, fixed.output
