"""What is installed: ``*.dist-info`` and ``*.egg-info`` read as plain data.

Parsers take text; ``read_distribution`` is the thin loader that opens files.
Nothing is imported from the target venv.
"""

from __future__ import annotations

import configparser
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NewType

from packaging.utils import canonicalize_name

from venv_doctor.read.readfile import read_regular
from venv_doctor.read.records import RecordProblem, RecordRow, parse_record

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
    ``version`` comes from METADATA, else from the folder name.  ``top_level``
    is read from top_level.txt for egg-info, and for dist-info only when its
    RECORD is missing or lists none of its own files (then nothing else says
    which import names are its).  ``entry_scripts`` are the console and GUI
    scripts entry_points.txt declares: the launchers an installer writes.
    ``wheel_tags`` are the ``Tag:`` lines of a dist-info's WHEEL file, as
    written (possibly compressed: ``cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64``).
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
    entry_scripts: tuple[str, ...] = ()
    wheel_tags: tuple[str, ...] = ()
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


def is_stashed_metadata(entry_name: str) -> bool:
    """A metadata folder pip moved aside under a ``~`` name while it uninstalled.

    Nothing is installed by it: pip itself skips it as an invalid name
    (pip metadata/base.py ``iter_all_distributions``), uv as "a dangling
    temporary directory" (uv-installer site_packages.rs), though
    ``importlib.metadata`` still lists it under the name in its METADATA.
    """
    return entry_name.startswith("~")


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
    return [
        RecordRow(line.replace("\\", "/"), None, None, None)
        for line in text.splitlines()
        if line.strip()
    ]


def parse_entry_scripts(text: str) -> tuple[str, ...]:
    """The names of the console and GUI scripts an ``entry_points.txt`` declares.

    Read as installer reads it (``installer/utils.py: parse_entrypoints``): an
    INI file with case-sensitive keys and ``=`` as the only delimiter.  A file
    that cannot be parsed declares nothing here: no installer could have
    installed from it either.
    """
    if "_scripts" not in text:
        return ()  # plugins only (pytest11, ...): no parser needed
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    try:
        parser.read_string(text)
    except configparser.Error:
        return ()
    names: list[str] = []
    for section in ("console_scripts", "gui_scripts"):
        if parser.has_section(section):
            names.extend(name for name in parser.options(section) if name)
    return tuple(names)


def parse_wheel_tags(text: str) -> tuple[str, ...]:
    """The ``Tag:`` values of a WHEEL file (RFC 822 style headers, one tag a line)."""
    return tuple(
        value.strip()
        for key, sep, value in (line.partition(":") for line in text.splitlines())
        if sep and key.strip().lower() == "tag" and value.strip()
    )


def _lines(text: str | None) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def _read_text(path: str) -> str:
    data = read_regular(path)
    # surrogateescape keeps undecodable bytes (so RECORD parsing can flag them)
    # and turns back into the same bytes for os functions.
    return data.decode("utf-8", "surrogateescape")


class _MetaFolder:
    """Reads files of one metadata folder, collecting what cannot be read."""

    def __init__(self, path: str, rel: str, kind: str) -> None:
        self.path, self.rel = path, rel
        self.unreadable: list[Unreadable] = []
        self.files: frozenset[str] = frozenset()
        if kind != "egg-info-file":
            try:
                self.files = frozenset(os.listdir(path))
            except OSError as exc:
                self._lost(rel, exc)

    def _lost(self, rel: str, exc: OSError) -> None:
        self.unreadable.append(Unreadable(path=rel, reason=exc.strerror or str(exc)))

    def read(self, name: str | None) -> str | None:
        """A file of the folder (``None``: the folder itself, for a PKG-INFO file)."""
        if name is not None and name not in self.files:
            return None
        path = self.path if name is None else os.path.join(self.path, name)
        try:
            return _read_text(path)
        except OSError as exc:
            self._lost(self.rel if name is None else f"{self.rel}/{name}", exc)
            return None


