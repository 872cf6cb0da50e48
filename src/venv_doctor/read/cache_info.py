"""uv's cache info of a local project: what ``uv_cache.json`` holds, and what it would hold now.

When uv installs a project from a local folder (editable or not) or a local
archive, it writes ``<name>-<version>.dist-info/uv_cache.json``: the newest
change time (ctime) of the project's key files, the creation time of its key
folders, and its git commit, tags and environment variables when its
``tool.uv.cache-keys`` ask for them.  Every later ``uv sync`` computes the same
from the project as it is then and rebuilds the project when the two differ
in anything at all (crates/uv-installer/src/satisfies.rs compares them with
``==``).

``cache_info`` computes it as uv 0.13 does
(crates/uv-cache-info/src/cache_info.rs ``CacheInfo::from_path``, and
``timestamp.rs``); ``CacheInfo.to_json`` writes the bytes uv writes
(``serde_json::to_string`` in crates/uv-install-wheel/src/wheel.rs);
``parse_cache_info`` reads a stored one as uv's serde does.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from venv_doctor.read.readfile import read_regular

if TYPE_CHECKING:
    from venv_doctor.read.cache_globs import Selector
    from venv_doctor.read.cache_keys import CacheKey

# A time as uv writes it: (seconds, nanoseconds) since 1970.
Stamp = tuple[int, int]
# A key folder: its creation time; its inode where the file system records no
# creation time; None when the folder does not exist.
FolderStamp = Stamp | int | None

_NS = 1_000_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheInfo:
    """One project's cache info; two are equal exactly when uv finds them equal.

    The maps are kept as tuples sorted by key, as uv keeps them (BTreeMap).
    """

    timestamp: Stamp | None = None
    commit: str | None = None
    tags: tuple[tuple[str, str], ...] | None = None
    env: tuple[tuple[str, str | None], ...] = ()
    directories: tuple[tuple[str, FolderStamp], ...] = ()

    @property
    def empty(self) -> bool:
        """uv writes no ``uv_cache.json`` for empty info (so it reinstalls every time)."""
        return self == _EMPTY

    def to_json(self) -> bytes:
        """The bytes uv writes: compact JSON, fields in uv's order, ``null`` never left out."""

        def stamp(value: FolderStamp) -> Any:
            if isinstance(value, tuple):
                return {"secs_since_epoch": value[0], "nanos_since_epoch": value[1]}
            return value

        document = {
            "timestamp": stamp(self.timestamp),
            "commit": self.commit,
            "tags": None if self.tags is None else dict(self.tags),
            "env": dict(self.env),
            "directories": {key: stamp(value) for key, value in self.directories},
        }
        # serde_json escapes as json does without ensure_ascii: quotes, backslashes,
        # control characters; everything else is written as UTF-8.
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_EMPTY = CacheInfo()


def _stamp(ns: int) -> Stamp:
    seconds, nanos = divmod(ns, _NS)
    return (seconds, nanos)


# -- reading a stored uv_cache.json ---------------------------------------------------------


class InvalidCacheInfoError(ValueError):
    """A ``uv_cache.json`` uv cannot read: every uv command that reads the venv fails."""


