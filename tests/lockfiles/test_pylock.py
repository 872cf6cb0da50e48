"""pylock.toml through packaging.pylock, selected for the target."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lockfiles.probes import linux_probe
from venv_doctor.errors import LockfileError
from venv_doctor.lockfiles.pylock import parse_pylock, select_pylock
from venv_doctor.lockfiles.selection import Selection

PYLOCK = Path("/proj/pylock.toml")

TEXT = """\
lock-version = "1.0"
created-by = "uv"
requires-python = ">=3.9"
extras = ["cli"]
dependency-groups = ["dev"]
default-groups = ["dev"]

[[packages]]
name = "idna"
version = "3.7"
index = "https://pypi.org/simple"
wheels = [{ url = "https://files/idna-3.7-py3-none-any.whl", hashes = { sha256 = "aa" } }]

[[packages]]
name = "colorama"
version = "0.4.6"
marker = "sys_platform == 'win32'"
wheels = [{ url = "https://files/colorama-0.4.6-py3-none-any.whl", hashes = { sha256 = "bb" } }]

[[packages]]
name = "click"
version = "8.1.7"
marker = "'cli' in extras"
wheels = [{ url = "https://files/click-8.1.7-py3-none-any.whl", hashes = { sha256 = "cc" } }]

[[packages]]
name = "pytest"
version = "8.0.0"
marker = "'dev' in dependency_groups"
wheels = [{ url = "https://files/pytest-8.0.0-py3-none-any.whl", hashes = { sha256 = "dd" } }]

[[packages]]
name = "app"
directory = { path = ".", editable = true }

[[packages]]
name = "six"
version = "1.16.0"
archive = { url = "https://files/six-1.16.0.tar.gz", hashes = { sha256 = "ee" } }
"""


def _select(selection: Selection | None = None) -> dict[str, str | None]:
    wanted = select_pylock(
        parse_pylock(TEXT, path=PYLOCK),
        path=PYLOCK,
        probe=linux_probe(),
        selection=selection or Selection(),
    )
    return {name: d.version for name, d in wanted.dists.items()}


def test_selection_by_markers_extras_and_groups() -> None:
    assert _select() == {"idna": "3.7", "pytest": "8.0.0", "app": None, "six": "1.16.0"}
    assert "click" in _select(Selection(extras=("cli",)))
    assert "pytest" not in _select(Selection(no_dev=True))


def test_sources() -> None:
    wanted = select_pylock(
        parse_pylock(TEXT, path=PYLOCK), path=PYLOCK, probe=linux_probe(), selection=Selection()
    )
    assert wanted.dists["app"].source.kind == "editable"
    assert wanted.dists["app"].source.path == "/proj"
    idna = wanted.dists["idna"]
    assert idna.wheel is not None
    assert idna.wheel.hashes == {"sha256": "aa"}
    six = wanted.dists["six"]
    assert (six.source.kind, six.source.url) == ("url", "https://files/six-1.16.0.tar.gz")
    assert six.hashes == ("sha256:ee",)


def test_bad_field_names_file_and_field() -> None:
    with pytest.raises(LockfileError, match=r"pylock\.toml: .*packages\[0\]\.version"):
        parse_pylock(TEXT.replace('version = "3.7"', "version = 3"), path=PYLOCK)


def test_unsupported_lock_version() -> None:
    with pytest.raises(LockfileError, match=r"pylock version 2\.0 is not supported"):
        parse_pylock(TEXT.replace('lock-version = "1.0"', 'lock-version = "2.0"'), path=PYLOCK)
