"""obtain_wheel: where wheels come from, in which order, chosen by tags, always verified."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apply.wheelserver import (
    WheelServer,
    assert_only_verified,
    cache_files,
    make_wheel,
    sha256_of,
)
from tests.lockfiles.probes import linux_probe
from venv_doctor.apply.fetch import DownloadProgress
from venv_doctor.apply.obtain import obtain_wheel, obtain_wheels
from venv_doctor.apply.wheel_errors import (
    HashMismatchError,
    NoCompatibleWheelError,
    OfflineError,
    WheelNotFoundError,
)
from venv_doctor.apply.wheels import (
    DEFAULT_INDEX_URL,
    FetchOptions,
    LocalWheel,
    Pin,
    WheelRequest,
    default_cache_dir,
    default_index_url,
)
from venv_doctor.lockfiles.selection import Selection
from venv_doctor.lockfiles.uv_lock import parse_uv_lock
from venv_doctor.lockfiles.uv_select import select_uv_lock
from venv_doctor.lockfiles.wanted import Artifact, Source, WantedDist
from venv_doctor.read.installed import NormalizedName
from venv_doctor.read.layout import read_layout
from venv_doctor.read.probe import probe_interpreter

PROBE = linux_probe()
TAGS = PROBE.tags
MANYLINUX = "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No PIP_*/UV_* from the machine; the download cache in ``tmp_path/cache``."""
    for key in list(os.environ):
        if key.startswith(("PIP_", "UV_")):
            monkeypatch.delenv(key)
    cache = tmp_path / "cache"
    monkeypatch.setenv("VENV_DOCTOR_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def server() -> Iterator[WheelServer]:
    with WheelServer() as running:
        yield running


def locked(wheel: Path, url: str | None = None, *, sha256: str | None = None) -> WantedDist:
    """What a uv.lock registry package with one wheel reads as."""
    name, version = wheel.name.split("-")[:2]
    artifact = Artifact(filename=wheel.name, url=url, hashes={"sha256": sha256 or sha256_of(wheel)})
    return WantedDist(
        name=NormalizedName(name),
        version=version,
        source=Source(kind="registry", url="https://pypi.org/simple"),
        wheels=(artifact,),
        wheel=artifact,
    )


def get(request: WheelRequest, **options: object) -> LocalWheel:
    return obtain_wheel(request, tags=TAGS, options=FetchOptions(**options))  # type: ignore[arg-type]


# ------------------------------------------------------------------- the lock's URL


def test_lock_url_is_downloaded_verified_and_then_served_from_the_cache(
    tmp_path: Path, server: WheelServer, isolated: Path
) -> None:
    wheel = make_wheel(tmp_path / "src", "alpha")
    url = server.add_file(wheel)
    events: list[DownloadProgress] = []

    first = obtain_wheel(
        locked(wheel, url), tags=TAGS, options=FetchOptions(), progress=events.append
    )

    assert first.sha256 == sha256_of(wheel)
    assert first.path.read_bytes() == wheel.read_bytes()
    assert first.path.is_relative_to(isolated)
    assert (first.name, first.version, first.filename) == ("alpha", "1.0", wheel.name)
    assert first.origin == url
    assert events[-1].done == events[-1].total == wheel.stat().st_size
    assert server.hits(f"/files/{wheel.name}") == 1

    second = get(locked(wheel, url))
    assert second.origin == "cache"
    assert second.path == first.path
    assert server.hits(f"/files/{wheel.name}") == 1
    assert_only_verified(isolated)


def test_a_damaged_cache_entry_is_dropped_and_fetched_again(
    tmp_path: Path, server: WheelServer, isolated: Path
) -> None:
    wheel = make_wheel(tmp_path / "src", "alpha")
    url = server.add_file(wheel)
    first = get(locked(wheel, url))
    first.path.write_bytes(b"bit rot")

    again = get(locked(wheel, url))

    assert again.origin == url
    assert again.path.read_bytes() == wheel.read_bytes()
    assert server.hits(f"/files/{wheel.name}") == 2
    assert_only_verified(isolated)


def test_a_tampered_download_is_refused_and_deleted(
    tmp_path: Path, server: WheelServer, isolated: Path
) -> None:
    wheel = make_wheel(tmp_path / "src", "alpha")
    evil = make_wheel(tmp_path / "evil", "alpha", note="evil")
    url = server.add_file(wheel, body=evil.read_bytes())

    with pytest.raises(HashMismatchError) as caught:
        get(locked(wheel, url))

    error = caught.value
    assert error.exit_code == 2
    assert error.package == "alpha 1.0"
    assert url in error.message
    assert sha256_of(wheel) in error.message
    assert sha256_of(evil) in error.message
    assert "deleted" in error.message
    assert error.hint is not None
    assert cache_files(isolated) == []


# ------------------------------------------------------------------- local files


def test_a_path_wheel_named_in_the_lock_is_used_where_it_is(
    tmp_path: Path, server: WheelServer
) -> None:
    wheel = make_wheel(tmp_path / "project" / "wheels", "localwheel")
    dist = WantedDist(
        name=NormalizedName("localwheel"),
        version="1.0",
        source=Source(kind="path", path=str(wheel)),
        wheels=(Artifact(filename=wheel.name, hashes={"sha256": sha256_of(wheel)}),),
    )

    got = get(dist)

    assert got.path == wheel
    assert got.origin == "lock path"
    assert server.seen == []


def test_find_links_come_before_the_cache_and_the_url(tmp_path: Path, server: WheelServer) -> None:
    wheel = make_wheel(tmp_path / "links", "alpha")
    url = server.add_file(wheel)

    got = get(locked(wheel, url), find_links=[tmp_path / "empty", tmp_path / "links"])

    assert got.path == wheel
    assert got.origin == f"find-links {tmp_path / 'links'}"
    assert server.seen == []


def test_a_tampered_wheel_in_find_links_is_refused(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "src", "alpha")
    links = tmp_path / "links"
    links.mkdir()
    shutil.copy(make_wheel(tmp_path / "evil", "alpha", note="evil"), links / wheel.name)

    with pytest.raises(HashMismatchError) as caught:
        get(locked(wheel, "http://127.0.0.1:9/never"), find_links=[links])

    assert str(links / wheel.name) in caught.value.message
    assert "deleted" not in caught.value.message


def test_a_missing_path_wheel_without_url_names_the_path(tmp_path: Path) -> None:
    gone = tmp_path / "wheels" / "localwheel-1.0-py3-none-any.whl"
    dist = WantedDist(
        name=NormalizedName("localwheel"),
        version="1.0",
        source=Source(kind="path", path=str(gone)),
        wheels=(Artifact(filename=gone.name, hashes={"sha256": "0" * 64}),),
    )

    with pytest.raises(WheelNotFoundError) as caught:
        get(dist)

    assert str(gone) in caught.value.message
    assert caught.value.exit_code == 2


# ------------------------------------------------------------------- the index


@pytest.mark.parametrize(
    "json_page", [pytest.param(True, id="pep691-json"), pytest.param(False, id="pep503-html")]
)
def test_without_a_lock_the_index_gives_the_same_name_and_version(
    tmp_path: Path, server: WheelServer, isolated: Path, json_page: bool
) -> None:
    old = make_wheel(tmp_path / "src", "alpha", "0.9")
    wanted = make_wheel(tmp_path / "src", "alpha", "1.0")
    newer = make_wheel(tmp_path / "src", "alpha", "2.0")
    page = server.add_project("alpha", [old, wanted, newer], json_page=json_page)

    got = get(Pin.of("Alpha", "1.0"), index_url=server.index_url)

    assert got.filename == wanted.name
    assert got.sha256 == sha256_of(wanted)
    assert got.origin == server.url(f"/files/{wanted.name}")
    (page_request,) = [seen for seen in server.seen if seen.path == "/simple/alpha/"]
    assert "application/vnd.pypi.simple.v1+json" in page_request.accept

    again = get(Pin.of("alpha", "1.0"), index_url=server.index_url)
    assert again.origin == "cache"
    assert server.hits("/simple/alpha/") == 1
    assert page.endswith("/simple/alpha/")
    assert_only_verified(isolated)


def test_the_index_url_comes_from_the_environment(
    tmp_path: Path, server: WheelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = make_wheel(tmp_path / "src", "alpha")
    server.add_project("alpha", [wheel])
    monkeypatch.setenv("PIP_INDEX_URL", server.index_url)

    assert get(Pin.of("alpha", "1.0")).sha256 == sha256_of(wheel)


def test_a_wrong_hash_on_the_index_page_is_refused(
    tmp_path: Path, server: WheelServer, isolated: Path
) -> None:
    wheel = make_wheel(tmp_path / "src", "alpha")
    server.add_project("alpha", [wheel], hashes={wheel.name: "ab" * 32})

    with pytest.raises(HashMismatchError, match="ab" * 32):
        get(Pin.of("alpha", "1.0"), index_url=server.index_url)

    assert cache_files(isolated) == []


def test_an_unknown_project_or_version_is_named(tmp_path: Path, server: WheelServer) -> None:
    server.add_project("alpha", [make_wheel(tmp_path / "src", "alpha")])

    with pytest.raises(WheelNotFoundError, match="no project 'nothere'"):
        get(Pin.of("nothere", "1.0"), index_url=server.index_url)
    with pytest.raises(WheelNotFoundError, match=r"has no file of alpha 3\.0"):
        get(Pin.of("alpha", "3.0"), index_url=server.index_url)


def test_requirements_hashes_allow_any_of_their_files(tmp_path: Path, server: WheelServer) -> None:
    wheel = make_wheel(tmp_path / "src", "alpha")
    server.add_project("alpha", [wheel])
    source = Source(kind="registry", url=server.index_url)

    def pinned(*hashes: str) -> WantedDist:
        return WantedDist(name=NormalizedName("alpha"), version="1.0", source=source, hashes=hashes)

    got = get(pinned(f"sha256:{'0' * 64}", f"sha256:{sha256_of(wheel)}"))
    assert got.sha256 == sha256_of(wheel)

    shutil.rmtree(os.environ["VENV_DOCTOR_CACHE_DIR"])
    with pytest.raises(HashMismatchError, match=f"one of {'0' * 64}, {'1' * 64}"):
        get(pinned(f"sha256:{'0' * 64}", f"sha256:{'1' * 64}"))


# ------------------------------------------------------------------- tags


def _three_builds(folder: Path) -> list[Path]:
    return [
        make_wheel(folder, "fast", tag="py3-none-any"),
        make_wheel(folder, "fast", tag="cp311-cp311-win_amd64"),
        make_wheel(folder, "fast", tag=MANYLINUX),
    ]


def test_the_lock_wheel_is_chosen_by_the_interpreter_tags(
    tmp_path: Path, server: WheelServer
) -> None:
    wheels = _three_builds(tmp_path / "src")
    artifacts = tuple(
        Artifact(filename=w.name, url=server.add_file(w), hashes={"sha256": sha256_of(w)})
        for w in wheels
    )
    dist = WantedDist(
        name=NormalizedName("fast"),
        version="1.0",
        source=Source(kind="registry", url=server.index_url),
        wheels=artifacts,
    )

    assert get(dist).filename == wheels[2].name


@pytest.mark.parametrize("where", ["index", "find-links"])
def test_a_pin_is_chosen_by_the_interpreter_tags(
    tmp_path: Path, server: WheelServer, where: str
) -> None:
    wheels = _three_builds(tmp_path / "src")
    server.add_project("fast", wheels)
    links = [tmp_path / "src"] if where == "find-links" else []

    got = get(Pin.of("fast", "1.0"), index_url=server.index_url, find_links=links)

    assert got.filename == wheels[2].name
    assert (server.seen == []) == (where == "find-links")


def test_no_wheel_for_this_platform_lists_what_was_found_and_the_best_tags(
    tmp_path: Path, server: WheelServer
) -> None:
    windows = make_wheel(tmp_path / "src", "fast", tag="cp311-cp311-win_amd64")
    server.add_project("fast", [windows])

    with pytest.raises(NoCompatibleWheelError) as caught:
        get(Pin.of("fast", "1.0"), index_url=server.index_url)

    message = caught.value.message
    assert windows.name in message
    assert str(TAGS[0]) in message
    assert f"({len(TAGS)} in all)" in message
    assert caught.value.exit_code == 2
    assert caught.value.hint is not None
    assert "--find-links" in caught.value.hint

    with pytest.raises(NoCompatibleWheelError, match="from the lockfile"):
        get(locked(windows, server.url(f"/files/{windows.name}")))


# ------------------------------------------------------------------- offline


def test_offline_never_touches_the_network_and_lists_every_missing_wheel(
    tmp_path: Path, server: WheelServer
) -> None:
    here = make_wheel(tmp_path / "links", "alpha")
    away = make_wheel(tmp_path / "src", "beta")
    server.add_project("gamma", [make_wheel(tmp_path / "src", "gamma")])
    requests: list[WheelRequest] = [
        locked(here, server.add_file(here)),
        locked(away, server.add_file(away)),
        Pin.of("gamma", "1.0"),
    ]

    with pytest.raises(OfflineError) as caught:
        obtain_wheels(
            requests,
            tags=TAGS,
            options=FetchOptions(
                offline=True, find_links=[tmp_path / "links"], index_url=server.index_url
            ),
        )

    assert server.seen == []
    error = caught.value
    assert [item.package for item in error.missing] == ["beta 1.0", "gamma 1.0"]
    assert away.name in error.message
    assert "2 wheels" in error.message
    assert error.hint is not None
    assert "--offline" in error.hint


def test_offline_uses_what_an_earlier_run_cached(tmp_path: Path, server: WheelServer) -> None:
    wheel = make_wheel(tmp_path / "src", "alpha")
    server.add_project("alpha", [wheel])
    get(Pin.of("alpha", "1.0"), index_url=server.index_url)
    before = len(server.seen)

    locked_again = get(locked(wheel, server.url(f"/files/{wheel.name}")), offline=True)
    pinned_again = get(Pin.of("alpha", "1.0"), offline=True, index_url=server.index_url)

    assert locked_again.origin == pinned_again.origin == "cache"
    assert len(server.seen) == before


# ------------------------------------------------------------------- a real lock


UV_LOCK = """\
version = 1
revision = 3
requires-python = ">=3.8"

[[package]]
name = "app"
version = "0.1.0"
source = {{ virtual = "." }}
dependencies = [{{ name = "alpha" }}, {{ name = "fast" }}]

[[package]]
name = "alpha"
version = "1.0"
source = {{ registry = "{index}" }}
wheels = [
    {{ url = "{alpha_url}", hash = "sha256:{alpha_sha}" }},
]

[[package]]
name = "fast"
version = "1.0"
source = {{ registry = "{index}" }}
wheels = [
{fast_wheels}
]
"""


def test_every_package_of_a_uv_lock(tmp_path: Path, server: WheelServer) -> None:
    alpha = make_wheel(tmp_path / "src", "alpha")
    fast = _three_builds(tmp_path / "src")
    text = UV_LOCK.format(
        index=server.index_url,
        alpha_url=server.add_file(alpha),
        alpha_sha=sha256_of(alpha),
        fast_wheels="\n".join(
            f'    {{ url = "{server.add_file(w)}", hash = "sha256:{sha256_of(w)}" }},' for w in fast
        ),
    )
    path = tmp_path / "uv.lock"
    wanted = select_uv_lock(parse_uv_lock(text, path=path), probe=PROBE, selection=Selection())

    got = obtain_wheels(wanted.dists.values(), tags=TAGS, options=FetchOptions())

    assert sorted(w.filename for w in got) == sorted([alpha.name, fast[2].name])


# ------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, DEFAULT_INDEX_URL, id="pypi"),
        pytest.param({"PIP_INDEX_URL": "https://p/simple"}, "https://p/simple", id="pip"),
        pytest.param(
            {"PIP_INDEX_URL": "https://p/simple", "UV_INDEX_URL": "https://u/simple"},
            "https://u/simple",
            id="uv-before-pip",
        ),
        pytest.param(
            {"UV_INDEX_URL": "https://u/simple", "UV_DEFAULT_INDEX": "https://d/simple"},
            "https://d/simple",
            id="uv-default-index-first",
        ),
    ],
)
def test_default_index_url(environ: dict[str, str], expected: str) -> None:
    assert default_index_url(environ) == expected


