"""uv as the oracle: the wanted set equals what ``uv sync --frozen`` installs.

For each fixture project and several flag combinations, uv syncs a fresh
venv; the names and versions installed there must equal the wanted set
venv-doctor selects from the same uv.lock for the same venv, package by
package, and ``lock_findings`` must find nothing to say about that venv.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lockfiles import oracle
from tests.support.index import LocalIndex
from tests.support.tools import BASE_PYTHON, Tools
from venv_doctor.diagnose.lock import lock_findings, preserved_packages
from venv_doctor.lockfiles import Selection, load_wanted
from venv_doctor.read.layout import read_layout
from venv_doctor.read.probe import probe_interpreter

pytestmark = pytest.mark.slow

OLD_PYTHON = Path("/root/.pyenv/versions/3.9.18/bin/python3.9")

# (case, uv sync flags, the same as a Selection)
CASES = [
    ("markers", (), Selection()),
    ("markers", ("--no-dev",), Selection(no_dev=True)),
    ("markers", ("--extra", "cli"), Selection(extras=("cli",))),
    ("markers", ("--extra", "fast"), Selection(extras=("fast",))),
    ("markers", ("--all-extras",), Selection(all_extras=True)),
    (
        "markers",
        ("--all-extras", "--no-extra", "cli"),
        Selection(all_extras=True, no_extras=("cli",)),
    ),
    ("markers", ("--group", "docs"), Selection(groups=("docs",))),
    ("markers", ("--only-group", "docs"), Selection(only_groups=("docs",))),
    ("markers", ("--only-dev",), Selection(only_dev=True)),
    ("markers", ("--all-groups",), Selection(all_groups=True)),
    (
        "markers",
        ("--all-groups", "--no-group", "docs"),
        Selection(all_groups=True, no_groups=("docs",)),
    ),
    (
        "markers",
        ("--no-default-groups", "--group", "lint"),
        Selection(no_default_groups=True, groups=("lint",)),
    ),
    (
        "markers",
        ("--all-extras", "--all-groups", "--no-dev"),
        Selection(all_extras=True, all_groups=True, no_dev=True),
    ),
    ("workspace", (), Selection()),
    ("workspace", ("--no-dev",), Selection(no_dev=True)),
    ("workspace", ("--all-packages",), Selection(all_packages=True)),
    (
        "workspace",
        ("--all-packages", "--all-groups"),
        Selection(all_packages=True, all_groups=True),
    ),
    ("workspace", ("--package", "member-b"), Selection(packages=("member-b",))),
    (
        "workspace",
        ("--package", "member-a", "--package", "member-b"),
        Selection(packages=("member-a", "member-b")),
    ),
    (
        "workspace",
        ("--package", "member-b", "--only-group", "lint"),
        Selection(packages=("member-b",), only_groups=("lint",)),
    ),
    ("workspace", ("--no-editable",), Selection(no_editable=True)),
    ("localpaths", (), Selection()),
    ("conflicts", (), Selection()),
    ("conflicts", ("--extra", "cpu"), Selection(extras=("cpu",))),
    (
        "conflicts",
        ("--extra", "gpu", "--group", "new"),
        Selection(extras=("gpu",), groups=("new",)),
    ),
    ("conflicts", ("--group", "old"), Selection(groups=("old",))),
    ("defaultgroups", (), Selection()),
    ("defaultgroups", ("--no-default-groups",), Selection(no_default_groups=True)),
    (
        "defaultgroups",
        ("--group", "dev", "--no-group", "lint"),
        Selection(groups=("dev",), no_groups=("lint",)),
    ),
    ("defaultgroups", ("--all-groups",), Selection(all_groups=True)),
    ("nonproject", (), Selection()),
    ("nonproject", ("--no-dev",), Selection(no_dev=True)),
    ("nonproject", ("--package", "np-two"), Selection(packages=("np-two",))),
]


@pytest.fixture(scope="module")
def lock_tools(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tools]:
    """The shared tools, pointed at an index serving the lockfile fixtures' wheels."""
    folder = oracle.build_index_wheels(tmp_path_factory.mktemp("lock-wheels"))
    with LocalIndex(folder) as index:
        yield dataclasses.replace(tools, index_url=index.url)


@pytest.fixture(scope="module")
def locked(lock_tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each fixture project, copied and locked once for the module."""
    root = tmp_path_factory.mktemp("lock-projects")
    projects = {}
    for case in sorted({case for case, _, _ in CASES}):
        project = oracle.prepare_project(case, root / case)
        oracle.lock(lock_tools, project, BASE_PYTHON)
        projects[case] = project
    return projects


def _label(case: str, flags: tuple[str, ...]) -> str:
    return case + ("[" + " ".join(flags) + "]" if flags else "[default]")


def _assert_matches_uv(
    lock_tools: Tools,
    project: Path,
    venv: Path,
    flags: tuple[str, ...],
    selection: Selection,
    python: Path,
) -> None:
    oracle.sync(lock_tools, project, venv, flags, python)
    dists = oracle.installed(venv)
    layout = read_layout(venv)
    probe = probe_interpreter(layout)
    assert not probe.derived, probe.reason
    wanted = load_wanted(project / "uv.lock", probe=probe, selection=selection)
    got = {name: dist.version for name, dist in wanted.dists.items()}
    synced = {dist.name: dist.version for dist in dists}
    assert got == synced
    assert lock_findings(wanted, dists, keep=preserved_packages(layout.cfg)) == []


@pytest.mark.parametrize(
    ("case", "flags", "selection"),
    [pytest.param(*case, id=_label(case[0], case[1])) for case in CASES],
)
def test_wanted_set_equals_what_uv_sync_installs(
    lock_tools: Tools,
    locked: dict[str, Path],
    tmp_path: Path,
    case: str,
    flags: tuple[str, ...],
    selection: Selection,
) -> None:
    _assert_matches_uv(lock_tools, locked[case], tmp_path / "venv", flags, selection, BASE_PYTHON)


@pytest.mark.skipif(not OLD_PYTHON.exists(), reason="needs CPython 3.9 from pyenv")
@pytest.mark.parametrize(
    ("flags", "selection"),
    [
        pytest.param((), Selection(), id="default"),
        pytest.param(
            ("--all-groups", "--all-extras"), Selection(all_groups=True, all_extras=True), id="all"
        ),
    ],
)
def test_python_version_markers_follow_the_target_interpreter(
    lock_tools: Tools,
    locked: dict[str, Path],
    tmp_path: Path,
    flags: tuple[str, ...],
    selection: Selection,
) -> None:
    _assert_matches_uv(
        lock_tools, locked["markers"], tmp_path / "venv", flags, selection, OLD_PYTHON
    )


def test_seed_packages_of_a_seeded_venv_are_kept_like_uv_does(
    lock_tools: Tools, locked: dict[str, Path], tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    oracle.sync(lock_tools, locked["markers"], venv, (), BASE_PYTHON, seed=True)
    layout = read_layout(venv)
    dists = oracle.installed(venv)
    assert {"pip", "setuptools"} <= {dist.name for dist in dists}
    wanted = load_wanted(
        locked["markers"] / "uv.lock", probe=probe_interpreter(layout), selection=Selection()
    )
    assert lock_findings(wanted, dists, keep=preserved_packages(layout.cfg)) == []
    extraneous = lock_findings(wanted, dists)
    assert {f.package for f in extraneous} >= {"pip", "setuptools"}
    assert {f.code for f in extraneous} == {"lock-extraneous"}
