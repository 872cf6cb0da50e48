"""The wanted set: what a lockfile says belongs in this venv, whatever its format.

Every reader (uv.lock, pylock.toml, requirements.txt) ends in one
``WantedSet`` of ``WantedDist`` entries, keyed by normalized name, already
selected for the target interpreter (markers and tags) and the options the
user gave (extras, groups, packages).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from venv_doctor.read.installed import NormalizedName

# Where a distribution comes from.  "registry" is an index; the direct kinds
# are what PEP 610 direct_url.json records after an install.
SOURCE_KINDS = frozenset(
    {"registry", "git", "url", "path", "directory", "editable", "virtual", "unknown"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """Where a wanted distribution comes from.

    ``kind`` is one of ``SOURCE_KINDS``.  ``url`` is the index URL (registry),
    the repository URL (git, without the ``#commit`` fragment) or the archive
    URL (url).  ``path`` is an absolute local path (path: a wheel or sdist
    file; directory/editable/virtual: a project folder).  ``commit`` is the
    full git commit; ``subdirectory`` a folder inside a git repository or
    archive.
    """

    kind: str
    url: str | None = None
    path: str | None = None
    commit: str | None = None
    requested_revision: str | None = None
    subdirectory: str | None = None

    @property
    def editable(self) -> bool:
        return self.kind == "editable"

    @property
    def direct(self) -> bool:
        """Whether an install records a direct_url.json (anything but an index)."""
        return self.kind not in {"registry", "unknown"}

    def describe(self) -> str:
        """A short human description: ``registry https://…``, ``editable /path``."""
        if self.kind == "git":
            return f"git {self.url}@{self.commit or self.requested_revision or '?'}"
        where = self.path or self.url
        return f"{self.kind} {where}" if where else self.kind


@dataclass(frozen=True, slots=True, kw_only=True)
class Artifact:
    """One file a distribution can be installed from: a wheel or an sdist.

    ``url`` or ``path`` (absolute) locates it; ``filename`` is always set;
    ``hashes`` maps algorithm to hex digest.
    """

    filename: str
    url: str | None = None
    path: str | None = None
    hashes: Mapping[str, str] = field(default_factory=dict)
    size: int | None = None

    def wheel_tags(self) -> frozenset[Tag]:
        """The tags a wheel file name declares (empty for an sdist or a bad name)."""
        try:
            return parse_wheel_filename(self.filename)[3]
        except InvalidWheelFilename:
            return frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class WantedDist:
    """One distribution the lockfile wants installed.

    ``version`` is ``None`` only when the lock does not pin one (a dynamic
    project version, an unpinned direct reference).  ``wheels`` are every
    wheel the lock lists; ``wheel`` is the one that fits the target's tags
    best (``None`` when none fits, then ``sdist`` is what would be built).
    ``requires_dist`` is what the lock recorded of a local project's own
    requirements (uv.lock ``[package.metadata]``), to notice an editable
    whose installed metadata went stale.  ``hashes`` are ``algo:hex`` digests
    any of its files may have when the lock does not say which file has which
    (requirements files' ``--hash``).
    """

    name: NormalizedName
    version: str | None
    source: Source
    wheels: tuple[Artifact, ...] = ()
    wheel: Artifact | None = None
    sdist: Artifact | None = None
    requires_dist: tuple[str, ...] | None = None
    hashes: tuple[str, ...] = ()

    @property
    def editable(self) -> bool:
        return self.source.editable

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}" if self.version else str(self.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class WantedSet:
    """Everything a lockfile wants installed in one venv, keyed by normalized name.

    ``lockfile`` is the file it was read from and ``kind`` its format
    (``uv.lock``, ``pylock``, ``requirements``).  ``notes`` are things worth
    telling the user about the selection (for example a package with no
    wheel for this platform).
    """

    lockfile: Path
    kind: str
    dists: Mapping[NormalizedName, WantedDist]
    notes: tuple[str, ...] = ()

    def __contains__(self, name: object) -> bool:
        return name in self.dists

    def get(self, name: str) -> WantedDist | None:
        return self.dists.get(NormalizedName(name))


def tag_ranks(tags: Sequence[Tag]) -> dict[Tag, int]:
    """Each tag's index in ``tags`` (the last, for a tag listed twice), for ``best_wheel``."""
    return {tag: index for index, tag in enumerate(tags)}


def best_wheel(
    wheels: Sequence[Artifact], tags: Sequence[Tag], *, ranks: Mapping[Tag, int] | None = None
) -> Artifact | None:
    """The wheel whose best tag ranks highest in ``tags`` (best first), or ``None``.

    ``ranks``: ``tag_ranks(tags)``, made once by a caller that ranks many
    packages' wheels (a tag's hash is a Python call, a probe has ~1,000 tags).
    """
    rank = ranks if ranks is not None else tag_ranks(tags)
    best: tuple[int, Artifact] | None = None
    for wheel in wheels:
        found = [rank[tag] for tag in wheel.wheel_tags() if tag in rank]
        if found and (best is None or min(found) < best[0]):
            best = (min(found), wheel)
    return best[1] if best else None


def from_direct_url(
    name: NormalizedName, version: str | None, info: Mapping[str, Any] | None
) -> WantedDist | None:
    """What an install recorded in its PEP 610 ``direct_url.json``, as a wanted distribution.

    Without a lockfile, a distribution installed from a folder, a git
    repository or an archive URL is fetched again from there, never from an
    index by its name (where another project may use that name).  ``None``
    when ``info`` is missing or names nothing that can be fetched again.
    """
    from venv_doctor.read.editables import file_url_path

    url = info.get("url") if info else None
    if not isinstance(url, str) or info is None:
        return None
    subdirectory = info.get("subdirectory")
    subdirectory = subdirectory if isinstance(subdirectory, str) else None
    local = file_url_path(url)
    dir_info, vcs_info, archive_info = (
        info.get(key) for key in ("dir_info", "vcs_info", "archive_info")
    )
    hashes: tuple[str, ...] = ()
    if isinstance(dir_info, dict) and local is not None:
        kind = "editable" if dir_info.get("editable") is True else "directory"
        source = Source(kind=kind, path=local, subdirectory=subdirectory)
    elif isinstance(vcs_info, dict) and vcs_info.get("vcs") == "git":
        commit, revision = vcs_info.get("commit_id"), vcs_info.get("requested_revision")
        source = Source(
            kind="git",
            url=url,
            commit=commit if isinstance(commit, str) else None,
            requested_revision=revision if isinstance(revision, str) else None,
            subdirectory=subdirectory,
        )
    elif isinstance(archive_info, dict):
        source = (
            Source(kind="path", path=local, subdirectory=subdirectory)
            if local is not None
            else Source(kind="url", url=url, subdirectory=subdirectory)
        )
        recorded = archive_info.get("hashes")
        if isinstance(recorded, dict):
            hashes = tuple(f"{k}:{v}" for k, v in recorded.items() if isinstance(v, str))
        elif isinstance(archive_info.get("hash"), str):  # the older "sha256=<hex>" form
            hashes = (archive_info["hash"].replace("=", ":", 1),)
    else:
        return None
    return WantedDist(name=name, version=version, source=source, hashes=hashes)
