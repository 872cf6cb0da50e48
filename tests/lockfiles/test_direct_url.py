"""An installed distribution's direct_url.json, read back as where to fetch it again."""

from __future__ import annotations

from typing import Any

import pytest

from venv_doctor.lockfiles.wanted import Source, from_direct_url
from venv_doctor.read.installed import NormalizedName

NAME = NormalizedName("app")


@pytest.mark.parametrize(
    ("info", "source", "hashes"),
    [
        pytest.param(
            {"url": "file:///work/app", "dir_info": {"editable": True}},
            Source(kind="editable", path="/work/app"),
            (),
            id="editable",
        ),
        pytest.param(
            {"url": "file:///work/app", "dir_info": {}},
            Source(kind="directory", path="/work/app"),
            (),
            id="directory",
        ),
        pytest.param(
            {
                "url": "https://github.com/o/app",
                "vcs_info": {"vcs": "git", "commit_id": "abc", "requested_revision": "v1"},
                "subdirectory": "pkg",
            },
            Source(
                kind="git",
                url="https://github.com/o/app",
                commit="abc",
                requested_revision="v1",
                subdirectory="pkg",
            ),
            (),
            id="git",
        ),
        pytest.param(
            {"url": "https://files/app-1.0.tar.gz", "archive_info": {"hashes": {"sha256": "aa"}}},
            Source(kind="url", url="https://files/app-1.0.tar.gz"),
            ("sha256:aa",),
            id="url-archive",
        ),
        pytest.param(
            {"url": "file:///w/app-1.0-py3-none-any.whl", "archive_info": {"hash": "sha256=bb"}},
            Source(kind="path", path="/w/app-1.0-py3-none-any.whl"),
            ("sha256:bb",),
            id="path-archive-legacy-hash",
        ),
    ],
)
def test_sources(info: dict[str, Any], source: Source, hashes: tuple[str, ...]) -> None:
    wanted = from_direct_url(NAME, "1.0", info)
    assert wanted is not None
    assert (wanted.name, wanted.version, wanted.source, wanted.hashes) == (
        NAME,
        "1.0",
        source,
        hashes,
    )


@pytest.mark.parametrize(
    "info",
    [
        pytest.param(None, id="none"),
        pytest.param({}, id="empty"),
        pytest.param({"url": 3, "dir_info": {}}, id="url-not-a-string"),
        pytest.param({"url": "https://h/app", "vcs_info": {"vcs": "hg"}}, id="not-git"),
        pytest.param({"url": "https://h/app", "dir_info": {}}, id="remote-dir"),
    ],
)
def test_nothing_to_fetch_again(info: dict[str, Any] | None) -> None:
    assert from_direct_url(NAME, "1.0", info) is None
