"""Wheels built from sources: sdists, project folders, editable projects, git commits."""

from __future__ import annotations

import os
import subprocess
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apply.wheelserver import WheelServer, assert_only_verified, cache_files, sha256_of
from tests.lockfiles.probes import linux_probe
from tests.support.wheels import WheelSpec, build_wheel
from venv_doctor.apply.build import unpack_sdist
from venv_doctor.apply.obtain import obtain_wheel
from venv_doctor.apply.wheel_errors import BuildError, OfflineError
from venv_doctor.apply.wheels import FetchOptions, LocalWheel, Pin, WheelRequest
from venv_doctor.lockfiles.wanted import Artifact, Source, WantedDist
from venv_doctor.read.installed import NormalizedName

TAGS = linux_probe().tags
BACKEND = (
    Path(__file__).resolve().parents[2] / "fixtures" / "lockfiles" / "_backend" / "vd_build.py"
)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No PIP_*/UV_* from the machine; venv-doctor's and uv's caches under ``tmp_path``."""
    for key in list(os.environ):
        if key.startswith(("PIP_", "UV_")):
            monkeypatch.delenv(key)
    cache = tmp_path / "cache"
    monkeypatch.setenv("VENV_DOCTOR_CACHE_DIR", str(cache))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    return cache


@pytest.fixture
def server() -> Iterator[WheelServer]:
    with WheelServer() as running:
        yield running


def write_project(
    root: Path, name: str = "sdpkg", version: str = "1.0", *, backend: str = "in-tree"
) -> Path:
    """A project built by the fixtures' tiny backend: in the tree, or from the index."""
    module = name.replace("-", "_")
    (root / "src" / module).mkdir(parents=True)
    (root / "src" / module / "__init__.py").write_text(f"VERSION = {version!r}\n")
    if backend == "in-tree":
        (root / "_backend").mkdir()
        (root / "_backend" / "vd_build.py").write_text(BACKEND.read_text())
        system = 'requires = []\nbuild-backend = "vd_build"\nbackend-path = ["_backend"]\n'
    elif backend == "index":
        system = 'requires = ["vd-backend>=1"]\nbuild-backend = "vd_backend"\n'
    else:
        (root / "_backend").mkdir()
        (root / "_backend" / "broken.py").write_text(
            "import sys\n"
            "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
            "    print('compiling things...')\n"
            "    sys.stderr.write('fatal: the backend broke on purpose\\n')\n"
            "    raise SystemExit(3)\n"
        )
        system = 'requires = []\nbuild-backend = "broken"\nbackend-path = ["_backend"]\n'
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "{version}"\nrequires-python = ">=3.8"\n\n'
        f"[build-system]\n{system}"
    )
    return root


def backend_wheel(folder: Path) -> Path:
    """The fixtures' backend as an installable distribution, ``vd-backend``."""
    spec = WheelSpec(name="vd-backend", version="1.0", files={"vd_backend.py": BACKEND.read_text()})
    return build_wheel(spec, folder)


def make_sdist(project: Path, folder: Path, name: str = "sdpkg", version: str = "1.0") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    sdist = folder / f"{name}-{version}.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(project, arcname=f"{name}-{version}")
    return sdist


def members(wheel: LocalWheel) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel.path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def source_dist(kind: str, path: Path, version: str | None = "1.0", **more: str) -> WantedDist:
    return WantedDist(
        name=NormalizedName("sdpkg"),
        version=version,
        source=Source(kind=kind, path=str(path), **more),
    )


def get(request: WheelRequest, **options: object) -> LocalWheel:
    return obtain_wheel(request, tags=TAGS, options=FetchOptions(**options))  # type: ignore[arg-type]


# ------------------------------------------------------------------- sdists


@pytest.mark.slow
def test_a_locked_sdist_is_built_once_and_the_build_reused(
    tmp_path: Path, server: WheelServer, isolated: Path
) -> None:
    sdist = make_sdist(write_project(tmp_path / "proj"), tmp_path / "dist")
    url = server.add_file(sdist)
    dist = WantedDist(
        name=NormalizedName("sdpkg"),
        version="1.0",
        source=Source(kind="registry", url=server.index_url),
        sdist=Artifact(filename=sdist.name, url=url, hashes={"sha256": sha256_of(sdist)}),
    )

    built = get(dist)

    assert built.filename == "sdpkg-1.0-py3-none-any.whl"
    assert built.origin == f"built from {sdist.name}"
    assert members(built)["sdpkg/__init__.py"] == b"VERSION = '1.0'\n"
    assert built.sha256 == sha256_of(built.path)
    assert built.path.is_relative_to(isolated)

    again = get(dist)
    assert again.origin == "cache (built)"
    assert again.path == built.path
    assert server.hits(f"/files/{sdist.name}") == 1
    assert_only_verified(isolated)


@pytest.mark.slow
def test_without_a_lock_an_sdist_on_the_index_is_built(tmp_path: Path, server: WheelServer) -> None:
    sdist = make_sdist(write_project(tmp_path / "proj"), tmp_path / "dist")
    server.add_project("sdpkg", [sdist])

    built = get(Pin.of("sdpkg", "1.0"), index_url=server.index_url)

    assert built.filename == "sdpkg-1.0-py3-none-any.whl"


def test_an_sdist_member_outside_its_folder_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil-1.0.tar.gz"
    payload = tmp_path / "payload"
    payload.write_text("x")
    with tarfile.open(evil, "w:gz") as archive:
        archive.add(payload, arcname="../escaped")
    (tmp_path / "out").mkdir()

    with pytest.raises(BuildError, match="cannot unpack"):
        unpack_sdist(evil, tmp_path / "out", package="evil 1.0")

    assert not (tmp_path / "escaped").exists()


