"""A local project's ``tool.uv.cache-keys``: what uv watches to decide it must rebuild.

Parsed from the text of ``pyproject.toml`` as uv 0.13 reads it
(``CacheKey`` and ``GitPattern`` in crates/uv-cache-info/src/cache_info.rs):
without the setting, ``pyproject.toml``, ``setup.py``, ``setup.cfg`` and the
folder ``src``; with it, exactly the keys listed (``[]`` is none at all).
uv 0.13 refuses a malformed entry ("Failed to parse cache keys"): it can then
tell nothing about the project, and neither can this module.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@dataclass(frozen=True, slots=True)
class FileKey:
    """A file, or a glob when it holds ``*``, ``?``, ``[`` or ``{``: its change time counts."""

    path: str


@dataclass(frozen=True, slots=True)
class DirKey:
    """A folder: only its creation, removal or re-creation counts, not what it holds."""

    path: str


@dataclass(frozen=True, slots=True)
class GitKey:
    """The repository's current commit and/or its tags."""

    commit: bool
    tags: bool


@dataclass(frozen=True, slots=True)
class EnvKey:
    """The value of an environment variable."""

    name: str


CacheKey = FileKey | DirKey | GitKey | EnvKey

DEFAULT_KEYS: tuple[CacheKey, ...] = (
    FileKey("pyproject.toml"),
    FileKey("setup.py"),
    FileKey("setup.cfg"),
    DirKey("src"),
)

_FIELDS = ("file", "dir", "git", "env")


class CacheKeyError(ValueError):
    """The cache keys are malformed: uv cannot compute the cache info either."""


class PyprojectError(CacheKeyError):
    """pyproject.toml is not TOML this reader understands (uv reads TOML 1.1), or ``tool`` or
    ``tool.uv`` is not a table: uv refuses such a project before it looks at its cache keys."""


def parse_cache_keys(text: str | None) -> tuple[CacheKey, ...]:
    """The cache keys a project's ``pyproject.toml`` text sets (``None``: no such file).

    Raises ``PyprojectError`` for a file that is not TOML, a ``tool`` or
    ``tool.uv`` that is not a table, and ``CacheKeyError`` for any malformed
    ``cache-keys`` entry.  uv parses TOML 1.1 and Python's ``tomllib`` 1.0:
    what only 1.1 allows (a multi-line inline table) is an error here rather
    than a wrong answer.
    """
    if text is None:
        return DEFAULT_KEYS
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PyprojectError(f"pyproject.toml is not TOML this reader understands: {exc}") from exc
    tool = document.get("tool")
    if tool is None:
        return DEFAULT_KEYS
    if not isinstance(tool, dict):
        raise PyprojectError("`tool` in pyproject.toml is not a table")
    uv = tool.get("uv")
    if uv is None:
        return DEFAULT_KEYS
    if not isinstance(uv, dict):
        raise PyprojectError("`tool.uv` in pyproject.toml is not a table")
    keys = uv.get("cache-keys")
    if keys is None:
        return DEFAULT_KEYS
    if not isinstance(keys, list):
        raise CacheKeyError("`tool.uv.cache-keys` is not a list")
    return tuple(_key(entry) for entry in keys)


def _key(entry: Any) -> CacheKey:
    if isinstance(entry, str):
        return FileKey(entry)
    if not isinstance(entry, dict):
        raise CacheKeyError(f"cache key {entry!r} is neither a path nor a table")
    if len(entry) != 1:
        what = "an empty table" if not entry else "a table of more than one field"
        raise CacheKeyError(f"cache key {entry!r} is {what}")
    ((field, value),) = entry.items()
    if field == "git":
        return _git_key(value)
    if field not in _FIELDS:
        raise CacheKeyError(f"cache key field `{field}` is none of {', '.join(_FIELDS)}")
    if not isinstance(value, str):
        raise CacheKeyError(f"cache key `{field}` is {value!r}, not a string")
    if field == "file":
        return FileKey(value)
    if field == "dir":
        return DirKey(value)
    return EnvKey(value)


def _git_key(value: Any) -> GitKey:
    if isinstance(value, bool):
        # `git = true` is the commit only; `git = false` watches nothing.
        return GitKey(commit=value, tags=False)
    if not isinstance(value, dict):
        raise CacheKeyError(f"cache key `git` is {value!r}, neither a boolean nor a table")
    unknown = sorted(set(value) - {"commit", "tags"})
    if unknown:
        raise CacheKeyError(f"cache key `git` has unknown fields {', '.join(unknown)}")
    if not all(isinstance(flag, bool) for flag in value.values()):
        raise CacheKeyError(f"cache key `git` is {value!r}: commit and tags must be booleans")
    return GitKey(commit=value.get("commit", False), tags=value.get("tags", False))
