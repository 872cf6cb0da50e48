"""uv.lock: parse it (``uv_select`` picks what ``uv sync --frozen`` would install).

Parsing turns the TOML data into ``UvLock`` (packages with their sources,
artifacts and dependency edges resolved to package indexes) and rejects what
cannot be understood, naming the file and the dotted field.

Conflicting extras and groups are encoded by uv in markers as
``extra == 'extra-{len}-{package}-{extra}'`` (``group-…`` for groups); such a
marker holds when that extra or group is activated.  They are rewritten here
as ``'…' in extras`` and evaluated against the set of activated items.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venv_doctor.errors import LockfileError
from venv_doctor.lockfiles.toml import loads_toml
from venv_doctor.lockfiles.wanted import Artifact, Source
from venv_doctor.read.installed import NormalizedName

SUPPORTED_VERSION = 1
DEFAULT_GROUPS: tuple[str, ...] = ("dev",)


@dataclass(frozen=True, slots=True, kw_only=True)
class LockDependency:
    """An edge: ``target`` is the index of the package depended on."""

    target: int
    extras: tuple[str, ...]
    marker: Marker | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LockPackage:
    """One ``[[package]]`` of a uv.lock."""

    name: NormalizedName
    version: str | None
    source: Source
    raw_source: Mapping[str, Any]
    dependencies: tuple[LockDependency, ...] = ()
    optional: Mapping[str, tuple[LockDependency, ...]] = field(default_factory=dict)
    groups: Mapping[str, tuple[LockDependency, ...]] = field(default_factory=dict)
    wheels: tuple[Artifact, ...] = ()
    sdist: Artifact | None = None
    requires_dist: tuple[str, ...] | None = None
    resolution_markers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestRequirement:
    """A requirement of the workspace itself (non-project root, PEP 723 script)."""

    name: NormalizedName
    extras: tuple[str, ...]
    marker: Marker | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConflictItem:
    package: NormalizedName
    extra: str | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UvLock:
    """A parsed uv.lock.  ``root`` is the lock's folder; local paths are resolved against it."""

    path: Path
    root: Path
    version: int
    revision: int
    requires_python: SpecifierSet | None
    supported_markers: tuple[Marker, ...]
    conflicts: tuple[tuple[ConflictItem, ...], ...]
    members: tuple[NormalizedName, ...]
    requirements: tuple[ManifestRequirement, ...]
    dependency_groups: Mapping[str, tuple[ManifestRequirement, ...]]
    packages: tuple[LockPackage, ...]

    def find(self, name: str) -> list[int]:
        """Indexes of the packages called ``name``."""
        norm = lock_name(name)
        return [i for i, package in enumerate(self.packages) if package.name == norm]


# ---------------------------------------------------------------- parsing


def lock_name(value: str) -> NormalizedName:
    return NormalizedName(str(canonicalize_name(value)))


def lock_env(env: Mapping[str, str], extras: Iterable[str] = ()) -> dict[str, Any]:
    # packaging evaluates "'x' in extras" against a set in its lock_file context.
    return {**env, "extras": frozenset(extras), "dependency_groups": frozenset()}


def evaluate(marker: Marker, env: Mapping[str, Any]) -> bool:
    return marker.evaluate(dict(env), context="lock_file")


class _Fields:
    """Typed access to a TOML table that names the file and field on error."""

    def __init__(self, path: Path, where: str, table: object) -> None:
        if not isinstance(table, Mapping):
            raise _error(path, where, "a table", table)
        self.path = path
        self.where = where
        self.table: Mapping[str, Any] = table

    def field(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str, kind: type | tuple[type, ...], expected: str) -> Any:
        value = self.table.get(key)
        if value is not None and (
            not isinstance(value, kind) or (isinstance(value, bool) and kind is int)
        ):
            raise _error(self.path, self.field(key), expected, value)
        return value

    def require(self, key: str, kind: type | tuple[type, ...], expected: str) -> Any:
        value = self.get(key, kind, expected)
        if value is None:
            raise LockfileError(
                f"{self.path}: {self.field(key)} is missing (expected {expected})", path=self.path
            )
        return value


def _error(path: Path, where: str, expected: str, value: object) -> LockfileError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return LockfileError(f"{path}: {where}: expected {expected}, found {shown}", path=path)


