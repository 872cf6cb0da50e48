"""Select from a parsed uv.lock what ``uv sync --frozen`` would install.

Selection walks the lock the way uv does: from the workspace roots, through the
dependencies, optional dependencies and dependency groups whose markers hold for
the target interpreter, and keeps what would be installed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.tags import Tag
from packaging.utils import canonicalize_name

from venv_doctor.errors import LockfileError, UsageError
from venv_doctor.lockfiles.selection import Selection
from venv_doctor.lockfiles.uv_lock import (
    DEFAULT_GROUPS,
    LockDependency,
    LockPackage,
    UvLock,
    conflict_marker,
    evaluate,
    lock_env,
    lock_name,
)
from venv_doctor.lockfiles.wanted import Source, WantedDist, WantedSet, best_wheel, tag_ranks
from venv_doctor.read.installed import NormalizedName
from venv_doctor.read.probe import Probe


def _encode(kind: str, package: str, name: str) -> str:
    return f"{kind}-{len(package)}-{package}-{name}"


def parse_default_groups(pyproject: Mapping[str, Any]) -> tuple[str, ...] | None:
    """``tool.uv.default-groups`` of a parsed pyproject.toml: names, ``("*all*",)``, or ``None``."""
    tool = pyproject.get("tool")
    uv = tool.get("uv") if isinstance(tool, Mapping) else None
    value = uv.get("default-groups") if isinstance(uv, Mapping) else None
    if value == "all":
        return ("*all*",)
    if isinstance(value, list):
        return tuple(str(canonicalize_name(str(v))) for v in value)
    return None


def _roots(lock: UvLock, selection: Selection) -> list[int]:
    members = set(lock.members)
    if selection.packages:
        roots = []
        for name in selection.packages:
            found = lock.find(name)
            if not found or (members and lock_name(name) not in members):
                raise UsageError(
                    f"package {name!r} is not a member of the workspace in {lock.path}",
                    hint="name a workspace member: " + ", ".join(sorted(members))
                    if members
                    else None,
                )
            roots.extend(found)
        return roots
    project = _project_roots(lock)
    if selection.all_packages or not project:
        # A workspace whose root is not a project syncs every member.
        names = members or {lock.packages[i].name for i in project}
        return [
            i
            for i, package in enumerate(lock.packages)
            if package.name in names and _is_local(package)
        ]
    return project


def _project_roots(lock: UvLock) -> list[int]:
    """The package whose source is the lock's own folder: the root project, if any."""
    return [
        i
        for i, package in enumerate(lock.packages)
        if _is_local(package)
        and package.source.path is not None
        and Path(package.source.path) == lock.root
    ]


def _is_local(package: LockPackage) -> bool:
    return package.source.kind in {"editable", "virtual", "directory"}


class _Walk:
    """Breadth-first walk of the lock from the roots, as ``uv sync`` does it."""

    def __init__(self, lock: UvLock, env: Mapping[str, str]) -> None:
        self.lock = lock
        self.env = dict(env)
        self.activated: set[str] = set()
        self.install: dict[int, bool] = {}
        self.queue: deque[tuple[int, str | None]] = deque()
        self.seen: set[tuple[int, str | None]] = set()

    def holds(self, marker: Marker | None, extra: Iterable[str] = ()) -> bool:
        if marker is None:
            return True
        return evaluate(marker, lock_env(self.env, self.activated | set(extra)))

    def push(self, target: int, extras: Iterable[str]) -> None:
        for item in (None, *extras):
            if (target, item) not in self.seen:
                self.seen.add((target, item))
                self.queue.append((target, item))

    def edges(self, index: int, extra: str | None) -> tuple[LockDependency, ...]:
        package = self.lock.packages[index]
        if extra is None:
            return package.dependencies
        return package.optional.get(extra, ())

    def collect_extras(self) -> None:
        """First pass (only with conflicts): activate every extra reachable from the roots."""
        queue, seen = deque(self.queue), set(self.seen)
        while queue:
            index, extra = queue.popleft()
            for dep in self.edges(index, extra):
                name = self.lock.packages[dep.target].name
                added = {_encode("extra", name, e) for e in dep.extras} - self.activated
                if not self.holds(dep.marker, added):
                    continue
                self.activated |= added
                for item in (None, *dep.extras):
                    if (dep.target, item) not in seen:
                        seen.add((dep.target, item))
                        queue.append((dep.target, item))

    def run(self) -> None:
        while self.queue:
            index, extra = self.queue.popleft()
            for dep in self.edges(index, extra):
                if self.holds(dep.marker):
                    self.install.setdefault(dep.target, True)
                    self.push(dep.target, dep.extras)