def test_default_cache_dir(tmp_path: Path) -> None:
    assert default_cache_dir({"VENV_DOCTOR_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert default_cache_dir({}).name == "venv-doctor"


def test_a_direct_url_wheel_is_checked_against_the_requirements_hashes(
    tmp_path: Path, server: WheelServer
) -> None:
    wheel = make_wheel(tmp_path / "src", "alpha")
    url = server.add_file(wheel)

    def direct(digest: str) -> WantedDist:
        return WantedDist(
            name=NormalizedName("alpha"),
            version="1.0",
            source=Source(kind="url", url=url),
            hashes=(f"sha256:{digest}",),
        )

    with pytest.raises(HashMismatchError):
        get(direct("0" * 64))
    assert get(direct(sha256_of(wheel))).origin == url


def test_the_real_interpreter_prefers_its_platform_wheel(tmp_path: Path) -> None:
    layout = read_layout(Path(sys.prefix))
    probe = probe_interpreter(layout)
    if probe.derived or not {"cp311", "cp312"} & {tag.interpreter for tag in probe.tags[:1]}:
        pytest.skip("needs a runnable CPython 3.11/3.12 venv")
    top = probe.tags[0]
    links = tmp_path / "links"
    make_wheel(links, "fast", tag="py3-none-any")
    make_wheel(links, "fast", tag=f"{top.interpreter}-{top.abi}-win_amd64")
    native = make_wheel(links, "fast", tag=str(top))

    got = obtain_wheel(
        Pin.of("fast", "1.0"),
        tags=probe.tags,
        options=FetchOptions(find_links=[links], offline=True),
    )

    assert got.filename == native.name
