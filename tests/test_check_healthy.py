"""Healthy venvs, made by every tool the way users make them, pass ``check``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.tools import (
    BASE_PYTHON,
    Tools,
    check_json,
    checked,
    run,
    site_packages,
    write_pyproject,
)

pytestmark = pytest.mark.slow

# Everything in the catalogue that installs cleanly side by side.
HEALTHY = (
    "rufflike",
    "polarslike",
    "deptop",
    "nsalpha",
    "nsbeta",
    "bumpy==2.0",
    "python-datelike",
    "jaracolike-context",
    "jaracolike-functools",
    "scikitlike==2.0",
)


def assert_healthy(venv: Path, *args: str) -> None:
    result = check_json(venv, *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.failing() == []
    assert result.report is not None
    assert result.report["venv"] == str(venv)
    for severity in ("error", "warning"):
        assert result.report["summary"][severity] == 0


@pytest.mark.parametrize(
    "link_mode",
    [
        pytest.param("hardlink", id="hardlink"),
        pytest.param("copy", id="copy"),
        pytest.param("symlink", id="symlink"),
    ],
)
def test_uv_sync(tools: Tools, tmp_path: Path, link_mode: str) -> None:
    venv = tools.uv_project(tmp_path / "proj", HEALTHY, link_mode=link_mode)
    assert_healthy(venv)
    assert_healthy(venv, "--quick")


def test_uv_sync_hardlink_reports_cache_links_as_info(tools: Tools, tmp_path: Path) -> None:
    venv = tools.uv_project(tmp_path / "proj", ["polarslike"], link_mode="hardlink")
    result = check_json(venv)
    assert result.exit_code == 0
    links = result.of("cache-hardlink")
    assert links, result.stdout
    assert {f["severity"] for f in links} == {"info"}
    assert "polarslike" in {f["package"] for f in links}


def test_uv_sync_hardlink_prints_one_line_beyond_the_summary(tools: Tools, tmp_path: Path) -> None:
    # rufflike's first linked file is bin/rufflike, a data script: the cache must
    # still be recognised, by a file below site-packages.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, HEALTHY, link_mode="hardlink")
    result = checked(venv, watch=[venv], cwd=project, env=tools.environ)
    assert result.exit_code == 0, result.stdout
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 2, result.stdout
    assert lines[1].startswith("No problems found. ")
    assert f"hard links shared with uv's cache ({tools.uv_cache})" in lines[1]
    assert "(each: --select cache-hardlink)" in lines[1]
    # Each one on demand, all of them named as uv's cache.
    result = checked(
        venv, "--select", "cache-hardlink", watch=[venv], cwd=project, env=tools.environ
    )
    shown = [line for line in result.stdout.splitlines() if "cache-hardlink" in line]
    assert len(shown) == len(HEALTHY) + 1  # deptop brings deplow
    assert all("shared with uv's cache" in line for line in shown), result.stdout


def test_uv_sync_copy_has_no_cache_links(tools: Tools, tmp_path: Path) -> None:
    venv = tools.uv_project(tmp_path / "proj", ["polarslike"], link_mode="copy")
    assert check_json(venv).of("cache-hardlink") == []


def test_uv_sync_editable_project(tools: Tools, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "src" / "app").mkdir(parents=True)
    (project / "src" / "app" / "__init__.py").write_text("VALUE = 1\n")
    venv = tools.uv_project(project, ["rufflike"], package=True)
    assert (site_packages(venv) / "app.pth").is_file()
    assert_healthy(venv)


IMPORT_ALL = (
    "import polarslike.io.csv, rufflike.__main__, deptop, nspkg.alpha, nspkg.beta, bumpy, "
    "jaracolike.context, jaracolike.functools, sklike.compute.new"
)


def test_uv_venv_and_uv_pip_install(tools: Tools, tmp_path: Path) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, *HEALTHY, link_mode=None)
    assert (venv / "share" / "rufflike" / "default.toml").is_file()
    assert_healthy(venv)
    # Importing writes __pycache__ folders no RECORD lists (uv lists no .pyc).
    tools.run(venv / "bin" / "python", "-c", IMPORT_ALL)
    assert list(site_packages(venv).glob("polarslike/__pycache__/*.pyc"))
    assert_healthy(venv)


def test_uv_pip_install_compile_bytecode(tools: Tools, tmp_path: Path) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.run_uv(
        "pip", "install", "--python", venv / "bin" / "python", "--compile-bytecode", *HEALTHY
    )
    assert list(site_packages(venv).glob("polarslike/io/__pycache__/*.pyc"))
    assert_healthy(venv)


def test_python_m_venv_and_pip(tools: Tools, tmp_path: Path) -> None:
    venv = tools.make_pip_venv(tmp_path / "venv", *HEALTHY)
    assert (venv / "share" / "rufflike" / "default.toml").is_file()
    assert_healthy(venv)
    # pip lists the .pyc files it compiled; deleting them (py3clean) is harmless.
    for cache in list(site_packages(venv).rglob("__pycache__")):
        shutil.rmtree(cache)
    assert_healthy(venv)


def test_virtualenv_and_pip(tools: Tools, tmp_path: Path) -> None:
    venv = tools.make_virtualenv(tmp_path / "venv", *HEALTHY)
    assert_healthy(venv)


def test_uv_pip_install_without_installer_metadata(tools: Tools, tmp_path: Path) -> None:
    # No INSTALLER, REQUESTED or direct_url.json: a legitimate install, not a half one.
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.run_uv(
        "pip", "install", "--python", venv / "bin" / "python", "--no-installer-metadata", *HEALTHY
    )
    assert not list(site_packages(venv).glob("*.dist-info/INSTALLER"))
    assert_healthy(venv)


def test_python_m_installer(tools: Tools, tmp_path: Path, wheelhouse: Path) -> None:
    # installer's command line writes no INSTALLER either.  It installs into
    # the interpreter that runs it: the venv's, with installer from here.
    import installer

    venv = tools.make_uv_venv(tmp_path / "venv")
    env = tools.environ | {"PYTHONPATH": str(Path(installer.__file__).parents[1])}
    for wheel in ("python_datelike-1.0-py3-none-any.whl", "rufflike-0.5.0-py3-none-any.whl"):
        run([venv / "bin" / "python", "-m", "installer", wheelhouse / wheel], env=env)
    assert not (site_packages(venv) / "python_datelike-1.0.dist-info" / "INSTALLER").exists()
    assert (venv / "bin" / "datelike-gui").is_file()
    assert_healthy(venv)


def test_uv_tool_install(tools: Tools, tmp_path: Path) -> None:
    env = tools.environ | {
        "UV_TOOL_DIR": str(tmp_path / "tools"),
        "UV_TOOL_BIN_DIR": str(tmp_path / "bin"),
    }
    run([tools.uv, "tool", "install", "python-datelike", "--with", "rufflike"], env=env)
    venv = tmp_path / "tools" / "python-datelike"
    assert (tmp_path / "bin" / "datelike").exists()
    assert_healthy(venv)


def test_pip_install_as_pipx_runs_it(tools: Tools, tmp_path: Path) -> None:
    # pipx makes a venv without pip and runs its shared pip in it (through a .pth
    # file); pip's --python runs a pip from elsewhere the same way.
    venv = tmp_path / "venv"
    tools.run(BASE_PYTHON, "-m", "venv", "--without-pip", venv)
    shared = tools.make_pip_venv(tmp_path / "shared")
    tools.run(
        shared / "bin" / "python",
        "-m",
        "pip",
        "--python",
        venv / "bin" / "python",
        "install",
        "python-datelike",
        "rufflike",
    )
    assert not (venv / "bin" / "pip").exists()
    assert_healthy(venv)


def test_empty_uv_venv(tools: Tools, tmp_path: Path) -> None:
    assert_healthy(tools.make_uv_venv(tmp_path / "venv"))


def _other_pythons() -> list[Any]:
    params: list[Any] = []
    for version in ("3.8", "3.9", "3.10", "3.12", "3.13", "3.14"):
        found = sorted(BASE_PYTHON.parents[2].glob(f"{version}.*/bin/python{version}"))
        marks = () if found else (pytest.mark.skip(reason=f"no CPython {version} here"),)
        python = found[-1] if found else Path(f"python{version}")
        params.append(pytest.param(python, id=version, marks=marks))
    return params


@pytest.mark.parametrize("python", _other_pythons())
def test_other_python_versions(tools: Tools, tmp_path: Path, python: Path) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv", python=python)
    tools.uv_pip_install(venv, "rufflike", "polarslike")
    assert_healthy(venv)


def test_text_output_of_a_healthy_venv(tools: Tools, tmp_path: Path) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "rufflike")
    result = checked(venv, watch=[venv], cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.report is None
    assert result.stdout.strip()


def test_uv_sync_into_a_pip_made_venv_keeps_its_seed_packages(tools: Tools, tmp_path: Path) -> None:
    # uv keeps pip, setuptools and wheel in a venv it did not create ("Preserving
    # seed package"): they are not extraneous to its lock.
    project = tmp_path / "proj"
    project.mkdir()
    venv = tools.make_pip_venv(project / ".venv")
    write_pyproject(project, ["polarslike"])
    tools.run_uv("lock", "--python", venv / "bin" / "python", cwd=project)
    tools.uv_sync(project, python=venv / "bin" / "python")
    assert (site_packages(venv) / "pip").is_dir()
    assert tools.run_uv("sync", "--frozen", "--check", cwd=project, check=False).returncode == 0
    assert_healthy(venv)
