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
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from venv_doctor.apply.build import (
    BuildSettings,
    build_project,
    checkout_git,
    is_sdist,
    project_folder,
    unpack_sdist,
)
from venv_doctor.apply.fetch import (
    HashSpec,
    ProgressCallback,
    WheelCache,
    download,
    fetch_project_page,
    file_digests,
    redact,
    verified_sha256,
)
from venv_doctor.apply.simple_index import IndexFile
from venv_doctor.apply.wheel_errors import (
    BuildError,
    HashMismatchError,
    Missing,
    NoCompatibleWheelError,
    OfflineError,
    WheelError,
    WheelNotFoundError,
)
from venv_doctor.installed import NormalizedName
from venv_doctor.lockfiles.wanted import Artifact, WantedDist, best_wheel

DEFAULT_INDEX_URL = "https://pypi.org/simple"
CACHE_DIR_ENV = "VENV_DOCTOR_CACHE_DIR"
DEFAULT_TIMEOUT = 30.0
# How many of the interpreter's tags an error shows: the rest are variations.
_SHOWN_TAGS = 5
_SHOWN_FILES = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalWheel:
    """A wheel file ready to install: where it is, its verified sha256, what it is.

    ``origin`` says where it came from, for reports: ``lock path``,
    ``find-links``, ``cache``, a URL, or ``built from …``.  ``path`` stays
    valid after the call: it is a file the lock or ``--find-links`` names,
    or a file in the download cache.
    """

    path: Path
    sha256: str
    filename: str
    name: NormalizedName
    version: str
    origin: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Pin:
    """A distribution wanted at an exact version without a lockfile: an installed one."""

    name: NormalizedName
    version: str

    @classmethod
    def of(cls, name: str, version: str) -> Pin:
        return cls(name=NormalizedName(canonicalize_name(name)), version=version)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


WheelRequest = WantedDist | Pin


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchOptions:
    """Where wheels may come from.

    ``index_url`` ``None`` means: the lock's own registry, else
    ``UV_DEFAULT_INDEX``, ``UV_INDEX_URL``, ``PIP_INDEX_URL``, else PyPI.
    ``cache_dir`` ``None`` means ``VENV_DOCTOR_CACHE_DIR``, else the user
    cache folder (platformdirs).  ``timeout`` is per network operation, in
    seconds.
    """

    find_links: Sequence[Path] = ()
    index_url: str | None = None
    offline: bool = False
    cache_dir: Path | None = None
    timeout: float = DEFAULT_TIMEOUT


def default_index_url(environ: Mapping[str, str]) -> str:
    """The index used when neither the options nor the lock name one."""
    for key in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"):
        value = environ.get(key, "").strip()
        if value:
            return value
    return DEFAULT_INDEX_URL


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """``VENV_DOCTOR_CACHE_DIR``, else the platform's user cache folder for venv-doctor."""
    configured = environ.get(CACHE_DIR_ENV, "").strip()
    if configured:
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("venv-doctor", appauthor=False))


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


# ------------------------------------------------------------------- helpers


def _wheel_name(filename: str) -> tuple[NormalizedName, Version, frozenset[Tag]] | None:
    try:
        name, version, _build, tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion):
        return None
    return NormalizedName(str(name)), version, tags


def _same_version(version: Version, wanted: str | None) -> bool:
    if wanted is None:
        return True
    try:
        return version == Version(wanted)
    except InvalidVersion:
        return str(version) == wanted