_EXTRA_EQ = re.compile(r"""(?<![\w.])extra\s*(==|!=)\s*(['"])([^'"]*)\2""")
_EXTRA_EQ_REVERSED = re.compile(r"""(['"])([^'"]*)\1\s*(==|!=)\s*extra(?![\w.])""")


def conflict_marker(text: str) -> str:
    """Rewrite uv's conflict markers (``extra == 'extra-3-foo-x'``) as set membership."""

    def forward(match: re.Match[str]) -> str:
        op = "in" if match[1] == "==" else "not in"
        return f"'{canonicalize_name(match[3])}' {op} extras"

    def reverse(match: re.Match[str]) -> str:
        op = "in" if match[3] == "==" else "not in"
        return f"'{canonicalize_name(match[2])}' {op} extras"

    return _EXTRA_EQ_REVERSED.sub(reverse, _EXTRA_EQ.sub(forward, text))


def _marker(path: Path, where: str, text: str | None) -> Marker | None:
    if text is None:
        return None
    try:
        return Marker(conflict_marker(text))
    except InvalidMarker as exc:
        raise LockfileError(f"{path}: {where}: invalid marker {text!r}: {exc}", path=path) from exc


def _local(root: Path, value: str) -> str:
    return str((root / value).resolve()) if not re.match(r"^[a-z][a-z0-9+.-]*://", value) else value


def _parse_source(path: Path, root: Path, where: str, table: object) -> Source:
    fields = _Fields(path, where, table)
    raw = fields.table
    for kind in ("registry", "git", "url", "path", "directory", "editable", "virtual"):
        value = fields.get(kind, str, "a string")
        if value is None:
            continue
        if kind == "registry":
            return Source(kind=kind, url=_local(root, value))
        if kind == "git":
            return _git_source(value)
        if kind == "url":
            return Source(kind=kind, url=value, subdirectory=raw.get("subdirectory"))
        return Source(kind=kind, path=_local(root, value))
    raise _error(path, where, "one of registry, git, url, path, directory, editable, virtual", raw)


def _git_source(value: str) -> Source:
    # git = "https://host/repo?rev=v1&subdirectory=pkg#<full commit>"
    parts = urlsplit(value)
    query = parse_qs(parts.query)
    revision = next((query[key][0] for key in ("rev", "tag", "branch") if query.get(key)), None)
    subdirectories = query.get("subdirectory")
    subdirectory = subdirectories[0] if subdirectories else None
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return Source(
        kind="git",
        url=url,
        commit=parts.fragment or None,
        requested_revision=revision,
        subdirectory=subdirectory,
    )


def _artifact(path: Path, root: Path, where: str, table: object) -> Artifact:
    fields = _Fields(path, where, table)
    url = fields.get("url", str, "a string")
    local = fields.get("path", str, "a string")
    filename = fields.get("filename", str, "a string")
    if filename is None:
        if url is not None:
            # A URL's last segment is percent-encoded: torch-2.5.1%2Bcpu-….whl
            filename = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
        elif local is not None:
            filename = local.rstrip("/").rsplit("/", 1)[-1]
        else:
            raise _error(path, where, "a table with url, path or filename", fields.table)
    hashes: dict[str, str] = {}
    digest = fields.get("hash", str, "a string like 'sha256:<hex>'")
    if digest is not None:
        algorithm, sep, value = digest.partition(":")
        if not sep or not value:
            raise _error(path, fields.field("hash"), "a string like 'sha256:<hex>'", digest)
        hashes[algorithm] = value
    return Artifact(
        filename=filename,
        url=url,
        path=_local(root, local) if local is not None else None,
        hashes=hashes,
        size=fields.get("size", int, "an integer"),
    )


def _source_key(table: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in table.items()))


def _requirement_string(entry: Mapping[str, Any]) -> str:
    # [package.metadata] requires-dist entries: {name, extras?, specifier?, marker?, ...}
    text = str(entry.get("name", ""))
    extras = entry.get("extras") or entry.get("extra")
    if extras:
        text += "[" + ",".join(sorted(str(e) for e in extras)) + "]"
    if entry.get("specifier"):
        text += str(entry["specifier"])
    if entry.get("marker"):
        text += f"; {entry['marker']}"
    return text


