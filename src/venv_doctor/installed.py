"""What is installed: ``*.dist-info`` and ``*.egg-info`` read as plain data.

Parsers take text; ``read_distribution`` is the thin loader that opens files.
Nothing is imported from the target venv.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NewType

from packaging.utils import canonicalize_name

from venv_doctor.records import RecordProblem, RecordRow, parse_record

NormalizedName = NewType("NormalizedName", str)

METADATA_SUFFIXES = (".dist-info", ".egg-info")


@dataclass(frozen=True, slots=True, kw_only=True)
class Unreadable:
    """A file that should have been read but could not be."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InstalledDist:
    """One installed distribution, as its metadata folder describes it.

    ``meta_dir`` and ``site_dir`` are relative to the venv root.  ``record`` is
    ``None`` when there is no RECORD (or, for egg-info, no installed-files.txt).
    ``version`` comes from METADATA, else from the folder name.
    """

    name: NormalizedName
    display_name: str
    version: str | None
    kind: str  # "dist-info", "egg-info" or "egg-info-file"
    meta_dir: str
    site_dir: str
    meta_files: frozenset[str]
    has_metadata: bool
    record: tuple[RecordRow, ...] | None
    record_problems: tuple[RecordProblem, ...] = ()
    requires_dist: tuple[str, ...] = ()
    installer: str | None = None
    direct_url: dict[str, Any] | None = None
    top_level: tuple[str, ...] = ()
    unreadable: tuple[Unreadable, ...] = field(default=())

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}" if self.version else str(self.name)

    @property
    def editable_url(self) -> str | None:
        """The ``file://`` URL of an editable install's project, from direct_url.json."""
        info = self.direct_url or {}
        dir_info = info.get("dir_info")
        if isinstance(dir_info, dict) and dir_info.get("editable") is True:
            url = info.get("url")
            return url if isinstance(url, str) else None
        return None


def split_meta_dir_name(dirname: str) -> tuple[str, str | None]:
    """``foo_bar-1.0.dist-info`` -> (``foo_bar``, ``1.0``); legacy names too.

    egg-info names may carry a ``-py3.11`` tag after the version.
    """
    stem = dirname.rsplit(".", 1)[0]
    name, sep, rest = stem.partition("-")
    if not sep:
        return name, None
    version = rest.split("-py", 1)[0] if dirname.endswith(".egg-info") else rest
    return name, version or None


def parse_metadata_headers(text: str) -> dict[str, list[str]]:
    """Read the header block of METADATA / PKG-INFO (RFC 822 style).

    Only the headers before the first blank line; continuation lines are
    joined.  Keys are lower-cased.  The body (the long description) is skipped,
    which is most of the file and all of the parsing cost.
    """
    headers: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in text.splitlines():
        if not line:
            break
        if line[0] in " \t" and last is not None:
            last[-1] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        last = headers.setdefault(key.strip().lower(), [])
        last.append(value.strip())
    return headers


def parse_installed_files(text: str) -> list[RecordRow]:
    """installed-files.txt of a legacy egg-info install: one path a line."""
    return [RecordRow(line.replace("\\", "/"), None, None, None) for line in text.splitlines() if line.strip()]


def _read_text(path: str) -> str:
    with open(path, "rb") as handle:
        data = handle.read()
    # surrogateescape keeps undecodable bytes (so RECORD parsing can flag them)
    # and turns back into the same bytes for os functions.
    return data.decode("utf-8", "surrogateescape")


def read_distribution(site_path: str, site_rel: str, entry_name: str) -> InstalledDist:
    """Read one ``*.dist-info`` / ``*.egg-info`` entry of a site-packages folder.

    ``site_path`` is the absolute folder, ``site_rel`` the same relative to the
    venv root.  Files that cannot be read are listed in ``unreadable``; this
    never raises for a damaged folder.
    """
    meta_path = os.path.join(site_path, entry_name)
    meta_rel = f"{site_rel}/{entry_name}"
    folder_name, folder_version = split_meta_dir_name(entry_name)
    unreadable: list[Unreadable] = []
    kind = "dist-info" if entry_name.endswith(".dist-info") else "egg-info"

    if kind == "egg-info" and not os.path.isdir(meta_path):
        # A distutils install: the egg-info is a single PKG-INFO file.
        kind = "egg-info-file"
        files: frozenset[str] = frozenset()
    else:
        try:
            files = frozenset(os.listdir(meta_path))
        except OSError as exc:
            unreadable.append(Unreadable(path=meta_rel, reason=exc.strerror or str(exc)))
            files = frozenset()

    def read(name: str) -> str | None:
        if name not in files:
            return None
        try:
            return _read_text(os.path.join(meta_path, name))
        except OSError as exc:
            unreadable.append(Unreadable(path=f"{meta_rel}/{name}", reason=exc.strerror or str(exc)))
            return None

    if kind == "egg-info-file":
        try:
            metadata_text: str | None = _read_text(meta_path)
        except OSError as exc:
            unreadable.append(Unreadable(path=meta_rel, reason=exc.strerror or str(exc)))
            metadata_text = None
        has_metadata = metadata_text is not None
    else:
        metadata_name = "METADATA" if kind == "dist-info" else "PKG-INFO"
        metadata_text = read(metadata_name)
        has_metadata = metadata_text is not None

    headers = parse_metadata_headers(metadata_text) if metadata_text else {}
    display_name = (headers.get("name") or [folder_name])[0]
    version = (headers.get("version") or [folder_version])[0]

    record: tuple[RecordRow, ...] | None = None
    problems: tuple[RecordProblem, ...] = ()
    top_level: tuple[str, ...] = ()
    if kind == "dist-info":
        text = read("RECORD")
        if text is not None:
            rows, bad = parse_record(text)
            record, problems = tuple(rows), tuple(bad)
    elif kind == "egg-info":
        text = read("installed-files.txt")
        if text is not None:
            record = tuple(
                row._replace(path=f"{entry_name}/{row.path}") for row in parse_installed_files(text)
            )
        top = read("top_level.txt")
        if top:
            top_level = tuple(line.strip() for line in top.splitlines() if line.strip())

    direct_url: dict[str, Any] | None = None
    raw_url = read("direct_url.json")
    if raw_url is not None:
        try:
            loaded = json.loads(raw_url)
        except ValueError:
            unreadable.append(Unreadable(path=f"{meta_rel}/direct_url.json", reason="not valid JSON"))
        else:
            direct_url = loaded if isinstance(loaded, dict) else None
    installer = read("INSTALLER")

    return InstalledDist(
        name=NormalizedName(canonicalize_name(display_name)),
        display_name=display_name,
        version=version,
        kind=kind,
        meta_dir=meta_rel,
        site_dir=site_rel,
        meta_files=files,
        has_metadata=has_metadata,
        record=record,
        record_problems=problems,
        requires_dist=tuple(headers.get("requires-dist", ())),
        installer=installer.strip() if installer else None,
        direct_url=direct_url,
        top_level=top_level,
        unreadable=tuple(unreadable),
    )


def read_distributions(site_path: Path, site_rel: str, names: Iterable[str]) -> list[InstalledDist]:
    """Read every metadata folder among ``names`` (the top-level entries of a site-packages)."""
    return [
        read_distribution(str(site_path), site_rel, name)
        for name in sorted(names)
        if name.endswith(METADATA_SUFFIXES)
    ]

