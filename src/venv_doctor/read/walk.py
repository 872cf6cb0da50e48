"""Read a venv into a ``Snapshot``: the only part of ``check`` that touches the disk.

Everything here only reads.  Folders are walked without following links;
a link's target is ``stat``-ed to see whether it exists, and its content is
read (for hashing) only when it lies inside the venv or inside uv's cache.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Protocol

from venv_doctor.read.casefold import case_insensitive, match_case
from venv_doctor.read.digest_cache import RACY_NS, DigestCache, Key, Value
from venv_doctor.read.installed import (
    METADATA_SUFFIXES,
    InstalledDist,
    Unreadable,
    is_stashed_metadata,
    read_distribution,
)
from venv_doctor.read.layout import VenvLayout
from venv_doctor.read.pointers import (
    editable_pointers,
    flagless_digests,
    interpreter_facts,
    read_activations,
    read_shebangs,
)
from venv_doctor.read.records import venv_relatives
from venv_doctor.read.snapshot import (
    FILE,
    Entry,
    OwnedFile,
    Snapshot,
)
from venv_doctor.read.tree import Inside, early_jobs, hash_jobs, names, stat_owned, walk
from venv_doctor.read.uv_cache import cache_links, made_by_uv, uv_cache_dir

if TYPE_CHECKING:
    from venv_doctor.read.hashing import Hasher, Job


class HashProgress(Protocol):
    """Told how many bytes hashing reads, then the bytes of each file as it is hashed.

    ``advance`` is called from several threads at once; ``stop`` always follows
    ``start``, also when hashing fails.
    """

    def start(self, total: int, /) -> None: ...

    def advance(self, size: int, /) -> None: ...

    def stop(self) -> None: ...


def take_snapshot(
    layout: VenvLayout,
    *,
    hashes: bool,
    environ: Mapping[str, str],
    workers: int | None = None,
    progress: HashProgress | None = None,
) -> Snapshot:
    """Read everything ``diagnose`` needs from the venv at ``layout``."""
    reading = read_venv(layout, hashes=hashes, environ=environ, workers=workers)
    try:
        return reading.finish(progress)
    finally:
        reading.close()


def read_venv(
    layout: VenvLayout,
    *,
    hashes: bool,
    environ: Mapping[str, str],
    workers: int | None = None,
    stamps: bool = False,
    earlier: Snapshot | None = None,
    digests: DigestCache | None = None,
) -> Reading:
    """Read the venv at ``layout``; with ``hashes``, helper threads go on hashing its files.

    The caller may work meanwhile, then ``finish`` the reading (which hashes
    the rest) or ``close`` it.  With ``stamps`` the snapshot keeps each listed
    file's mtime and ctime; given an ``earlier`` snapshot with stamps, a file
    unchanged since keeps its digest from there (see ``_unchanged``).
    """
    started = time.time_ns()
    root = str(layout.root)
    unreadable: list[Unreadable] = []
    tree: dict[str, Entry] = {}
    temps: list[str] = []
    inside = Inside(layout, uv_cache_dir(environ))
    stamped: dict[str, tuple[int, int]] | None = (
        {} if stamps or earlier or digests is not None else None
    )

    # RECORDs first: helper threads hash the big files each lists meanwhile.
    hasher = None
    if hashes:
        from venv_doctor.read.hashing import Hasher

        hasher = Hasher(root, workers)
    try:
        # With an earlier snapshot most files keep their digest: none is hashed
        # before its stat; with a digest cache, only the big files it lacks.
        cached = digests.entries if digests is not None and digests.entries else None
        early = hasher if earlier is None else None
        dists, owned, stashed = _read_records(layout, early, cached)
        folded = False
        listed: list[tuple[str, list[str]]] = []  # each site-packages and the names in it
        for site in layout.site_packages:
            top = walk(str(site), layout.relative(site), tree, unreadable, inside, temps)
            listed.append((layout.relative(site), top))
            folded = folded or case_insensitive(str(site), top)
        if folded:
            # Windows, macOS, a casefold ext4: RECORD rows take the disk's spelling.
            owned = match_case(owned, tree)
        scripts_rel = layout.relative(layout.scripts)
        script_names: list[str] = []
        if os.path.isdir(layout.scripts):
            script_names = walk(str(layout.scripts), scripts_rel, tree, unreadable, inside, temps)
        for dist in dists:
            unreadable.extend(dist.unreadable)
        reused: dict[str, str] = {}
        escaped = stat_owned(
            layout,
            owned.values(),
            tree,
            inside,
            unreadable,
            stamped,
            cached=digests.entries if digests is not None and digests.entries else None,
            reused=reused,
        )
        # Read while the helpers hash; their unreadable files are listed last.
        later: list[Unreadable] = []
        scripts = _in_folders(tree, [(scripts_rel, script_names)])
        snapshot = Snapshot(
            layout=layout,
            hashed=hashes,
            dists=tuple(dists),
            owned=owned,
            tree=tree,
            hashes={},
            escaped=frozenset(escaped),
            shebangs=read_shebangs(layout, scripts, scripts_rel, later),
            editables=tuple(editable_pointers(layout, dists, _in_folders(tree, listed), later)),
            interpreter=interpreter_facts(layout),
            cache=cache_links(
                dists,
                owned,
                tree,
                environ,
                root=root,
                sites=[layout.relative(site) for site in layout.site_packages],
                uv_venv=made_by_uv(layout.cfg, dists),
            ),
            unreadable=(),
            interrupted=interrupted(layout),
            activations=read_activations(layout, scripts, scripts_rel, later),
            flagless=flagless_digests(layout, owned.values(), tree, scripts_rel),
            stamps=stamped or {},
            stamped_at=started if stamped is not None else 0,
            temps=tuple(sorted(temps)),
            stashed=tuple(stashed),
        )
    except BaseException:
        if hasher is not None:
            hasher.stop()
        raise
    return Reading(snapshot, hasher, unreadable, later, earlier, digests, reused)


def _in_folders(tree: dict[str, Entry], listed: list[tuple[str, list[str]]]) -> Mapping[str, Entry]:
    """The entries of ``tree`` directly in the folders the walk listed, with the names it saw.

    What site-packages or the scripts folder holds, for the readers that
    look only there, in the tree's order, without a pass over every entry of
    the venv.  When a folder has no names (empty, or it could not be
    listed), the whole tree.
    """
    if not listed or not all(names for _, names in listed):
        return tree
    rels = (f"{folder}/{name}" for folder, names in listed for name in names)
    return {rel: tree[rel] for rel in rels if rel in tree}


class Reading:
    """A venv read but for the digests of its files, which helper threads may be computing."""

    def __init__(
        self,
        partial: Snapshot,
        hasher: Hasher | None,
        unreadable: list[Unreadable],
        later: list[Unreadable],
        earlier: Snapshot | None = None,
        digests: DigestCache | None = None,
        reused: dict[str, str] | None = None,
        *,
        fresh: tuple[frozenset[str], tuple[OwnedFile, ...]] | None = None,
    ) -> None:
        self._partial, self._hasher = partial, hasher
        self._unreadable, self._later = unreadable, later
        self._earlier, self._digests = earlier, digests
        self._reused = reused or {}  # rel -> digest, from the digest cache
        # ``read.refresh``: the paths read again and the RECORD rows among them
        # (every other digest is the earlier one's); ``digests`` is then the
        # digest cache the earlier check kept.
        self._fresh = fresh

    @property
    def dists(self) -> tuple[InstalledDist, ...]:
        return self._partial.dists

    @property
    def unhashed(self) -> Snapshot:
        """The snapshot but for its ``hashes``, which are empty."""
        return self._partial

    def finish(self, progress: HashProgress | None = None) -> Snapshot:
        """The whole snapshot, once every file is hashed; ``progress`` is told how that goes."""
        partial, unreadable = self._partial, list(self._unreadable)
        computed: dict[str, str] = {}
        reused = 0
        if self._hasher is not None and self._earlier is not None and self._fresh is not None:
            computed, reused = self._finish_patched(
                self._earlier, self._fresh, progress, unreadable
            )
        elif self._hasher is not None:
            earlier, digests, owned = self._earlier, self._digests, partial.owned.values()
            jobs: dict[str, Job] | None = None
            if earlier is None:
                # The digest cache's, looked up as each file was stat-ed.
                kept, since = self._reused, {}
                left = hash_jobs(owned, partial.tree, skip=kept)
            else:
                jobs = hash_jobs(owned, partial.tree)
                kept = _unchanged(earlier, partial, jobs)
                # When each kept digest was computed: when the earlier check began.
                since = dict.fromkeys(kept, earlier.stamped_at)
                left = {rel: job for rel, job in jobs.items() if rel not in kept}
            computed = _finish(self._hasher, left, progress, unreadable)
            # Nothing hashed and every entry used: the cache file holds all there is.
            if digests is not None and (computed or len(kept) != len(digests.entries)):
                if jobs is None:
                    jobs = hash_jobs(owned, partial.tree)
                digests.keep(_cached(digests, partial, jobs, computed, kept, since))
            computed.update(kept)
            reused = len(kept)
        return dataclasses.replace(
            partial,
            hashes=computed,
            reused=reused,
            unreadable=(*unreadable, *self._later),
        )

    def _finish_patched(
        self,
        earlier: Snapshot,
        fresh: tuple[frozenset[str], tuple[OwnedFile, ...]],
        progress: HashProgress | None,
        unreadable: list[Unreadable],
    ) -> tuple[dict[str, str], int]:
        """``finish`` of a reading patched where a change touched it (``read.refresh``).

        The files read again are hashed; every other digest is ``earlier``'s,
        whose RECORD rows and entries they kept.  The digest cache the earlier
        check kept loses the entries of the files read again and gains those
        just hashed.
        """
        assert self._hasher is not None  # noqa: S101 - checked by the caller
        partial = self._partial
        rels, rows = fresh
        kept = {rel: digest for rel, digest in earlier.hashes.items() if rel not in rels}
        jobs = hash_jobs([rows], partial.tree)
        computed = _finish(self._hasher, jobs, progress, unreadable)
        digests = self._digests
        if digests is not None:
            digests.patch(
                _keys(earlier, rels),
                _cached(digests, partial, jobs, computed, {}, {}),
            )
        computed.update(kept)
        return computed, len(kept)

    def close(self) -> None:
        """Stop the helper threads (after ``finish``, or instead of it)."""
        if self._hasher is not None:
            self._hasher.stop()


def _read_records(
    layout: VenvLayout, hasher: Hasher | None, cached: Mapping[Key, Value] | None = None
) -> tuple[list[InstalledDist], dict[str, tuple[OwnedFile, ...]], list[InstalledDist]]:
    """The distributions of every site-packages, their RECORD rows with venv paths,
    and the metadata folders pip stashed.

    Each RECORD's big files go to ``hasher`` as soon as it is read.
    """
    dists: list[InstalledDist] = []
    owned: dict[str, tuple[OwnedFile, ...]] = {}
    stashed: list[InstalledDist] = []
    root = str(layout.root)
    for site in layout.site_packages:
        site_rel = layout.relative(site)
        for name in sorted(names(site)):
            if not name.endswith(METADATA_SUFFIXES):
                continue
            dist = read_distribution(str(site), site_rel, name)
            if is_stashed_metadata(name):
                stashed.append(dist)  # nothing is installed by it: its files are not owned
                continue
            dists.append(dist)
            if dist.record is None:
                continue
            rels = venv_relatives(
                [row.path for row in dist.record], dist.site_dir, root, windows=layout.windows
            )
            files = owned[dist.meta_dir] = tuple(map(OwnedFile, rels, dist.record))
            if hasher is not None:
                jobs = early_jobs([files])
                hasher.add(jobs if cached is None else _not_cached(root, jobs, cached))
    return dists, owned, stashed


def _unchanged(earlier: Snapshot, now: Snapshot, jobs: Mapping[str, Job]) -> dict[str, str]:
    """The digests ``earlier`` has of files that did not change since, among ``jobs``.

    Unchanged: the same inode, size, mtime and ctime, in the same hash
    algorithm, and last changed well before ``earlier`` began reading
    (``digest_cache.RACY_NS``), so that no change can hide in one tick of the
    file system's clock.  Any write to a file or rename over it moves its ctime, which no
    program can set back.
    """
    if not earlier.stamps or not now.stamps:
        return {}
    before_jobs = hash_jobs(earlier.owned.values(), earlier.tree)
    limit = earlier.stamped_at - RACY_NS
    kept: dict[str, str] = {}
    for rel, (_, algo, _) in jobs.items():
        digest, stamp = earlier.hashes.get(rel), now.stamps.get(rel)
        if digest is None or stamp is None or stamp[1] >= limit:
            continue
        if earlier.stamps.get(rel) != stamp:
            continue
        before, entry, job = earlier.tree.get(rel), now.tree.get(rel), before_jobs.get(rel)
        if before is None or entry is None or job is None or job[1] != algo:
            continue
        if (before.kind, before.dev, before.ino, before.size) == (
            entry.kind,
            entry.dev,
            entry.ino,
            entry.size,
        ):
            kept[rel] = digest
    return kept


def _keys(snapshot: Snapshot, rels: Iterable[str]) -> Iterator[Key]:
    """The digest cache keys ``snapshot`` had for the regular files among ``rels``."""
    tree, stamps = snapshot.tree, snapshot.stamps
    for rel in rels:
        entry, stamp = tree.get(rel), stamps.get(rel)
        if entry is not None and stamp is not None and entry.kind == FILE:
            yield (entry.dev, entry.ino, entry.size, stamp[0], stamp[1])


# With a digest cache, only files this big are looked up before the walk: on
# the benchmark venv 416 of the 1,645 big files, 86% of their bytes.
_EARLY_IF_CACHED = 256 * 1024


def _not_cached(root: str, jobs: list[Job], cached: Mapping[Key, Value]) -> list[Job]:
    """The biggest files among ``jobs`` whose digest the cache may not have, to hash early.

    An ``lstat`` each: a venv that changed since its last check hashes them
    from the start, one that did not hashes none of them.  The other big
    files are left to the check (their ``stat`` then finds them in the
    cache, or not), as are a link and a file that cannot be ``stat``-ed.
    """
    wanted = []
    for job in jobs:
        if job[2] < _EARLY_IF_CACHED:
            continue
        try:
            st = os.lstat(f"{root}/{job[0]}")
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        found = cached.get((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
        if found is None or found[2] != job[1] or st.st_ctime_ns >= found[1] - RACY_NS:
            wanted.append(job)
    return wanted


def _cached(
    digests: DigestCache,
    snapshot: Snapshot,
    jobs: Mapping[str, Job],
    computed: Mapping[str, str],
    kept: Mapping[str, str],
    since: Mapping[str, int],
) -> Iterator[tuple[Key, Value]]:
    """What the digest cache holds after this check: a digest for every file it has one of.

    A digest taken over keeps when it was computed: ``since`` (from the check
    before a fix), else the cache's own entry.
    """
    tree, stamps, started, get = (
        snapshot.tree,
        snapshot.stamps,
        snapshot.stamped_at,
        digests.entries.get,
    )
    for rel, (_, algo, _) in jobs.items():
        stamp = stamps.get(rel)
        entry = tree.get(rel)
        if stamp is None or entry is None or entry.kind != FILE:
            continue
        key = (entry.dev, entry.ino, entry.size, stamp[0], stamp[1])
        digest = computed.get(rel)
        if digest is not None:
            yield key, (digest, started, algo)
        elif rel in kept:
            at = since.get(rel)
            if at is None:
                found = get(key)
                if found is None:
                    continue
                at = found[1]
            yield key, (kept[rel], at, algo)


def _finish(
    hasher: Hasher,
    jobs: dict[str, Job],
    progress: HashProgress | None,
    unreadable: list[Unreadable],
) -> dict[str, str]:
    if progress is None:
        return hasher.finish(jobs, None, unreadable)
    progress.start(sum(job[2] for job in jobs.values()))
    try:
        return hasher.finish(jobs, progress.advance, unreadable)
    finally:
        progress.stop()


def interrupted(layout: VenvLayout) -> tuple[str, ...]:
    """Transactions of an earlier ``fix`` that a crash left half done (read only)."""
    if not os.path.isdir(os.path.join(layout.root, ".venv-doctor")):
        return ()
    from venv_doctor.errors import VenvDoctorError
    from venv_doctor.read.journal import read_open_journals

    try:
        journals = read_open_journals(layout.root)
    except (OSError, ValueError, VenvDoctorError):
        return ("(unreadable journal)",)
    return tuple(j.txn for j in journals if j.parsed.state in {"unfinished", "empty"})
