"""Downloads over HTTP(S): index project pages and files, streamed into the cache.

Every failure (an error status, a timeout, a refused connection, a broken
transfer, a full disk) becomes a ``WheelError`` that names the package and
the URL (credentials hidden).  A download is hashed while it streams and
kept only when complete and matching what was expected.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit, urlunsplit

from venv_doctor import __version__
from venv_doctor.apply.digests import CHUNK_SIZE, HashSpec
from venv_doctor.apply.simple_index import (
    ACCEPT,
    IndexFile,
    SimplePageError,
    parse_project_page,
    project_page_url,
)
from venv_doctor.apply.wheel_cache import WheelCache
from venv_doctor.apply.wheel_errors import (
    DownloadError,
    IndexPageError,
    WheelNotFoundError,
)

if TYPE_CHECKING:
    # urllib.request and http.client (with ssl and email) take 15 ms to import,
    # and a fix whose wheels are in the cache never downloads.
    import http.client
    import urllib.error
    import urllib.request

USER_AGENT = f"venv-doctor/{__version__}"


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadProgress:
    """How far one download is: ``done`` bytes of ``total`` (``None`` when unknown)."""

    filename: str
    url: str
    done: int
    total: int | None


ProgressCallback = Callable[[DownloadProgress], None]


# ------------------------------------------------------------------- HTTP


def redact(url: str) -> str:
    """``url`` without a password, fit for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _request(url: str, accept: str | None) -> urllib.request.Request:
    import urllib.request

    parts = urlsplit(url)
    headers = {"User-Agent": USER_AGENT}
    if accept is not None:
        headers["Accept"] = accept
    if parts.username is not None:
        # urllib does not send credentials given in the URL itself; indexes expect them.
        netloc = parts.hostname or ""
        if parts.port is not None:
            netloc += f":{parts.port}"
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        token = f"{parts.username}:{parts.password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(token).decode("ascii")
    return urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s)/file by design


_NEXT_DOWNLOAD = (
    "check the URL, the network and any proxy settings, then try again; "
    "or put the file in a --find-links folder"
)


def _timeout_error(url: str, package: str, timeout: float) -> DownloadError:
    host = urlsplit(url).netloc.rpartition("@")[2]
    return DownloadError(
        f"{package}: {host} did not answer within {timeout:g}s for {redact(url)}",
        package=package,
        url=redact(url),
        reason="timeout",
        hint=_NEXT_DOWNLOAD,
    )


def _url_error(exc: urllib.error.URLError, url: str, package: str, timeout: float) -> DownloadError:
    reason = exc.reason
    if isinstance(reason, TimeoutError):
        return _timeout_error(url, package, timeout)
    shown = redact(url)
    host = urlsplit(url).netloc.rpartition("@")[2]
    if isinstance(reason, ConnectionRefusedError):
        return DownloadError(
            f"{package}: connection to {host} refused for {shown}",
            package=package,
            url=shown,
            reason="connection refused",
            hint=_NEXT_DOWNLOAD,
        )
    if isinstance(reason, socket.gaierror):
        text = f"cannot resolve {urlsplit(url).hostname}"
    else:
        text = getattr(reason, "strerror", None) or str(reason)
    return DownloadError(
        f"{package}: cannot fetch {shown}: {text}",
        package=package,
        url=shown,
        reason=str(text),
        hint=_NEXT_DOWNLOAD,
    )


def _http_error(exc: urllib.error.HTTPError, url: str, package: str) -> DownloadError:
    shown = redact(url)
    hint = _NEXT_DOWNLOAD
    if exc.code in {404, 410}:
        hint = (
            "the file is no longer on the server: lock again (uv lock) to pick files that "
            "exist, or put the wheel in a --find-links folder"
        )
    elif exc.code in {401, 403}:
        hint = "the server wants credentials: put them in the index URL or check them"
    return DownloadError(
        f"{package}: {shown} answered HTTP {exc.code} {exc.reason}",
        package=package,
        url=shown,
        reason=f"HTTP {exc.code}",
        hint=hint,
    )


@contextlib.contextmanager
def open_url(
    url: str, *, package: str, timeout: float, accept: str | None = None
) -> Iterator[http.client.HTTPResponse]:
    """``urlopen`` with every failure turned into a ``DownloadError`` naming ``package``."""
    import http.client
    import urllib.error
    import urllib.request

    try:
        response = urllib.request.urlopen(_request(url, accept), timeout=timeout)  # noqa: S310
    except urllib.error.HTTPError as exc:
        exc.close()
        raise _http_error(exc, url, package) from None
    except urllib.error.URLError as exc:
        raise _url_error(exc, url, package, timeout) from None
    except TimeoutError:
        raise _timeout_error(url, package, timeout) from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise DownloadError(
            f"{package}: cannot fetch {redact(url)}: {exc}",
            package=package,
            url=redact(url),
            reason=str(exc),
            hint=_NEXT_DOWNLOAD,
        ) from None
    with response:
        yield response


