"""Venv layouts, from hand-made folders (the shapes real creators leave)."""

import sys
from pathlib import Path

import pytest

from venv_doctor.errors import InvalidVenvError, VenvNotFoundError
from venv_doctor.read.layout import (
    find_venv,
    find_venv_why,
    is_venv_own_script,
    is_venv_own_site_entry,
    parse_pyvenv_cfg,
    read_layout,
)


def make_posix(root: Path, libdir: str = "python3.11", cfg: str | None = "version_info = 3.11.7"):
    (root / "bin").mkdir(parents=True)
    (root / "lib" / libdir / "site-packages").mkdir(parents=True)
    if cfg is not None:
        (root / "pyvenv.cfg").write_text(f"home = /usr/bin\n{cfg}\n")
    return root


def test_posix_layout_with_lib64_link(tmp_path):
    root = make_posix(tmp_path / "v")
    (root / "lib64").symlink_to("lib")
    layout = read_layout(root)
    assert not layout.windows
    assert layout.version == "3.11"
    assert layout.site_packages == (root / "lib" / "python3.11" / "site-packages",)
    assert layout.scripts == root / "bin"
    assert layout.interpreter == root / "bin" / "python"


@pytest.mark.parametrize(
    ("libdir", "cfg", "version"),
    [
        pytest.param("python3.13t", "version_info = 3.13.0", "3.13", id="free-threaded"),
        pytest.param("pypy3.10", "version = 3.10.14", "3.10", id="pypy"),
        pytest.param("python3.8", "version = 3.8.18", "3.8", id="old-venv-key"),
        pytest.param("python3.12", None, "3.12", id="cfg-lost"),
    ],
)
def test_posix_variants(tmp_path, libdir, cfg, version):
    root = make_posix(tmp_path / "v", libdir, cfg)
    layout = read_layout(root)
    assert layout.version == version
    assert layout.site_packages == (root / "lib" / libdir / "site-packages",)
    assert layout.cfg_error == ("missing" if cfg is None else None)


def test_stale_version_folder_is_not_used(tmp_path):
    root = make_posix(tmp_path / "v", "python3.12", "version_info = 3.12.1")
    (root / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    assert read_layout(root).site_packages == (root / "lib" / "python3.12" / "site-packages",)


def test_windows_layout(tmp_path):
    root = tmp_path / "v"
    (root / "Scripts").mkdir(parents=True)
    (root / "Lib" / "site-packages").mkdir(parents=True)
    (root / "pyvenv.cfg").write_text("home = C:\\Python311\nversion = 3.11.7\n")
    layout = read_layout(root)
    assert layout.windows
    assert layout.site_packages == (root / "Lib" / "site-packages",)
    assert layout.interpreter == root / "Scripts" / "python.exe"


def test_not_a_venv(tmp_path):
    with pytest.raises(InvalidVenvError, match="does not look like a virtual environment"):
        read_layout(tmp_path)


def test_parse_pyvenv_cfg():
    cfg = parse_pyvenv_cfg("home = /usr/bin\nInclude-System-Site-Packages = false\nnoise\nx=a=b\n")
    assert cfg == {"home": "/usr/bin", "include-system-site-packages": "false", "x": "a=b"}


class TestFindVenv:
    def test_argument_venv_or_project(self, tmp_path):
        venv = make_posix(tmp_path / "proj" / ".venv")
        assert find_venv(venv, venv_option=None, environ={}, cwd=tmp_path) == venv
        assert find_venv(Path("proj"), venv_option=None, environ={}, cwd=tmp_path) == venv

    def test_uv_project_environment(self, tmp_path):
        venv = make_posix(tmp_path / "proj" / "env")
        (tmp_path / "proj" / "pyproject.toml").write_text("[project]\nname='p'\n")
        environ = {"UV_PROJECT_ENVIRONMENT": "env"}
        assert find_venv(tmp_path / "proj", venv_option=None, environ=environ, cwd=tmp_path) == venv

    def test_option_then_virtual_env_then_parents(self, tmp_path):
        a = make_posix(tmp_path / "a")
        b = make_posix(tmp_path / "b")
        c = make_posix(tmp_path / "proj" / ".venv")
        deep = tmp_path / "proj" / "src" / "pkg"
        deep.mkdir(parents=True)
        env = {"VIRTUAL_ENV": str(b)}
        assert find_venv(None, venv_option=a, environ=env, cwd=deep) == a
        assert find_venv(None, venv_option=None, environ=env, cwd=deep) == b
        assert find_venv(None, venv_option=None, environ={}, cwd=deep) == c

    def test_says_why(self, tmp_path):
        a = make_posix(tmp_path / "a")
        c = make_posix(tmp_path / "proj" / ".venv")
        deep = tmp_path / "proj" / "src"
        deep.mkdir(parents=True)
        env = {"VIRTUAL_ENV": str(a)}
        assert (
            find_venv_why(a, venv_option=None, environ={}, cwd=deep)[1] == "named by the argument"
        )
        assert find_venv_why(None, venv_option=a, environ={}, cwd=deep)[1] == "named by --venv"
        assert (
            find_venv_why(None, venv_option=None, environ=env, cwd=deep)[1] == "from $VIRTUAL_ENV"
        )
        found = find_venv_why(None, venv_option=None, environ={}, cwd=deep)
        assert found == (c, "the .venv above the current folder")
        found = find_venv_why(None, venv_option=None, environ={}, cwd=tmp_path / "proj")
        assert found == (c, "the .venv in the current folder")

    def test_never_the_venv_it_runs_from(self, tmp_path):
        # Where the tests run inside a venv, it must not be taken for the one to check.
        if sys.prefix == sys.base_prefix:
            pytest.skip("the tests do not run inside a venv")
        with pytest.raises(VenvNotFoundError, match=r"no virtual environment found") as raised:
            find_venv(None, venv_option=None, environ={}, cwd=tmp_path)
        assert str(tmp_path) in str(raised.value)
        assert "$VIRTUAL_ENV (not set)" in str(raised.value)

    def test_missing_argument(self, tmp_path):
        with pytest.raises(VenvNotFoundError, match="does not exist"):
            find_venv(tmp_path / "nope", venv_option=None, environ={}, cwd=tmp_path)
        with pytest.raises(VenvNotFoundError, match="neither a virtual environment"):
            find_venv(tmp_path, venv_option=None, environ={}, cwd=tmp_path)


@pytest.mark.parametrize(
    "name",
    [
        "python",
        "python3",
        "python3.11",
        "python3.13t",
        "pypy3.10",
        "activate",
        "activate.fish",
        "Activate.ps1",
        "activate_this.py",
        "deactivate.bat",
        "pydoc.bat",
        "python.exe",
        "pythonw.exe",
        "venvlauncher.exe",
        "python311.dll",
    ],
)
def test_venv_own_scripts(name):
    assert is_venv_own_script(name)


@pytest.mark.parametrize("name", ["ruff", "pip", "ruff.exe", "pytest", "python-lsp-server"])
def test_not_venv_own_scripts(name):
    assert not is_venv_own_script(name)


def test_venv_own_site_entries():
    assert is_venv_own_site_entry("_virtualenv.pth")
    assert is_venv_own_site_entry("pip-24.0.virtualenv")
    assert is_venv_own_site_entry("pipx_shared.pth")
    assert not is_venv_own_site_entry("sitecustomize.py")
