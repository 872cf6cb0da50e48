"""Index pages, digests, the download cache, and downloads that go wrong."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

import pytest

from tests.apply.wheelserver import (
    Route,
    WheelServer,
    assert_only_verified,
    cache_files,
    make_wheel,
    refused_url,
    sha256_of,
    silent_server,
)
from venv_doctor.apply.digests import CHUNK_SIZE, HashSpec
from venv_doctor.apply.fetch import download, fetch_project_page, redact, stream_into
from venv_doctor.apply.simple_index import (
    IndexFile,
    SimplePageError,
    parse_project_page,
    parse_simple_html,
    parse_simple_json,
    project_page_url,
)
from venv_doctor.apply.wheel_cache import WheelCache
from venv_doctor.apply.wheel_errors import (
    CacheWriteError,
    DownloadError,
    HashMismatchError,
    IndexPageError,
    WheelNotFoundError,
)

PAGE = "https://files.example/simple/alpha/"
A = "a" * 64
B = "b" * 64


@pytest.fixture
def server() -> Iterator[WheelServer]:
    with WheelServer() as running:
        yield running


# ------------------------------------------------------------------- PEP 503


def test_html_links_become_absolute_with_their_digests() -> None:
    text = f"""<!DOCTYPE html><html><body>
    <a href="../../packages/alpha-1.0-py3-none-any.whl#sha256={A}"
       data-requires-python="&gt;=3.8">alpha-1.0-py3-none-any.whl</a>
    <a href="https://cdn.example/alpha-1.0.tar.gz#md5=00" data-yanked="">alpha-1.0.tar.gz</a>
    <a href="/x/alpha-2.0-py3-none-any.whl"></a>
    </body></html>"""

    files = parse_simple_html(text, PAGE)

    assert files == [
        IndexFile(
            filename="alpha-1.0-py3-none-any.whl",
            url="https://files.example/packages/alpha-1.0-py3-none-any.whl",
            hashes={"sha256": A},
            requires_python=">=3.8",
        ),
        IndexFile(
            filename="alpha-1.0.tar.gz",
            url="https://cdn.example/alpha-1.0.tar.gz",
            hashes={"md5": "00"},
            yanked=True,
        ),
        IndexFile(
            filename="alpha-2.0-py3-none-any.whl",
            url="https://files.example/x/alpha-2.0-py3-none-any.whl",
        ),
    ]


def test_html_base_tag_anchors_relative_links() -> None:
    text = (
        '<html><head><base href="https://mirror.example/pkgs/"></head>'
        '<body><a href="a-1.0-py3-none-any.whl">a-1.0-py3-none-any.whl</a></body></html>'
    )

    (item,) = parse_simple_html(text, PAGE)

    assert item.url == "https://mirror.example/pkgs/a-1.0-py3-none-any.whl"


def test_an_unknown_major_api_version_is_refused() -> None:
    text = '<html><head><meta name="pypi:repository-version" content="2.0"></head></html>'
    with pytest.raises(SimplePageError, match=r"version 2\.0"):
        parse_simple_html(text, PAGE)
    with pytest.raises(SimplePageError, match=r"version 2\.0"):
        parse_simple_json('{"meta": {"api-version": "2.0"}, "files": []}', PAGE)


# ------------------------------------------------------------------- PEP 691


def test_json_files_with_relative_urls_hashes_and_yanked_reasons() -> None:
    text = f"""{{"meta": {{"api-version": "1.1"}}, "name": "alpha", "files": [
        {{"filename": "alpha-1.0-py3-none-any.whl", "url": "../../f/alpha-1.0-py3-none-any.whl",
          "hashes": {{"sha256": "{A.upper()}", "whirlpool-x": "1"}}, "requires-python": ">=3.9",
          "yanked": "broken"}},
        {{"filename": "alpha-1.0.tar.gz", "url": "https://c.example/alpha-1.0.tar.gz",
          "hashes": {{}}, "yanked": false}}
    ]}}"""

    files = parse_simple_json(text, PAGE)

    assert files[0] == IndexFile(
        filename="alpha-1.0-py3-none-any.whl",
        url="https://files.example/f/alpha-1.0-py3-none-any.whl",
        hashes={"sha256": A},
        requires_python=">=3.9",
        yanked=True,
    )
    assert files[1].hashes == {}
    assert not files[1].yanked


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("not json", id="not-json"),
        pytest.param("[]", id="not-an-object"),
        pytest.param('{"files": {}}', id="files-not-a-list"),
        pytest.param('{"files": [{"filename": "x"}]}', id="no-url"),
    ],
)
def test_bad_json_pages(text: str) -> None:
    with pytest.raises(SimplePageError):
        parse_simple_json(text, PAGE)


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        pytest.param("application/vnd.pypi.simple.v1+json", "json", id="pep691-json"),
        pytest.param("text/html; charset=utf-8", "html", id="html"),
        pytest.param("application/vnd.pypi.simple.v1+html", "html", id="pep691-html"),
    ],
)
def test_pages_are_read_by_content_type(content_type: str, expected: str) -> None:
    json_text = '{"meta": {"api-version": "1.0"}, "files": [{"filename": "j", "url": "j"}]}'
    html_text = '<a href="h">h</a>'
    text = json_text if expected == "json" else html_text
    (item,) = parse_project_page(text, content_type=content_type, base_url=PAGE)
    assert item.filename == expected[0]


def test_project_page_url_normalizes_the_name() -> None:
    assert project_page_url("https://i.example/simple", "Foo_Bar.baz") == (
        "https://i.example/simple/foo-bar-baz/"
    )
    assert project_page_url("https://i.example/simple/", "x") == "https://i.example/simple/x/"


# ------------------------------------------------------------------- digests


def test_hash_specs() -> None:
    digests = {"sha256": A, "md5": "0"}
    HashSpec().check(digests, package="p", location="f", kept=True)
    HashSpec.exact({"sha256": A.upper()}).check(digests, package="p", location="f", kept=True)
    HashSpec.any_of([f"sha256:{B}", f"sha256:{A}"]).check(
        digests, package="p", location="f", kept=True
    )
    assert HashSpec.any_of([f"sha256:{A}", "md5:1"]).sha256s == (A,)
    assert HashSpec.exact({"sha256": A, "md5": "1"}).algorithms == ("sha256", "md5")

    with pytest.raises(HashMismatchError) as caught:
        HashSpec.exact({"sha256": B}).check(digests, package="p 1", location="f.whl", kept=True)
    assert caught.value.message == f"p 1: f.whl has sha256 {A}, but {B} was expected"

    # The index's digest is checked too, unless the lock names that algorithm itself.
    with pytest.raises(HashMismatchError):
        HashSpec.exact({"md5": "0"}).also({"sha256": B}).check(
            digests, package="p", location="f", kept=False
        )
    HashSpec.exact({"sha256": A}).also({"sha256": B}).check(
        digests, package="p", location="f", kept=False
    )
    assert HashSpec().also({"sha256": A}).sha256s == (A,)


def test_redact_hides_passwords() -> None:
    assert (
        redact("https://me:secret@i.example:8080/simple/")
        == "https://me:***@i.example:8080/simple/"
    )
    assert redact("https://i.example/simple/") == "https://i.example/simple/"


# ------------------------------------------------------------------- the cache


def test_cache_add_get_and_references(tmp_path: Path) -> None:
    cache = WheelCache(tmp_path / "cache")
    wheel = make_wheel(tmp_path / "src", "alpha")
    sha = sha256_of(wheel)

    stored = cache.add(wheel, sha256=sha, package="alpha 1.0")
    cache.remember("alpha", "1.0", sha)
    cache.remember_built("sdist:xyz", sha)

    assert stored == tmp_path / "cache" / "wheels-v1" / sha[:2] / sha / wheel.name
    assert cache.get(sha) == stored
    assert cache.get("not-a-digest") is None
    assert cache.find("alpha", "1.0") == [stored]
    assert cache.find("alpha", "2.0") == []
    assert cache.built("sdist:xyz") == [stored]
    assert (tmp_path / "cache" / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f")
    assert_only_verified(tmp_path / "cache")


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    cache = WheelCache(tmp_path / "cache")

    class FillsUp:
        """Writes through to the partial file until ``room`` bytes, then the disk is full."""

        def __init__(self, target: IO[bytes], room: int) -> None:
            self.target, self.room = target, room

        def write(self, data: bytes) -> int:
            if len(data) > self.room:
                raise OSError(errno.ENOSPC, "No space left on device")
            self.room -= len(data)
            return self.target.write(data)

        def flush(self) -> None:
            self.target.flush()

    source = io.BytesIO(os.urandom(3 * CHUNK_SIZE))
    with (
        pytest.raises(CacheWriteError, match="no space left") as caught,
        cache.partial(package="alpha 1.0", filename="alpha.whl") as (_path, handle),
    ):
        stream_into(source, cast("IO[bytes]", FillsUp(handle, CHUNK_SIZE)), algorithms=("sha256",))

    assert caught.value.exit_code == 2
    assert "VENV_DOCTOR_CACHE_DIR" in (caught.value.hint or "")
    assert cache_files(tmp_path / "cache") == []


# ------------------------------------------------------------------- downloads


def fetch(url: str, cache: WheelCache, *, spec: HashSpec | None = None, timeout: float = 5) -> Path:
    path, _sha = download(
        url,
        cache=cache,
        filename=url.rsplit("/", 1)[-1],
        package="alpha 1.0",
        expected=spec or HashSpec(),
        timeout=timeout,
    )
    return path


def test_a_404_names_the_url_and_what_to_do(tmp_path: Path, server: WheelServer) -> None:
    url = server.url("/files/alpha-1.0-py3-none-any.whl")
    cache = WheelCache(tmp_path / "cache")

    with pytest.raises(DownloadError) as caught:
        fetch(url, cache)

    error = caught.value
    assert error.message == f"alpha 1.0: {url} answered HTTP 404 Not Found"
    assert error.reason == "HTTP 404"
    assert "uv lock" in (error.hint or "")
    assert error.exit_code == 2
    assert cache_files(tmp_path / "cache") == []


def test_a_server_that_never_answers_times_out(tmp_path: Path) -> None:
    cache = WheelCache(tmp_path / "cache")
    with silent_server() as base, pytest.raises(DownloadError) as caught:
        fetch(f"{base}/files/alpha-1.0-py3-none-any.whl", cache, timeout=0.3)

    assert caught.value.reason == "timeout"
    assert "did not answer within 0.3s" in caught.value.message
    assert cache_files(tmp_path / "cache") == []


def test_a_refused_connection(tmp_path: Path) -> None:
    url = f"{refused_url()}/files/alpha-1.0-py3-none-any.whl"
    with pytest.raises(DownloadError) as caught:
        fetch(url, WheelCache(tmp_path / "cache"))

    assert caught.value.reason == "connection refused"
    assert caught.value.message.startswith("alpha 1.0: connection to 127.0.0.1:")
    assert url in caught.value.message


def test_a_download_cut_short_is_deleted(tmp_path: Path, server: WheelServer) -> None:
    url = server.route("/files/cut.whl", Route(body=b"x" * 100, claimed_length=1000))
    with pytest.raises(DownloadError, match=r"broke off|stopped at"):
        fetch(url, WheelCache(tmp_path / "cache"))
    assert cache_files(tmp_path / "cache") == []


def test_a_download_with_the_wrong_digest_is_deleted(tmp_path: Path, server: WheelServer) -> None:
    url = server.route("/files/a.whl", Route(body=b"payload"))
    spec = HashSpec.exact({"sha256": A})
    with pytest.raises(HashMismatchError, match="the download was deleted"):
        fetch(url, WheelCache(tmp_path / "cache"), spec=spec)
    assert cache_files(tmp_path / "cache") == []

    good = HashSpec.exact({"sha256": hashlib.sha256(b"payload").hexdigest()})
    assert fetch(url, WheelCache(tmp_path / "cache"), spec=good).read_bytes() == b"payload"


def test_credentials_in_the_url_are_sent_and_never_shown(
    tmp_path: Path, server: WheelServer
) -> None:
    url = server.url("/files/gone.whl").replace("http://", "http://me:hunter2@")
    with pytest.raises(DownloadError) as caught:
        fetch(url, WheelCache(tmp_path / "cache"))
    assert "hunter2" not in caught.value.message
    assert "me:***@" in caught.value.message


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", os.fspath(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root; the write fault test covers ENOSPC")
    try:
        yield folder
    finally:
        subprocess.run(["umount", os.fspath(folder)], check=True)


def test_disk_full_while_downloading(tmp_path: Path, server: WheelServer) -> None:
    body = os.urandom(256 * 1024)
    url = server.route("/files/big-1.0-py3-none-any.whl", Route(body=body))
    with small_tmpfs(tmp_path / "tiny", "64k") as tiny:
        cache = WheelCache(tiny / "cache")
        with pytest.raises(CacheWriteError) as caught:
            fetch(url, cache)
        assert "no space left" in caught.value.message
        assert str(tiny / "cache") in caught.value.message
        assert cache_files(tiny / "cache") == []


# ------------------------------------------------------------------- project pages


def test_fetch_project_page_follows_content_negotiation(
    tmp_path: Path, server: WheelServer
) -> None:
    wheel = make_wheel(tmp_path, "alpha")
    server.add_project("alpha", [wheel])

    (item,) = fetch_project_page(server.index_url, "ALPHA", package="alpha", timeout=5)

    assert item.url == server.url(f"/files/{wheel.name}")
    assert item.hashes == {"sha256": sha256_of(wheel)}


def test_an_unreadable_project_page(server: WheelServer) -> None:
    server.route(
        "/simple/alpha/",
        Route(body=b"{", content_type="application/vnd.pypi.simple.v1+json"),
    )
    with pytest.raises(IndexPageError, match="cannot read the index page"):
        fetch_project_page(server.index_url, "alpha", package="alpha", timeout=5)
    with pytest.raises(WheelNotFoundError, match="no project 'beta'"):
        fetch_project_page(server.index_url, "beta", package="beta", timeout=5)