def _unsigned(value: object, bits: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**bits


class _Object(dict[str, Any]):
    """A JSON object that knows whether a key came twice (serde refuses that in a struct)."""

    repeated = False


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    found = _Object(pairs)
    found.repeated = len(found) != len(pairs)
    return found


def _parse_stamp(value: object) -> Stamp:
    # serde's SystemTime: a map of exactly these two fields, or a pair; nanoseconds
    # past one second carry into the seconds.
    if (
        isinstance(value, _Object)
        and not value.repeated
        and set(value) == {"secs_since_epoch", "nanos_since_epoch"}
    ):
        seconds, nanos = value["secs_since_epoch"], value["nanos_since_epoch"]
    elif isinstance(value, list) and len(value) == 2:
        seconds, nanos = value
    else:
        raise InvalidCacheInfoError(f"{value!r} is not a time")
    if not (_unsigned(seconds, 64) and _unsigned(nanos, 32)):
        raise InvalidCacheInfoError(f"{value!r} is not a time")
    return _stamp(seconds * _NS + nanos)


def _strings(value: object, what: str, *, nullable: bool) -> tuple[tuple[str, Any], ...]:
    if not isinstance(value, dict) or not all(
        isinstance(item, str) or (nullable and item is None) for item in value.values()
    ):
        raise InvalidCacheInfoError(f"{what} is not a map of strings")
    return tuple(sorted(value.items()))


def _no_constant(name: str) -> None:
    raise InvalidCacheInfoError(f"{name} is not JSON")


def parse_cache_info(text: str) -> CacheInfo:
    """A stored ``uv_cache.json``, read as uv reads it; ``InvalidCacheInfoError`` if it cannot.

    uv accepts what its serde accepts: other whitespace and field order,
    unknown fields, a missing ``env`` or ``directories`` (empty) or
    ``timestamp``, ``commit``, ``tags`` (null), and a time as a pair.
    """
    try:
        document = json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant)
    except ValueError as exc:  # JSONDecodeError, and ours
        raise InvalidCacheInfoError(str(exc)) from exc
    if not isinstance(document, _Object) or document.repeated:
        raise InvalidCacheInfoError("not a JSON object of distinct fields")
    timestamp = document.get("timestamp")
    commit = document.get("commit")
    if commit is not None and not isinstance(commit, str):
        raise InvalidCacheInfoError("commit is not a string")
    tags = document.get("tags")
    env = document.get("env", {})
    directories = document.get("directories", {})
    if not isinstance(directories, dict):
        raise InvalidCacheInfoError("directories is not a map")
    folders: list[tuple[str, FolderStamp]] = []
    for key, value in directories.items():
        # uv's DirectoryTimestamp is untagged: a time first, else an inode number.
        if value is None or _unsigned(value, 64):
            folders.append((key, value))
        else:
            folders.append((key, _parse_stamp(value)))
    return CacheInfo(
        timestamp=None if timestamp is None else _parse_stamp(timestamp),
        commit=commit,
        tags=None if tags is None else _strings(tags, "tags", nullable=False),
        env=_strings(env, "env", nullable=True),
        directories=tuple(sorted(folders)),
    )


# -- computing it from the project ----------------------------------------------------------


class CacheInfoUnknownError(Exception):
    """uv cannot compute the project's cache info either, or this platform cannot tell."""


class UnreadableProjectError(CacheInfoUnknownError):
    """The project's pyproject.toml cannot be read as uv reads it: no answer either way."""


def _change_time(info: os.stat_result) -> int:
    # uv's Timestamp::from_metadata: the ctime on Unix (any write, chmod or rename
    # over moves it, and nothing can set it back), the mtime elsewhere.
    return info.st_ctime_ns if os.name == "posix" else info.st_mtime_ns


def cache_info(path: str, environ: Mapping[str, str]) -> CacheInfo:
    """The cache info uv would compute now for the local source at ``path``.

    ``environ`` is the environment uv runs in (for ``env`` keys).  For an
    archive (a wheel or sdist path), only its change time.  Raises
    ``CacheInfoUnknownError`` where uv fails too (malformed ``cache-keys``,
    a glob it cannot parse), its ``UnreadableProjectError`` where the answer
    cannot be known here, and ``OSError`` when ``path`` cannot be read.
    """
    info = os.stat(path)
    if stat.S_ISREG(info.st_mode):
        return CacheInfo(timestamp=_stamp(_change_time(info)))
    # Only a check that has a local project to compare pays for these imports.
    from venv_doctor.read.birth_time import BirthTimeUnknownError
    from venv_doctor.read.cache_globs import GlobError
    from venv_doctor.read.cache_keys import CacheKeyError, PyprojectError, parse_cache_keys

    try:
        text: str | None = read_regular(os.path.join(path, "pyproject.toml")).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        text = None  # uv takes its default keys when it cannot read the file
    try:
        keys = parse_cache_keys(text)
        return _from_keys(path, keys, environ)
    except (PyprojectError, BirthTimeUnknownError) as exc:
        raise UnreadableProjectError(str(exc)) from exc
    except (CacheKeyError, GlobError) as exc:
        raise CacheInfoUnknownError(str(exc)) from exc


