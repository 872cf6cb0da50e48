"""Downloads and venv-doctor's own download cache.

The cache holds only complete files whose sha256 was computed while they
were written: ``wheels-v1/<hex[:2]>/<hex>/<filename>``, content-addressed,
so a lock's hash finds its file without the network.  Two small reference
folders find files by other keys: ``names-v1/<name>/<version>/<hex>`` (a
distribution fetched without a lock) and ``built-v1/<key>/<hex>`` (a wheel
built from an sdist or a git commit).  Downloads stream into ``tmp/`` and
are moved into place only once verified; on any failure the partial file
is deleted.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import http.client
import os
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO
from urllib.parse import urlsplit, urlunsplit

from venv_doctor import __version__
from venv_doctor.apply.simple_index import (
    ACCEPT,
    IndexFile,
    SimplePageError,
    parse_project_page,
    project_page_url,
)
from venv_doctor.apply.wheel_errors import (
    CacheWriteError,
    DownloadError,
    HashMismatchError,
    IndexPageError,
    WheelNotFoundError,
)

USER_AGENT = f"venv-doctor/{__version__}"
CHUNK_SIZE = 1 << 16
# Partial files older than this belong to a run that was killed: safe to delete.
_STALE_SECONDS = 24 * 3600

CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by venv-doctor.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadProgress:
    """How far one download is: ``done`` bytes of ``total`` (``None`` when unknown)."""

    filename: str
    url: str
    done: int
    total: int | None


ProgressCallback = Callable[[DownloadProgress], None]


# ------------------------------------------------------------------- hashing


def file_digests(path: Path, algorithms: tuple[str, ...] = ("sha256",)) -> dict[str, str]:
    """Hex digests of the file at ``path`` for each of ``algorithms``, in one read."""
    hashers = {name: hashlib.new(name) for name in algorithms}
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_SIZE), b""):
            for hasher in hashers.values():
                hasher.update(block)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class HashSpec:
    """The digests a file must have: every digest of at least one of ``choices``.

    A lock names one file's digests (one choice); a requirements file's
    ``--hash`` options each allow a file (one choice per option).  No
    choices at all means any file will do.
    """

    choices: tuple[Mapping[str, str], ...] = ()

    @classmethod
    def exact(cls, hashes: Mapping[str, str]) -> HashSpec:
        cleaned = {name.lower(): value.lower() for name, value in hashes.items() if value}
        return cls(choices=(cleaned,) if cleaned else ())

    @classmethod
    def any_of(cls, pairs: Iterable[str]) -> HashSpec:
        """From ``algo:hex`` strings, any one of which a file may match."""
        choices = []
        for pair in pairs:
            name, sep, value = pair.partition(":")
            if sep and value:
                choices.append({name.lower(): value.lower()})
        return cls(choices=tuple(choices))

    def __bool__(self) -> bool:
        return bool(self.choices)

    def also(self, hashes: Mapping[str, str]) -> HashSpec:
        """This spec, with ``hashes`` (an index's digests) required as well."""
        extra = {name.lower(): value.lower() for name, value in hashes.items() if value}
        if not extra:
            return self
        if not self.choices:
            return HashSpec(choices=(extra,))
        return HashSpec(choices=tuple({**extra, **choice} for choice in self.choices))

    @property
    def sha256s(self) -> tuple[str, ...]:
        """Every sha256 a matching file may have: the keys to look for in the cache."""
        return tuple(choice["sha256"] for choice in self.choices if "sha256" in choice)

    @property
    def algorithms(self) -> tuple[str, ...]:
        """sha256 first, then every other algorithm the choices use that hashlib knows."""
        names = {name for choice in self.choices for name in choice}
        extra = sorted(name for name in names - {"sha256"} if name in hashlib.algorithms_available)
        return ("sha256", *extra)

    def check(self, digests: Mapping[str, str], *, package: str, location: str, kept: bool) -> None:
        """Raise ``HashMismatchError`` unless ``digests`` satisfy one of the choices."""
        if not self.choices:
            return
        for choice in self.choices:
            # Digests hashlib cannot compute are skipped, but one must have been compared.
            known = [(value, digests[name]) for name, value in choice.items() if name in digests]
            if known and all(value == actual for value, actual in known):
                return
        algorithm = (
            "sha256"
            if any("sha256" in choice for choice in self.choices)
            else next(iter(self.choices[0]))
        )
        wanted = [choice[algorithm] for choice in self.choices if algorithm in choice]
        if not wanted:  # pragma: no cover - every choice has the algorithm picked above
            wanted = [str(dict(choice)) for choice in self.choices]
        expected = wanted[0] if len(wanted) == 1 else "one of " + ", ".join(wanted)
        raise HashMismatchError(
            package=package,
            location=location,
            algorithm=algorithm,
            expected=expected,
            actual=digests.get(algorithm, "?"),
            kept=kept,
        )


def verified_sha256(
    path: Path, spec: HashSpec, *, package: str, location: str | None = None
) -> str:
    """The file's sha256, after checking the file against ``spec``."""
    digests = file_digests(path, spec.algorithms)
    spec.check(digests, package=package, location=location or str(path), kept=True)
    return digests["sha256"]


# ------------------------------------------------------------------- the cache


def _is_hex_sha256(value: str) -> bool:
    return len(value) == 64 and all(char in "0123456789abcdef" for char in value)


class WheelCache:
    """venv-doctor's own cache of verified files, content-addressed by sha256."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"

    # -- reading

    def get(self, sha256: str) -> Path | None:
        """The cached file with this sha256, re-hashed; a damaged entry is dropped."""
        sha256 = sha256.lower()
        if not _is_hex_sha256(sha256):
            return None
        folder = self.root / "wheels-v1" / sha256[:2] / sha256
        try:
            names = [entry for entry in os.listdir(folder) if not entry.startswith(".")]
        except OSError:
            return None
        for name in names:
            path = folder / name
            try:
                actual = file_digests(path)["sha256"]
            except OSError:
                continue
            if actual == sha256:
                return path
            # Damaged on disk (or by hand): it must never be handed out again.
            with contextlib.suppress(OSError):
                path.unlink()
        return None

    def _refs(self, folder: Path) -> list[Path]:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return []
        found = []
        for name in names:
            path = self.get(name) if _is_hex_sha256(name) else None
            if path is not None:
                found.append(path)
        return found

    def find(self, name: str, version: str) -> list[Path]:
        """Cached files recorded for the distribution ``name`` at ``version``."""
        return self._refs(self.root / "names-v1" / name / _safe(version))

    def built(self, key: str) -> list[Path]:
        """Cached wheels built from the source ``key`` identifies (an sdist hash, a commit)."""
        return self._refs(self.root / "built-v1" / _key_folder(key))

    # -- writing

    def _prepare(self) -> None:
        self._tmp.mkdir(parents=True, exist_ok=True)
        tag = self.root / "CACHEDIR.TAG"
        if not tag.exists():
            with contextlib.suppress(OSError):
                tag.write_text(CACHEDIR_TAG, encoding="utf-8")
        self._clean_stale()

    def _clean_stale(self) -> None:
        cutoff = time.time() - _STALE_SECONDS
        with contextlib.suppress(OSError), os.scandir(self._tmp) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        if entry.is_dir(follow_symlinks=False):
                            shutil.rmtree(entry.path, ignore_errors=True)
                        else:
                            os.unlink(entry.path)

    @contextlib.contextmanager
    def partial(self, *, package: str, filename: str) -> Iterator[tuple[Path, IO[bytes]]]:
        """A new temporary file inside the cache, deleted unless moved in with ``put``."""
        try:
            self._prepare()
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, kept on success
                dir=self._tmp, prefix="partial-", suffix=".part", delete=False
            )
        except OSError as exc:
            raise self.write_error(exc, package=package, filename=filename) from exc
        path = Path(handle.name)
        try:
            try:
                yield path, handle
            finally:
                handle.close()
        except OSError as exc:
            with contextlib.suppress(OSError):
                path.unlink()
            if exc.errno in {errno.ENOSPC, errno.EDQUOT}:
                raise self.write_error(exc, package=package, filename=filename) from exc
            raise
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise

    def put(self, partial: Path, *, sha256: str, filename: str, package: str) -> Path:
        """Move a complete, verified ``partial`` file to its content address."""
        folder = self.root / "wheels-v1" / sha256[:2] / sha256
        target = folder / filename
        try:
            folder.mkdir(parents=True, exist_ok=True)
            os.replace(partial, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                partial.unlink()
            raise self.write_error(exc, package=package, filename=filename) from exc
        return target

    def add(self, source: Path, *, sha256: str, package: str) -> Path:
        """Copy a verified file (a built wheel) into the cache; returns its cached path."""
        existing = self.get(sha256)
        if existing is not None and existing.name == source.name:
            return existing
        with self.partial(package=package, filename=source.name) as (path, handle):
            try:
                with open(source, "rb") as reader:
                    shutil.copyfileobj(reader, handle, CHUNK_SIZE)
                handle.flush()
            except OSError as exc:
                raise self.write_error(exc, package=package, filename=source.name) from exc
        return self.put(path, sha256=sha256, filename=source.name, package=package)

    def _ref(self, folder: Path, sha256: str) -> None:
        # A reference is only a speed-up: failing to write one is not an error.
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / sha256).touch()

    def remember(self, name: str, version: str, sha256: str) -> None:
        """Record that the cached file ``sha256`` is a file of ``name`` ``version``."""
        self._ref(self.root / "names-v1" / name / _safe(version), sha256)

    def remember_built(self, key: str, sha256: str) -> None:
        """Record that the cached wheel ``sha256`` was built from the source ``key``."""
        self._ref(self.root / "built-v1" / _key_folder(key), sha256)

    def write_error(self, exc: OSError, *, package: str, filename: str) -> CacheWriteError:
        if exc.errno in {errno.ENOSPC, errno.EDQUOT}:
            return CacheWriteError(
                f"{package}: no space left on the device while writing {filename} "
                f"to the download cache {self.root}; the partial file was deleted",
                package=package,
                location=str(self.root),
                path=self.root,
                hint=(
                    "free some space, or set VENV_DOCTOR_CACHE_DIR to a folder on a disk "
                    "with room, then run the command again"
                ),
            )
        reason = exc.strerror or str(exc)
        return CacheWriteError(
            f"{package}: cannot write {filename} to the download cache {self.root}: {reason}",
            package=package,
            location=str(self.root),
            path=self.root,
            hint="make the folder writable, or set VENV_DOCTOR_CACHE_DIR to another folder",
        )


def _safe(part: str) -> str:
    # Versions may hold '+' and '!' (fine in file names) but never a separator.
    return part.replace("/", "_").replace("\\", "_")


def _key_folder(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


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
