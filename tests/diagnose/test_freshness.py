"""Which installs uv would rebuild, from in-memory cache records."""

from __future__ import annotations

from pathlib import Path

import pytest

from venv_doctor.diagnose.freshness import differences, freshness_findings, watched_sources
from venv_doctor.lockfiles.wanted import Source, WantedDist, WantedSet
from venv_doctor.read.cache_info import CacheInfo
from venv_doctor.read.freshness import CacheRecord
from venv_doctor.read.installed import InstalledDist, NormalizedName

SITE = "lib/python3.11/site-packages"
INFO = CacheInfo(timestamp=(100, 5), directories=(("src", (90, 1)),))


def dist(
    name: str = "app",
    *,
    url: str | None = "file:///w/app",
    editable: bool = True,
    files: frozenset[str] = frozenset({"METADATA", "RECORD", "uv_cache.json"}),
) -> InstalledDist:
    direct = {"url": url, "dir_info": {"editable": editable}} if url else None
    return InstalledDist(
        name=NormalizedName(name),
        display_name=name,
        version="0.1.0",
        kind="dist-info",
        meta_dir=f"{SITE}/{name}-0.1.0.dist-info",
        site_dir=SITE,
        meta_files=files,
        has_metadata=True,
        record=(),
        direct_url=direct,
    )


def lock(source: Source, *, kind: str = "uv.lock", version: str = "0.1.0") -> WantedSet:
    want = WantedDist(name=NormalizedName("app"), version=version, source=source)
    return WantedSet(lockfile=Path("/w/app/uv.lock"), kind=kind, dists={want.name: want})


EDITABLE = Source(kind="editable", path="/w/app")


def test_uv_watches_a_local_project_installed_from_where_the_lock_says() -> None:
    app = dist()
    assert watched_sources(lock(EDITABLE), [app]) == {app.meta_dir: "/w/app"}
    folder = dist(editable=False)
    assert watched_sources(lock(Source(kind="directory", path="/w/app")), [folder]) == {
        folder.meta_dir: "/w/app"
    }


@pytest.mark.parametrize(
    ("wanted", "installed"),
    [
        pytest.param(lock(Source(kind="registry", url="https://x")), dist(url=None), id="registry"),
        pytest.param(lock(EDITABLE), dist(editable=False), id="not-editable-as-locked"),
        pytest.param(lock(EDITABLE), dist(url="file:///elsewhere"), id="another-folder"),
        pytest.param(lock(EDITABLE, version="0.2.0"), dist(), id="another-version"),
        pytest.param(
            lock(EDITABLE, kind="pylock"), dist(files=frozenset({"METADATA"})), id="pip-made"
        ),
    ],
)
def test_uv_does_not_watch(wanted: WantedSet, installed: InstalledDist) -> None:
    assert watched_sources(wanted, [installed]) == {}


def test_the_same_info_is_fresh() -> None:
    app = dist()
    record = CacheRecord(meta_dir=app.meta_dir, stored=INFO, source="/w/app", current=INFO)
    assert freshness_findings([record], [app]) == []


def test_changed_info_is_stale_and_says_what_changed() -> None:
    app = dist()
    now = CacheInfo(timestamp=(101, 0), directories=(("src", (95, 0)),))
    record = CacheRecord(meta_dir=app.meta_dir, stored=INFO, source="/w/app", current=now)
    [finding] = freshness_findings([record], [app])
    assert finding.code == "local-project-stale"
    assert finding.path == f"{app.meta_dir}/uv_cache.json"
    assert "uv will rebuild it from /w/app" in finding.message
    assert "key files changed" in finding.message
    assert "folder src was removed and created again" in finding.message


def test_a_missing_record_is_stale_unless_uv_would_write_none() -> None:
    app = dist(files=frozenset({"METADATA", "RECORD"}))
    record = CacheRecord(meta_dir=app.meta_dir, source="/w/app", current=INFO)
    assert [f.code for f in freshness_findings([record], [app])] == ["local-project-stale"]
    nothing = CacheRecord(meta_dir=app.meta_dir, source="/w/app", current=CacheInfo())
    assert freshness_findings([nothing], [app]) == []


def test_a_source_that_is_gone_is_left_to_other_findings() -> None:
    app = dist()
    record = CacheRecord(meta_dir=app.meta_dir, stored=INFO, source="/w/app")
    assert freshness_findings([record], [app]) == []


def test_cache_keys_uv_cannot_read_are_stale_with_their_own_hint() -> None:
    app = dist()
    record = CacheRecord(
        meta_dir=app.meta_dir, stored=INFO, source="/w/app", unknown="empty cache key table"
    )
    [finding] = freshness_findings([record], [app])
    assert "uv cannot compute its cache info (empty cache key table)" in finding.message
    assert finding.hint is not None
    assert "tool.uv.cache-keys in /w/app/pyproject.toml" in finding.hint


def test_a_record_uv_cannot_read_is_an_error_wherever_it_is() -> None:
    wheel = dist("rufflike", url=None)
    record = CacheRecord(meta_dir=wheel.meta_dir, invalid="Expecting value")
    [finding] = freshness_findings([record], [wheel])
    assert (finding.code, finding.severity.value) == ("uv-cache-info-invalid", "error")
    assert "Expecting value" in finding.message


def test_differences_name_variables_but_never_their_values() -> None:
    before = CacheInfo(env=(("TOKEN", "s3cret"),), commit="a" * 40, tags=())
    after = CacheInfo(env=(("TOKEN", "other"),), commit="b" * 40, tags=(("v1", "b" * 40),))
    text = "; ".join(differences(before, after))
    assert "environment variable TOKEN changed" in text
    assert "s3cret" not in text
    assert "other" not in text
    assert "the git commit is now " + "b" * 40 in text
    assert "the git tags changed" in text
    assert differences(before, before) == []