# ------------------------------------------------------------------- folders


@pytest.mark.slow
def test_a_directory_source_is_built(tmp_path: Path, isolated: Path) -> None:
    project = write_project(tmp_path / "libdir")

    built = get(source_dist("directory", project))

    assert built.origin == f"built from {project}"
    assert "sdpkg/__init__.py" in members(built)
    assert_only_verified(isolated)


@pytest.mark.slow
def test_an_editable_source_is_built_with_pep_660(tmp_path: Path) -> None:
    project = write_project(tmp_path / "app")

    built = get(source_dist("editable", project))

    assert built.origin == f"built editable from {project}"
    assert members(built)["_sdpkg.pth"].decode().strip() == str(project / "src")
    assert "sdpkg/__init__.py" not in members(built)


def test_a_missing_project_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="does not exist") as caught:
        get(source_dist("directory", tmp_path / "gone"))
    assert str(tmp_path / "gone") in caught.value.message
    assert caught.value.exit_code == 2


@pytest.mark.slow
def test_a_project_whose_version_is_not_the_locked_one(tmp_path: Path, isolated: Path) -> None:
    project = write_project(tmp_path / "libdir", version="1.0")

    with pytest.raises(BuildError, match=r"not a wheel of sdpkg 2\.0"):
        get(source_dist("directory", project, version="2.0"))

    assert cache_files(isolated) == []


@pytest.mark.slow
def test_a_failing_build_shows_the_end_of_its_output(tmp_path: Path, isolated: Path) -> None:
    project = write_project(tmp_path / "libdir", backend="broken")

    with pytest.raises(BuildError) as caught:
        get(source_dist("directory", project))

    error = caught.value
    assert str(project) in error.message
    assert "fatal: the backend broke on purpose" in error.message
    assert "python -m build" in (error.hint or "")
    assert error.exit_code == 2
    assert cache_files(isolated) == []


# ------------------------------------------------------------------- build requirements


@pytest.mark.slow
def test_build_requirements_come_from_the_configured_index(
    tmp_path: Path, server: WheelServer
) -> None:
    server.add_project("vd-backend", [backend_wheel(tmp_path / "backend")])
    project = write_project(tmp_path / "libdir", backend="index")

    built = get(source_dist("directory", project), index_url=server.index_url)

    assert built.filename == "sdpkg-1.0-py3-none-any.whl"
    assert server.hits("/simple/vd-backend/") >= 1


@pytest.mark.slow
def test_offline_build_requirements_come_from_find_links(
    tmp_path: Path, server: WheelServer
) -> None:
    links = tmp_path / "links"
    backend_wheel(links)
    project = write_project(tmp_path / "libdir", backend="index")

    built = get(
        source_dist("directory", project),
        index_url=server.index_url,
        offline=True,
        find_links=[links],
    )

    assert built.filename == "sdpkg-1.0-py3-none-any.whl"
    assert server.seen == []


# ------------------------------------------------------------------- git


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.slow
def test_a_git_source_is_built_at_the_locked_commit(tmp_path: Path, isolated: Path) -> None:
    repo = tmp_path / "repo"
    project = write_project(repo / "pkg")
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "first")
    locked_commit = git(repo, "rev-parse", "HEAD")
    (project / "src" / "sdpkg" / "__init__.py").write_text("VERSION = 'later'\n")
    git(repo, "commit", "--quiet", "-am", "second")
    dist = WantedDist(
        name=NormalizedName("sdpkg"),
        version="1.0",
        source=Source(kind="git", url=repo.as_uri(), commit=locked_commit, subdirectory="pkg"),
    )

    built = get(dist)

    assert members(built)["sdpkg/__init__.py"] == b"VERSION = '1.0'\n"
    assert built.origin == f"built from git {repo.as_uri()}@{locked_commit}"
    assert get(dist).origin == "cache (built)"
    assert_only_verified(isolated)


def test_offline_a_remote_git_source_is_missing() -> None:
    dist = WantedDist(
        name=NormalizedName("sdpkg"),
        version="1.0",
        source=Source(kind="git", url="https://git.example/sdpkg.git", commit="a" * 40),
    )

    with pytest.raises(OfflineError, match=r"git https://git\.example/sdpkg\.git"):
        get(dist, offline=True)


def test_a_git_clone_that_fails_names_the_repository(tmp_path: Path) -> None:
    url = (tmp_path / "no-repo").as_uri()
    dist = WantedDist(
        name=NormalizedName("sdpkg"),
        version="1.0",
        source=Source(kind="git", url=url, commit="a" * 40),
    )

    with pytest.raises(BuildError, match="git clone") as caught:
        get(dist)

    assert url in caught.value.message


@pytest.mark.slow
def test_a_path_sdist_is_built(tmp_path: Path) -> None:
    sdist = make_sdist(write_project(tmp_path / "proj"), tmp_path / "dist")

    built = get(source_dist("path", sdist))

    assert built.filename == "sdpkg-1.0-py3-none-any.whl"
    assert built.origin == f"built from {sdist.name}"


@pytest.mark.slow
def test_offline_an_sdist_in_find_links_is_built(tmp_path: Path) -> None:
    make_sdist(write_project(tmp_path / "proj"), tmp_path / "links")

    built = get(Pin.of("sdpkg", "1.0"), offline=True, find_links=[tmp_path / "links"])

    assert built.filename == "sdpkg-1.0-py3-none-any.whl"
