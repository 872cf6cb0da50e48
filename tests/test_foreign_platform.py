"""Compiled distributions built for another machine: ``check`` flags them, ``fix`` reinstalls.

A project folder with its ``.venv`` carried from an arm64 machine to an
x86_64 one (or a ``uv sync --python-platform`` by mistake) holds wheels whose
compiled modules cannot load on the interpreter that runs the venv.  uv sees
it too: it compares each installed WHEEL file's tags with the interpreter's
(uv-installer ``satisfies.rs``) and reinstalls what does not fit.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import pytest

from tests.support.fixing import venv_doctor
from tests.support.tools import Tools, check_json, site_packages
from tests.test_fix import assert_same_state, fresh_sync_state, installed_state

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or platform.machine() not in {"x86_64", "aarch64"},
        reason="armlib has wheels for Linux on x86_64 and aarch64 only",
    ),
]

HERE = platform.machine()
OTHER = "aarch64" if HERE == "x86_64" else "x86_64"


def wheel_tag(venv: Path) -> str:
    wheel = site_packages(venv) / "armlib-1.0.dist-info" / "WHEEL"
    (tag,) = [line for line in wheel.read_text().splitlines() if line.startswith("Tag: ")]
    return tag.removeprefix("Tag: ")


def assert_flagged(venv: Path) -> None:
    result = check_json(venv)
    assert result.exit_code == 1, result.stdout + result.stderr
    dist_info = f"{site_packages(venv).relative_to(venv).as_posix()}/armlib-1.0.dist-info"
    found = result.at("interpreter-changed", dist_info)
    assert found["package"] == "armlib"
    assert found["severity"] == "error"
    assert f"manylinux_2_17_{OTHER}" in found["message"]
    assert HERE in found["message"]
    # The venv's own interpreter is fine: nothing else is wrong.
    assert {f["path"] for f in result.failing()} == {dist_info}


def test_fix_reinstalls_from_the_lock_what_was_synced_for_another_machine(
    tools: Tools, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["armlib"])
    assert wheel_tag(venv).endswith(HERE)
    tools.run_uv(
        "sync", "--frozen", "--reinstall", "--link-mode", "copy",
        "--python-platform", f"{OTHER}-manylinux_2_17", cwd=project,
    )  # fmt: skip
    assert wheel_tag(venv).endswith(OTHER)
    # uv itself would reinstall it: the oracle agrees something is wrong.
    assert tools.run_uv("sync", "--frozen", "--check", cwd=project, check=False).returncode != 0
    assert_flagged(venv)

    fixed = venv_doctor(tools, "fix", venv, cache=tmp_path / "cache", cwd=project)
    assert fixed.exit_code == 0, fixed.output

    assert wheel_tag(venv).endswith(HERE)
    tools.run_uv("sync", "--frozen", "--check", cwd=project)
    assert check_json(venv).exit_code == 0
    assert_same_state(installed_state(venv), fresh_sync_state(tools, project, tmp_path))


def test_fix_without_a_lock_reinstalls_the_same_version_for_this_machine(
    tools: Tools, tmp_path: Path
) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "--python-platform", f"{OTHER}-manylinux_2_17", "armlib")
    assert wheel_tag(venv).endswith(OTHER)
    assert_flagged(venv)

    fixed = venv_doctor(tools, "fix", venv, cache=tmp_path / "cache")
    assert fixed.exit_code == 0, fixed.output
    assert wheel_tag(venv).endswith(HERE)
    assert check_json(venv).exit_code == 0
    assert tools.run(venv / "bin" / "python", "-c", "import armlib").returncode == 0
