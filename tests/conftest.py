"""Session-wide test fixtures: built wheels, a local index, isolated uv and pip."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.support")

from tests.support.catalogue import load_catalogue  # noqa: E402
from tests.support.index import LocalIndex  # noqa: E402
from tests.support.tools import ImmutableFiles, ToolFailedError, Tools, find_uv  # noqa: E402
from tests.support.wheels import WheelSpec, build_wheel  # noqa: E402


def pytest_addoption(parser: pytest.Parser) -> None:
    # Here and not in tests/kill/conftest.py: only the root conftest may add options.
    group = parser.getgroup("kill", "tests/kill: SIGKILL uv and pip, then check and fix")
    group.addoption(
        "--kill-trials",
        type=int,
        default=1,
        metavar="N",
        help="trials per installer and story (default 1; a long run: 50)",
    )
    group.addoption(
        "--kill-seed",
        type=int,
        default=None,
        metavar="S",
        help="run only the trial with this seed, as a failure names it",
    )
    group.addoption(
        "--kill-log",
        default=None,
        metavar="FILE",
        help="append one JSON line per trial to FILE (what each kill left, check, fix)",
    )


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """venv-doctor's cache (wheels, digests) in a folder of the session, never the user's.

    Each venv gets its own digest cache file there (named by its resolved
    path), so no two venvs share one; tests that need a cache of their own
    set ``VENV_DOCTOR_CACHE_DIR`` themselves.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VENV_DOCTOR_CACHE_DIR", str(tmp_path_factory.mktemp("venv-doctor-cache")))
        yield


@pytest.fixture(scope="session")
def catalogue() -> dict[tuple[str, str], WheelSpec]:
    """The test packages of ``fixtures/packages.toml``, by ``(name, version)``."""
    return load_catalogue()


@pytest.fixture(scope="session")
def wheelhouse(
    tmp_path_factory: pytest.TempPathFactory, catalogue: dict[tuple[str, str], WheelSpec]
) -> Path:
    """A folder holding one built wheel per catalogue entry, built once per session."""
    folder = tmp_path_factory.mktemp("wheelhouse")
    for spec in catalogue.values():
        build_wheel(spec, folder)
        for tag in spec.also_tags:
            build_wheel(dataclasses.replace(spec, tag=tag, also_tags=()), folder)
    return folder


@pytest.fixture(scope="session")
def local_index(wheelhouse: Path) -> Iterator[LocalIndex]:
    """The wheelhouse served as a PEP 503 index on 127.0.0.1."""
    with LocalIndex(wheelhouse) as index:
        yield index


@pytest.fixture(scope="session")
def tools(tmp_path_factory: pytest.TempPathFactory, local_index: LocalIndex) -> Tools:
    """uv, pip and virtualenv isolated from the machine, installing from the local index."""
    return Tools(
        index_url=local_index.url,
        uv_cache=tmp_path_factory.mktemp("uv-cache"),
        pip_cache=tmp_path_factory.mktemp("pip-cache"),
        tmp=tmp_path_factory.mktemp("tool-tmp"),
        uv=find_uv(),
    )


@pytest.fixture(scope="session")
def chattr_works(tools: Tools) -> bool:
    """Whether ``chattr +i`` works here (root, on a file system that has it)."""
    probe = tools.tmp / "chattr-probe"
    probe.write_bytes(b"")
    files = ImmutableFiles([tools.tmp])
    try:
        files(probe)
    except (ToolFailedError, OSError):
        return False
    finally:
        files.release()
        probe.unlink()
    return True


@pytest.fixture
def immutable(tmp_path: Path, tools: Tools, chattr_works: bool) -> Iterator[ImmutableFiles]:
    """``immutable(*files)``: ``chattr +i`` files for the rest of the test.

    Always undone at teardown (else pytest could not delete ``tmp_path``),
    also for files a tool has moved since and for hard links into uv's cache.
    Skips the test where ``chattr +i`` is not allowed.
    """
    if not chattr_works:
        pytest.skip("chattr +i is not allowed here (needs root on ext4 or similar)")
    files = ImmutableFiles([tmp_path, tools.uv_cache, tools.tmp])
    try:
        yield files
    finally:
        files.release()
