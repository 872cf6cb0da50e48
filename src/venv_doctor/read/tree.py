"""Walk and ``stat`` the venv's tree without following links, and pick the files to hash."""

from __future__ import annotations

import os
import stat
from collections.abc import Container, Iterable, Mapping
from typing import TYPE_CHECKING

from venv_doctor.read.digest_cache import RACY_NS, Key, Value
from venv_doctor.read.installed import (
    Unreadable,
)
from venv_doctor.read.layout import VenvLayout
from venv_doctor.read.records import RecordRow
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
    Entry,
    OwnedFile,
)
from venv_doctor.read.tempnames import temp_kind

if TYPE_CHECKING:
    from venv_doctor.read.hashing import Job


class Inside:
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


def walk(
    top: str,
    top_rel: str,
    tree: dict[str, Entry],
    unreadable: list[Unreadable],
    inside: Inside,
    temps: list[str] | None = None,
) -> list[str]:
    """Record every entry below ``top``, never following links; return the names in ``top``.

    Kinds come from the folder listing (``d_type``), without a system call:
    a ``stat`` per entry would cost three times the walk itself.  Files are
    recorded as ``_UNSTATTED``; ``stat_owned`` then ``stat``s only those some
    RECORD lists, the only ones whose size and inode any check reads.  Links
    and special files are ``stat``-ed here (they are rare).

    ``__pycache__`` folders are recorded but not entered: bytecode is never
    a finding, and the bytecode a RECORD lists is ``stat``-ed by
    ``stat_owned``.  Inside a stash folder they are entered, since a
    stash-leftover counts every file it holds.

    Entries named as installers name their temporary files and stash folders
    go to ``temps`` (not those inside such a folder).
    """
    tree[top_rel] = _FOLDER
    return walk_below(top, top_rel, tree, unreadable, inside, temps, at_top=True)


def walk_below(
    folder: str,
    folder_rel: str,
    tree: dict[str, Entry],
    unreadable: list[Unreadable],
    inside: Inside,
    temps: list[str] | None = None,
    *,
    in_stash: bool = False,
    at_top: bool = False,
) -> list[str]:
    """``walk`` of what lies below ``folder`` (not the folder itself), as ``walk`` records it.

    ``at_top``: ``folder`` is site-packages or the scripts folder itself (its
    names are returned); ``in_stash``: it lies in a stash folder (or is one).
    """
    names: list[str] = []
    top_rel = folder_rel if at_top else None
    stack = [(folder, folder_rel, in_stash)]
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
                    is_dir = item.is_dir(follow_symlinks=False)
                    if is_dir:
                        tree[rel] = _FOLDER
                    elif item.is_file(follow_symlinks=False):
                        tree[rel] = _UNSTATTED
                    else:
                        tree[rel] = _entry(item.path, item.stat(follow_symlinks=False), inside)
                    # A cheap test first: nearly no name can be a temporary one.
                    temp = (
                        not in_stash
                        and (
                            name[0] in "~."
                            or (name[-1] == "p" and name.endswith(".tmp"))
                            or (is_dir and (name[:4] == "pip-" or name[-5:] == ".data"))
                        )
                        and temp_kind(name, is_dir=is_dir, at_top=folder_rel is top_rel) is not None
                    )
                    if temp and temps is not None:
                        temps.append(rel)
                    if is_dir and (in_stash or temp or name != "__pycache__"):
                        stack.append((item.path, rel, in_stash or temp))
                except OSError as exc:
                    unreadable.append(Unreadable(path=rel, reason=exc.strerror or str(exc)))
    return names