def read_distribution(site_path: str, site_rel: str, entry_name: str) -> InstalledDist:
    """Read one ``*.dist-info`` / ``*.egg-info`` entry of a site-packages folder.

    ``site_path`` is the absolute folder, ``site_rel`` the same relative to the
    venv root.  Files that cannot be read are listed in ``unreadable``; this
    never raises for a damaged folder.
    """
    meta_path = os.path.join(site_path, entry_name)
    folder_name, folder_version = split_meta_dir_name(entry_name)
    kind = "dist-info" if entry_name.endswith(".dist-info") else "egg-info"
    if kind == "egg-info" and not os.path.isdir(meta_path):
        kind = "egg-info-file"  # a distutils install: the egg-info is one PKG-INFO file
    folder = _MetaFolder(meta_path, f"{site_rel}/{entry_name}", kind)
    metadata_text = folder.read(
        None if kind == "egg-info-file" else "METADATA" if kind == "dist-info" else "PKG-INFO"
    )
    headers = parse_metadata_headers(metadata_text) if metadata_text else {}
    display_name = headers.get("name", [folder_name])[0]

    record: tuple[RecordRow, ...] | None = None
    problems: tuple[RecordProblem, ...] = ()
    top_level: tuple[str, ...] = ()
    entry_scripts: tuple[str, ...] = ()
    wheel_tags: tuple[str, ...] = ()
    if kind == "dist-info":
        text = folder.read("RECORD")
        if text is not None:
            rows, bad = parse_record(text)
            record, problems = tuple(rows), tuple(bad)
        # A RECORD that names none of its dist-info's files cannot tell which
        # import names are the distribution's (diagnose/claims.py decides exactly).
        if not record or f"{entry_name}/" not in (text or ""):
            top_level = _lines(folder.read("top_level.txt"))
        points = folder.read("entry_points.txt")
        entry_scripts = parse_entry_scripts(points) if points else ()
        wheel = folder.read("WHEEL")
        wheel_tags = parse_wheel_tags(wheel) if wheel else ()
    elif kind == "egg-info":
        text = folder.read("installed-files.txt")
        if text is not None:
            record = tuple(
                row._replace(path=f"{entry_name}/{row.path}") for row in parse_installed_files(text)
            )
        top_level = _lines(folder.read("top_level.txt"))
    installer = folder.read("INSTALLER")
    return InstalledDist(
        name=NormalizedName(canonicalize_name(display_name)),
        display_name=display_name,
        version=headers.get("version", [folder_version])[0],
        kind=kind,
        meta_dir=folder.rel,
        site_dir=site_rel,
        meta_files=folder.files,
        has_metadata=metadata_text is not None,
        record=record,
        record_problems=problems,
        requires_dist=tuple(headers.get("requires-dist", ())),
        installer=installer.strip() if installer else None,
        direct_url=_direct_url(folder),
        top_level=top_level,
        entry_scripts=entry_scripts,
        wheel_tags=wheel_tags,
        unreadable=tuple(folder.unreadable),
    )


def _direct_url(folder: _MetaFolder) -> dict[str, Any] | None:
    raw = folder.read("direct_url.json")
    if raw is None:
        return None
    try:
        loaded = json.loads(raw)
    except ValueError:
        folder.unreadable.append(
            Unreadable(path=f"{folder.rel}/direct_url.json", reason="not valid JSON")
        )
        return None
    return loaded if isinstance(loaded, dict) else None


def read_distributions(site_path: Path, site_rel: str, names: Iterable[str]) -> list[InstalledDist]:
    """Read every metadata folder among ``names`` (the top-level entries of a site-packages)."""
    return [
        read_distribution(str(site_path), site_rel, name)
        for name in sorted(names)
        if name.endswith(METADATA_SUFFIXES) and not is_stashed_metadata(name)
    ]
