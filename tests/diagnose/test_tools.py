"""uv tool and pipx venvs against their records, on in-memory values."""

from __future__ import annotations

from tests.diagnose.test_lock import ENV, dist
from venv_doctor.diagnose.tools import CODE, tool_findings
from venv_doctor.read.managed import MISSING, PIPX, UV_TOOL, ManagedVenv, ToolRequirement

TOOL = ManagedVenv(
    manager=UV_TOOL,
    name="black",
    root="/t/black",
    record="uv-receipt.toml",
    wants=(
        ToolRequirement(name="black", text="black[d]>=24", specifier=">=24", extras=("d",)),
        ToolRequirement(name="deptop", text="deptop"),
        ToolRequirement(
            name="winonly",
            text="winonly; sys_platform == 'win32'",
            marker="sys_platform == 'win32'",
        ),
    ),
)
BLACK = dist("black", "24.1", requires=("click>=8", "aiohttp>=3; extra == 'd'"))


def test_a_tool_as_its_receipt_says_has_no_findings() -> None:
    installed = [BLACK, dist("click", "8.1"), dist("aiohttp", "3.9"), dist("deptop")]
    assert tool_findings(TOOL, installed, ENV) == []


def test_what_the_receipt_wants_and_the_venv_lacks() -> None:
    found = tool_findings(TOOL, [dist("black", "23.1"), dist("click", "8.1")], ENV)
    messages = [f.message for f in found]
    assert messages == [
        "uv tool black wants black[d]>=24 (uv-receipt.toml), but black 23.1 is installed",
        "uv tool black wants deptop (--with, uv-receipt.toml), which is not installed",
    ]
    assert {(f.code, f.severity.value, f.package, f.path) for f in found} == {
        (CODE, "error", "black", "uv-receipt.toml")
    }
    assert found[0].hint == (
        "uv tool install --force 'black[d]>=24' --with deptop --with "
        "'winonly; sys_platform == '\"'\"'win32'\"'\"'' rebuilds it as its uv-receipt.toml says; "
        "uv tool uninstall black removes it instead"
    )


def test_an_extra_the_tool_was_installed_with() -> None:
    (found,) = tool_findings(TOOL, [BLACK, dist("click", "8.1"), dist("deptop")], ENV)
    assert found.message == (
        "uv tool black wants black[d]>=24 (uv-receipt.toml): "
        "its extra d needs aiohttp>=3, which is not installed"
    )


def test_a_lost_receipt_names_the_tool_by_its_folder() -> None:
    lost = ManagedVenv(
        manager=UV_TOOL, name="black", root="/t/black", record="uv-receipt.toml", problem=MISSING
    )
    (found,) = tool_findings(lost, [], ENV)
    assert found.package == "black"
    assert found.version is None
    assert found.message == (
        "uv tool black has lost its uv-receipt.toml: uv no longer counts it as installed "
        "(uv tool list calls it malformed); black itself is not installed any more"
    )
    assert found.hint == (
        "uv tool install --force black rebuilds it; uv tool uninstall black removes it instead"
    )
    (still,) = tool_findings(lost, [BLACK], ENV)
    assert still.message.endswith("; black 24.1 is still installed here")
    assert still.version == "24.1"


def test_an_unreadable_pipx_metadata() -> None:
    venv = ManagedVenv(
        manager=PIPX,
        name="black",
        root="/p/venvs/black",
        record="pipx_metadata.json",
        problem="Expecting value: line 1 column 1 (char 0)",
    )
    (found,) = tool_findings(venv, [BLACK], ENV)
    assert found.message.startswith(
        "the pipx_metadata.json of pipx venv black cannot be read (Expecting value"
    )
    assert found.hint is not None
    assert found.hint.startswith("pipx reinstall black rebuilds it;")


def test_an_injected_package_pipx_lost() -> None:
    venv = ManagedVenv(
        manager=PIPX,
        name="black",
        root="/p/venvs/black",
        record="pipx_metadata.json",
        wants=(ToolRequirement(name="black", text="black"), ToolRequirement(name="x", text="x")),
    )
    (found,) = tool_findings(venv, [BLACK], ENV)
    assert found.message == (
        "pipx venv black wants x (injected, pipx_metadata.json), which is not installed"
    )
