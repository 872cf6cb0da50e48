"""Lock drift and unsatisfied requirements, on in-memory snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from venv_doctor.diagnose.lock import lock_findings, preserved_packages, source_problem
from venv_doctor.diagnose.requirements import dependency_findings
from venv_doctor.lockfiles.wanted import Source, WantedDist, WantedSet
from venv_doctor.read.installed import InstalledDist, NormalizedName

SITE = "lib/python3.11/site-packages"
ENV = {"python_full_version": "3.11.7", "python_version": "3.11", "sys_platform": "linux"}


def dist(
    name: str,
    version: str | None = "1.0",
    *,
    requires: tuple[str, ...] = (),
    direct_url: dict[str, Any] | None = None,
) -> InstalledDist:
    meta = f"{SITE}/{name.replace('-', '_')}-{version}.dist-info"
    return InstalledDist(
        name=NormalizedName(name),
        display_name=name,
        version=version,
        kind="dist-info",
        meta_dir=meta,
        site_dir=SITE,
        meta_files=frozenset({"METADATA", "RECORD"}),
        has_metadata=True,
        record=(),
        requires_dist=requires,
        direct_url=direct_url,
    )


def wanted(*dists: WantedDist) -> WantedSet:
    return WantedSet(
        lockfile=Path("/proj/uv.lock"), kind="uv.lock", dists={d.name: d for d in dists}
    )


def want(name: str, version: str | None = "1.0", source: Source | None = None) -> WantedDist:
    return WantedDist(
        name=NormalizedName(name),
        version=version,
        source=source or Source(kind="registry", url="https://pypi.org/simple"),
    )


EDITABLE = Source(kind="editable", path="/proj")
EDITABLE_URL = {"url": "file:///proj", "dir_info": {"editable": True}}


def test_in_sync_has_no_findings() -> None:
    assert (
        lock_findings(
            wanted(want("a"), want("app", "0.1", EDITABLE)),
            [dist("a"), dist("app", "0.1", direct_url=EDITABLE_URL)],
        )
        == []
    )


def test_each_kind_of_drift() -> None:
    findings = lock_findings(
        wanted(want("gone"), want("old", "2.0"), want("app", "0.1", EDITABLE)),
        [dist("old", "1.0"), dist("app", "0.1"), dist("stray")],
    )
    by_code = {f.code: f for f in findings}
    assert set(by_code) == {
        "lock-missing",
        "lock-version-mismatch",
        "lock-source-mismatch",
        "lock-extraneous",
    }
    assert by_code["lock-missing"].package == "gone"
    assert by_code["lock-missing"].path is None
    assert by_code["lock-version-mismatch"].message == (
        "old 1.0 is installed but uv.lock wants 2.0"
    )
    assert by_code["lock-extraneous"].path == f"{SITE}/stray-1.0.dist-info"
    assert "uv sync --frozen" in (by_code["lock-extraneous"].hint or "")


@pytest.mark.parametrize(
    ("lockfile", "kind", "hint"),
    [
        pytest.param(
            "uv.lock",
            "uv.lock",
            "venv-doctor fix --from uv.lock repairs it; so does uv sync --frozen",
            id="uv.lock",
        ),
        pytest.param(
            "requirements.txt",
            "requirements",
            "venv-doctor fix --from requirements.txt repairs it; "
            "so does uv pip sync requirements.txt",
            id="requirements",
        ),
    ],
)
def test_drift_hint_names_one_command_first(lockfile: str, kind: str, hint: str) -> None:
    wants = WantedSet(lockfile=Path("/proj") / lockfile, kind=kind, dists={})
    findings = lock_findings(wants, [dist("stray")])
    assert [f.hint for f in findings] == [hint]
    # Shown as "(hint: ...)" in a plan: no nested parentheses, no double spaces.
    assert "(" not in hint
    assert "  " not in hint


def test_seed_packages_are_kept_where_uv_keeps_them() -> None:
    seeds = {"pip", "setuptools", "wheel"}
    # uv venv --seed, and any venv uv did not create (python -m venv, virtualenv).
    assert preserved_packages({"uv": "0.13.9", "seed": "true"}) == seeds
    assert preserved_packages({"home": "/usr/bin", "version": "3.11.7"}) == seeds
    # uv venv without --seed.
    assert preserved_packages({"uv": "0.13.9"}) == frozenset()
    assert preserved_packages(None) == frozenset()
    found = lock_findings(wanted(), [dist("pip")], keep=preserved_packages({"home": "/usr/bin"}))
    assert found == []


COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("source", "direct_url", "problem"),
    [
        pytest.param(Source(kind="registry"), None, None, id="registry"),
        pytest.param(
            Source(kind="registry"),
            EDITABLE_URL,
            "installed as editable",
            id="editable-vs-registry",
        ),
        pytest.param(EDITABLE, None, "installed from an index", id="registry-vs-editable"),
        pytest.param(
            EDITABLE,
            {"url": "file:///other", "dir_info": {"editable": True}},
            "file:///other",
            id="other-path",
        ),
        pytest.param(
            Source(kind="directory", path="/proj"),
            EDITABLE_URL,
            "installed as editable",
            id="editable-vs-dir",
        ),
        pytest.param(
            Source(kind="git", url="https://github.com/o/r", commit=COMMIT),
            {"url": "https://github.com/o/r.git", "vcs_info": {"vcs": "git", "commit_id": COMMIT}},
            None,
            id="git-same",
        ),
        pytest.param(
            Source(kind="git", url="https://github.com/o/r", commit=COMMIT),
            {"url": "https://github.com/o/r", "vcs_info": {"vcs": "git", "commit_id": "f" * 40}},
            "installed from git commit ffff",
            id="git-other-commit",
        ),
        pytest.param(
            Source(kind="path", path="/w/a-1.0-py3-none-any.whl"),
            {"url": "file:///w/a-1.0-py3-none-any.whl", "archive_info": {}},
            None,
            id="path-wheel",
        ),
    ],
)
def test_source_comparison(
    source: Source, direct_url: dict[str, Any] | None, problem: str | None
) -> None:
    found = source_problem(source, direct_url)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_editable_with_stale_metadata() -> None:
    locked = WantedDist(
        name=NormalizedName("app"),
        version="0.1",
        source=EDITABLE,
        requires_dist=("requests>=2", "click; extra == 'cli'"),
    )
    stale = dist("app", "0.1", requires=("requests>=2",), direct_url=EDITABLE_URL)
    (finding,) = lock_findings(wanted(locked), [stale])
    assert finding.code == "lock-source-mismatch"
    assert "stale" in finding.message
    fresh = dist(
        "app", "0.1", requires=("requests>=2", 'click ; extra == "cli"'), direct_url=EDITABLE_URL
    )
    assert lock_findings(wanted(locked), [fresh]) == []


def test_dependency_findings_like_pip_check() -> None:
    dists = [
        dist("a", requires=("b>=2", "c", "win; sys_platform == 'win32'", "d[x]")),
        dist("b", "1.0"),
        dist("d", requires=("e; extra == 'x'", "f; extra == 'y'")),
    ]
    messages = sorted(f.message for f in dependency_findings(dists, ENV))
    assert messages == [
        "a 1.0 requires b>=2, but b 1.0 is installed",
        "a 1.0 requires c, which is not installed",
        "d 1.0 requires e; extra == \"x\" (for its extra 'x'), which is not installed",
    ]
    assert {f.code for f in dependency_findings(dists, ENV)} == {"dependency-unsatisfied"}
