"""Read a project page of a simple repository API: PEP 503 HTML or PEP 691 JSON.

Pure: the parsers take the page's text and the URL it was served from, and
return the files it lists with absolute URLs and their digests (the
``#sha256=`` fragment of HTML links, the ``hashes`` table of JSON).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from packaging.utils import canonicalize_name

from venv_doctor.lockfiles.wanted import Artifact

JSON_CONTENT_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_CONTENT_TYPE = "application/vnd.pypi.simple.v1+html"
# PEP 691: prefer JSON, accept either HTML flavour from servers that only have that.
ACCEPT = f"{JSON_CONTENT_TYPE}, {HTML_CONTENT_TYPE};q=0.2, text/html;q=0.01"

# Only digests hashlib can always compute are worth keeping.
_ALGORITHMS = frozenset(hashlib.algorithms_guaranteed)


class SimplePageError(ValueError):
    """A project page that is not a simple API page this reader understands."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexFile:
    """One file a project page links: its name, absolute URL and known digests."""

    filename: str
    url: str
    hashes: Mapping[str, str] = field(default_factory=dict)
    requires_python: str | None = None
    yanked: bool = False

    def artifact(self) -> Artifact:
        return Artifact(filename=self.filename, url=self.url, hashes=dict(self.hashes))


def project_page_url(index_url: str, name: str) -> str:
    """``<index>/<normalized-name>/``, the page PEP 503 puts each project at."""
    return f"{index_url.rstrip('/')}/{canonicalize_name(name)}/"


def parse_project_page(text: str, *, content_type: str, base_url: str) -> list[IndexFile]:
    """Parse a page by its ``Content-Type``: PEP 691 JSON, else PEP 503 HTML."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == JSON_CONTENT_TYPE or media.endswith("+json") or media == "application/json":
        return parse_simple_json(text, base_url)
    return parse_simple_html(text, base_url)


def _check_api_version(version: object, where: str) -> None:
    if version is None:
        return
    major = str(version).split(".", 1)[0]
    if major != "1":
        raise SimplePageError(f"{where} uses simple API version {version}; only 1.x is understood")


def _hashes_from_fragment(url: str) -> tuple[str, dict[str, str]]:
    bare, fragment = urldefrag(url)
    hashes: dict[str, str] = {}
    name, sep, value = fragment.partition("=")
    if sep and name.lower() in _ALGORITHMS and value:
        hashes[name.lower()] = value.lower()
    return bare, hashes


def _filename_of(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.api_version: str | None = None
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "meta" and values.get("name") == "pypi:repository-version":
            self.api_version = values.get("content")
        elif tag == "a":
            self._close()
            self._open = values
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close()

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def _close(self) -> None:
        if self._open is not None:
            self.anchors.append((self._open, "".join(self._text).strip()))
        self._open = None

    def close(self) -> None:
        super().close()
        self._close()


def parse_simple_html(text: str, base_url: str) -> list[IndexFile]:
    """The files a PEP 503 project page links, with URLs made absolute.

    Relative links resolve against a ``<base href>`` when the page has one,
    else against ``base_url`` (the URL the page was finally served from).
    ``data-yanked`` and ``data-requires-python`` are kept.
    """
    parser = _AnchorParser()
    parser.feed(text)
    parser.close()
    _check_api_version(parser.api_version, base_url)
    base = urljoin(base_url, parser.base) if parser.base else base_url
    files = []
    for attrs, label in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, hashes = _hashes_from_fragment(urljoin(base, href))
        files.append(
            IndexFile(
                filename=label or _filename_of(url),
                url=url,
                hashes=hashes,
                requires_python=attrs.get("data-requires-python"),
                yanked="data-yanked" in attrs,
            )
        )
    return files


def _json_file(entry: object, base_url: str) -> IndexFile:
    if not isinstance(entry, Mapping):
        raise SimplePageError(f"{base_url}: a file entry is not an object: {entry!r}")
    filename, url = entry.get("filename"), entry.get("url")
    if not isinstance(filename, str) or not isinstance(url, str):
        raise SimplePageError(f"{base_url}: a file entry lacks a filename or url: {entry!r}")
    raw_hashes = entry.get("hashes") or {}
    if not isinstance(raw_hashes, Mapping):
        raise SimplePageError(f"{base_url}: hashes of {filename} is not an object")
    hashes = {
        str(name).lower(): str(value).lower()
        for name, value in raw_hashes.items()
        if str(name).lower() in _ALGORITHMS and value
    }
    absolute, fragment_hashes = _hashes_from_fragment(urljoin(base_url, url))
    requires_python = entry.get("requires-python")
    yanked = entry.get("yanked", False)
    return IndexFile(
        filename=filename,
        url=absolute,
        hashes={**fragment_hashes, **hashes},
        requires_python=requires_python if isinstance(requires_python, str) else None,
        # PEP 691: false, true, or a string giving the reason (which means yanked).
        yanked=bool(yanked),
    )


def parse_simple_json(text: str, base_url: str) -> list[IndexFile]:
    """The files a PEP 691 JSON project page lists, with URLs made absolute."""
    try:
        data: Any = json.loads(text)
    except ValueError as exc:
        raise SimplePageError(f"{base_url}: not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise SimplePageError(f"{base_url}: the page is not a JSON object")
    meta = data.get("meta")
    _check_api_version(meta.get("api-version") if isinstance(meta, Mapping) else None, base_url)
    files = data.get("files")
    if not isinstance(files, Sequence) or isinstance(files, str):
        raise SimplePageError(f"{base_url}: 'files' is not a list")
    return [_json_file(entry, base_url) for entry in files]
