"""What wheel and sdist file names say: name, version, tags (PEP 427, PEP 625)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from venv_doctor.read.installed import NormalizedName

_SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip")
# How many of the interpreter's tags an error shows: the rest are variations.
_SHOWN_TAGS = 5


def wheel_name(filename: str) -> tuple[NormalizedName, Version, frozenset[Tag]] | None:
    """Normalized name, version and tags of a wheel file name; ``None`` if it is not one."""
    try:
        name, version, _build, tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion):
        return None
    return NormalizedName(str(name)), version, tags


def is_sdist(filename: str) -> bool:
    """Whether ``filename`` looks like a source archive that ``build`` can build."""
    return filename.lower().endswith(_SDIST_SUFFIXES)


def same_version(version: Version, wanted: str | None) -> bool:
    """Whether ``version`` is ``wanted`` (``None``: any version will do)."""
    if wanted is None:
        return True
    try:
        return version == Version(wanted)
    except InvalidVersion:
        return str(version) == wanted


def sdist_matches(filename: str, name: str, version: str) -> bool:
    """Whether ``filename`` is an sdist of ``name`` (normalized) at ``version``."""
    try:
        sdist_name, sdist_version = parse_sdist_filename(filename)
    except (InvalidSdistFilename, InvalidVersion):
        return False
    return sdist_name == name and same_version(sdist_version, version)


def url_filename(url: str) -> str:
    """The last path segment of ``url``, unquoted."""
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def shown_tags(tags: Sequence[Tag]) -> list[str]:
    """The interpreter's best few tags, as an error message shows them."""
    return [str(tag) for tag in tags[:_SHOWN_TAGS]]