def fetch_project_page(
    index_url: str, name: str, *, package: str, timeout: float
) -> list[IndexFile]:
    """The files an index lists for project ``name`` (PEP 691 JSON or PEP 503 HTML)."""
    url = project_page_url(index_url, name)
    try:
        with open_url(url, package=package, timeout=timeout, accept=ACCEPT) as response:
            body = _read_all(response, url=url, package=package, timeout=timeout)
            final_url = response.geturl()
            content_type = response.headers.get("Content-Type", "text/html")
    except DownloadError as exc:
        if exc.reason in {"HTTP 404", "HTTP 410"}:
            raise WheelNotFoundError(
                f"{package}: the index {redact(index_url)} has no project {name!r}",
                package=package,
                location=redact(url),
                hint="check the name, or pass --index-url for the index that has it",
            ) from None
        raise
    charset = _charset(content_type)
    try:
        return parse_project_page(
            body.decode(charset, "replace"), content_type=content_type, base_url=final_url
        )
    except SimplePageError as exc:
        raise IndexPageError(
            f"{package}: cannot read the index page {redact(url)}: {exc}",
            package=package,
            location=redact(url),
            hint="check that --index-url points at a simple repository API (…/simple/)",
        ) from None


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"') or "utf-8"
    return "utf-8"


def _read_all(
    response: http.client.HTTPResponse, *, url: str, package: str, timeout: float
) -> bytes:
    import http.client

    try:
        return response.read()
    except TimeoutError:
        raise _timeout_error(url, package, timeout) from None
    except (OSError, http.client.HTTPException) as exc:
        raise DownloadError(
            f"{package}: the connection broke while reading {redact(url)}: {exc}",
            package=package,
            url=redact(url),
            reason=str(exc),
            hint=_NEXT_DOWNLOAD,
        ) from None


def stream_into(
    reader: BinaryIO,
    sink: IO[bytes],
    *,
    algorithms: tuple[str, ...],
    on_chunk: Callable[[int], None] | None = None,
) -> tuple[int, dict[str, str]]:
    """Copy ``reader`` to ``sink`` in chunks; return the byte count and the digests."""
    hashers = {name: hashlib.new(name) for name in algorithms}
    done = 0
    while True:
        block = reader.read(CHUNK_SIZE)
        if not block:
            break
        sink.write(block)
        for hasher in hashers.values():
            hasher.update(block)
        done += len(block)
        if on_chunk is not None:
            on_chunk(done)
    sink.flush()
    return done, {name: hasher.hexdigest() for name, hasher in hashers.items()}


def download(
    url: str,
    *,
    cache: WheelCache,
    filename: str,
    package: str,
    expected: HashSpec,
    timeout: float,
    progress: ProgressCallback | None = None,
) -> tuple[Path, str]:
    """Download ``url`` into the cache, verified; return the cached path and its sha256.

    The file streams into a partial file in the cache while its digests are
    computed.  It is moved to its content address only when complete and
    when every digest in ``expected`` matches; otherwise it is deleted.
    """
    import http.client

    shown = redact(url)
    algorithms = expected.algorithms
    with (
        open_url(url, package=package, timeout=timeout) as response,
        cache.partial(package=package, filename=filename) as (partial, handle),
    ):
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None

        def report(done: int) -> None:
            if progress is not None:
                progress(DownloadProgress(filename=filename, url=shown, done=done, total=total))

        report(0)
        try:
            size, digests = stream_into(response, handle, algorithms=algorithms, on_chunk=report)
        except TimeoutError:
            raise _timeout_error(url, package, timeout) from None
        except OSError as exc:
            if exc.errno is not None and exc.errno in {errno.ENOSPC, errno.EDQUOT, errno.EIO}:
                raise cache.write_error(exc, package=package, filename=filename) from None
            raise DownloadError(
                f"{package}: the download of {shown} broke off: {exc}",
                package=package,
                url=shown,
                reason=str(exc),
                hint=_NEXT_DOWNLOAD,
            ) from None
        except http.client.HTTPException as exc:
            raise DownloadError(
                f"{package}: the download of {shown} broke off: {exc!r}",
                package=package,
                url=shown,
                reason=repr(exc),
                hint=_NEXT_DOWNLOAD,
            ) from None
        if total is not None and size != total:
            raise DownloadError(
                f"{package}: the download of {shown} stopped at {size} of {total} bytes",
                package=package,
                url=shown,
                reason="truncated",
                hint=_NEXT_DOWNLOAD,
            )
        expected.check(digests, package=package, location=shown, kept=False)
    return cache.put(
        partial, sha256=digests["sha256"], filename=filename, package=package
    ), digests["sha256"]
