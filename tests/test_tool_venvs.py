"""uv tool and pipx venvs, broken by real uninstalls that stop halfway, and healthy ones.

A tool's venv is what its installer recorded (``uv-receipt.toml``,
``pipx_metadata.json``).  Broken against that record, ``check`` names the tool
and the one command that rebuilds it; ``fix`` refuses with exit 2 and changes
nothing; the command then does rebuild it: ``check`` is clean and ``uv tool
list`` / ``pipx list`` agree.  ``chattr +i`` on one file stands in for a file
Windows will not delete while a process holds it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixing import Run, venv_doctor
from tests.support.managed import ToolHomes, removal_order
from tests.support.tools import (
    CheckResult,
    ImmutableFiles,
    Tools,
    assert_same_tree,
    checked,
    site_packages,
    tree_digest,
)

pytestmark = pytest.mark.slow

TOOL = "pytestlike"  # a console script, a private package beside its own (_pytestlike)


@pytest.fixture(scope="module")
def pipx_shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pipx-shared") / "shared"


@pytest.fixture
def homes(tools: Tools, tmp_path: Path, pipx_shared: Path) -> ToolHomes:
    return ToolHomes(tools=tools, root=tmp_path / "homes", pipx_shared=pipx_shared)


def check(homes: ToolHomes, venv: Path) -> CheckResult:
    """``venv-doctor check VENV --format json`` as the user who installed the tools runs it."""
    result = checked(
        venv, "--format", "json", watch=[homes.root], cwd=homes.root, env=homes.environ
    )
    assert result.exit_code in {0, 1}, result.stdout + result.stderr
    return result


def doctor(homes: ToolHomes, *args: str | os.PathLike[str]) -> Run:
    return venv_doctor(homes.tools, *args, cache=homes.root.parent / "vd-cache", env=homes.environ)


def assert_clean(homes: ToolHomes, venv: Path) -> None:
    result = check(homes, venv)
    assert result.exit_code == 0, result.stdout
    assert result.failing() == []


def assert_fix_refuses(homes: ToolHomes, venv: Path, command: str) -> Run:
    """``fix`` (and ``fix --dry-run``) exit 2 naming ``command``, and nothing changes."""
    before = tree_digest(homes.root)
    for args in (("--dry-run",), ()):
        fixed = doctor(homes, "fix", venv, *args)
        assert fixed.exit_code == 2, fixed.output
        assert f"hint: {command} (or " in fixed.stderr, fixed.output
        assert "nothing was changed" in fixed.stderr
        assert_same_tree(before, tree_digest(homes.root), homes.root)
    return fixed


def the_tool_finding(result: CheckResult) -> dict[str, Any]:
    (found,) = result.of("tool-venv-broken")
    assert found["severity"] == "error"
    return found


# -- healthy ---------------------------------------------------------------------


def test_healthy_uv_tool(homes: ToolHomes) -> None:
    homes.uv_tool("install", TOOL, "--with", "deptop")
    assert_clean(homes, homes.uv_tools / TOOL)
    # Also seen from elsewhere, without UV_TOOL_DIR: the receipt tells.
    result = checked(homes.uv_tools / TOOL, "--format", "json", watch=[homes.root], cwd=homes.root)
    assert result.exit_code == 0, result.stdout


@pytest.mark.parametrize("backend", [pytest.param("pip", id="pip"), pytest.param("uv", id="uv")])
def test_healthy_pipx_venv(homes: ToolHomes, backend: str) -> None:
    homes = dataclasses.replace(homes, pipx_backend=backend)
    homes.pipx("install", TOOL)
    homes.pipx("inject", TOOL, "deptop")
    venv = homes.pipx_venvs / TOOL
    metadata = json.loads((venv / "pipx_metadata.json").read_text())
    assert metadata["backend"] == backend
    # pip as pipx runs it comes from pipx's shared venv, pointed at by a .pth file.
    assert (site_packages(venv) / "pipx_shared.pth").is_file() is (backend == "pip")
    assert_clean(homes, venv)


# -- uv tool uninstall stopped halfway ---------------------------------------------


def _stop_point(venv: Path, *, past_dist_info: bool) -> Path | None:
    """The file at which ``uv tool uninstall`` must stop to have removed the receipt
    (and, with ``past_dist_info``, the tool's dist-info) but not yet everything."""
    order = removal_order(venv, keep_last="pyvenv.cfg")
    gone = {venv / "uv-receipt.toml"}
    if past_dist_info:
        gone |= {path for path in order if path.parent.name == f"{TOOL}-1.0.dist-info"}
    last = max(order.index(path) for path in gone)
    return next((path for path in order[last + 1 :] if path.is_file()), None)


@pytest.mark.parametrize(
    "past_dist_info",
    [
        pytest.param(False, id="receipt-gone"),
        pytest.param(True, id="receipt-and-dist-info-gone"),
    ],
)
def test_uv_tool_uninstall_stopped_halfway(
    homes: ToolHomes, immutable: ImmutableFiles, past_dist_info: bool
) -> None:
    homes.uv_tool("install", TOOL, "--with", "deptop")
    venv = homes.uv_tools / TOOL
    dist_info = site_packages(venv) / f"{TOOL}-1.0.dist-info"
    stop = _stop_point(venv, past_dist_info=past_dist_info)
    if stop is None:
        pytest.skip("on this file system uv removes the receipt (or the dist-info) last")
    immutable(stop)
    failed = homes.uv_tool("uninstall", TOOL, check=False)
    immutable.release()
    assert failed.returncode != 0, failed.stderr
    assert not (venv / "uv-receipt.toml").exists()
    assert (venv / "pyvenv.cfg").is_file()
    assert dist_info.exists() is not past_dist_info
    assert "Ignoring malformed tool `pytestlike`" in homes.uv_tool("list").stderr

    result = check(homes, venv)
    assert result.exit_code == 1
    found = the_tool_finding(result)
    assert found["package"] == TOOL
    assert found["path"] == "uv-receipt.toml"
    still = (
        "pytestlike 1.0 is still installed here"
        if not past_dist_info
        else ("pytestlike itself is not installed any more")
    )
    assert found["message"] == (
        "uv tool pytestlike has lost its uv-receipt.toml: uv no longer counts it as installed "
        f"(uv tool list calls it malformed); {still}"
    )
    command = "uv tool install --force pytestlike"
    assert (
        found["hint"] == f"{command} rebuilds it; uv tool uninstall pytestlike removes it instead"
    )
    text = doctor(homes, "check", venv)
    assert f"Next: {command} (it rebuilds the tool's venv as it was installed)" in text.stdout

    assert_fix_refuses(homes, venv, command)
    homes.run_command(command)
    assert "pytestlike v1.0" in homes.uv_tool_listed()
    assert_clean(homes, venv)


def test_uv_tool_lost_a_with_package(homes: ToolHomes) -> None:
    homes.uv_tool("install", TOOL, "--with", "deptop")
    venv = homes.uv_tools / TOOL
    receipt = (venv / "uv-receipt.toml").read_text()
    homes.tools.uv_pip_uninstall(venv, "deptop")

    result = check(homes, venv)
    found = the_tool_finding(result)
    assert found["message"] == (
        "uv tool pytestlike wants deptop (--with, uv-receipt.toml), which is not installed"
    )
    python = homes.environ["UV_PYTHON"]
    command = f"uv tool install --force --python {python} pytestlike --with deptop"
    assert found["hint"].startswith(f"{command} rebuilds it as its uv-receipt.toml says;")

    assert_fix_refuses(homes, venv, command)
    homes.run_command(command)
    assert (venv / "uv-receipt.toml").read_text() == receipt
    assert "pytestlike v1.0" in homes.uv_tool_listed()
    assert_clean(homes, venv)


def test_fix_repairs_a_uv_tool_whose_receipt_still_holds(homes: ToolHomes) -> None:
    homes.uv_tool("install", TOOL, "--with", "deptop")
    venv = homes.uv_tools / TOOL
    receipt = (venv / "uv-receipt.toml").read_text()
    (site_packages(venv) / "_pytestlike" / "runner.py").unlink()
    assert check(homes, venv).of("tool-venv-broken") == []

    fixed = doctor(homes, "fix", venv)
    assert fixed.exit_code == 0, fixed.output
    assert_clean(homes, venv)
    assert (venv / "uv-receipt.toml").read_text() == receipt
    assert "pytestlike v1.0" in homes.uv_tool_listed()


# -- pipx ------------------------------------------------------------------------


def test_pipx_uninstall_stopped_halfway(homes: ToolHomes, immutable: ImmutableFiles) -> None:
    homes.pipx("install", TOOL)
    venv = homes.pipx_venvs / TOOL
    # pipx deletes what it can, then moves the rest to its trash; a locked file
    # stops both on Windows: here the trash cannot take it either.
    trash = homes.pipx_home / ".trash"
    trash.mkdir()
    immutable(site_packages(venv) / TOOL / "__init__.py", trash)
    homes.pipx("uninstall", TOOL)
    immutable.release()
    assert venv.is_dir()
    assert not (venv / "pyvenv.cfg").exists()
    assert not (venv / "pipx_metadata.json").exists()

    before = tree_digest(homes.root)
    command = "pipx reinstall pytestlike"
    for args in (("check",), ("check", "--format", "json"), ("fix",)):
        stopped = doctor(homes, *args, venv)
        assert stopped.exit_code == 2, stopped.output
        assert stopped.stderr == (
            f"error: {venv} is what is left of pipx venv pytestlike: its pyvenv.cfg is gone, "
            "and its pipx_metadata.json is gone (an uninstall that could not remove "
            f"everything leaves it so)\nhint: {command} rebuilds it; pipx uninstall "
            "pytestlike removes what is left\n"
        )
    assert_same_tree(before, tree_digest(homes.root), homes.root)

    homes.run_command(command)
    assert "package pytestlike 1.0" in homes.pipx("list").stdout
    assert_clean(homes, venv)


def test_pipx_venv_lost_an_injected_package(homes: ToolHomes) -> None:
    homes.pipx("install", TOOL)
    homes.pipx("inject", TOOL, "deptop")
    venv = homes.pipx_venvs / TOOL
    homes.pipx("runpip", TOOL, "uninstall", "--yes", "deptop")

    found = the_tool_finding(check(homes, venv))
    assert found["message"] == (
        "pipx venv pytestlike wants deptop (injected, pipx_metadata.json), which is not installed"
    )
    command = "pipx reinstall pytestlike"
    assert_fix_refuses(homes, venv, command)
    homes.run_command(command)
    listed = json.loads(homes.pipx("list", "--json").stdout)
    assert "deptop" in listed["venvs"][TOOL]["metadata"]["injected_packages"]
    assert_clean(homes, venv)


def test_pipx_venv_lost_its_metadata(homes: ToolHomes) -> None:
    homes.pipx("install", TOOL)
    venv = homes.pipx_venvs / TOOL
    shutil.copy(venv / "pipx_metadata.json", homes.root / "kept.json")
    (venv / "pipx_metadata.json").unlink()

    found = the_tool_finding(check(homes, venv))
    assert found["message"] == (
        "pipx venv pytestlike has lost its pipx_metadata.json: pipx can no longer tell what "
        "it installed here; pytestlike 1.0 is still installed here"
    )
    assert_fix_refuses(homes, venv, "pipx reinstall pytestlike")
    homes.run_command("pipx reinstall pytestlike")
    assert_clean(homes, venv)
