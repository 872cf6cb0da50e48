"""Removing a distribution: its RECORD'd files, the folders it alone owns, and what it claims."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from venv_doctor.plan.actions import (
    RemoveDist,
)
from venv_doctor.read.installed import InstalledDist
from venv_doctor.read.records import is_bytecode
from venv_doctor.read.snapshot import DIR, Snapshot


def owned_by(snapshot: Snapshot, dists: Iterable[InstalledDist]) -> frozenset[str]:
    owned: set[str] = set()
    for dist in dists:
        owned.update(rel for rel, _row in snapshot.owned.get(dist.meta_dir, ()) if rel)
    return frozenset(owned)


def _top_folders(snapshot: Snapshot, dist: InstalledDist, claims: Mapping[str, str]) -> set[str]:
    """The site-packages folders that hold this distribution's modules."""
    prefix = dist.site_dir + "/"
    tops: set[str] = set()
    for rel, _row in snapshot.owned.get(dist.meta_dir, ()):
        if rel and rel.startswith(prefix):
            head, sep, _ = rel[len(prefix) :].partition("/")
            if sep and head != dist.meta_dir.rpartition("/")[2] and head != "__pycache__":
                tops.add(prefix + head)
    if dist.record is None:
        # No RECORD: its import names from top_level.txt, else its own name.
        names = dist.top_level or (dist.name.replace("-", "_"),)
        tops.update(prefix + name for name in names)
    # A broken RECORD: the folders it still claims (diagnose.claims).
    tops.update(path for path, meta in claims.items() if meta == dist.meta_dir)
    return {
        top
        for top in tops
        if snapshot.tree.get(top, None) is not None and snapshot.tree[top].kind == DIR
    }


def subtree(snapshot: Snapshot, folder: str) -> list[str]:
    prefix = folder + "/"
    return [rel for rel in snapshot.tree if rel.startswith(prefix)]


def remove_action(
    snapshot: Snapshot,
    dist: InstalledDist,
    staying_owned: frozenset[str],
    claimed: set[str],
    reason: str,
    claims: Mapping[str, str],
) -> RemoveDist:
    paths: list[str] = []
    listed: set[str] = set()
    kept: list[str] = []
    covered: list[str] = []  # folders moved whole

    def inside_covered(rel: str) -> bool:
        return any(rel.startswith(folder + "/") for folder in covered)

    def take(rel: str) -> None:
        if rel not in listed:
            listed.add(rel)
            paths.append(rel)

    for top in sorted(_top_folders(snapshot, dist, claims)):
        if top in claimed:
            continue
        below = subtree(snapshot, top)
        if not any(rel in staying_owned for rel in below):
            take(top)
            covered.append(top)
            continue
        # Shared with a staying distribution (a newer version, a namespace
        # folder): its files stay, this one's files and the remnants go.
        for path in below:
            if (
                snapshot.tree[path].kind != DIR
                and path not in staying_owned
                and path not in claimed
                and not is_bytecode(path)
            ):
                take(path)
    if dist.kind != "egg-info-file" and dist.meta_dir in snapshot.tree:
        take(dist.meta_dir)
        covered.append(dist.meta_dir)
    for rel, _row in snapshot.owned.get(dist.meta_dir, ()):
        if rel is None or rel in snapshot.escaped or inside_covered(rel) or rel in listed:
            continue
        if rel not in snapshot.tree or rel in claimed:
            continue
        if rel in staying_owned:
            kept.append(rel)
            continue
        take(rel)
    # Modules and launchers no RECORD lists that it claims (diagnose.claims);
    # its folders went with the top-level folders above.
    for rel in _claimed_files(snapshot, dist, claims):
        if not (rel in listed or rel in claimed or rel in staying_owned or inside_covered(rel)):
            take(rel)
    return RemoveDist(
        package=dist.name,
        version=dist.version,
        meta_dir=dist.meta_dir,
        paths=tuple(paths),
        kept=tuple(sorted(kept)),
        reason=reason,
    )


def _claimed_files(snapshot: Snapshot, dist: InstalledDist, claims: Mapping[str, str]) -> list[str]:
    return sorted(
        rel
        for rel, meta in claims.items()
        if meta == dist.meta_dir and snapshot.tree[rel].kind != DIR
    )
