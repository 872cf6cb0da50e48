"""Lookups shared by the checks, built once from a snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from venv_doctor.read.installed import InstalledDist
from venv_doctor.read.snapshot import Snapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class Index:
    by_meta: Mapping[str, InstalledDist]
    owners: Mapping[str, tuple[str, ...]]  # rel path -> meta_dirs whose RECORD lists it
    owned_dirs: Mapping[str, str]  # folder holding owned files (any depth) -> a meta_dir
    egg_top_level: frozenset[str]  # site-relative names claimed by egg-info top_level.txt

    @classmethod
    def build(cls, snapshot: Snapshot) -> Index:
        owners: dict[str, tuple[str, ...]] = {}
        dirs: dict[str, str] = {}
        for meta_dir, files in snapshot.owned.items():
            alone = (meta_dir,)  # one tuple shared by the distribution's files
            for rel, _row in files:
                if rel is None:
                    continue
                previous = owners.get(rel)
                owners[rel] = alone if previous is None else (*previous, meta_dir)
                parent = rel.rpartition("/")[0]
                while parent and parent not in dirs:
                    dirs[parent] = meta_dir
                    parent = parent.rpartition("/")[0]
        egg_top = {
            f"{dist.site_dir}/{name}"
            for dist in snapshot.dists
            if dist.kind != "dist-info"  # a dist-info's claims: diagnose/claims.py
            for name in dist.top_level
        }
        return cls(
            by_meta={dist.meta_dir: dist for dist in snapshot.dists},
            owners=owners,
            owned_dirs=dirs,
            egg_top_level=frozenset(egg_top),
        )

    def owner(self, rel: str) -> InstalledDist | None:
        metas = self.owners.get(rel)
        return self.by_meta[metas[0]] if metas else None
