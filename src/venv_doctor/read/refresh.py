"""The venv after a change made under its lock: the reading before, read again where it changed.

``fix`` holds the venv's lock (the one uv takes too) from before its first
reading until after its last, and every change it makes goes through its
transaction, which names each path it touches.  What the transaction did not
touch is as the first reading saw it; ``reread`` reads again exactly the
paths it touched (and what lies below them), the metadata folders among or
above them, the RECORD-listed files they hold, and the files their new RECORDs
list, and takes everything else over.  Whatever it cannot patch exactly
(another layout, a touched site-packages or scripts folder, a case-insensitive
folder, a first reading that could not read everything) it leaves to a full
reading: it returns ``None``.
"""

from __future__ import annotations

import bisect
import dataclasses
import os
import time
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from venv_doctor.read.casefold import case_insensitive
from venv_doctor.read.installed import (
    METADATA_SUFFIXES,
    InstalledDist,
    Unreadable,
    read_distribution,
)
from venv_doctor.read.journal import STATE_DIR
from venv_doctor.read.layout import VenvLayout
from venv_doctor.read.pointers import (
    editable_pointers,
    flagless_digests,
    interpreter_facts,
    read_activations,
    read_shebangs,
)
from venv_doctor.read.records import venv_relatives
from venv_doctor.read.snapshot import OwnedFile, Snapshot
from venv_doctor.read.tree import Inside, names, stat_owned, unstat, walk_path
from venv_doctor.read.uv_cache import cache_links, made_by_uv, uv_cache_dir
from venv_doctor.read.walk import Reading, interrupted

if TYPE_CHECKING:
    from venv_doctor.read.digest_cache import DigestCache


def reread(
    layout: VenvLayout,
    earlier: Snapshot,
    touched: Collection[str],
    *,
    environ: Mapping[str, str],
    digests: DigestCache | None = None,
    workers: int | None = None,
) -> Reading | None:
    """``earlier`` (a full reading with stamps) with the venv-relative ``touched`` paths read again.

    ``None`` when that would not give what a full reading gives: the caller
    reads the venv whole.  ``finish`` hashes the files read again and takes
    every other digest over from ``earlier``; ``digests`` is the digest cache
    the check of ``earlier`` kept, which it updates for the files read again.
    """
    started = time.time_ns()
    sites = tuple(layout.relative(site) for site in layout.site_packages)
    scripts_rel = layout.relative(layout.scripts)
    tops = (*sites, scripts_rel)
    # The trash and journals too: a RECORD may list anything.
    roots = _outermost({*touched, STATE_DIR})
    if not _patchable(layout, earlier, roots, tops):
        return None
    root = str(layout.root)
    inside = Inside(layout, uv_cache_dir(environ))
    unreadable: list[Unreadable] = []

    # Metadata folders: those touched (or holding a touched path) are read again.
    changed = {
        f"{site}/{path[len(site) + 1 :].partition('/')[0]}"
        for path in roots
        for site in sites
        if path.startswith(site + "/")
    }
    changed = {meta for meta in changed if meta.endswith(METADATA_SUFFIXES)}
    dists, stashed = _distributions(layout, earlier, changed)
    owned: dict[str, tuple[OwnedFile, ...]] = {}
    for dist in dists:
        if dist.record is None:
            continue
        files = earlier.owned.get(dist.meta_dir) if dist.meta_dir not in changed else None
        if files is None:
            rels = venv_relatives(
                [row.path for row in dist.record], dist.site_dir, root, windows=layout.windows
            )
            files = tuple(map(OwnedFile, rels, dist.record))
        owned[dist.meta_dir] = files
        if dist.meta_dir in changed:
            unreadable.extend(dist.unreadable)
    patch = _Patch(layout, earlier, roots, tops, inside)
    patch.files(owned, changed, unreadable)
    fresh, tree = patch.fresh, patch.tree
    # Whatever depends on a file read again is read again; the rest is taken over.
    again = {rel: tree[rel] for rel in _below(sorted(tree), roots)}
    later: list[Unreadable] = []
    shebangs = {rel: found for rel, found in earlier.shebangs.items() if rel not in fresh}
    shebangs.update(read_shebangs(layout, again, scripts_rel, later))
    editables = [
        pointer
        for pointer in earlier.editables
        if pointer.source not in fresh and pointer.source.rpartition("/")[0] not in changed
    ]
    changed_dists = [dist for dist in dists if dist.meta_dir in changed]
    editables += editable_pointers(layout, changed_dists, again, later)
    activations = {rel: venv for rel, venv in earlier.activations.items() if rel not in fresh}
    activations.update(read_activations(layout, again, scripts_rel, later))
    flagless = {rel: found for rel, found in earlier.flagless.items() if rel not in fresh}
    rows = _rows_of(owned.values(), fresh)
    flagless.update(flagless_digests(layout, [rows], tree, scripts_rel))
    snapshot = dataclasses.replace(
        earlier,
        layout=layout,
        dists=tuple(dists),
        owned=owned,
        tree=tree,
        hashes={},
        escaped=frozenset(patch.escaped),
        shebangs=shebangs,
        editables=tuple(editables),
        interpreter=interpreter_facts(layout),
        cache=cache_links(
            dists,
            owned,
            tree,
            environ,
            root=root,
            sites=sites,
            uv_venv=made_by_uv(layout.cfg, dists),
        ),
        unreadable=(),
        interrupted=interrupted(layout),
        activations=activations,
        flagless=flagless,
        stamps=patch.stamps,
        stamped_at=started,
        reused=0,
        temps=tuple(sorted(patch.temps)),
        stashed=tuple(stashed),
    )
    hasher = None
    if snapshot.hashed:
        from venv_doctor.read.hashing import Hasher

        hasher = Hasher(root, workers)
    return Reading(
        snapshot, hasher, unreadable, later, earlier, digests, fresh=(frozenset(fresh), rows)
    )


