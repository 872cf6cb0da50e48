"""Fixtures for the transaction tests: wheels built once, a uv venv copied per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apply.venvs import build_wheels, copy_venv, make_venv


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """alpha, beta and gamma as wheel files, by name."""
    return build_wheels(tmp_path_factory.mktemp("apply-wheels"))


@pytest.fixture(scope="session")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("apply-uv-cache")


@pytest.fixture(scope="session")
def template_venv(
    tmp_path_factory: pytest.TempPathFactory, wheels: dict[str, Path], uv_cache: Path
) -> Path:
    """A uv venv with alpha and gamma installed by uv; copied, never changed."""
    folder = tmp_path_factory.mktemp("apply-template") / "venv"
    return make_venv(folder, [wheels["alpha"], wheels["gamma"]], cache=uv_cache)


@pytest.fixture
def venv(tmp_path: Path, template_venv: Path) -> Path:
    """A fresh copy of the template venv for one test."""
    return copy_venv(template_venv, tmp_path / "venv")
