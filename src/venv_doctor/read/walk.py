"""Read a venv into a ``Snapshot``: the only part of ``check`` that touches the disk.

Everything here only reads.  Folders are walked without following links;
a link's target is ``stat``-ed to see whether it exists, and its content is
read (for hashing) only when it lies inside the venv or inside uv's cache.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import sys
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from venv_doctor.read.editables import file_url_path, finder_mapping, is_editable_finder, pth_paths
from venv_doctor.read.installed import (
    METADATA_SUFFIXES,
    InstalledDist,
    Unreadable,
    read_distribution,
)
from venv_doctor.read.layout import VenvLayout, is_venv_own_script
from venv_doctor.read.readfile import read_regular
from venv_doctor.read.records import venv_relatives
from venv_doctor.read.snapshot import (
    DIR,
    FILE,
    LINK,
    OTHER,
    TARGET_DIR,
    TARGET_FILE,
    TARGET_LOOP,
    TARGET_MISSING,
    TARGET_OTHER,
    CacheLinks,
    EditablePointer,
    Entry,
    InterpreterFacts,
    OwnedFile,
    Snapshot,
    is_stash_name,
)

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
    inside = _Inside(layout, uv_cache_dir(environ))
    stamped: dict[str, tuple[int, int]] | None = {} if stamps or earlier else None

    # RECORDs first: helper threads hash the big files each lists meanwhile.
    hasher = None
    if hashes:
        from venv_doctor.read.hashing import Hasher

        hasher = Hasher(root, workers)
    try:
        # With an earlier snapshot most files keep their digest: none is hashed early.
        dists, owned = _read_records(layout, hasher if earlier is None else None)
        for site in layout.site_packages:
            _walk(str(site), layout.relative(site), tree, unreadable, inside)
        scripts_rel = layout.relative(layout.scripts)
        if os.path.isdir(layout.scripts):
            _walk(str(layout.scripts), scripts_rel, tree, unreadable, inside)
        for dist in dists:
            unreadable.extend(dist.unreadable)
        escaped = _stat_owned(layout, owned.values(), tree, inside, unreadable, stamped)
        # Read while the helpers hash; their unreadable files are listed last.
        later: list[Unreadable] = []
        snapshot = Snapshot(
            layout=layout,
            hashed=hashes,
            dists=tuple(dists),
            owned=owned,
            tree=tree,
            hashes={},
            escaped=frozenset(escaped),
            shebangs=_read_shebangs(layout, tree, scripts_rel, later),
            editables=tuple(_editable_pointers(layout, dists, tree, later)),
            interpreter=_interpreter_facts(layout),
            cache=_cache_links(dists, owned, tree, environ),
            unreadable=(),
            interrupted=_interrupted(layout),
            activations=_read_activations(layout, tree, scripts_rel, later),
            flagless=_flagless_digests(layout, owned.values(), tree, scripts_rel),
            stamps=stamped or {},
            stamped_at=started if stamped is not None else 0,
        )
    except BaseException:
        if hasher is not None:
            hasher.stop()
        raise
    return Reading(snapshot, hasher, unreadable, later, earlier)


class Reading:
    """A venv read but for the digests of its files, which helper threads may be computing."""

    def __init__(
        self,
        partial: Snapshot,
        hasher: Hasher | None,
        unreadable: list[Unreadable],
        later: list[Unreadable],
        earlier: Snapshot | None = None,
    ) -> None:
        self._partial, self._hasher = partial, hasher
        self._unreadable, self._later = unreadable, later
        self._earlier = earlier

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
        if self._hasher is not None:
            jobs = _hash_jobs(partial.owned.values(), partial.tree)
            kept = {} if self._earlier is None else _unchanged(self._earlier, partial, jobs)
            left = {rel: job for rel, job in jobs.items() if rel not in kept}
            computed = _finish(self._hasher, left, progress, unreadable)
            computed.update(kept)
        return dataclasses.replace(partial, hashes=computed, unreadable=(*unreadable, *self._later))

    def close(self) -> None:
        """Stop the helper threads (after ``finish``, or instead of it)."""
        if self._hasher is not None:
            self._hasher.stop()


def _read_records(
    layout: VenvLayout, hasher: Hasher | None
) -> tuple[list[InstalledDist], dict[str, tuple[OwnedFile, ...]]]:
    """The distributions of every site-packages, and their RECORD rows with venv paths.

    Each RECORD's big files go to ``hasher`` as soon as it is read.
    """
    dists: list[InstalledDist] = []
    owned: dict[str, tuple[OwnedFile, ...]] = {}
    root = str(layout.root)
    for site in layout.site_packages:
        site_rel = layout.relative(site)
        for name in sorted(_names(site)):
            if not name.endswith(METADATA_SUFFIXES):
                continue
            dist = read_distribution(str(site), site_rel, name)
            dists.append(dist)
            if dist.record is None:
                continue
            rels = venv_relatives(
                [row.path for row in dist.record], dist.site_dir, root, windows=layout.windows
            )
            files = owned[dist.meta_dir] = tuple(map(OwnedFile, rels, dist.record))
            if hasher is not None:
                hasher.add(_early_jobs([files]))
    return dists, owned


def _unchanged(earlier: Snapshot, now: Snapshot, jobs: Mapping[str, Job]) -> dict[str, str]:
    """The digests ``earlier`` has of files that did not change since, among ``jobs``.

    Unchanged: the same inode, size, mtime and ctime, in the same hash
    algorithm, and last changed more than a second before ``earlier`` began
    reading, so that no change can hide in one tick of the file system's
    clock.  Any write to a file or rename over it moves its ctime, which no
    program can set back.
    """
    if not earlier.stamps or not now.stamps:
        return {}
    before_jobs = _hash_jobs(earlier.owned.values(), earlier.tree)
    limit = earlier.stamped_at - 1_000_000_000
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


def _interrupted(layout: VenvLayout) -> tuple[str, ...]:
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


class _Inside:
    """Whether a link target lies inside the venv (or in uv's cache), lexically."""

    def __init__(self, layout: VenvLayout, cache: str | None) -> None:
        roots = {str(layout.root), str(layout.real_root)}
        if cache:
            roots |= {os.path.abspath(cache), os.path.realpath(cache)}
        self.roots = tuple(root.rstrip(os.sep) + os.sep for root in roots)

    def __call__(self, link_path: str, target: str) -> bool:
        full = os.path.normpath(os.path.join(os.path.dirname(link_path), target))
        return full.startswith(self.roots)


# Shared entries for what the walk sees: folders, and files before their stat.
_FOLDER = Entry(DIR, 0, 0, 0, 1)
_UNSTATTED = Entry(FILE, 0, 0, 0, 1)


def _walk(
    top: str,
    top_rel: str,
    tree: dict[str, Entry],
    unreadable: list[Unreadable],
    inside: _Inside,
) -> list[str]:
    """Record every entry below ``top``, never following links; return the names in ``top``.

    Kinds come from the folder listing (``d_type``), without a system call:
    a ``stat`` per entry would cost three times the walk itself.  Files are
    recorded as ``_UNSTATTED``; ``_stat_owned`` then ``stat``s only those some
    RECORD lists, the only ones whose size and inode any check reads.  Links
    and special files are ``stat``-ed here (they are rare).

    ``__pycache__`` folders are recorded but not entered: bytecode is never
    a finding, and the bytecode a RECORD lists is ``stat``-ed by
    ``_stat_owned``.  Inside a stash folder they are entered, since a
    stash-leftover counts every file it holds.
    """
    tree[top_rel] = _FOLDER
    names: list[str] = []
    stack = [(top, top_rel, False)]
    while stack:
        folder, folder_rel, in_stash = stack.pop()
        try:
            scanner = os.scandir(folder)
        except OSError as exc:
            unreadable.append(Unreadable(path=folder_rel, reason=exc.strerror or str(exc)))
            continue
        with scanner:
            for item in scanner:
                name = item.name
                rel = f"{folder_rel}/{name}"
                if folder_rel is top_rel:
                    names.append(name)
                try:
                    if item.is_dir(follow_symlinks=False):
                        tree[rel] = _FOLDER
                        stash = in_stash or is_stash_name(name)
                        if stash or name != "__pycache__":
                            stack.append((item.path, rel, stash))
                    elif item.is_file(follow_symlinks=False):
                        tree[rel] = _UNSTATTED
                    else:
                        tree[rel] = _entry(item.path, item.stat(follow_symlinks=False), inside)
                except OSError as exc:
                    unreadable.append(Unreadable(path=rel, reason=exc.strerror or str(exc)))
    return names


def _entry(path: str, st: os.stat_result, inside: _Inside) -> Entry:
    """The entry for ``path`` from its ``lstat``."""
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return Entry(FILE, st.st_size, st.st_dev, st.st_ino, st.st_nlink)
    if stat.S_ISLNK(mode):
        return _link_entry(path, st, inside)
    if stat.S_ISDIR(mode):
        return Entry(DIR, 0, st.st_dev, st.st_ino, st.st_nlink)
    return Entry(OTHER, 0, st.st_dev, st.st_ino, st.st_nlink)


def _link_entry(path: str, st: os.stat_result, inside: _Inside) -> Entry:
    try:
        target = os.readlink(path)
    except OSError:
        target = ""
    is_inside = bool(target) and inside(path, target)
    try:
        tst = os.stat(path)
    except OSError as exc:
        kind = TARGET_LOOP if exc.errno == 40 else TARGET_MISSING  # ELOOP
        return Entry(LINK, 0, st.st_dev, st.st_ino, st.st_nlink, kind, is_inside)
    if stat.S_ISREG(tst.st_mode):
        kind = TARGET_FILE
    elif stat.S_ISDIR(tst.st_mode):
        kind = TARGET_DIR
    else:
        kind = TARGET_OTHER
    return Entry(LINK, tst.st_size, tst.st_dev, tst.st_ino, tst.st_nlink, kind, is_inside)


def _root_descriptor(root: str) -> int | None:
    """An open descriptor of the venv root for ``stat(..., dir_fd=)``, where supported.

    The kernel then resolves only the venv-relative part of each path: the
    tens of thousands of ``lstat`` calls of a big venv get cheaper.
    """
    if os.stat not in os.supports_dir_fd or os.stat not in os.supports_follow_symlinks:
        return None  # Windows
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_PATH", 0)
    try:
        return os.open(root, flags)
    except OSError:
        return None


class _PlainParents:
    """Whether every folder above a venv-relative path is a real folder, not a link."""

    def __init__(self, root: str, tree: Mapping[str, Entry]) -> None:
        self.root, self.tree = root, tree
        self.known: dict[str, bool] = {}

    def __call__(self, rel: str) -> bool:
        parent = rel.rpartition("/")[0]
        if not parent:
            return True
        known = self.known.get(parent)
        if known is not None:
            return known
        entry = self.tree.get(parent)
        if entry is not None:
            ok = entry.kind == DIR
        else:
            ok = self(parent)
            if ok:
                try:
                    ok = stat.S_ISDIR(os.lstat(os.path.join(self.root, parent)).st_mode)
                except OSError:
                    ok = True  # a missing folder: the file is simply missing
        self.known[parent] = ok
        return ok


def _stat_owned(
    layout: VenvLayout,
    owned: Iterable[tuple[OwnedFile, ...]],
    tree: dict[str, Entry],
    inside: _Inside,
    unreadable: list[Unreadable],
    stamps: dict[str, tuple[int, int]] | None = None,
) -> set[str]:
    """``lstat`` every RECORD-listed path: the files the walk saw, and those it did not reach.

    The walk does not reach ``share/``, ``include/`` or the inside of
    ``__pycache__``.  No folder link on the way there is followed: a path that
    would lead through a linked folder is returned as escaped instead.  With
    ``stamps``, the mtime and ctime of each regular file go there.
    """
    root = str(layout.root)
    escaped: set[str] = set()
    parents_plain = _PlainParents(root, tree)
    fd = _root_descriptor(root)
    lstat, is_regular, get, new = os.stat, stat.S_ISREG, tree.get, tuple.__new__
    prefix = "" if fd is not None else root + "/"
    try:
        for files in owned:
            for rel, _row in files:
                if rel is None:
                    continue
                entry = get(rel)
                if entry is _UNSTATTED:
                    # The hot path (one pass over every RECORD row): kept inline.
                    try:
                        st = lstat(prefix + rel, dir_fd=fd, follow_symlinks=False)
                    except OSError as exc:  # gone since the walk
                        del tree[rel]
                        unreadable.append(Unreadable(path=rel, reason=exc.strerror or str(exc)))
                        continue
                    if is_regular(st.st_mode):
                        # tuple.__new__: Entry's own __new__ is a Python-level call.
                        tree[rel] = new(
                            Entry, (FILE, st.st_size, st.st_dev, st.st_ino, st.st_nlink, None, True)
                        )
                        if stamps is not None:
                            stamps[rel] = (st.st_mtime_ns, st.st_ctime_ns)
                    else:  # replaced since the walk
                        tree[rel] = _entry(f"{root}/{rel}", st, inside)
                elif entry is None:
                    _stat_unwalked(rel, fd, prefix, tree, inside, parents_plain, escaped)
    finally:
        if fd is not None:
            os.close(fd)
    return escaped


def _stat_unwalked(
    rel: str,
    fd: int | None,
    prefix: str,
    tree: dict[str, Entry],
    inside: _Inside,
    parents_plain: _PlainParents,
    escaped: set[str],
) -> None:
    """``lstat`` a listed path the walk did not reach, unless a linked folder leads there."""
    if not parents_plain(rel):
        escaped.add(rel)
        return
    try:
        st = os.stat(prefix + rel, dir_fd=fd, follow_symlinks=False)
    except OSError:
        return
    tree[rel] = _entry(f"{parents_plain.root}/{rel}", st, inside)


def _early_jobs(owned: Iterable[tuple[OwnedFile, ...]]) -> list[Job]:
    """Big files to hash before the walk and their ``stat``, picked by RECORD size.

    ``_hash_jobs`` then decides which are hashed: the digests of the others
    are dropped.
    """
    from venv_doctor.read.hashing import BIG_FILE, available

    early: dict[str, Job] = {}
    for files in owned:
        for rel, row in files:
            size, algo = row.size, row.hash_algo
            if (
                rel is not None
                and size is not None
                and size >= BIG_FILE
                and algo is not None
                and rel not in early
                and available(algo)
            ):
                early[rel] = (rel, algo, size)
    return list(early.values())


def _names(site: os.PathLike[str] | str) -> list[str]:
    """The names in a site-packages folder; none when it cannot be listed (the walk says why)."""
    try:
        return os.listdir(site)
    except OSError:
        return []


def _hash_jobs(owned: Iterable[tuple[OwnedFile, ...]], tree: Mapping[str, Entry]) -> dict[str, Job]:
    """Every RECORD-listed file to hash: those whose size already matches.

    A file whose size differs is modified whatever its hash, so it is not read.
    """
    from venv_doctor.read.hashing import available

    jobs: dict[str, Job] = {}
    for files in owned:
        for rel, row in files:
            if rel is None or row.hash_algo is None or rel in jobs:
                continue
            entry = tree.get(rel)
            if entry is None or (row.size is not None and entry.size != row.size):
                continue
            if entry.kind == LINK and (entry.target != TARGET_FILE or not entry.target_inside):
                continue
            if entry.kind not in (FILE, LINK):
                continue
            if not available(row.hash_algo):
                continue
            jobs[rel] = (rel, row.hash_algo, entry.size)
    return jobs


def _read_shebangs(
    layout: VenvLayout, tree: Mapping[str, Entry], scripts_rel: str, unreadable: list[Unreadable]
) -> dict[str, str]:
    """The interpreter each script in the scripts folder names, when it names one."""
    from venv_doctor.read.shebang import interpreter_of_exe, interpreter_of_script

    found: dict[str, str] = {}
    prefix = scripts_rel + "/"
    for rel, entry in tree.items():
        if entry.kind != FILE or not rel.startswith(prefix) or "/" in rel[len(prefix) :]:
            continue
        name = rel[len(prefix) :]
        if is_venv_own_script(name):
            continue
        path = os.path.join(layout.root, rel)
        try:
            if name.lower().endswith(".exe"):
                # A launcher is a small stub with the shebang and a zip appended.
                interpreter = interpreter_of_exe(read_regular(path, 1024 * 1024)[-65536:])
            else:
                interpreter = interpreter_of_script(read_regular(path, 1024))
        except OSError as exc:
            unreadable.append(Unreadable(path=rel, reason=exc.strerror or str(exc)))
            continue
        if interpreter is not None:
            found[rel] = interpreter
    return found


def _read_activations(
    layout: VenvLayout, tree: Mapping[str, Entry], scripts_rel: str, unreadable: list[Unreadable]
) -> dict[str, str]:
    """The venv folder each activate script of the scripts folder names, when it names one.

    Only regular files directly in the scripts folder are read, and never
    through a link: not when the scripts folder itself is one.
    """
    from venv_doctor.read.activation import is_activate_script, venv_of_activate_script

    found: dict[str, str] = {}
    if os.path.islink(layout.scripts):
        return found
    prefix = scripts_rel + "/"
    for rel, entry in tree.items():
        name = rel[len(prefix) :]
        if entry.kind != FILE or not rel.startswith(prefix) or "/" in name:
            continue
        if not is_activate_script(name):
            continue
        try:
            data = read_regular(os.path.join(layout.root, rel), 1024 * 1024, follow=False)
        except OSError as exc:
            unreadable.append(Unreadable(path=rel, reason=exc.strerror or str(exc)))
            continue
        venv = venv_of_activate_script(name, data.decode("utf-8", "surrogateescape"))
        if venv is not None:
            found[rel] = venv
    return found


def _flagless_digests(
    layout: VenvLayout,
    owned: Iterable[tuple[OwnedFile, ...]],
    tree: Mapping[str, Entry],
    scripts_rel: str,
) -> dict[str, tuple[int, str]]:
    """Size and digest of each RECORD-listed script whose shebang adds interpreter flags.

    Only scripts whose size is not RECORD's (or RECORD gives none) are read:
    the flags make a script longer.  The digest is of the script with its
    first line cut to ``#!<interpreter>``, in the RECORD's algorithm.
    """
    import base64
    import hashlib

    from venv_doctor.read.hashing import available
    from venv_doctor.read.shebang import without_interpreter_flags

    found: dict[str, tuple[int, str]] = {}
    prefix = scripts_rel + "/"
    for files in owned:
        for rel, row in files:
            if rel is None or not rel.startswith(prefix) or "/" in rel[len(prefix) :]:
                continue
            algo = row.hash_algo
            entry = tree.get(rel)
            if algo is None or not available(algo) or entry is None or entry.kind != FILE:
                continue
            if entry.size == row.size or entry.size > 1024 * 1024 or rel in found:
                continue
            try:
                data = read_regular(os.path.join(layout.root, rel), 1024 * 1024, follow=False)
            except OSError:
                continue  # file-modified all the same
            flagless = without_interpreter_flags(data)
            if flagless is not None:
                digest = hashlib.new(algo, flagless).digest()
                text = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
                found[rel] = (len(flagless), text)
    return found


def _editable_pointers(
    layout: VenvLayout,
    dists: Iterable[InstalledDist],
    tree: Mapping[str, Entry],
    unreadable: list[Unreadable],
) -> list[EditablePointer]:
    pointers: list[EditablePointer] = []
    site_rels = {layout.relative(site): site for site in layout.site_packages}
    for rel, entry in tree.items():
        parent, _, name = rel.rpartition("/")
        site = site_rels.get(parent)
        if site is None or entry.kind != FILE:
            continue
        kind = (
            "pth"
            if name.endswith(".pth")
            else "finder"
            if is_editable_finder(name)
            else "egg-link"
            if name.endswith(".egg-link")
            else None
        )
        if kind is None:
            continue
        try:
            text = read_regular(str(site / name), 1024 * 1024).decode("utf-8", "replace")
        except OSError as exc:
            unreadable.append(Unreadable(path=rel, reason=exc.strerror or str(exc)))
            continue
        if kind == "pth":
            targets = pth_paths(text)
        elif kind == "finder":
            targets = list(finder_mapping(text).values())
        else:
            targets = pth_paths(text)[:1]
        for target in targets:
            full = target if os.path.isabs(target) else os.path.join(site, target)
            pointers.append(
                EditablePointer(source=rel, kind=kind, target=target, exists=os.path.exists(full))
            )
    for dist in dists:
        url = dist.editable_url
        local = file_url_path(url) if url else None
        if local is None:
            continue
        source = f"{dist.meta_dir}/direct_url.json"
        checkable = not layout.windows or sys.platform == "win32"
        pointers.append(
            EditablePointer(
                source=source,
                kind="direct_url",
                target=local,
                exists=os.path.isdir(local) if checkable else True,
            )
        )
    return pointers


def _foreign(layout: VenvLayout) -> bool:
    """A Windows venv read on POSIX (or the reverse): its paths cannot be checked here."""
    return layout.windows != (sys.platform == "win32")


def _interpreter_facts(layout: VenvLayout) -> InterpreterFacts:
    cfg = layout.cfg or {}
    foreign = _foreign(layout)
    home = cfg.get("home")
    executable = cfg.get("executable") or cfg.get("base-executable")
    link = layout.interpreter
    python_target: str | None = None
    try:
        python_target = os.readlink(link)
    except OSError:
        python_target = None
    return InterpreterFacts(
        home=home,
        home_exists=None if foreign or not home else os.path.isdir(home),
        executable=executable,
        executable_exists=None if foreign or not executable else os.path.exists(executable),
        python_link=layout.relative(link),
        python_target=python_target,
        python_exists=os.path.exists(link),
    )


def uv_cache_dir(environ: Mapping[str, str]) -> str | None:
    """Where uv keeps its cache, by the rules uv itself follows."""
    if environ.get("UV_CACHE_DIR"):
        return environ["UV_CACHE_DIR"]
    if sys.platform == "win32":
        local = environ.get("LOCALAPPDATA")
        return os.path.join(local, "uv", "cache") if local else None
    xdg = environ.get("XDG_CACHE_HOME")
    if xdg:
        return os.path.join(xdg, "uv")
    home = environ.get("HOME")
    return os.path.join(home, ".cache", "uv") if home else None


def _cache_links(
    dists: Iterable[InstalledDist],
    owned: Mapping[str, tuple[OwnedFile, ...]],
    tree: Mapping[str, Entry],
    environ: Mapping[str, str],
) -> CacheLinks:
    """Count installed files with other hard links, and prove uv's cache holds them.

    Proof is by inode: the same file in ``<cache>/archive-v*/<id>/``.  The
    archive folders are listed once, only when some file has other links.
    """
    linked: dict[str, int] = {}
    samples: dict[str, tuple[str, Entry, str]] = {}
    for dist in dists:
        count = 0
        for rel, _row in owned.get(dist.meta_dir, ()):
            entry = tree.get(rel) if rel else None
            if entry is not None and entry.kind == FILE and entry.nlink > 1:
                count += 1
                if dist.meta_dir not in samples and rel is not None:
                    samples[dist.meta_dir] = (rel, entry, dist.site_dir)
        if count:
            linked[dist.meta_dir] = count
    cache = uv_cache_dir(environ)
    confirmed: set[str] = set()
    if linked and cache and os.path.isdir(cache):
        by_meta = _archive_index(cache)
        for meta_dir, (rel, entry, site_dir) in samples.items():
            meta_name = meta_dir.rpartition("/")[2]
            inner = rel[len(site_dir) + 1 :] if rel.startswith(site_dir + "/") else None
            if inner is None:
                continue
            for archive in by_meta.get(meta_name, ()):
                try:
                    st = os.lstat(os.path.join(archive, inner))
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) == (entry.dev, entry.ino):
                    confirmed.add(meta_dir)
                    break
    return CacheLinks(cache_dir=cache, linked=linked, confirmed=frozenset(confirmed))


def _archive_index(cache: str) -> dict[str, list[str]]:
    """``*.dist-info`` folder name -> the uv archive folders holding one."""
    index: dict[str, list[str]] = {}
    try:
        buckets = [e.path for e in os.scandir(cache) if e.name.startswith("archive-v")]
    except OSError:
        return index
    for bucket in buckets:
        try:
            archives = [e.path for e in os.scandir(bucket) if e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        for archive in archives:
            try:
                names = os.listdir(archive)
            except OSError:
                continue
            for name in names:
                if name.endswith(".dist-info"):
                    index.setdefault(name, []).append(archive)
    return index
