"""uv.lock parsing and selection on in-memory text."""

# ruff: noqa: E501  (the lock text below keeps uv's one-line tables)

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lockfiles.probes import linux_probe
from venv_doctor.errors import LockfileError, UsageError
from venv_doctor.lockfiles.selection import Selection
from venv_doctor.lockfiles.uv_lock import parse_uv_lock
from venv_doctor.lockfiles.uv_select import select_uv_lock

LOCK = Path("/proj/uv.lock")

TEXT = """\
version = 1
revision = 3
requires-python = ">=3.9"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "numpy", version = "1.26.4", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version < '3.10'" },
    { name = "numpy", version = "2.1.0", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version >= '3.10'" },
    { name = "pywin", marker = "sys_platform == 'win32'" },
    { name = "rich", extra = ["jupyter"] },
]

[package.optional-dependencies]
cli = [{ name = "click" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[package.metadata]
requires-dist = [{ name = "rich", extras = ["jupyter"] }, { name = "click", marker = "extra == 'cli'" }]

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version < '3.10'"]
wheels = [{ url = "https://files/numpy-1.26.4-cp39-cp39-manylinux_2_17_x86_64.whl", hash = "sha256:aa", size = 10 }]

[[package]]
name = "numpy"
version = "2.1.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files/numpy-2.1.0.tar.gz", hash = "sha256:bb", size = 20 }
wheels = [
    { url = "https://files/numpy-2.1.0-cp311-cp311-win_amd64.whl", hash = "sha256:cc" },
    { url = "https://files/numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.whl", hash = "sha256:dd", size = 30 },
]

[[package]]
name = "pywin"
version = "306"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "rich"
version = "13.0.0"
source = { git = "https://github.com/textualize/rich?rev=v13#0123456789abcdef0123456789abcdef01234567" }

[package.optional-dependencies]
jupyter = [{ name = "ipywidgets" }]

[[package]]
name = "ipywidgets"
version = "8.0"
source = { url = "https://files/ipywidgets-8.0-py3-none-any.whl" }

[[package]]
name = "click"
version = "8.1"
source = { path = "wheels/click-8.1-py3-none-any.whl" }
wheels = [{ filename = "click-8.1-py3-none-any.whl", hash = "sha256:ee" }]

[[package]]
name = "pytest"
version = "8.0"
source = { registry = "https://pypi.org/simple" }
"""


def _select(selection: Selection | None = None, version: str = "3.11.7") -> dict[str, str | None]:
    wanted = select_uv_lock(
        parse_uv_lock(TEXT, path=LOCK),
        probe=linux_probe(version),
        selection=selection or Selection(),
    )
    return {name: dist.version for name, dist in wanted.dists.items()}


def test_default_selection_follows_markers_extras_and_the_dev_group() -> None:
    assert _select() == {
        "app": "0.1.0",
        "numpy": "2.1.0",
        "rich": "13.0.0",
        "ipywidgets": "8.0",
        "pytest": "8.0",
    }


def test_forked_versions_pick_the_one_for_the_target_python() -> None:
    assert _select(version="3.9.18")["numpy"] == "1.26.4"


def test_flags() -> None:
    assert "pytest" not in _select(Selection(no_dev=True))
    assert _select(Selection(extras=("cli",)))["click"] == "8.1"
    assert _select(Selection(only_dev=True)) == {"pytest": "8.0"}


def test_sources_and_artifacts_are_read() -> None:
    wanted = select_uv_lock(
        parse_uv_lock(TEXT, path=LOCK), probe=linux_probe(), selection=Selection(extras=("cli",))
    )
    numpy = wanted.dists["numpy"]
    assert numpy.wheel is not None
    assert numpy.wheel.filename.endswith("manylinux_2_17_x86_64.whl")
    assert numpy.wheel.hashes == {"sha256": "dd"}
    assert numpy.sdist is not None
    assert numpy.sdist.size == 20
    rich = wanted.dists["rich"].source
    assert (rich.kind, rich.url, rich.commit, rich.requested_revision) == (
        "git",
        "https://github.com/textualize/rich",
        "0123456789abcdef0123456789abcdef01234567",
        "v13",
    )
    assert wanted.dists["click"].source.path == "/proj/wheels/click-8.1-py3-none-any.whl"
    assert wanted.dists["app"].source.kind == "editable"
    assert wanted.dists["app"].requires_dist == ("rich[jupyter]", "click; extra == 'cli'")


def test_a_wheel_url_is_unquoted_into_its_filename() -> None:
    text = TEXT.replace(
        'name = "pytest"\nversion = "8.0"\nsource = { registry = "https://pypi.org/simple" }\n',
        'name = "pytest"\nversion = "8.0+cpu"\nsource = { registry = "https://pypi.org/simple" }\n'
        'wheels = [{ url = "https://files/pytest-8.0%2Bcpu-py3-none-any.whl", hash = "sha256:ff" }]\n',
    )
    wanted = select_uv_lock(
        parse_uv_lock(text, path=LOCK), probe=linux_probe(), selection=Selection()
    )
    pytest_wheel = wanted.dists["pytest"].wheel
    assert pytest_wheel is not None
    assert pytest_wheel.filename == "pytest-8.0+cpu-py3-none-any.whl"
    assert pytest_wheel.wheel_tags()


def test_unknown_keys_of_later_revisions_are_ignored() -> None:
    text = TEXT.replace("revision = 3", "revision = 99\nfuture-key = 1")
    assert parse_uv_lock(text, path=LOCK).revision == 99


def test_unknown_group_or_extra_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="group docs"):
        _select(Selection(groups=("docs",)))
    with pytest.raises(UsageError, match="extra gui"):
        _select(Selection(extras=("gui",)))


@pytest.mark.parametrize(
    ("text", "match"),
    [
        pytest.param(
            TEXT.replace("version = 1\n", "version = 2\n", 1),
            r"uv\.lock: version: lock version 2",
            id="version",
        ),
        pytest.param("version = 1\n[[package]\n", r"uv\.lock: not valid TOML: .*line 2", id="toml"),
        pytest.param(
            TEXT.replace('version = "8.0"', "version = 8"),
            r"package\[5\]\.version: expected",
            id="field",
        ),
        pytest.param(
            TEXT.replace('source = { editable = "." }', 'source = { nowhere = "." }'),
            r"package\[0\]\.source: expected one of",
            id="source",
        ),
        pytest.param(
            TEXT.replace('{ name = "pytest" }', '{ name = "pytset" }'),
            r"dev-dependencies\.dev\[0\]: no package",
            id="dangling",
        ),
    ],
)
def test_bad_input_names_file_and_field(text: str, match: str) -> None:
    with pytest.raises(LockfileError, match=match):
        select_uv_lock(parse_uv_lock(text, path=LOCK), probe=linux_probe(), selection=Selection())


def test_python_outside_requires_python_is_an_error() -> None:
    with pytest.raises(LockfileError, match="requires-python"):
        _select(version="3.8.18")
