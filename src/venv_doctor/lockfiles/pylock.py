"""pylock.toml (PEP 751), read and selected with ``packaging.pylock``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.pylock import (
    Package,
    PackageArchive,
    PackageDirectory,
    PackageSdist,
    PackageVcs,
    PackageWheel,
    Pylock,
    PylockSelectError,
    PylockValidationError,
)

from venv_doctor.errors import LockfileError
from venv_doctor.lockfiles.selection import Selection
from venv_doctor.lockfiles.toml import loads_toml
from venv_doctor.lockfiles.wanted import Artifact, Source, WantedDist, WantedSet
from venv_doctor.read.installed import NormalizedName
from venv_doctor.read.probe import Probe


def parse_pylock(text: str, *, path: Path) -> Pylock:
    """Parse and validate pylock.toml text; errors name the file and the dotted field."""
    return parse_pylock_data(loads_toml(text, path=path), path=path)


def parse_pylock_data(data: Mapping[str, Any], *, path: Path) -> Pylock:
    """Validate already-parsed pylock.toml data with ``Pylock.from_dict``."""
    try:
        return Pylock.from_dict(data)
    except PylockValidationError as exc:
        where = f"{exc.context}: " if exc.context else ""
        raise LockfileError(
            f"{path}: {where}{exc.message}",
            hint="regenerate it: uv export --format pylock.toml, or pip lock",
            path=path,
        ) from exc


def select_pylock(lock: Pylock, *, path: Path, probe: Probe, selection: Selection) -> WantedSet:
    """What an installer following PEP 751 installs from ``lock`` into the probed venv.

    Extras and dependency groups come from ``selection`` (``--extra``,
    ``--all-extras``, ``--group``, ``--only-group``, ``--all-groups``,
    ``--no-default-groups``, ``--no-dev``); the lock's ``default-groups``
    stand in for uv's ``dev``.
    """
    available_extras = [str(e) for e in lock.extras or ()]
    extras = selection.active_extras(available_extras)
    groups = selection.active_groups(lock.dependency_groups or (), lock.default_groups or ())
    try:
        chosen = list(
            lock.select(
                environment=probe.environment,  # type: ignore[arg-type]
                tags=probe.tags,
                extras=extras,
                dependency_groups=groups,
            )
        )
    except PylockSelectError as exc:
        raise LockfileError(f"{path}: {exc}", path=path) from exc
    root = path.parent.resolve()
    dists: dict[NormalizedName, WantedDist] = {}
    for package, dist in chosen:
        name = NormalizedName(str(package.name))
        dists[name] = _wanted(name, package, dist, root)
    return WantedSet(lockfile=path, kind="pylock", dists=dists)


def _local(root: Path, value: str | None) -> str | None:
    return str((root / value).resolve()) if value is not None else None


def _artifact(item: PackageWheel | PackageSdist, root: Path) -> Artifact:
    return Artifact(
        filename=item.filename,
        url=item.url,
        path=_local(root, item.path),
        hashes=dict(item.hashes),
        size=item.size,
    )


def _wanted(
    name: NormalizedName,
    package: Package,
    dist: PackageVcs | PackageDirectory | PackageArchive | PackageWheel | PackageSdist,
    root: Path,
) -> WantedDist:
    version = str(package.version) if package.version is not None else None
    if isinstance(dist, PackageVcs):
        source = Source(
            kind="git" if dist.type == "git" else "url",
            url=dist.url,
            path=_local(root, dist.path),
            commit=dist.commit_id,
            requested_revision=dist.requested_revision,
            subdirectory=dist.subdirectory,
        )
    elif isinstance(dist, PackageDirectory):
        source = Source(
            kind="editable" if dist.editable else "directory",
            path=_local(root, dist.path),
            subdirectory=dist.subdirectory,
        )
    elif isinstance(dist, PackageArchive):
        source = Source(
            kind="url" if dist.url else "path",
            url=dist.url,
            path=_local(root, dist.path),
            subdirectory=dist.subdirectory,
        )
    else:
        source = Source(kind="registry", url=package.index)
    wheels = tuple(_artifact(w, root) for w in package.wheels or ())
    # An archive's hashes are those of the one file the source names.
    hashes = (
        tuple(f"{algorithm}:{value}" for algorithm, value in dist.hashes.items())
        if isinstance(dist, PackageArchive)
        else ()
    )
    return WantedDist(
        name=name,
        version=version,
        source=source,
        wheels=wheels,
        wheel=_artifact(dist, root) if isinstance(dist, PackageWheel) else None,
        sdist=_artifact(package.sdist, root) if package.sdist is not None else None,
        hashes=hashes,
    )
