"""Whether uv will rebuild a project installed from a local folder: pure.

uv records in ``uv_cache.json`` the cache info of a local project's source
when it installs it, and on every sync rebuilds the project when the info
of the source now is not equal to it, or when there is none
(crates/uv-installer/src/satisfies.rs, the ``Directory`` and ``Path``
sources).  It looks only at distributions the lock wants from a local
folder or archive, installed from that very place (else the source itself
differs: ``lock-source-mismatch``).  A ``uv_cache.json`` that uv cannot read
is worse: uv reads one in every dist-info it lists, and fails
(crates/uv-distribution-types/src/installed.rs ``read_cache_info``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from venv_doctor.diagnose.findings import CODES, Finding
from venv_doctor.read.freshness import CACHE_FILE, CacheRecord

if TYPE_CHECKING:
    from venv_doctor.lockfiles.wanted import WantedSet
    from venv_doctor.read.cache_info import CacheInfo, FolderStamp, Stamp
    from venv_doctor.read.installed import InstalledDist

# Lock sources uv checks for freshness: a project folder (editable or not), an archive.
LOCAL_KINDS = frozenset({"editable", "directory", "path"})


def _same_version(a: str | None, b: str | None) -> bool:
    from packaging.version import InvalidVersion, Version

    if a is None or b is None:
        return True  # nothing to tell them apart by
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def watched_sources(wanted: WantedSet, dists: Iterable[InstalledDist]) -> dict[str, str]:
    """``meta_dir`` -> local source, for each distribution uv would check for freshness.

    Those the lock wants from a local folder or archive, installed at the
    locked version from that place.  With a lock other than uv.lock, only
    those a uv_cache.json says uv installed: pip keeps no such record, and
    pip-made venvs are not stale for lack of one.
    """
    from venv_doctor.diagnose.lock import source_problem

    found: dict[str, str] = {}
    for dist in dists:
        want = wanted.get(dist.name)
        if (
            want is None
            or want.source.kind not in LOCAL_KINDS
            or not want.source.path
            or dist.kind != "dist-info"
            or not _same_version(want.version, dist.version)
            or source_problem(want.source, dist.direct_url) is not None
        ):
            continue
        if wanted.kind == "uv.lock" or CACHE_FILE in dist.meta_files:
            found[dist.meta_dir] = want.source.path
    return found


def freshness_findings(
    records: Iterable[CacheRecord], dists: Sequence[InstalledDist]
) -> list[Finding]:
    """``uv-cache-info-invalid`` and ``local-project-stale`` findings about ``records``."""
    by_meta = {dist.meta_dir: dist for dist in dists}
    found: list[Finding] = []
    for record in records:
        dist = by_meta.get(record.meta_dir)
        if dist is None:
            continue
        path = f"{record.meta_dir}/{CACHE_FILE}"
        if record.invalid is not None:
            found.append(
                _finding(
                    "uv-cache-info-invalid",
                    dist,
                    path,
                    f"{path} cannot be read ({record.invalid}): uv fails on every command that "
                    "reads this venv",
                    f"venv-doctor fix reinstalls {dist.name}; by hand, delete that file "
                    "(uv then rebuilds a local project at its next sync)",
                )
            )
            continue
        problem = _stale(record)
        if problem is not None:
            found.append(
                _finding(
                    "local-project-stale",
                    dist,
                    path,
                    f"{dist.label}: uv will rebuild it from {record.source}: {problem}",
                    _stale_hint(record),
                )
            )
    return found


def _finding(code: str, dist: InstalledDist, path: str, message: str, hint: str) -> Finding:
    return Finding(
        code=code,
        severity=CODES[code].severity,
        package=dist.name,
        version=dist.version,
        path=path,
        message=message,
        hint=hint,
    )


def _stale_hint(record: CacheRecord) -> str:
    if record.unknown is not None:
        return (
            f"correct tool.uv.cache-keys in {record.source}/pyproject.toml; until then uv "
            "rebuilds the project at every sync"
        )
    return "venv-doctor fix rebuilds it from its source, as uv sync would"


def _stale(record: CacheRecord) -> str | None:
    """Why uv finds the project out of date; ``None`` when it does not (or cannot be asked)."""
    if record.source is None:
        return None
    if record.unknown is not None:
        return f"uv cannot compute its cache info ({record.unknown})"
    current = record.current
    if current is None:
        return None  # no answer to give: the source is gone, or uv refuses its pyproject.toml
    if record.stored is None:
        if current.empty:
            # uv writes no uv_cache.json for empty info (`cache-keys = []`), and
            # rebuilds at every sync: its own steady state, nothing to repair.
            return None
        return f"{CACHE_FILE} is missing, so uv sees an install of unknown freshness"
    changes = differences(record.stored, current)
    return "; ".join(changes) if changes else None


def differences(stored: CacheInfo, current: CacheInfo) -> list[str]:
    """What changed in the source since ``stored`` was recorded, in words; empty when equal."""
    changes: list[str] = []
    if stored.timestamp != current.timestamp:
        changes.append(
            f"its key files changed (newest change {_when(current.timestamp)}, "
            f"{CACHE_FILE} records {_when(stored.timestamp)})"
        )
    before, now = dict(stored.directories), dict(current.directories)
    changes.extend(
        f"folder {key} {_folder_change(before.get(key, ...), now.get(key, ...))}"
        for key in sorted(before.keys() | now.keys())
        if before.get(key, ...) != now.get(key, ...)
    )
    if stored.commit != current.commit:
        changes.append(f"the git commit is now {current.commit or 'none'}")
    if stored.tags != current.tags:
        changes.append("the git tags changed")
    was, is_now = dict(stored.env), dict(current.env)
    names = sorted(n for n in was.keys() | is_now.keys() if was.get(n, ...) != is_now.get(n, ...))
    if names:
        # Names only: a value may be a secret.
        changes.append(f"environment variable {', '.join(names)} changed")
    return changes


def _when(stamp: Stamp | None) -> str:
    import datetime

    if stamp is None:
        return "none"
    moment = datetime.datetime.fromtimestamp(stamp[0], tz=datetime.timezone.utc)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{stamp[1]:09d} UTC"


def _folder_change(before: FolderStamp | object, now: FolderStamp | object) -> str:
    if before is ... or now is ...:
        return "is watched differently (the cache keys changed)"
    if before is None:
        return "was created"
    if now is None:
        return "was removed"
    return "was removed and created again"
