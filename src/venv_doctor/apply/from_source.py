"""Wheels built from sources and kept in the download cache.

An sdist (by its sha256) or a git commit always builds the same wheel for
the same interpreter, so those builds are remembered in the cache and
reused; a project folder may have changed since, so it is built every
time.  Every built wheel must be the wanted name and version, and must fit
the target interpreter's tags.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from packaging.tags import Tag

from venv_doctor.apply.build import (
    BuildSettings,
    build_project,
    checkout_git,
    project_folder,
    unpack_sdist,
)
from venv_doctor.apply.digests import file_digests
from venv_doctor.apply.fetch import redact
from venv_doctor.apply.filenames import same_version, shown_tags, wheel_name
from venv_doctor.apply.wheel_cache import WheelCache
from venv_doctor.apply.wheel_errors import BuildError, Missing, OfflineError
from venv_doctor.lockfiles.wanted import Artifact, Source, best_wheel
from venv_doctor.read.installed import NormalizedName


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """The distribution a build must produce: ``version`` ``None`` accepts any."""

    name: NormalizedName
    version: str | None
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Built:
    """A built wheel in the cache, with its sha256 and where it was built from."""

    path: Path
    sha256: str
    filename: str
    origin: str


def is_local_git(url: str) -> bool:
    """Whether a git URL is a local repository (reachable with ``--offline``)."""
    url = url.removeprefix("git+")
    return urlsplit(url).scheme == "file" or os.path.isdir(url)


class SourceBuilder:
    """Builds for one target interpreter, into one cache."""

    def __init__(self, *, cache: WheelCache, tags: Sequence[Tag]) -> None:
        self.cache = cache
        self.tags = tuple(tags)
        self._tag_set = frozenset(tags)

    def from_archive(
        self,
        archive: Path,
        sha256: str,
        *,
        target: Target,
        subdirectory: str | None,
        settings: BuildSettings,
    ) -> Built:
        """Build the sdist ``archive`` (whose sha256 was verified), or reuse its build."""
        key = f"sdist:{sha256}:{subdirectory or ''}"
        reused = self._reuse(key)
        if reused is not None:
            return reused
        with tempfile.TemporaryDirectory(prefix="venv-doctor-build-") as scratch:
            unpacked = Path(scratch) / "src"
            unpacked.mkdir()
            root = unpack_sdist(archive, unpacked, package=target.label)
            folder = project_folder(root, subdirectory, package=target.label)
            wheel = self._build(folder, Path(scratch) / "dist", target=target, settings=settings)
            return self._keep(wheel, target=target, key=key, origin=f"built from {archive.name}")

    def from_folder(self, source: Source, *, target: Target, settings: BuildSettings) -> Built:
        """Build a directory or editable source (PEP 660 for an editable one)."""
        if not source.path:
            raise BuildError(
                f"{target.label}: the lockfile names no folder for this {source.kind} source",
                package=target.label,
            )
        folder = project_folder(Path(source.path), source.subdirectory, package=target.label)
        editable = source.editable
        with tempfile.TemporaryDirectory(prefix="venv-doctor-build-") as scratch:
            wheel = self._build(
                folder, Path(scratch), target=target, settings=settings, editable=editable
            )
            what = "built editable from" if editable else "built from"
            return self._keep(wheel, target=target, key=None, origin=f"{what} {folder}")

    def from_git(self, source: Source, *, target: Target, settings: BuildSettings) -> Built:
        """Clone at the locked commit and build, or reuse that commit's build."""
        url = source.url or ""
        commit = source.commit
        key = f"git:{url}@{commit}:{source.subdirectory or ''}" if commit else None
        reused = self._reuse(key) if key is not None else None
        if reused is not None:
            return reused
        if settings.offline and not is_local_git(url):
            raise OfflineError(
                [Missing(package=target.label, filename=None, looked=(f"git {url}",))]
            )
        with tempfile.TemporaryDirectory(prefix="venv-doctor-build-") as scratch:
            checkout = checkout_git(
                url,
                commit=commit,
                revision=source.requested_revision,
                dest=Path(scratch) / "repo",
                package=target.label,
            )
            folder = project_folder(checkout, source.subdirectory, package=target.label)
            wheel = self._build(folder, Path(scratch) / "dist", target=target, settings=settings)
            at = commit or source.requested_revision or "HEAD"
            return self._keep(
                wheel, target=target, key=key, origin=f"built from git {redact(url)}@{at}"
            )

    def _build(
        self,
        folder: Path,
        out_dir: Path,
        *,
        target: Target,
        settings: BuildSettings,
        editable: bool = False,
    ) -> Path:
        label = target.label
        wheel = build_project(
            folder, out_dir=out_dir, package=label, editable=editable, settings=settings
        )
        parsed = wheel_name(wheel.name)
        if (
            parsed is None
            or parsed[0] != target.name
            or not same_version(parsed[1], target.version)
        ):
            raise BuildError(
                f"{label}: building {folder} gave {wheel.name}, not a wheel of {label}",
                package=label,
                location=str(folder),
                path=folder,
                hint="the project's name or version is not the locked one: lock again (uv lock)",
            )
        if not parsed[2] & self._tag_set:
            # DefaultIsolatedEnv builds with the Python running venv-doctor.
            raise BuildError(
                f"{label}: building {folder} gave {wheel.name}, which does not fit the target "
                f"interpreter (best tags {', '.join(shown_tags(self.tags))}); builds run on the "
                "Python that runs venv-doctor",
                package=label,
                location=str(folder),
                path=folder,
                hint="run venv-doctor with the venv's Python version, or provide a wheel with "
                "--find-links DIR",
            )
        return wheel

    def _keep(self, wheel: Path, *, target: Target, key: str | None, origin: str) -> Built:
        sha = file_digests(wheel)["sha256"]
        cached = self.cache.add(wheel, sha256=sha, package=target.label)
        if key is not None:
            self.cache.remember_built(key, sha)
        return Built(path=cached, sha256=sha, filename=wheel.name, origin=origin)

    def _reuse(self, key: str) -> Built | None:
        found = [
            Artifact(filename=path.name, path=str(path), hashes={"sha256": path.parent.name})
            for path in self.cache.built(key)
        ]
        chosen = best_wheel(found, self.tags)
        if chosen is None or chosen.path is None:
            return None
        return Built(
            path=Path(chosen.path),
            sha256=chosen.hashes["sha256"],
            filename=chosen.filename,
            origin="cache (built)",
        )