def _check_conflicts(lock: UvLock, activated: set[str], groups: Iterable[tuple[str, str]]) -> None:
    active_groups = {_encode("group", p, g) for p, g in groups}
    for items in lock.conflicts:
        hits = []
        for item in items:
            if item.extra and _encode("extra", item.package, item.extra) in activated:
                hits.append(f"extra {item.extra!r} of {item.package}")
            if item.group and _encode("group", item.package, item.group) in active_groups:
                hits.append(f"group {item.group!r} of {item.package}")
        if len(hits) > 1:
            raise UsageError(
                f"{' and '.join(hits)} are declared as conflicting in {lock.path}",
                hint="select only one of them",
            )


def _check_environment(lock: UvLock, probe: Probe) -> None:
    python = probe.markers.get("python_full_version", "")
    if lock.requires_python is not None and not lock.requires_python.contains(
        python, prereleases=True
    ):
        raise LockfileError(
            f"{lock.path}: requires-python: the venv's Python {python} does not satisfy "
            f"{lock.requires_python}",
            hint="recreate the venv with a matching Python: uv sync --python <version>",
            path=lock.path,
        )
    env = lock_env(probe.environment)
    if lock.supported_markers and not any(evaluate(m, env) for m in lock.supported_markers):
        raise LockfileError(
            f"{lock.path}: supported-markers: this venv's platform is not among the lock's "
            "supported environments",
            hint="add it to tool.uv.environments and run: uv lock",
            path=lock.path,
        )


def select_uv_lock(
    lock: UvLock,
    *,
    probe: Probe,
    selection: Selection,
    default_groups: Sequence[str] | None = None,
) -> WantedSet:
    """What ``uv sync --frozen`` with ``selection`` installs into the probed venv.

    ``default_groups`` is ``tool.uv.default-groups`` from the project's
    pyproject.toml (``None``: uv's default, ``dev``; ``("*all*",)``: all).
    Raises ``LockfileError`` when the venv's Python or platform is outside
    what the lock supports, and ``UsageError`` for an unknown package, extra
    or group, or conflicting extras/groups selected together.
    """
    _check_environment(lock, probe)
    roots = _roots(lock, selection)
    available_groups = {g for r in roots for g in lock.packages[r].groups}
    # The lock's own requirements belong to a workspace root that is not a
    # project; uv uses them only when syncing that whole workspace.
    use_manifest = not selection.packages and not _project_roots(lock)
    if use_manifest:
        available_groups |= set(lock.dependency_groups)
    available_extras = {e for r in roots for e in lock.packages[r].optional}
    defaults = DEFAULT_GROUPS if default_groups is None else tuple(default_groups)
    if "*all*" in defaults:
        defaults = tuple(available_groups)
    groups = selection.active_groups(available_groups, defaults)
    _check_names(lock, selection, available_groups, available_extras)

    walk = _Walk(lock, probe.environment)
    root_groups = _start(walk, roots, selection, groups)
    if use_manifest:
        _start_manifest(walk, groups, probe)
    if lock.conflicts:
        walk.collect_extras()
        _check_conflicts(lock, walk.activated, root_groups)
    walk.run()

    dists: dict[NormalizedName, WantedDist] = {}
    notes: list[str] = []
    ranks = tag_ranks(probe.tags)  # once for every package's wheels
    for index, install in sorted(walk.install.items()):
        package = lock.packages[index]
        if not install or package.source.kind == "virtual":
            continue
        wanted = _wanted(package, selection, probe.tags, ranks)
        if wanted.wheel is None and wanted.sdist is None and not wanted.source.direct:
            notes.append(f"{wanted.label}: the lock has no wheel for this platform and no sdist")
        dists[package.name] = wanted
    return WantedSet(lockfile=lock.path, kind="uv.lock", dists=dists, notes=tuple(notes))