def _url_filename(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def _is_local_url(url: str) -> bool:
    return urlsplit(url).scheme == "file"


def _tag_text(tags: Sequence[Tag]) -> list[str]:
    return [str(tag) for tag in tags[:_SHOWN_TAGS]]


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
            return self._build_directory(dist)
        if source.kind == "git":
            return self._build_git(dist)
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
            if _wheel_name(direct.filename) is not None:
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
        if source.kind == "url" and source.url and not source.subdirectory:
            return Artifact(filename=_url_filename(source.url), url=source.url)
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
            cached = self.cache.get(sha)
            if cached is not None:
                verified_sha256(cached, spec, package=label)
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

    def _locked_wheel(self, dist: WantedDist, artifact: Artifact) -> LocalWheel:
        place = self._locate(dist, artifact)
        return self._local_wheel(place, artifact.filename, dist.name, dist.version)

    def _local_wheel(
        self, place: _Place, filename: str, name: NormalizedName, version: str | None
    ) -> LocalWheel:
        parsed = _wheel_name(filename)
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
                parsed = _wheel_name(entry)
                if parsed is not None:
                    if parsed[0] == name and _same_version(parsed[1], version):
                        wheels.append(Artifact(filename=entry, path=str(folder / entry)))
                elif is_sdist(entry) and _sdist_matches(entry, name, version):
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
                return self._build_sdist_file(
                    sdists[0], spec, name=name, version=version, label=label
                )
            looked = (*[str(folder) for folder in self.options.find_links], "the download cache")
            raise OfflineError([Missing(package=label, filename=None, looked=looked)])
        return self._from_index(name, version, label=label, spec=spec, index=index, sdists=sdists)

    def _cached_by_version(
        self, name: NormalizedName, version: str, spec: HashSpec, *, label: str
    ) -> LocalWheel | None:
        for sha in spec.sha256s:
            cached = self.cache.get(sha)
            if cached is not None and self._fits(cached.name):
                verified_sha256(cached, spec, package=label)
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
        parsed = _wheel_name(filename)
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
            if (parsed := _wheel_name(item.filename)) is not None
            and parsed[0] == name
            and _same_version(parsed[1], version)
        ]
        chosen = best_wheel(wheels, self.tags)
        if chosen is not None and chosen.url is not None:
            return self._download_index_wheel(by_name[chosen.filename], name, version, label, spec)
        if sdists:
            return self._build_sdist_file(sdists[0], spec, name=name, version=version, label=label)
        index_sdists = [
            item
            for item in files
            if is_sdist(item.filename) and _sdist_matches(item.filename, name, version)
        ]
        if index_sdists:
            return self._build_index_sdist(index_sdists[0], name, version, label, spec)
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
            cached = self.cache.get(sha)
            if cached is not None:
                verified_sha256(cached, wanted, package=label)
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
            top_tags=_tag_text(self.tags),
            tag_count=len(self.tags),
        )

    # -- builds

    def _settings(self, index: str | None = None) -> BuildSettings:
        return BuildSettings(
            index_url=self._index_url(index),
            find_links=tuple(self.options.find_links),
            offline=self.options.offline,
        )

    def _build_locked_sdist(self, dist: WantedDist, sdist: Artifact) -> LocalWheel:
        place = self._locate(dist, sdist)
        index = dist.source.url if dist.source.kind == "registry" else None
        return self._build_archive(
            place,
            sdist.filename,
            name=dist.name,
            version=dist.version,
            label=dist.label,
            subdirectory=dist.source.subdirectory,
            index=index,
        )

    def _build_sdist_file(
        self, path: Path, spec: HashSpec, *, name: NormalizedName, version: str, label: str
    ) -> LocalWheel:
        sha = verified_sha256(path, spec, package=label)
        place = _Place(path=path, sha256=sha, origin=f"find-links {path.parent}")
        return self._build_archive(
            place, path.name, name=name, version=version, label=label, subdirectory=None, index=None
        )

    def _build_index_sdist(
        self, item: IndexFile, name: NormalizedName, version: str, label: str, spec: HashSpec
    ) -> LocalWheel:
        wanted = spec.also(item.hashes)
        cached = next(filter(None, (self.cache.get(sha) for sha in wanted.sha256s)), None)
        if cached is not None:
            sha = verified_sha256(cached, wanted, package=label)
            place = _Place(path=cached, sha256=sha, origin="cache")
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
        return self._build_archive(
            place,
            item.filename,
            name=name,
            version=version,
            label=label,
            subdirectory=None,
            index=None,
        )

    def _build_archive(
        self,
        place: _Place,
        filename: str,
        *,
        name: NormalizedName,
        version: str | None,
        label: str,
        subdirectory: str | None,
        index: str | None,
    ) -> LocalWheel:
        key = f"sdist:{place.sha256}:{subdirectory or ''}"
        reused = self._reuse_built(key, name, version)
        if reused is not None:
            return reused
        with tempfile.TemporaryDirectory(prefix="venv-doctor-build-") as scratch:
            unpacked = Path(scratch) / "src"
            unpacked.mkdir()
            root = unpack_sdist(place.path, unpacked, package=label)
            folder = project_folder(root, subdirectory, package=label)
            wheel = self._build(
                folder, Path(scratch) / "dist", name=name, version=version, label=label, index=index
            )
            return self._keep_built(
                wheel,
                name=name,
                version=version,
                label=label,
                key=key,
                origin=f"built from {filename}",
            )

    def _build_directory(self, dist: WantedDist) -> LocalWheel:
        source = dist.source
        if not source.path:
            raise BuildError(
                f"{dist.label}: the lockfile names no folder for this {source.kind} source",
                package=dist.label,
            )
        folder = project_folder(Path(source.path), source.subdirectory, package=dist.label)
        editable = source.kind == "editable"
        with tempfile.TemporaryDirectory(prefix="venv-doctor-build-") as scratch:
            wheel = self._build(
                folder,
                Path(scratch),
                name=dist.name,
                version=dist.version,
                label=dist.label,
                editable=editable,
            )
            what = "built editable from" if editable else "built from"
            return self._keep_built(
                wheel,
                name=dist.name,
                version=dist.version,
                label=dist.label,
                key=None,
                origin=f"{what} {folder}",
            )

    def _build_git(self, dist: WantedDist) -> LocalWheel:
        source = dist.source
        url = source.url or ""
        key = f"git:{url}@{source.commit}:{source.subdirectory or ''}" if source.commit else None
        if key is not None:
            reused = self._reuse_built(key, dist.name, dist.version)
            if reused is not None:
                return reused
        if self.options.offline and not _is_local_git(url):
            raise OfflineError([Missing(package=dist.label, filename=None, looked=(f"git {url}",))])
        with tempfile.TemporaryDirectory(prefix="venv-doctor-build-") as scratch:
            checkout = checkout_git(
                url,
                commit=source.commit,
                revision=source.requested_revision,
                dest=Path(scratch) / "repo",
                package=dist.label,
            )
            folder = project_folder(checkout, source.subdirectory, package=dist.label)
            wheel = self._build(
                folder,
                Path(scratch) / "dist",
                name=dist.name,
                version=dist.version,
                label=dist.label,
            )
            commit = source.commit or source.requested_revision or "HEAD"
            return self._keep_built(
                wheel,
                name=dist.name,
                version=dist.version,
                label=dist.label,
                key=key,
                origin=f"built from git {redact(url)}@{commit}",
            )

    def _build(
        self,
        folder: Path,
        out_dir: Path,
        *,
        name: NormalizedName,
        version: str | None,
        label: str,
        editable: bool = False,
        index: str | None = None,
    ) -> Path:
        wheel = build_project(
            folder,
            out_dir=out_dir,
            package=label,
            editable=editable,
            settings=self._settings(index),
        )
        parsed = _wheel_name(wheel.name)
        if parsed is None or parsed[0] != name or not _same_version(parsed[1], version):
            raise BuildError(
                f"{label}: building {folder} gave {wheel.name}, not a wheel of {label}",
                package=label,
                location=str(folder),
                path=folder,
                hint="the project's name or version is not the locked one: lock again (uv lock)",
            )
        if not parsed[2] & self.tag_set:
            raise BuildError(
                f"{label}: building {folder} gave {wheel.name}, which does not fit the target "
                f"interpreter (best tags {', '.join(_tag_text(self.tags))}); builds run on the "
                "Python that runs venv-doctor",
                package=label,
                location=str(folder),
                path=folder,
                hint="run venv-doctor with the venv's Python version, or provide a wheel with "
                "--find-links DIR",
            )
        return wheel

    def _keep_built(
        self,
        wheel: Path,
        *,
        name: NormalizedName,
        version: str | None,
        label: str,
        key: str | None,
        origin: str,
    ) -> LocalWheel:
        sha = file_digests(wheel)["sha256"]
        cached = self.cache.add(wheel, sha256=sha, package=label)
        if key is not None:
            self.cache.remember_built(key, sha)
        place = _Place(path=cached, sha256=sha, origin=origin)
        return self._local_wheel(place, wheel.name, name, version)

    def _reuse_built(
        self, key: str, name: NormalizedName, version: str | None
    ) -> LocalWheel | None:
        found = [
            Artifact(filename=path.name, path=str(path), hashes={"sha256": path.parent.name})
            for path in self.cache.built(key)
        ]
        chosen = best_wheel(found, self.tags)
        if chosen is None or chosen.path is None:
            return None
        place = _Place(
            path=Path(chosen.path), sha256=chosen.hashes["sha256"], origin="cache (built)"
        )
        return self._local_wheel(place, chosen.filename, name, version)


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


def _sdist_matches(filename: str, name: str, version: str) -> bool:
    try:
        sdist_name, sdist_version = parse_sdist_filename(filename)
    except (InvalidSdistFilename, InvalidVersion):
        return False
    return sdist_name == name and _same_version(sdist_version, version)


def _is_local_git(url: str) -> bool:
    url = url.removeprefix("git+")
    return _is_local_url(url) or os.path.isdir(url)