class _Parser:
    def __init__(self, path: Path, root: Path) -> None:
        self.path = path
        self.root = root

    def parse(self, data: Mapping[str, Any]) -> UvLock:
        top = _Fields(self.path, "", data)
        version = top.require("version", int, "an integer")
        if version > SUPPORTED_VERSION or version < 1:
            raise LockfileError(
                f"{self.path}: version: lock version {version} is not supported "
                f"(venv-doctor reads version {SUPPORTED_VERSION})",
                hint="upgrade venv-doctor, or regenerate the lock with a uv that writes "
                f"version {SUPPORTED_VERSION}",
                path=self.path,
            )
        revision = top.get("revision", int, "an integer") or 0
        requires_python = None
        rp = top.get("requires-python", str, "a version specifier")
        if rp is not None:
            try:
                requires_python = SpecifierSet(rp)
            except InvalidSpecifier as exc:
                raise _error(self.path, "requires-python", "a version specifier", rp) from exc
        supported = tuple(
            m
            for i, text in enumerate(
                top.get("supported-markers", list, "an array of markers")
                or top.get("environments", list, "an array of markers")
                or ()
            )
            if (m := _marker(self.path, f"supported-markers[{i}]", str(text))) is not None
        )
        raw_packages = top.get("package", list, "an array of tables") or ()
        heads = [self._head(i, entry) for i, entry in enumerate(raw_packages)]
        packages = tuple(self._package(i, entry, heads) for i, entry in enumerate(raw_packages))
        manifest = _Fields(self.path, "manifest", data.get("manifest") or {})
        members = tuple(
            lock_name(str(m)) for m in manifest.get("members", list, "an array of names") or ()
        )
        requirements = tuple(
            self._manifest_requirement(f"manifest.requirements[{i}]", entry)
            for i, entry in enumerate(
                manifest.get("requirements", list, "an array of tables") or ()
            )
        )
        groups_table = manifest.get("dependency-groups", Mapping, "a table") or {}
        dependency_groups = {
            str(canonicalize_name(group)): tuple(
                self._manifest_requirement(f"manifest.dependency-groups.{group}[{i}]", entry)
                for i, entry in enumerate(
                    _list(self.path, f"manifest.dependency-groups.{group}", reqs)
                )
            )
            for group, reqs in groups_table.items()
        }
        return UvLock(
            path=self.path,
            root=self.root,
            version=version,
            revision=revision,
            requires_python=requires_python,
            supported_markers=supported,
            conflicts=self._conflicts(top.get("conflicts", list, "an array of arrays") or ()),
            members=members,
            requirements=requirements,
            dependency_groups=dependency_groups,
            packages=packages,
        )

    def _head(
        self, index: int, entry: object
    ) -> tuple[NormalizedName, str | None, tuple[tuple[str, str], ...]]:
        where = f"package[{index}]"
        fields = _Fields(self.path, where, entry)
        name = fields.require("name", str, "a string")
        version = fields.get("version", str, "a version string")
        if version is not None:
            try:
                Version(version)
            except InvalidVersion as exc:
                raise _error(
                    self.path, fields.field("version"), "a PEP 440 version", version
                ) from exc
        source = fields.require("source", Mapping, "a table")
        return lock_name(name), version, _source_key(source)

    def _package(
        self,
        index: int,
        entry: Mapping[str, Any],
        heads: Sequence[tuple[NormalizedName, str | None, tuple[tuple[str, str], ...]]],
    ) -> LockPackage:
        name, version, _ = heads[index]
        where = f"package[{index}]"
        fields = _Fields(self.path, where, entry)
        source = _parse_source(self.path, self.root, fields.field("source"), entry["source"])
        dependencies = self._deps(
            f"{where}.dependencies", fields.get("dependencies", list, "an array"), heads
        )
        optional = {
            str(canonicalize_name(extra)): self._deps(
                f"{where}.optional-dependencies.{extra}", deps, heads
            )
            for extra, deps in (
                fields.get("optional-dependencies", Mapping, "a table") or {}
            ).items()
        }
        groups = {
            str(canonicalize_name(group)): self._deps(
                f"{where}.dev-dependencies.{group}", deps, heads
            )
            for group, deps in (fields.get("dev-dependencies", Mapping, "a table") or {}).items()
        }
        wheels = tuple(
            _artifact(self.path, self.root, f"{where}.wheels[{i}]", wheel)
            for i, wheel in enumerate(fields.get("wheels", list, "an array of tables") or ())
        )
        sdist_table = fields.get("sdist", Mapping, "a table")
        sdist = (
            _artifact(self.path, self.root, f"{where}.sdist", sdist_table) if sdist_table else None
        )
        requires_dist: tuple[str, ...] | None = None
        metadata = fields.get("metadata", Mapping, "a table")
        if metadata is not None:
            requires = metadata.get("requires-dist")
            if isinstance(requires, list):
                requires_dist = tuple(
                    _requirement_string(r) for r in requires if isinstance(r, Mapping)
                )
        return LockPackage(
            name=name,
            version=version,
            source=source,
            raw_source=entry["source"],
            dependencies=dependencies,
            optional=optional,
            groups=groups,
            wheels=wheels,
            sdist=sdist,
            requires_dist=requires_dist,
            resolution_markers=tuple(
                str(m) for m in fields.get("resolution-markers", list, "an array") or ()
            ),
        )

    def _deps(
        self,
        where: str,
        entries: object,
        heads: Sequence[tuple[NormalizedName, str | None, tuple[tuple[str, str], ...]]],
    ) -> tuple[LockDependency, ...]:
        found = []
        for i, entry in enumerate(_list(self.path, where, entries)):
            fields = _Fields(self.path, f"{where}[{i}]", entry)
            name = lock_name(fields.require("name", str, "a string"))
            version = fields.get("version", str, "a version string")
            source = fields.get("source", Mapping, "a table")
            key = _source_key(source) if source is not None else None
            candidates = [
                j
                for j, (n, v, s) in enumerate(heads)
                if n == name and (version is None or v == version) and (key is None or s == key)
            ]
            if len(candidates) != 1:
                problem = "no package" if not candidates else f"{len(candidates)} packages"
                raise LockfileError(
                    f"{self.path}: {where}[{i}]: {problem} in the lock match "
                    f"{name}{' ' + version if version else ''}",
                    hint="regenerate the lock: uv lock",
                    path=self.path,
                )
            extras = fields.get("extra", list, "an array of extra names") or ()
            found.append(
                LockDependency(
                    target=candidates[0],
                    extras=tuple(str(canonicalize_name(e)) for e in extras),
                    marker=_marker(
                        self.path, fields.field("marker"), fields.get("marker", str, "a marker")
                    ),
                )
            )
        return tuple(found)

    def _manifest_requirement(self, where: str, entry: object) -> ManifestRequirement:
        fields = _Fields(self.path, where, entry)
        extras = (
            fields.get("extras", list, "an array") or fields.get("extra", list, "an array") or ()
        )
        return ManifestRequirement(
            name=lock_name(fields.require("name", str, "a string")),
            extras=tuple(str(canonicalize_name(e)) for e in extras),
            marker=_marker(
                self.path, fields.field("marker"), fields.get("marker", str, "a marker")
            ),
        )

    def _conflicts(self, sets: Iterable[object]) -> tuple[tuple[ConflictItem, ...], ...]:
        found = []
        for i, items in enumerate(sets):
            current = []
            for j, item in enumerate(_list(self.path, f"conflicts[{i}]", items)):
                fields = _Fields(self.path, f"conflicts[{i}][{j}]", item)
                extra = fields.get("extra", str, "a string")
                group = fields.get("group", str, "a string")
                current.append(
                    ConflictItem(
                        package=lock_name(fields.require("package", str, "a string")),
                        extra=str(canonicalize_name(extra)) if extra else None,
                        group=str(canonicalize_name(group)) if group else None,
                    )
                )
            found.append(tuple(current))
        return tuple(found)


def _list(path: Path, where: str, value: object) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _error(path, where, "an array", value)
    return value


def parse_uv_lock(text: str, *, path: Path) -> UvLock:
    """Parse uv.lock text.  ``path`` names the file in errors; its folder anchors local paths.

    Raises ``LockfileError`` for malformed TOML, an unsupported ``version``,
    or a field of the wrong type, naming the file and the field.
    """
    return parse_uv_lock_data(loads_toml(text, path=path), path=path)


def parse_uv_lock_data(data: Mapping[str, Any], *, path: Path) -> UvLock:
    """Like ``parse_uv_lock``, from already-parsed TOML data."""
    return _Parser(path, path.parent.resolve()).parse(data)
