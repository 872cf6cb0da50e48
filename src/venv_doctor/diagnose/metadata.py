"""dist-info-incomplete and duplicate-distribution."""

from __future__ import annotations

from collections import defaultdict

from venv_doctor.diagnose._make import finding, reinstall_hint
from venv_doctor.diagnose.claims import record_trouble
from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.index import Index
from venv_doctor.read.installed import InstalledDist
from venv_doctor.read.records import is_bytecode
from venv_doctor.read.snapshot import FILE, LINK, TARGET_FILE, Snapshot

_NO_WINNER_HINT = (
    "venv-doctor fix keeps one copy (the lockfile's version, if any) and purges the rest"
)
_WINNER_HINT = "venv-doctor fix purges the copies the files on disk do not match"


def check(snapshot: Snapshot, index: Index) -> list[Finding]:
    found = [f for dist in snapshot.dists if (f := _incomplete(snapshot, dist, index)) is not None]
    groups: dict[tuple[str, str], list[InstalledDist]] = defaultdict(list)
    for dist in snapshot.dists:
        groups[(dist.site_dir, dist.name)].append(dist)
    for group in groups.values():
        if len(group) > 1:
            found.extend(_duplicates(snapshot, group))
    return found


def _incomplete(snapshot: Snapshot, dist: InstalledDist, index: Index) -> Finding | None:
    if dist.kind == "egg-info-file":
        return None
    folder = dist.meta_dir.rpartition("/")[2]
    if not dist.meta_files:
        what = "is empty"
    else:
        required = ("METADATA", "RECORD") if dist.kind == "dist-info" else ("PKG-INFO",)
        lacking = [name for name in required if name not in dist.meta_files]
        if not lacking:
            return _record_trouble(snapshot, dist, index)
        what = "has no " + " and no ".join(lacking)
    return finding(
        "dist-info-incomplete",
        f"{folder} {what}: pip and uv can neither use nor uninstall this distribution",
        dist=dist,
        path=dist.meta_dir,
        hint="venv-doctor fix removes it, or rebuilds it where the lockfile wants it",
    )


def _record_trouble(snapshot: Snapshot, dist: InstalledDist, index: Index) -> Finding | None:
    trouble = record_trouble(snapshot, dist, index)
    if trouble is None:
        return None
    folder = dist.meta_dir.rpartition("/")[2]
    if trouble.broken:
        why = (
            "no installer can tell which files are this distribution's, so neither pip nor uv "
            "can uninstall or upgrade it; its files stay until it is reinstalled"
        )
    else:
        why = (
            "it is still the RECORD the wheel shipped (an installer writes its own last), "
            "so the install stopped before it finished"
        )
    return finding(
        "dist-info-incomplete",
        f"the RECORD of {folder} {trouble.what}: {why}",
        dist=dist,
        path=dist.meta_dir,
        hint=reinstall_hint(dist),
    )


def _match(snapshot: Snapshot, dist: InstalledDist) -> tuple[int, int]:
    """(files on disk that match this dist's RECORD, files it lists)."""
    files = snapshot.owned.get(dist.meta_dir)
    if not files:
        return 0, 0
    matched = listed = 0
    for rel, row in files:
        if rel is None or is_bytecode(rel) or rel.startswith(dist.meta_dir + "/"):
            continue
        listed += 1
        entry = snapshot.tree.get(rel)
        if entry is None or not (
            entry.kind == FILE or (entry.kind == LINK and entry.target == TARGET_FILE)
        ):
            continue
        if row.size is not None and entry.size != row.size:
            continue
        digest = snapshot.hashes.get(rel)
        if digest is not None and row.hash_value is not None and digest != row.hash_value:
            continue
        matched += 1
    return matched, listed


def _duplicates(snapshot: Snapshot, group: list[InstalledDist]) -> list[Finding]:
    scores = {dist.meta_dir: _match(snapshot, dist) for dist in group}

    def describe(dist: InstalledDist) -> str:
        matched, listed = scores[dist.meta_dir]
        folder = dist.meta_dir.rpartition("/")[2]
        if dist.record is None:
            return f"{folder} (no RECORD)"
        return f"{folder} ({matched} of {listed} files match)"

    best = max(
        group,
        key=lambda d: (scores[d.meta_dir][0] == scores[d.meta_dir][1] > 0, scores[d.meta_dir][0]),
    )
    best_matched = scores[best.meta_dir][0]
    winner = best if best_matched > 0 else None
    listing = ", ".join(describe(dist) for dist in group)
    name = group[0].name
    found = []
    for dist in group:
        if dist is winner:
            continue
        if winner is not None:
            verdict = (
                f"the files on disk match {winner.label} ({winner.meta_dir.rpartition('/')[2]})"
            )
        else:
            verdict = "the files on disk match none of them"
        found.append(
            finding(
                "duplicate-distribution",
                f"{len(group)} installed copies of {name}: {listing}; {verdict}",
                dist=dist,
                path=dist.meta_dir,
                hint=_NO_WINNER_HINT if winner is None else _WINNER_HINT,
            )
        )
    return found