def walk_path(
    root: str,
    rel: str,
    tops: tuple[str, ...],
    tree: dict[str, Entry],
    unreadable: list[Unreadable],
    inside: Inside,
    temps: list[str] | None = None,
) -> bool:
    """Record ``rel`` and what lies below it as ``walk`` does; whether the walk reaches it.

    ``tops`` are the folders walked (site-packages, the scripts folder);
    ``tree`` holds the walk of everything above ``rel``.  Not reached: ``rel``
    lies outside them, or below a link, a file or a ``__pycache__`` folder
    (the walk enters none), and nothing is recorded.
    """
    reached = _reached(rel, tops, tree)
    if reached is None:
        return False
    in_stash, at_top = reached
    path = f"{root}/{rel}"
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError as exc:
        unreadable.append(Unreadable(path=rel, reason=exc.strerror or str(exc)))
        return True
    name = rel.rpartition("/")[2]
    is_dir = stat.S_ISDIR(st.st_mode)
    if is_dir:
        tree[rel] = _FOLDER
    else:
        tree[rel] = _UNSTATTED if stat.S_ISREG(st.st_mode) else _entry(path, st, inside)
    temp = not in_stash and temp_kind(name, is_dir=is_dir, at_top=at_top) is not None
    if temp and temps is not None:
        temps.append(rel)
    if is_dir and (in_stash or temp or name != "__pycache__"):
        walk_below(path, rel, tree, unreadable, inside, temps, in_stash=in_stash or temp)
    return True


def unstat(rel: str, tops: tuple[str, ...], tree: dict[str, Entry]) -> None:
    """The entry of ``rel`` as the walk alone records it: for a path no RECORD lists any more.

    Only listed files carry their ``stat``, and only they have an entry
    where the walk does not go.
    """
    entry = tree.get(rel)
    if entry is None:
        return
    if _reached(rel, tops, tree) is None:
        del tree[rel]
    elif entry.kind == FILE:
        tree[rel] = _UNSTATTED


def _reached(
    rel: str, tops: tuple[str, ...], tree: Mapping[str, Entry]
) -> tuple[bool, bool] | None:
    """Whether the walk reaches ``rel``, given what it recorded above: ``None`` if not,
    else whether it is in a stash folder and whether it lies directly in one of ``tops``."""
    top = next((top for top in tops if rel.startswith(top + "/")), None)
    parent = rel.rpartition("/")[0]
    if top is None or tree.get(parent) != _FOLDER:
        return None
    # In a stash folder when some folder above it (below the top) has a stash's name.
    in_stash, cut = False, parent
    while cut != top and not in_stash:
        up, _, part = cut.rpartition("/")
        in_stash = temp_kind(part, is_dir=True, at_top=up == top) is not None
        cut = up
    if parent != top and parent.rpartition("/")[2] == "__pycache__" and not in_stash:
        return None
    return in_stash, parent == top


def _entry(path: str, st: os.stat_result, inside: Inside) -> Entry:
    """The entry for ``path`` from its ``lstat``."""
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return Entry(FILE, st.st_size, st.st_dev, st.st_ino, st.st_nlink)
    if stat.S_ISLNK(mode):
        return _link_entry(path, st, inside)
    if stat.S_ISDIR(mode):
        return Entry(DIR, 0, st.st_dev, st.st_ino, st.st_nlink)
    return Entry(OTHER, 0, st.st_dev, st.st_ino, st.st_nlink)


def _link_entry(path: str, st: os.stat_result, inside: Inside) -> Entry:
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


def stat_owned(
    layout: VenvLayout,
    owned: Iterable[tuple[OwnedFile, ...]],
    tree: dict[str, Entry],
    inside: Inside,
    unreadable: list[Unreadable],
    stamps: dict[str, tuple[int, int]] | None = None,
    cached: Mapping[Key, Value] | None = None,
    reused: dict[str, str] | None = None,
) -> set[str]:
    """``lstat`` every RECORD-listed path: the files the walk saw, and those it did not reach.

    The walk does not reach ``share/``, ``include/`` or the inside of
    ``__pycache__``.  No folder link on the way there is followed: a path that
    would lead through a linked folder is returned as escaped instead.  With
    ``stamps``, the mtime and ctime of each regular file go there; with
    ``cached`` (the digest cache's entries) too, the digest of each regular
    file whose ``lstat`` matches an entry goes to ``reused`` (``_take_cached``).
    """
    reused = reused if reused is not None else {}
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
                            _stamp(st, rel, _row, stamps, cached, reused)
                    else:  # replaced since the walk
                        tree[rel] = _entry(f"{root}/{rel}", st, inside)
                elif entry is None:
                    found = _stat_unwalked(rel, fd, prefix, tree, inside, parents_plain, escaped)
                    if found is not None and stamps is not None and is_regular(found.st_mode):
                        _stamp(found, rel, _row, stamps, cached, reused)
    finally:
        if fd is not None:
            os.close(fd)
    return escaped