def _start(
    walk: _Walk, roots: Sequence[int], selection: Selection, groups: set[str]
) -> list[tuple[str, str]]:
    """Queue the roots, their extras and their groups; return the activated groups."""
    lock = walk.lock
    prod = selection.prod
    root_groups: list[tuple[str, str]] = []
    root_extras: dict[int, set[str]] = {}
    for root in roots:
        package = lock.packages[root]
        root_extras[root] = selection.active_extras(package.optional)
        root_groups.extend((package.name, g) for g in package.groups if g in groups)
        if lock.conflicts:
            walk.activated |= {_encode("extra", package.name, e) for e in root_extras[root]}
            walk.activated |= {
                _encode("group", package.name, g) for g in package.groups if g in groups
            }
    for root in roots:
        package = lock.packages[root]
        walk.install[root] = prod
        if prod:
            walk.queue.append((root, None))
            walk.queue.extend((root, e) for e in sorted(root_extras[root]))
        for group, deps in package.groups.items():
            if group not in groups:
                continue
            for dep in deps:
                if walk.holds(dep.marker):
                    # A member left out by --only-group is installed when a group names it.
                    walk.install[dep.target] = True
                    walk.push(dep.target, dep.extras)
    return root_groups


def _start_manifest(walk: _Walk, groups: set[str], probe: Probe) -> None:
    """Queue the workspace's own requirements (a non-project root's groups, scripts)."""
    lock = walk.lock
    manifest = list(lock.requirements)
    for group, requirements in lock.dependency_groups.items():
        if group in groups:
            manifest.extend(requirements)
    for requirement in manifest:
        if not walk.holds(requirement.marker):
            continue
        for target in _find_for_env(lock, requirement.name, probe):
            walk.install[target] = True
            walk.push(target, requirement.extras)


def _check_names(
    lock: UvLock,
    selection: Selection,
    available_groups: set[str],
    available_extras: set[str],
) -> None:
    asked_groups = {*selection.groups, *selection.only_groups}
    unknown_groups = sorted({str(canonicalize_name(g)) for g in asked_groups} - available_groups)
    if unknown_groups:
        raise UsageError(
            f"group {', '.join(unknown_groups)} is not defined in {lock.path}",
            hint="defined groups: " + (", ".join(sorted(available_groups)) or "none"),
        )
    unknown_extras = sorted(
        {str(canonicalize_name(e)) for e in selection.extras} - available_extras
    )
    if unknown_extras:
        raise UsageError(
            f"extra {', '.join(unknown_extras)} is not defined in {lock.path}",
            hint="defined extras: " + (", ".join(sorted(available_extras)) or "none"),
        )


def _find_for_env(lock: UvLock, name: str, probe: Probe) -> list[int]:
    found = lock.find(name)
    if len(found) <= 1:
        return found
    env = lock_env(probe.environment)
    for index in found:
        markers = lock.packages[index].resolution_markers
        if not markers or any(evaluate(Marker(conflict_marker(m)), env) for m in markers):
            return [index]
    return found[:1]


def _wanted(
    package: LockPackage, selection: Selection, tags: Sequence[Tag], ranks: Mapping[Tag, int]
) -> WantedDist:
    source = package.source
    if source.kind == "editable" and selection.no_editable:
        source = Source(kind="directory", path=source.path)
    return WantedDist(
        name=package.name,
        version=package.version,
        source=source,
        wheels=package.wheels,
        wheel=best_wheel(package.wheels, tags, ranks=ranks),
        sdist=package.sdist,
        requires_dist=package.requires_dist if _is_local(package) else None,
    )
