"""Get the right wheel for a distribution, verified, as a file on disk.

``obtain_wheel`` takes what a lockfile wants (a ``WantedDist``) or, with no
lockfile, the name and version of an installed distribution (a ``Pin``), and
returns a ``LocalWheel``.  Places are tried in this order, first hit wins:

1. a wheel file the lock names by path;
2. the ``--find-links`` folders;
3. venv-doctor's own download cache (by the lock's sha256, else by name and version);
4. the lock's URL, or without one the index, by name and version;
5. a build: sdist-only packages, git, directory and editable sources.

Wheels are chosen by the target interpreter's tags (earlier tags are
preferred).  Every file is checked against the lock's digests wherever it
came from; index downloads are checked against the index's digests too.
``offline`` never touches the network: what cannot be found locally is
reported, all at once by ``obtain_wheels``, in one ``OfflineError``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from packaging.tags import Tag

from venv_doctor.apply.build import BuildSettings
from venv_doctor.apply.digests import HashSpec, file_digests, verified_sha256
from venv_doctor.apply.fetch import ProgressCallback, download, fetch_project_page, redact
from venv_doctor.apply.filenames import (
    is_sdist,
    same_version,
    sdist_matches,
    shown_tags,
    url_filename,
    wheel_name,
)
from venv_doctor.apply.from_source import Built, SourceBuilder, Target
from venv_doctor.apply.simple_index import IndexFile
from venv_doctor.apply.wheel_cache import WheelCache
from venv_doctor.apply.wheel_errors import (
    HashMismatchError,
    Missing,
    NoCompatibleWheelError,
    OfflineError,
    WheelError,
    WheelNotFoundError,
)
from venv_doctor.apply.wheels import (
    FetchOptions,
    LocalWheel,
    Pin,
    WheelRequest,
    default_cache_dir,
    default_index_url,
)
from venv_doctor.lockfiles.wanted import Artifact, WantedDist, best_wheel
from venv_doctor.read.installed import NormalizedName

_SHOWN_FILES = 8


def obtain_wheel(
    request: WheelRequest,
    *,
    tags: Sequence[Tag],
    options: FetchOptions,
    progress: ProgressCallback | None = None,
    environ: Mapping[str, str] | None = None,
) -> LocalWheel:
    """A verified wheel for ``request`` that fits ``tags`` (the target's, best first).

    Raises a ``WheelError`` subclass naming the package: ``HashMismatchError``,
    ``NoCompatibleWheelError``, ``WheelNotFoundError``, ``DownloadError``,
    ``CacheWriteError``, ``BuildError``, or ``OfflineError`` when ``offline``
    and the wheel is nowhere local.
    """
    fetcher = _Fetcher(tags=tags, options=options, progress=progress, environ=environ)
    return fetcher.obtain(request)


def obtain_wheels(
    requests: Iterable[WheelRequest],
    *,
    tags: Sequence[Tag],
    options: FetchOptions,
    progress: ProgressCallback | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[LocalWheel]:
    """``obtain_wheel`` for each request, in order.

    Offline, every wheel that cannot be found is collected and reported in
    one ``OfflineError``; any other error stops at once.
    """
    fetcher = _Fetcher(tags=tags, options=options, progress=progress, environ=environ)
    found: list[LocalWheel] = []
    missing: list[Missing] = []
    for request in requests:
        try:
            found.append(fetcher.obtain(request))
        except OfflineError as exc:
            missing.extend(exc.missing)
    if missing:
        raise OfflineError(missing)
    return found


def _is_local_url(url: str) -> bool:
    return urlsplit(url).scheme == "file"


def _shown_files(filenames: Sequence[str]) -> list[str]:
    shown = list(filenames[:_SHOWN_FILES])
    if len(filenames) > _SHOWN_FILES:
        shown.append(f"and {len(filenames) - _SHOWN_FILES} more")
    return shown


@dataclass(frozen=True, slots=True, kw_only=True)
class _Place:
    """A file found somewhere, with a sha256 already checked against the spec."""

    path: Path
    sha256: str
    origin: str


class _Fetcher:
    def __init__(
        self,
        *,
        tags: Sequence[Tag],
        options: FetchOptions,
        progress: ProgressCallback | None,
        environ: Mapping[str, str] | None,
    ) -> None:
        self.tags = tuple(tags)
        self.tag_set = frozenset(tags)
        self.options = options
        self.progress = progress
        self.environ = os.environ if environ is None else environ
        cache_dir = options.cache_dir or default_cache_dir(self.environ)
        self.cache = WheelCache(cache_dir)
        self.builder = SourceBuilder(cache=self.cache, tags=self.tags)

    # -- the one entry

    def obtain(self, request: WheelRequest) -> LocalWheel:
        if isinstance(request, Pin):
            return self._by_version(
                request.name, request.version, label=request.label, spec=HashSpec(), index=None
            )
        return self._wanted(request)

    def _wanted(self, dist: WantedDist) -> LocalWheel:
        source = dist.source
        if source.kind == "virtual":
            raise WheelError(
                f"{dist.label}: a virtual project has nothing to install",
                package=dist.label,
                location=source.path,
            )
        if source.kind in {"directory", "editable"}:
            target = _target(dist)
            return self._built(
                self.builder.from_folder(source, target=target, settings=self._settings()), target
            )
        if source.kind == "git":
            target = _target(dist)
            return self._built(
                self.builder.from_git(source, target=target, settings=self._settings()), target
            )
        return self._wanted_files(dist)

    def _wanted_files(self, dist: WantedDist) -> LocalWheel:
        wheels = dist.wheels or ((dist.wheel,) if dist.wheel is not None else ())
        if wheels:
            chosen = best_wheel(wheels, self.tags)
            if chosen is not None:
                return self._locked_wheel(dist, chosen)
            if dist.sdist is None:
                raise self._no_fit(dist.label, "the lockfile", [w.filename for w in wheels])
        if dist.sdist is not None:
            return self._build_locked_sdist(dist, dist.sdist)
        direct = self._direct_artifact(dist)
        if direct is not None:
            if wheel_name(direct.filename) is not None:
                return self._locked_wheel(dist, direct)
            return self._build_locked_sdist(dist, direct)
        if dist.version is None:
            raise WheelNotFoundError(
                f"{dist.label}: the lockfile pins no version and names no file to install",
                package=dist.label,
                hint="lock again (uv lock) so that every package has a version",
            )
        source = dist.source
        index = source.url if source.kind == "registry" and source.url else None
        spec = HashSpec.any_of(dist.hashes)
        return self._by_version(dist.name, dist.version, label=dist.label, spec=spec, index=index)

    # -- a file the lock names

    def _spec(self, dist: WantedDist, artifact: Artifact) -> HashSpec:
        if artifact.hashes:
            return HashSpec.exact(artifact.hashes)
        return HashSpec.any_of(dist.hashes)

    def _direct_artifact(self, dist: WantedDist) -> Artifact | None:
        source = dist.source
        if source.kind == "path" and source.path:
            return Artifact(filename=os.path.basename(source.path), path=source.path)
        if source.kind == "url" and source.url:
            return Artifact(filename=url_filename(source.url), url=source.url)
        return None

    def _artifact_path(self, dist: WantedDist, artifact: Artifact) -> str | None:
        if artifact.path:
            return artifact.path
        source = dist.source
        named = source.path and os.path.basename(source.path) == artifact.filename
        if source.kind == "path" and source.path and (named or not artifact.url):
            return source.path
        return None

    def _locate(self, dist: WantedDist, artifact: Artifact) -> _Place:
        """The locked file ``artifact``: lock path, find-links, cache, then its URL."""
        spec = self._spec(dist, artifact)
        label = dist.label
        looked: list[str] = []
        local = self._artifact_path(dist, artifact)
        if local is not None:
            looked.append(local)
            if os.path.isfile(local):
                sha = verified_sha256(Path(local), spec, package=label)
                return _Place(path=Path(local), sha256=sha, origin="lock path")
        place = self._in_find_links(artifact.filename, spec, label=label, looked=looked)
        if place is not None:
            return place
        for sha in spec.sha256s:
            cached = self._cache_hit(sha, spec, label=label)
            if cached is not None:
                return _Place(path=cached, sha256=sha, origin="cache")
        looked.append(f"the download cache {self.cache.root}")
        url = artifact.url or (dist.source.url if dist.source.kind == "url" else None)
        if url is not None and (not self.options.offline or _is_local_url(url)):
            path, sha = download(
                url,
                cache=self.cache,
                filename=artifact.filename,
                package=label,
                expected=spec,
                timeout=self.options.timeout,
                progress=self.progress,
            )
            if dist.version is not None:
                self.cache.remember(dist.name, dist.version, sha)
            return _Place(path=path, sha256=sha, origin=redact(url))
        if self.options.offline:
            raise OfflineError(
                [Missing(package=label, filename=artifact.filename, looked=tuple(looked))]
            )
        raise WheelNotFoundError(
            f"{label}: {artifact.filename} is not in {', '.join(looked)}, "
            "and the lockfile gives no URL for it",
            package=label,
            location=local,
            path=Path(local) if local else None,
            hint="put the file back where the lockfile says, or pass --find-links DIR",
        )

    def _cache_hit(self, sha256: str, spec: HashSpec, *, label: str) -> Path | None:
        """The cached file with this sha256 (re-hashed on the way), checked against ``spec``."""
        cached = self.cache.get(sha256)
        if cached is not None and spec.algorithms != ("sha256",):
            verified_sha256(cached, spec, package=label)
        return cached

    def _locked_wheel(self, dist: WantedDist, artifact: Artifact) -> LocalWheel:
        place = self._locate(dist, artifact)
        return self._local_wheel(place, artifact.filename, dist.name, dist.version)

    def _local_wheel(
        self, place: _Place, filename: str, name: NormalizedName, version: str | None
    ) -> LocalWheel:
        parsed = wheel_name(filename)
        wheel_version = str(parsed[1]) if parsed is not None else (version or "")
        return LocalWheel(
            path=place.path,
            sha256=place.sha256,
            filename=filename,
            name=name,
            version=version or wheel_version,
            origin=place.origin,
        )

    def _in_find_links(
        self, filename: str, spec: HashSpec, *, label: str, looked: list[str]
    ) -> _Place | None:
        for folder in self.options.find_links:
            candidate = folder / filename
            if candidate.is_file():
                sha = verified_sha256(candidate, spec, package=label)
                return _Place(path=candidate, sha256=sha, origin=f"find-links {folder}")
            looked.append(str(folder))
        return None

    # -- by name and version (no lockfile, or a lock without files)

    def _index_url(self, lock_index: str | None) -> str:
        if self.options.index_url:
            return self.options.index_url
        if lock_index and urlsplit(lock_index).scheme in {"http", "https", "file"}:
            return lock_index
        return default_index_url(self.environ)

    def _local_candidates(self, name: str, version: str) -> tuple[list[Artifact], list[Path]]:
        """Wheels and sdists of ``name`` ``version`` in the find-links folders."""
        wheels: list[Artifact] = []
        sdists: list[Path] = []
        for folder in self.options.find_links:
            try:
                entries = sorted(os.listdir(folder))
            except OSError:
                continue
            for entry in entries:
                parsed = wheel_name(entry)
                if parsed is not None:
                    if parsed[0] == name and same_version(parsed[1], version):
                        wheels.append(Artifact(filename=entry, path=str(folder / entry)))
                elif is_sdist(entry) and sdist_matches(entry, name, version):
                    sdists.append(folder / entry)
        return wheels, sdists

    def _by_version(
        self, name: NormalizedName, version: str, *, label: str, spec: HashSpec, index: str | None
    ) -> LocalWheel:
        wheels, sdists = self._local_candidates(name, version)
        chosen = best_wheel(wheels, self.tags)
        if chosen is not None and chosen.path is not None:
            path = Path(chosen.path)
            sha = verified_sha256(path, spec, package=label)
            place = _Place(path=path, sha256=sha, origin=f"find-links {path.parent}")
            return self._local_wheel(place, chosen.filename, name, version)
        cached = self._cached_by_version(name, version, spec, label=label)
        if cached is not None:
            return cached
        if self.options.offline:
            if sdists:
                return self._build_sdist_file(sdists[0], spec, _pin_target(name, version, label))
            looked = (*[str(folder) for folder in self.options.find_links], "the download cache")
            raise OfflineError([Missing(package=label, filename=None, looked=looked)])
        return self._from_index(name, version, label=label, spec=spec, index=index, sdists=sdists)

    def _cached_by_version(
        self, name: NormalizedName, version: str, spec: HashSpec, *, label: str
    ) -> LocalWheel | None:
        for sha in spec.sha256s:
            cached = self._cache_hit(sha, spec, label=label)
            if cached is not None and self._fits(cached.name):
                place = _Place(path=cached, sha256=sha, origin="cache")
                return self._local_wheel(place, cached.name, name, version)
        found = [
            Artifact(filename=path.name, path=str(path), hashes={"sha256": path.parent.name})
            for path in self.cache.find(name, version)
        ]
        # A requirements file's hashes may rule some cached files out: skip those.
        usable = [item for item in found if _satisfies(Path(str(item.path)), spec)]
        chosen = best_wheel(usable, self.tags)
        if chosen is None or chosen.path is None:
            return None
        place = _Place(path=Path(chosen.path), sha256=chosen.hashes["sha256"], origin="cache")
        return self._local_wheel(place, chosen.filename, name, version)

    def _fits(self, filename: str) -> bool:
        parsed = wheel_name(filename)
        return parsed is not None and bool(parsed[2] & self.tag_set)

    def _from_index(
        self,
        name: NormalizedName,
        version: str,
        *,
        label: str,
        spec: HashSpec,
        index: str | None,
        sdists: Sequence[Path],
    ) -> LocalWheel:
        index_url = self._index_url(index)
        files = fetch_project_page(index_url, name, package=label, timeout=self.options.timeout)
        by_name = {item.filename: item for item in files}
        wheels = [
            item.artifact()
            for item in files
            if (parsed := wheel_name(item.filename)) is not None
            and parsed[0] == name
            and same_version(parsed[1], version)
        ]
        chosen = best_wheel(wheels, self.tags)
        if chosen is not None and chosen.url is not None:
            return self._download_index_wheel(by_name[chosen.filename], name, version, label, spec)
        if sdists:
            return self._build_sdist_file(sdists[0], spec, _pin_target(name, version, label))
        index_sdists = [
            item
            for item in files
            if is_sdist(item.filename) and sdist_matches(item.filename, name, version)
        ]
        if index_sdists:
            target = _pin_target(name, version, label)
            return self._build_index_sdist(index_sdists[0], spec, target)
        if wheels:
            raise self._no_fit(label, redact(index_url), [w.filename for w in wheels])
        raise WheelNotFoundError(
            f"{label}: the index {redact(index_url)} has no file of {name} {version}",
            package=label,
            location=redact(index_url),
            hint="pass --index-url for the index that has it, or --find-links DIR",
        )

    def _download_index_wheel(
        self, item: IndexFile, name: NormalizedName, version: str, label: str, spec: HashSpec
    ) -> LocalWheel:
        wanted = spec.also(item.hashes)
        for sha in wanted.sha256s:
            cached = self._cache_hit(sha, wanted, label=label)
            if cached is not None:
                self.cache.remember(name, version, sha)
                return self._local_wheel(
                    _Place(path=cached, sha256=sha, origin="cache"), item.filename, name, version
                )
        path, sha = download(
            item.url,
            cache=self.cache,
            filename=item.filename,
            package=label,
            expected=wanted,
            timeout=self.options.timeout,
            progress=self.progress,
        )
        self.cache.remember(name, version, sha)
        return self._local_wheel(
            _Place(path=path, sha256=sha, origin=redact(item.url)), item.filename, name, version
        )

    def _no_fit(self, label: str, where: str, filenames: Sequence[str]) -> NoCompatibleWheelError:
        return NoCompatibleWheelError(
            package=label,
            where=where,
            found=_shown_files(filenames),
            top_tags=shown_tags(self.tags),
            tag_count=len(self.tags),
        )

    # -- builds

    def _settings(self, index: str | None = None) -> BuildSettings:
        return BuildSettings(
            index_url=self._index_url(index),
            find_links=tuple(self.options.find_links),
            offline=self.options.offline,
        )

    def _built(self, built: Built, target: Target) -> LocalWheel:
        place = _Place(path=built.path, sha256=built.sha256, origin=built.origin)
        return self._local_wheel(place, built.filename, target.name, target.version)

    def _build_archive(
        self, place: _Place, target: Target, *, subdirectory: str | None, index: str | None
    ) -> LocalWheel:
        built = self.builder.from_archive(
            place.path,
            place.sha256,
            target=target,
            subdirectory=subdirectory,
            settings=self._settings(index),
        )
        return self._built(built, target)

    def _build_locked_sdist(self, dist: WantedDist, sdist: Artifact) -> LocalWheel:
        place = self._locate(dist, sdist)
        index = dist.source.url if dist.source.kind == "registry" else None
        return self._build_archive(
            place, _target(dist), subdirectory=dist.source.subdirectory, index=index
        )

    def _build_sdist_file(self, path: Path, spec: HashSpec, target: Target) -> LocalWheel:
        sha = verified_sha256(path, spec, package=target.label)
        place = _Place(path=path, sha256=sha, origin=f"find-links {path.parent}")
        return self._build_archive(place, target, subdirectory=None, index=None)

    def _build_index_sdist(self, item: IndexFile, spec: HashSpec, target: Target) -> LocalWheel:
        wanted = spec.also(item.hashes)
        label = target.label
        hits = ((sha, self._cache_hit(sha, wanted, label=label)) for sha in wanted.sha256s)
        hit = next(((sha, path) for sha, path in hits if path is not None), None)
        if hit is not None:
            place = _Place(path=hit[1], sha256=hit[0], origin="cache")
        else:
            path, sha = download(
                item.url,
                cache=self.cache,
                filename=item.filename,
                package=label,
                expected=wanted,
                timeout=self.options.timeout,
                progress=self.progress,
            )
            place = _Place(path=path, sha256=sha, origin=redact(item.url))
        return self._build_archive(place, target, subdirectory=None, index=None)


def _target(dist: WantedDist) -> Target:
    return Target(name=dist.name, version=dist.version, label=dist.label)


def _pin_target(name: NormalizedName, version: str, label: str) -> Target:
    return Target(name=name, version=version, label=label)


def _satisfies(path: Path, spec: HashSpec) -> bool:
    if not spec:
        return True
    try:
        spec.check(file_digests(path, spec.algorithms), package="", location="", kept=True)
    except HashMismatchError:
        return False
    except OSError:
        return False
    return True
