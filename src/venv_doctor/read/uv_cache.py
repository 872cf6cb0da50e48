"""Where uv's cache is, which venv files link into it, and what uv or pip left unlisted."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterable, Mapping

from venv_doctor.read.installed import (
    METADATA_SUFFIXES,
    InstalledDist,
)
from venv_doctor.read.layout import is_venv_own_site_entry
from venv_doctor.read.pip_temp import pip_wheels, written_by_pip
from venv_doctor.read.readfile import read_regular, same_bytes
from venv_doctor.read.records import is_bytecode
from venv_doctor.read.snapshot import (
    DIR,
    FILE,
    CacheLinks,
    Entry,
    OwnedFile,
)
from venv_doctor.read.tempnames import UV_TEMP, temp_kind


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


def made_by_uv(cfg: Mapping[str, str] | None, dists: Iterable[InstalledDist]) -> bool:
    """Whether uv made the venv (its pyvenv.cfg says so) or installed something in it."""
    return "uv" in (cfg or {}) or any(dist.installer == "uv" for dist in dists)


def cache_links(
    dists: Iterable[InstalledDist],
    owned: Mapping[str, tuple[OwnedFile, ...]],
    tree: Mapping[str, Entry],
    environ: Mapping[str, str],
    *,
    root: str = "",
    sites: Iterable[str] = (),
    uv_venv: bool = False,
) -> CacheLinks:
    """Count installed files with other hard links, and prove uv's cache holds them.

    Proof is by inode: the same file in ``<cache>/archive-v*/<id>/``.  The
    archive folders are listed once, only when some file has other links.
    Top-level entries of ``root``'s ``sites`` that no RECORD lists are traced
    to uv's cache (copies of it only in a ``uv_venv``, one uv made or
    installs into), else to a wheel pip was installing.
    """
    linked: dict[str, int] = {}
    samples: dict[str, tuple[str, Entry, str]] = {}
    for dist in dists:
        count = 0
        for rel, _row in owned.get(dist.meta_dir, ()):
            entry = tree.get(rel) if rel else None
            if entry is not None and entry.kind == FILE and entry.nlink > 1:
                count += 1
                # The sample must lie below site-packages, where the archive's own
                # layout mirrors it: ruff's first linked file is bin/ruff, a data
                # script, which sits under the archive's *.data folder instead.
                if (
                    dist.meta_dir not in samples
                    and rel is not None
                    and rel.startswith(dist.site_dir + "/")
                ):
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
    orphans, copies, unpacked = (
        _unlisted(root, set(sites), owned, tree, cache, environ, uv_venv=uv_venv)
        if root
        else (frozenset(), {}, {})
    )
    return CacheLinks(
        cache_dir=cache,
        linked=linked,
        confirmed=frozenset(confirmed),
        orphans=orphans,
        copies=copies,
        unpacked=unpacked,
    )


def _unlisted(
    root: str,
    sites: set[str],
    owned: Mapping[str, tuple[OwnedFile, ...]],
    tree: Mapping[str, Entry],
    cache: str | None,
    environ: Mapping[str, str],
    *,
    uv_venv: bool,
) -> tuple[frozenset[str], Mapping[str, tuple[str, str]], dict[str, str]]:
    """Top-level entries no RECORD lists that uv linked or copied, or pip wrote."""
    orphans: frozenset[str] = frozenset()
    copies: Mapping[str, tuple[str, str]] = {}
    unpacked: dict[str, str] = {}
    below, odd = _unlisted_tops(sites, owned, tree)
    if not below:
        return orphans, copies, unpacked
    orphans, copies = _orphans_from_uv(root, below, odd, cache, copies=uv_venv)
    rest = {
        top: inners
        for top, inners in below.items()
        if top not in odd and top not in orphans and top not in copies
    }
    wheels = pip_wheels(environ) if rest else []
    for site in {top.rpartition("/")[0] for top in rest} if wheels else ():
        mine = {top: inners for top, inners in rest.items() if top.startswith(site + "/")}
        unpacked.update(written_by_pip(os.path.join(root, site), mine, wheels))
    return orphans, copies, unpacked


def _orphans_from_uv(
    root: str,
    below: Mapping[str, list[str]],
    odd: set[str],
    cache: str | None,
    *,
    copies: bool,
) -> tuple[frozenset[str], Mapping[str, tuple[str, str]]]:
    """Top-level entries of site-packages no RECORD lists that uv put there.

    uv links or copies a wheel's files in before it writes the metadata
    folder's RECORD (``crates/uv-install-wheel/src/linker.rs``); killed in
    between, they belong to no distribution.  Returns the entries holding a
    hard link into ``<cache>/archive-v*/<id>/`` (a person's file never is
    one), and the entries whose every file is a copy, byte for byte, of the
    file at the same place in one unpacked wheel (uv's copy mode), each with
    that wheel's folder and the name of its metadata folder.  The walk stats
    only listed files: these are stat-ed here, one per entry, and the
    archives listed only when some entry is left.
    """
    if not cache:
        return frozenset(), {}
    linked: set[str] = set()
    copied: dict[str, tuple[str, str]] = {}
    archives: list[str] | None = None
    for top, inners in below.items():
        site = top.rpartition("/")[0]
        sample = inners[0]
        try:
            st = os.lstat(os.path.join(root, site, sample))
        except OSError:
            continue
        copy = copies and st.st_nlink == 1 and top not in odd
        if st.st_nlink < 2 and not copy:
            continue
        if archives is None:
            archives = _archives(cache)
        for archive in archives:
            try:
                other = os.lstat(os.path.join(archive, sample))
            except OSError:
                continue
            if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                linked.add(top)
                break
            if (
                copy
                and stat.S_ISREG(other.st_mode)
                and other.st_size == st.st_size
                and all(
                    same_bytes(os.path.join(root, site, inner), os.path.join(archive, inner))
                    for inner in inners
                )
            ):
                copied[top] = (archive, _metadata_folder(archive))
                break
    return frozenset(linked), copied


def _unlisted_tops(
    sites: set[str],
    owned: Mapping[str, tuple[OwnedFile, ...]],
    tree: Mapping[str, Entry],
) -> tuple[dict[str, list[str]], set[str]]:
    """Top-level entries of site-packages holding files no RECORD lists.

    Each with the paths of those files inside site-packages (bytecode and
    uv's temporary files left out); and the entries that also hold a link or
    a special file.
    """
    listed = {rel for rows in owned.values() for rel, _row in rows if rel is not None}
    below: dict[str, list[str]] = {}  # top -> the paths of its files inside site-packages
    odd: set[str] = set()  # tops holding a link or a special file: no copy of a wheel
    for rel, entry in tree.items():
        if entry.kind == DIR or rel in listed or is_bytecode(rel):
            continue
        site = next((site for site in sites if rel.startswith(site + "/")), None)
        if site is None:
            continue
        inner = rel[len(site) + 1 :]
        name = inner.partition("/")[0]
        top = f"{site}/{name}"
        if top.endswith(METADATA_SUFFIXES) or is_venv_own_site_entry(name):
            continue
        if entry.kind == FILE:
            # A file uv was still writing under a temporary name is a leftover
            # of its own, whatever it holds: the rest says whose the entry is.
            if temp_kind(inner.rpartition("/")[2], is_dir=False) != UV_TEMP:
                below.setdefault(top, []).append(inner)
        else:
            odd.add(top)
    return below, odd


def _metadata_folder(archive: str) -> str:
    """The name of the ``*.dist-info`` folder of an unpacked wheel, or ``""``."""
    try:
        return next((n for n in sorted(os.listdir(archive)) if n.endswith(".dist-info")), "")
    except OSError:
        return ""


def _archives(cache: str) -> list[str]:
    """Every unpacked wheel in uv's cache: ``<cache>/archive-v*/<id>``."""
    found: list[str] = []
    try:
        buckets = [e.path for e in os.scandir(cache) if e.name.startswith("archive-v")]
    except OSError:
        return found
    for bucket in buckets:
        try:
            found.extend(e.path for e in os.scandir(bucket) if e.is_dir(follow_symlinks=False))
        except OSError:
            continue
    return found


def unpacked_wheels(cache: str) -> Callable[[str, bytes], str | None]:
    """A finder of wheels unpacked in uv's ``cache``: the archive folder of one, or None.

    The finder takes the wheel's ``*.dist-info`` folder name and its RECORD's
    bytes; uv keeps the wheel's own RECORD in the archive, so an archive
    whose RECORD is the same bytes holds the same files (each is still
    checked against its row before it is used).  The archives are listed on
    the first call only.
    """
    index: dict[str, list[str]] | None = None

    def find(dist_info: str, record: bytes) -> str | None:
        nonlocal index
        if index is None:
            index = _archive_index(cache)
        for archive in index.get(dist_info, ()):
            try:
                if read_regular(os.path.join(archive, dist_info, "RECORD")) == record:
                    return archive
            except OSError:
                continue
        return None

    return find


def _archive_index(cache: str) -> dict[str, list[str]]:
    """``*.dist-info`` folder name -> the uv archive folders holding one."""
    index: dict[str, list[str]] = {}
    for archive in _archives(cache):
        try:
            names = os.listdir(archive)
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                index.setdefault(name, []).append(archive)
    return index