def _stamp(
    st: os.stat_result,
    rel: str,
    row: RecordRow,
    stamps: dict[str, tuple[int, int]],
    cached: Mapping[Key, Value] | None,
    reused: dict[str, str],
) -> None:
    stamps[rel] = (st.st_mtime_ns, st.st_ctime_ns)
    if cached is not None:
        _take_cached(cached, st, rel, row, reused)


def _take_cached(
    cached: Mapping[Key, Value],
    st: os.stat_result,
    rel: str,
    row: RecordRow,
    reused: dict[str, str],
) -> None:
    """Put the digest cache's digest of a regular file in ``reused``, if it may be taken over.

    The same device, inode, size, mtime and ctime, the RECORD's algorithm and
    size (a file of another size is modified whatever its digest), and git's
    racy rule: the file last changed well before the digest was computed
    (``digest_cache.RACY_NS``).
    """
    ctime = st.st_ctime_ns
    found = cached.get((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, ctime))
    if (
        found is not None
        and found[2] == row[1]
        and ctime < found[1] - RACY_NS
        and (row[3] is None or row[3] == st.st_size)
    ):
        reused[rel] = found[0]


def _stat_unwalked(
    rel: str,
    fd: int | None,
    prefix: str,
    tree: dict[str, Entry],
    inside: Inside,
    parents_plain: _PlainParents,
    escaped: set[str],
) -> os.stat_result | None:
    """``lstat`` a listed path the walk did not reach, unless a linked folder leads there."""
    if not parents_plain(rel):
        escaped.add(rel)
        return None
    try:
        st = os.stat(prefix + rel, dir_fd=fd, follow_symlinks=False)
    except OSError:
        return None
    tree[rel] = _entry(f"{parents_plain.root}/{rel}", st, inside)
    return st


def early_jobs(owned: Iterable[tuple[OwnedFile, ...]]) -> list[Job]:
    """Big files to hash before the walk and their ``stat``, picked by RECORD size.

    ``hash_jobs`` then decides which are hashed: the digests of the others
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


def names(site: os.PathLike[str] | str) -> list[str]:
    """The names in a site-packages folder; none when it cannot be listed (the walk says why)."""
    try:
        return os.listdir(site)
    except OSError:
        return []


def hash_jobs(
    owned: Iterable[tuple[OwnedFile, ...]],
    tree: Mapping[str, Entry],
    skip: Container[str] = (),
) -> dict[str, Job]:
    """Every RECORD-listed file to hash: those whose size already matches.

    A file whose size differs is modified whatever its hash, so it is not read.
    Files in ``skip`` (whose digest is known) are left out.
    """
    from venv_doctor.read.hashing import available

    jobs: dict[str, Job] = {}
    known: dict[str, bool] = {}  # hash algorithm -> whether hashlib has it
    get = tree.get
    # One pass over every RECORD row of the venv: kept inline, fields by index
    # (RecordRow: path, hash_algo, hash_value, size; Entry: kind, size, ...).
    for files in owned:
        for rel, row in files:
            algo = row[1]
            if rel is None or algo is None or rel in jobs or rel in skip:
                continue
            entry = get(rel)
            if entry is None:
                continue
            kind, size = entry[0], entry[1]
            if row[3] is not None and size != row[3]:
                continue
            if kind == LINK:
                if entry.target != TARGET_FILE or not entry.target_inside:
                    continue
            elif kind != FILE:
                continue
            usable = known.get(algo)
            if usable is None:
                usable = known[algo] = available(algo)
            if usable:
                jobs[rel] = (rel, algo, size)
    return jobs