class _Patch:
    """The tree, stamps and escaped paths of ``earlier``, read again at and below ``roots``."""

    def __init__(
        self,
        layout: VenvLayout,
        earlier: Snapshot,
        roots: list[str],
        tops: tuple[str, ...],
        inside: Inside,
    ) -> None:
        self.layout, self.earlier, self.roots, self.tops, self.inside = (
            layout,
            earlier,
            roots,
            tops,
            inside,
        )
        self.tree = dict(earlier.tree)
        self.stamps = dict(earlier.stamps)
        self.temps: list[str] = []
        self.escaped: set[str] = set()
        # The paths whose entry, stat or RECORD row may differ from ``earlier``'s.
        self.fresh: set[str] = set()

    def files(
        self,
        owned: Mapping[str, tuple[OwnedFile, ...]],
        changed: set[str],
        unreadable: list[Unreadable],
    ) -> None:
        """Walk the roots again, then ``stat`` what RECORDs list there or list anew."""
        earlier, roots, tops, tree, stamps = (
            self.earlier,
            self.roots,
            self.tops,
            self.tree,
            self.stamps,
        )
        # What lies at or below a touched path goes, and is walked again.
        gone = set(_below(sorted(tree), roots))
        for rel in gone:
            del tree[rel]
            stamps.pop(rel, None)
        self.temps = [rel for rel in earlier.temps if rel not in gone]
        for path in roots:
            walk_path(str(self.layout.root), path, tops, tree, unreadable, self.inside, self.temps)
        listed = {rel for files in owned.values() for rel, _row in files if rel is not None}
        was_listed = {
            rel
            for meta in changed
            for rel, _row in earlier.owned.get(meta, ())
            if rel is not None and rel not in gone
        }
        # Files no RECORD lists any more lose their stat; those listed anew,
        # or below a touched path, are stat-ed.
        for rel in was_listed - listed:
            unstat(rel, tops, tree)
            stamps.pop(rel, None)
        restat = set(_below(sorted(listed), roots))
        restat.update(rel for meta in changed for rel, _row in owned.get(meta, ()) if rel)
        rows = _rows_of(owned.values(), restat)
        self.escaped = stat_owned(self.layout, [rows], tree, self.inside, unreadable, stamps)
        self.escaped.update(
            rel
            for rel in earlier.escaped
            if rel in listed and rel not in restat and not _under(rel, roots)
        )
        self.fresh = gone | restat | was_listed


