"""uv tool and pipx venvs: records parsed, places found, the command that rebuilds them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from venv_doctor.read.managed import (
    MISSING,
    PIPX,
    UV_TOOL,
    ManagedVenv,
    ToolRequirement,
    managed_by,
    parse_pipx_metadata,
    parse_uv_receipt,
    read_managed,
)

# As uv 0.13 writes it for `uv tool install --python /usr/bin/python3.11 pytestlike --with deptop`.
RECEIPT = """\
[tool]
requirements = [
    { name = "pytestlike" },
    { name = "deptop" },
]
python = "/usr/bin/python3.11"
entrypoints = [
    { name = "pytestlike", install-path = "/h/.local/bin/pytestlike", from = "pytestlike" },
]

[tool.options]
index = [{ url = "http://127.0.0.1:1/simple/", explicit = false, default = true }]
"""


def test_a_receipt_as_uv_writes_it() -> None:
    wants, python, unkept = parse_uv_receipt(RECEIPT)
    assert [want.name for want in wants] == ["pytestlike", "deptop"]
    assert [want.text for want in wants] == ["pytestlike", "deptop"]
    assert python == "/usr/bin/python3.11"
    assert unkept == ()


@pytest.mark.parametrize(
    ("entry", "text", "specifier", "extras"),
    [
        pytest.param(
            '{ name = "Black", extras = ["d"], specifier = ">=24" }',
            "Black[d]>=24",
            ">=24",
            ("d",),
            id="registry",
        ),
        pytest.param(
            '{ name = "black", url = "https://e.org/black-24.1-py3-none-any.whl" }',
            "black @ https://e.org/black-24.1-py3-none-any.whl",
            "",
            (),
            id="url",
        ),
        pytest.param(
            '{ name = "black", git = "https://github.com/psf/black?subdirectory=s&tag=24.1#0a1b" }',
            "black @ git+https://github.com/psf/black@24.1#subdirectory=s",
            "",
            (),
            id="git",
        ),
        pytest.param(
            '{ name = "black", directory = "/src/black" }',
            "black @ file:///src/black",
            "",
            (),
            id="directory",
        ),
        pytest.param(
            '{ name = "black", specifier = "<25", marker = "sys_platform == \'linux\'" }',
            "black<25; sys_platform == 'linux'",
            "<25",
            (),
            id="marker",
        ),
        pytest.param('"black[d] >=23"', "black[d] >=23", ">=23", ("d",), id="pep508-string"),
    ],
)
def test_receipt_requirements(entry: str, text: str, specifier: str, extras: tuple[str]) -> None:
    (want,), _python, _unkept = parse_uv_receipt(
        f"[tool]\nrequirements = [{entry}]\nentrypoints = []\n"
    )
    assert want.text == text
    assert want.specifier == specifier
    assert want.extras == extras
    assert want.name == "black"


def test_an_editable_receipt_requirement() -> None:
    (want,), _, _ = parse_uv_receipt(
        '[tool]\nrequirements = [{ name = "app", editable = "/src/app" }]\nentrypoints = []\n'
    )
    assert want.editable
    assert want.text == "/src/app"


def test_receipt_keys_the_command_cannot_carry() -> None:
    _, _, unkept = parse_uv_receipt(
        '[tool]\nrequirements = [{ name = "a" }]\nconstraints = [{ name = "b", '
        'specifier = "<2" }]\nentrypoints = []\n'
    )
    assert unkept == ("constraints",)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[tool\n", id="not-toml"),
        pytest.param("requirements = []\n", id="no-tool-table"),
        pytest.param("[tool]\nrequirements = [{ extras = [] }]\n", id="no-name"),
        pytest.param('[tool]\nrequirements = ["not a requirement!"]\n', id="bad-pep508"),
    ],
)
def test_receipts_uv_could_not_read(text: str) -> None:
    with pytest.raises(ValueError, match=r".+"):
        parse_uv_receipt(text)


def _pipx_package(package: str, asked: str) -> dict[str, object]:
    return {"package": package, "package_or_url": asked, "package_version": "1.0", "apps": []}


def test_pipx_metadata() -> None:
    text = json.dumps(
        {
            "main_package": _pipx_package("black", "black[d]==24.1"),
            "injected_packages": {
                "deptop": _pipx_package("deptop", "deptop"),
                "local": _pipx_package("local", "./src/local"),
            },
            "pipx_metadata_version": "0.12",
        }
    )
    main, deptop, local = parse_pipx_metadata(text)
    assert (main.name, main.specifier, main.extras) == ("black", "==24.1", ("d",))
    assert (deptop.name, deptop.specifier) == ("deptop", "")
    # A path names no version: only the name counts.
    assert (local.name, local.text, local.specifier) == ("local", "./src/local", "")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("{", id="not-json"),
        pytest.param("[]", id="not-an-object"),
        pytest.param('{"main_package": {"package": null}}', id="no-package"),
    ],
)
def test_pipx_metadata_pipx_could_not_read(text: str) -> None:
    with pytest.raises(ValueError, match=r".*"):
        parse_pipx_metadata(text)


def _tool(**changes: object) -> ManagedVenv:
    fields: dict[str, object] = {
        "manager": UV_TOOL,
        "name": "black",
        "root": "/t/black",
        "record": "uv-receipt.toml",
    }
    fields.update(changes)
    return ManagedVenv(**fields)  # type: ignore[arg-type]


def test_the_command_that_rebuilds_a_uv_tool() -> None:
    wants = (
        ToolRequirement(name="black", text="black[d]>=24"),
        ToolRequirement(name="deptop", text="deptop"),
        ToolRequirement(name="app", text="/src/app", editable=True),
    )
    tool = _tool(wants=wants, python="3.11")
    assert tool.command == (
        "uv tool install --force --python 3.11 'black[d]>=24' --with deptop "
        "--with-editable /src/app"
    )
    assert tool.remove_command == "uv tool uninstall black"


def test_a_uv_tool_without_receipt_is_named_by_its_folder() -> None:
    tool = _tool(name="Black", problem=MISSING)
    assert tool.command == "uv tool install --force Black"
    assert tool.main_name == "black"
    assert tool.title == "uv tool Black"


def test_the_command_that_rebuilds_a_pipx_venv() -> None:
    venv = _tool(manager=PIPX, name="black_3.12", record="pipx_metadata.json")
    assert venv.command == "pipx reinstall black_3.12"
    assert venv.remove_command == "pipx uninstall black_3.12"
    assert venv.title == "pipx venv black_3.12"


def test_managed_by_its_place_or_its_files(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    pipx_venvs = tmp_path / "pipx" / "venvs"
    for folder in (tools / "black", pipx_venvs / "ruff", tmp_path / "own" / "x"):
        folder.mkdir(parents=True)
    environ = {"UV_TOOL_DIR": str(tools), "PIPX_HOME": str(tmp_path / "pipx")}
    assert managed_by(tools / "black", environ) == UV_TOOL
    assert managed_by(pipx_venvs / "ruff", environ) == PIPX
    assert managed_by(tools / "black", {}) is None
    assert managed_by(tmp_path / "own" / "x", environ) is None
    # What it holds decides wherever it is.
    (tmp_path / "own" / "x" / "pipx_metadata.json").write_text("{}")
    assert managed_by(tmp_path / "own" / "x", {}) == PIPX
    (tmp_path / "own" / "x" / "uv-receipt.toml").write_text("")
    assert managed_by(tmp_path / "own" / "x", {}) == UV_TOOL


def test_uv_tools_in_the_xdg_data_folder(tmp_path: Path) -> None:
    tool = tmp_path / "data" / "uv" / "tools" / "black"
    tool.mkdir(parents=True)
    environ = {"HOME": "/nowhere", "XDG_DATA_HOME": str(tmp_path / "data")}
    assert managed_by(tool, environ) == UV_TOOL


def test_a_pipx_home_by_its_shared_venv(tmp_path: Path) -> None:
    home = tmp_path / "somewhere"
    (home / "venvs" / "black").mkdir(parents=True)
    assert managed_by(home / "venvs" / "black", {}) is None
    (home / "shared").mkdir()
    (home / "shared" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert managed_by(home / "venvs" / "black", {}) == PIPX


def test_read_managed(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    (tools / "gone").mkdir(parents=True)
    (tools / "bad").mkdir()
    (tools / "bad" / "uv-receipt.toml").write_text("[tool\n")
    (tools / "good").mkdir()
    (tools / "good" / "uv-receipt.toml").write_text(RECEIPT)
    environ = {"UV_TOOL_DIR": str(tools)}
    gone = read_managed(tools / "gone", environ)
    assert gone is not None
    assert gone.problem == MISSING
    bad = read_managed(tools / "bad", environ)
    assert bad is not None
    assert bad.problem not in {None, MISSING}
    good = read_managed(tools / "good", environ)
    assert good is not None
    assert good.problem is None
    assert good.main is not None
    assert good.main.name == "pytestlike"
    assert read_managed(tmp_path, environ) is None