def _from_keys(project: str, keys: tuple[CacheKey, ...], environ: Mapping[str, str]) -> CacheInfo:
    from venv_doctor.read.cache_globs import is_glob
    from venv_doctor.read.cache_keys import DirKey, FileKey, GitKey
    from venv_doctor.read.git_refs import git_commit, git_tags

    newest: int | None = None
    commit: str | None = None
    tags: dict[str, str] | None = None
    env: dict[str, str | None] = {}
    folders: dict[str, FolderStamp] = {}
    globs: list[str] = []
    for key in keys:
        if isinstance(key, FileKey) and is_glob(key.path):
            globs.append(key.path)  # uv matches them all in one pass, after the others
        elif isinstance(key, FileKey):
            changed = _file_change_time(os.path.join(project, key.path))
            if changed is not None:
                newest = changed if newest is None else max(newest, changed)
        elif isinstance(key, DirKey):
            _folder_key(os.path.join(project, key.path), key.path, folders)
        elif isinstance(key, GitKey):
            if key.commit:
                commit = git_commit(project) or commit
            if key.tags:
                found = git_tags(project)
                tags = found if found is not None else tags
        else:
            env[key.name] = _variable(environ, key.name)
    for changed in _glob_change_times(project, globs):
        newest = changed if newest is None else max(newest, changed)
    return CacheInfo(
        timestamp=None if newest is None else _stamp(newest),
        commit=commit,
        tags=None if tags is None else tuple(sorted(tags.items())),
        env=tuple(sorted(env.items())),
        directories=tuple(sorted(folders.items())),
    )


def _file_change_time(path: str) -> int | None:
    """A key file's change time (links followed); ``None`` for anything but a regular file."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return _change_time(info) if stat.S_ISREG(info.st_mode) else None


def _folder_key(path: str, key: str, folders: dict[str, FolderStamp]) -> None:
    """Record a key folder under its key exactly as written (``src/`` is not ``src``)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        folders[key] = None
        return
    except OSError:
        return  # uv only warns, and leaves the key out
    if not stat.S_ISDIR(info.st_mode):
        return
    from venv_doctor.read.birth_time import birth_time_ns

    born = birth_time_ns(path, info)
    if born is not None:
        folders[key] = _stamp(born)
    elif os.name == "posix":
        folders[key] = info.st_ino


def _variable(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    if value is None:
        return None
    try:
        value.encode("utf-8")  # bytes that are not UTF-8 come in as surrogates
    except UnicodeEncodeError:
        return None  # uv's std::env::var fails on them
    return value


def _glob_change_times(project: str, globs: list[str]) -> Iterator[int]:
    from venv_doctor.read.cache_globs import Selector, cluster_globs

    for base, patterns in cluster_globs(globs):
        root = os.path.join(project, base) if base else project
        for path in _walk(root, Selector(patterns)):
            changed = _file_change_time(path)  # a link's target, when it is a file
            if changed is not None:
                yield changed


def _walk(root: str, selector: Selector) -> Iterator[str]:
    """The files and links below ``root`` that ``selector`` selects (globwalk's walk).

    Links are not followed into (the root itself is); nothing is skipped
    unless a ``!`` pattern excludes a folder: ``.git`` and ``.venv`` too.
    """
    pending = [""]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(os.path.join(root, folder) if folder else root) as entries:
                found = list(entries)
        except OSError:
            continue  # uv warns and goes on
        for entry in found:
            rel = f"{folder}/{entry.name}" if folder else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file(follow_symlinks=False) or entry.is_symlink()
            except OSError:
                continue
            verdict = selector.matched(rel, is_dir=is_dir)
            if verdict is True and is_file:
                yield entry.path
            elif verdict is False and is_dir:
                continue
            if is_dir:
                pending.append(rel)