def _patchable(
    layout: VenvLayout, earlier: Snapshot, roots: Iterable[str], tops: tuple[str, ...]
) -> bool:
    """Whether a patched ``earlier`` is what a full reading of ``layout`` would give."""
    same = dataclasses.replace(layout, found_by="") == dataclasses.replace(
        earlier.layout, found_by=""
    )
    if not same or not earlier.hashed or not earlier.stamped_at or earlier.unreadable:
        return False
    # A walked folder itself (or one above it) touched: nothing of the walk holds.
    if any(top == path or top.startswith(path + "/") for path in roots for top in tops):
        return False
    # RECORD rows there take the disk's spelling (``casefold.match_case``).
    return not any(case_insensitive(str(site), names(site)) for site in layout.site_packages)


def _distributions(
    layout: VenvLayout, earlier: Snapshot, changed: set[str]
) -> tuple[list[InstalledDist], list[InstalledDist]]:
    """The distributions and pip's stashed metadata folders, those in ``changed`` read again.

    In the order a full reading gives: by site-packages, then by name.
    """
    known = {dist.meta_dir: dist for dist in (*earlier.dists, *earlier.stashed)}
    dists: list[InstalledDist] = []
    stashed: list[InstalledDist] = []
    for site in layout.site_packages:
        site_rel = layout.relative(site)
        here = {meta for meta in known if meta.rpartition("/")[0] == site_rel}
        for meta in changed:
            if meta.rpartition("/")[0] != site_rel:
                continue
            if os.path.lexists(os.path.join(layout.root, meta)):
                here.add(meta)
            else:
                here.discard(meta)
        for meta in sorted(here, key=lambda meta: meta.rpartition("/")[2]):
            name = meta.rpartition("/")[2]
            dist = read_distribution(str(site), site_rel, name) if meta in changed else known[meta]
            (stashed if name.startswith("~") else dists).append(dist)
    return dists, stashed


def _outermost(paths: Iterable[str]) -> list[str]:
    """``paths`` without those that lie below another of them."""
    kept: set[str] = set()
    for path in sorted(paths, key=len):
        if not _under(path, kept):
            kept.add(path)
    return sorted(kept)


def _under(path: str, roots: Collection[str]) -> bool:
    """Whether ``path`` is one of ``roots`` or lies below one."""
    cut = path
    while cut:
        if cut in roots:
            return True
        cut = cut.rpartition("/")[0]
    return False


def _below(keys: list[str], roots: Iterable[str]) -> Iterable[str]:
    """The sorted ``keys`` that are one of ``roots`` or lie below one."""
    for path in roots:
        at = bisect.bisect_left(keys, path)
        if at < len(keys) and keys[at] == path:
            yield path
        prefix = path + "/"
        at = bisect.bisect_left(keys, prefix)
        while at < len(keys) and keys[at].startswith(prefix):
            yield keys[at]
            at += 1


def _rows_of(
    owned: Iterable[tuple[OwnedFile, ...]], rels: Collection[str]
) -> tuple[OwnedFile, ...]:
    """The RECORD rows of ``rels``, in the order a full reading meets them."""
    return tuple(
        owned_file
        for files in owned
        for owned_file in files
        if owned_file.rel is not None and owned_file.rel in rels
    )
