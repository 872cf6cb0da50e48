"""``venv-doctor scan`` over folders of real venvs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.managed import ToolHomes
from tests.support.tools import BASE_PYTHON, Tools, clean_environ, site_packages
from venv_doctor.commands.scan import find_venvs
from venv_doctor.read.managed import pipx_venvs_dir, uv_tools_dir

pytestmark = pytest.mark.slow


def venv_doctor(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = clean_environ() if env is None else env
    environ.update({"NO_COLOR": "1", "COLUMNS": "200"})
    return subprocess.run(
        [sys.executable, "-m", "venv_doctor", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture
def home(tools: Tools, tmp_path: Path) -> Path:
    """Projects with venvs at several depths, one broken, plus clutter to skip."""
    root = tmp_path / "home"
    tools.make_uv_venv(root / "a" / ".venv")
    tools.uv_pip_install(root / "a" / ".venv", "rufflike")
    tools.run(BASE_PYTHON, "-m", "venv", "--without-pip", root / "deep" / "er" / "b" / "venv")
    broken = tools.make_uv_venv(root / "c" / ".venv")
    tools.uv_pip_install(broken, "polarslike")
    (site_packages(broken) / "polarslike" / "__init__.py").unlink()
    # A venv inside node_modules and one behind a symlink are not searched.
    tools.run(BASE_PYTHON, "-m", "venv", "--without-pip", root / "node_modules" / "x" / "venv")
    (root / "link").symlink_to(root / "a")
    return root


def test_find_venvs_skips_clutter_and_links(home: Path) -> None:
    found = sorted(str(p.relative_to(home)) for p in find_venvs([home]))
    assert found == ["a/.venv", "c/.venv", "deep/er/b/venv"]


def test_scan_table_and_exit_status(home: Path) -> None:
    proc = venv_doctor("scan", str(home), cwd=home)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = {line.split()[1]: line for line in proc.stdout.splitlines() if str(home) in line}
    assert "ok" in lines[str(home / "a" / ".venv")]
    assert "error" in lines[str(home / "c" / ".venv")]
    assert "file-missing" in lines[str(home / "c" / ".venv")]
    assert "venv-doctor fix" in proc.stdout


def test_scan_json_lines(home: Path) -> None:
    proc = venv_doctor("scan", str(home), "--format", "json", "--full", cwd=home)
    assert proc.returncode == 1
    rows = {row["venv"]: row for row in map(json.loads, proc.stdout.splitlines())}
    assert set(rows) == {
        str(home / "a" / ".venv"),
        str(home / "c" / ".venv"),
        str(home / "deep" / "er" / "b" / "venv"),
    }
    broken = rows[str(home / "c" / ".venv")]
    assert broken["worst"] == "error"
    assert broken["report"]["schema_version"] == 1
    assert {f["code"] for f in broken["report"]["findings"]} >= {"file-missing"}
    assert rows[str(home / "a" / ".venv")]["problems"] == 0


def test_scan_of_healthy_venvs_exits_0(tools: Tools, tmp_path: Path) -> None:
    for name in ("one", "two"):
        tools.make_uv_venv(tmp_path / name)
    proc = venv_doctor("scan", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 venvs" in proc.stdout


def test_uv_tools_and_pipx_folders(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "UV_TOOL_DIR": str(tmp_path / "tools")}
    assert uv_tools_dir(env) == tmp_path / "tools"
    assert uv_tools_dir({"HOME": "/h"}) == Path("/h/.local/share/uv/tools")
    assert pipx_venvs_dir({"PIPX_HOME": "/p"}) == Path("/p/venvs")
    assert pipx_venvs_dir({"HOME": str(tmp_path)}) == tmp_path / ".local/share/pipx/venvs"


def test_uv_tools_folder_on_windows(tmp_path: Path) -> None:
    roaming = tmp_path / "AppData" / "Roaming"
    env = {"APPDATA": str(roaming), "USERPROFILE": str(tmp_path), "XDG_DATA_HOME": "/x"}
    assert uv_tools_dir(env, platform="win32") == roaming / "uv" / "tools"
    assert uv_tools_dir({"USERPROFILE": str(tmp_path)}, platform="win32") == (
        roaming / "uv" / "tools"
    )
    # An older uv's data folder, which uv keeps using where it exists.
    (roaming / "uv" / "data").mkdir(parents=True)
    assert uv_tools_dir(env, platform="win32") == roaming / "uv" / "data" / "tools"
    assert uv_tools_dir({}, platform="win32") is None


def test_uv_tools_folder_on_macos(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    assert uv_tools_dir(env, platform="darwin") == tmp_path / ".local/share/uv/tools"
    (tmp_path / "Library" / "Application Support" / "uv").mkdir(parents=True)
    assert uv_tools_dir(env, platform="darwin") == (
        tmp_path / "Library" / "Application Support" / "uv" / "tools"
    )
    assert uv_tools_dir(env, platform="linux") == tmp_path / ".local/share/uv/tools"
    relative = {"HOME": str(tmp_path), "XDG_DATA_HOME": "relative"}
    assert uv_tools_dir(relative, platform="linux") == tmp_path / ".local/share/uv/tools"


def test_pipx_folder_on_windows(tmp_path: Path) -> None:
    local = tmp_path / "AppData" / "Local"
    env = {"USERPROFILE": str(tmp_path), "LOCALAPPDATA": str(local)}
    assert pipx_venvs_dir(env, platform="win32") == local / "pipx" / "pipx" / "venvs"
    # pipx keeps an earlier default home that exists.
    (tmp_path / "pipx").mkdir()
    assert pipx_venvs_dir(env, platform="win32") == tmp_path / "pipx" / "venvs"
    (tmp_path / ".local" / "pipx").mkdir(parents=True)
    assert pipx_venvs_dir(env, platform="win32") == tmp_path / ".local" / "pipx" / "venvs"
    assert pipx_venvs_dir({"HOME": str(tmp_path)}, platform="darwin") == (
        tmp_path / ".local" / "pipx" / "venvs"
    )


def test_scan_uv_tools(tools: Tools, tmp_path: Path) -> None:
    homes = ToolHomes(tools=tools, root=tmp_path / "homes")
    homes.uv_tool("install", "rufflike")
    # A venv in uv's tools folder that uv never finished (or half removed): no receipt.
    tools.make_uv_venv(homes.uv_tools / "pytestlike")
    env = clean_environ()
    env["UV_TOOL_DIR"] = str(homes.uv_tools)
    proc = venv_doctor("scan", "--uv-tools", "--format", "json", cwd=tmp_path, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = {json.loads(line)["venv"]: json.loads(line) for line in proc.stdout.splitlines()}
    assert rows.keys() == {str(homes.uv_tools / "rufflike"), str(homes.uv_tools / "pytestlike")}
    assert rows[str(homes.uv_tools / "rufflike")]["problems"] == 0
    broken = rows[str(homes.uv_tools / "pytestlike")]
    assert broken["report"]["summary"]["codes"] == {"tool-venv-broken": 1}


def test_a_reader_that_goes_away_stops_scan_quietly(tools: Tools, tmp_path: Path) -> None:
    for index in range(6):
        tools.make_uv_venv(tmp_path / f"p{index}" / ".venv")
    environ = clean_environ()
    proc = subprocess.Popen(
        [sys.executable, "-m", "venv_doctor", "scan", str(tmp_path), "--format", "json"],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    with proc, proc.stderr:
        json.loads(proc.stdout.readline())  # what `| head -1` reads, then it exits
        proc.stdout.close()
        err = proc.stderr.read()
        assert proc.wait(timeout=60) == 141, err
    assert err == ""
