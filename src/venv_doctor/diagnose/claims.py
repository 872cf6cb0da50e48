"""Whether a dist-info's RECORD is the one its installer finished, and what the
distribution claims when it is not.

Every installer writes RECORD last, listing everything it wrote: the wheel's
files, the launchers of the console and GUI entry points, and its own metadata
files such as INSTALLER (pip ``operations/install/wheel.py: _install_wheel``,
uv ``crates/uv-install-wheel/src/install.rs: install_wheel``, installer
``_core.py: install``).  A RECORD that is empty, unparsable or lists none of its
own dist-info's files says nothing about which files are the distribution's
(*broken*); one that lacks a declared launcher or an installer's own file
beside it (INSTALLER, REQUESTED, ...), or still lists the wheel's
``NAME-VERSION.data/`` folder, is the RECORD the wheel shipped: the install
stopped before its last step (*unfinished*).

A missing INSTALLER alone is no sign: ``uv pip install --no-installer-metadata``
writes none (uv ``install.rs``: ``installer_metadata``), nor does ``python -m
installer`` (installer ``__main__.py`` passes no additional metadata).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from venv_doctor.diagnose.index import Index
from venv_doctor.read import tempnames
from venv_doctor.read.installed import InstalledDist
from venv_doctor.read.snapshot import Snapshot

# pip writes its own launchers as pip, pipX and pipX.Y for the running Python
# whatever versions the wheel names, and easy_install likewise (pip
# ``operations/install/wheel.py: get_console_script_specs``; uv
# ``crates/uv-install-wheel/src/script.rs: EntryPoints::parse`` keeps pip3 and
# writes pip3.Y; virtualenv's seeder strips the version and writes each
# variant).  A declared name of such a family is there when any of it is.
_FAMILIES = (re.compile(r"pip(\d+(\.\d+)?)?"), re.compile(r"easy_install(-\d+\.\d+)?"))
# The files an installer adds to a dist-info, each listed in the RECORD it
# writes last: uv writes REQUESTED, direct_url.json, uv_cache.json,
# uv_build.json and INSTALLER in that order (``crates/uv-install-wheel/src/
# wheel.rs: write_installer_metadata``), pip INSTALLER, REQUESTED and
# direct_url.json (``_install_wheel``), installer what it is given.
_INSTALLER_FILES = ("INSTALLER", "REQUESTED", "direct_url.json", "uv_cache.json", "uv_build.json")
# The file names of a launcher: POSIX, then Windows (uv, pip and installer
# write NAME.exe; older pip also NAME-script.py beside it).
_LAUNCHER_SUFFIXES = ("", ".exe", "-script.py", "-script.pyw")


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordTrouble:
    """Why a dist-info's RECORD is not the one its installer finished."""

    what: str  # "is empty", "lists none of the dist-info's own files", ...
    broken: bool  # it cannot say which files are the distribution's


def record_trouble(snapshot: Snapshot, dist: InstalledDist, index: Index) -> RecordTrouble | None:
    """What is wrong with ``dist``'s RECORD, or ``None`` when it is what an installer finishes.

    Only for a dist-info whose RECORD is there and readable: a missing RECORD
    is reported on its own.
    """
    if dist.kind != "dist-info" or dist.record is None or "RECORD" not in dist.meta_files:
        return None
    return _broken(dist, index) or _unfinished(snapshot, dist, index)


def _broken(dist: InstalledDist, index: Index) -> RecordTrouble | None:
    if not dist.record:
        what = "cannot be parsed" if dist.record_problems else "is empty"
        return RecordTrouble(what=what, broken=True)
    meta = dist.meta_dir
    own = (f"{meta}/{name}" for name in dist.meta_files)
    if not any(meta in index.owners.get(path, ()) for path in own):
        return RecordTrouble(what="lists none of the dist-info's own files", broken=True)
    return None


def _unfinished(snapshot: Snapshot, dist: InstalledDist, index: Index) -> RecordTrouble | None:
    meta = dist.meta_dir
    lacking = missing_launchers(snapshot, dist, index)
    what = None
    if lacking:
        more = f" and {len(lacking) - 3} more" if len(lacking) > 3 else ""
        what = (
            f"lists no launcher for {', '.join(lacking[:3])}{more}, which entry_points.txt declares"
        )
    elif unlisted := next(
        (
            name
            for name in _INSTALLER_FILES
            if name in dist.meta_files and meta not in index.owners.get(f"{meta}/{name}", ())
        ),
        None,
    ):
        what = f"does not list the {unlisted} beside it"
    elif temps := sorted(n for n in dist.meta_files if _installer_temp(n)):
        who = (
            "uv's" if tempnames.temp_kind(temps[0], is_dir=False) == tempnames.UV_TEMP else "pip's"
        )
        what = f"holds {who} temporary file {temps[0]}"
    elif (stash := _pip_stash_of(snapshot, dist)) is not None:
        what = f"has no INSTALLER beside it while pip's stash of {dist.name} {stash} is still there"
    elif _uv_left_unfinished(snapshot, dist):
        what = "has no INSTALLER beside it, while uv wrote one for the others it installed here"
    else:
        stem = meta.rpartition("/")[2].removesuffix(".dist-info")
        if f"{dist.site_dir}/{stem}.data" in index.owned_dirs:
            what = f"still lists the wheel's {stem}.data/ folder"
    return None if what is None else RecordTrouble(what=what, broken=False)


def _installer_temp(name: str) -> bool:
    """Whether ``name`` is a file uv or pip writes into a dist-info and renames.

    Each installer renames its temporary files into place before it writes
    RECORD, its last step (uv's RECORD is written in place), so one that is
    still there is an install that stopped.
    """
    kind = tempnames.temp_kind(name, is_dir=False)
    return kind in {tempnames.UV_TEMP, tempnames.PIP_TEMP}


def _uv_left_unfinished(snapshot: Snapshot, dist: InstalledDist) -> bool:
    """Whether ``dist`` lacks the INSTALLER uv writes for every other install in this venv.

    uv links or copies a wheel's files, its RECORD among them, then writes
    REQUESTED, INSTALLER and its own RECORD; killed before the first of those,
    it leaves a dist-info that looks like an install made with
    ``--no-installer-metadata``.  In a venv uv made, where uv wrote INSTALLER
    for the other distributions, that is the install uv did not finish.
    """
    if "INSTALLER" in dist.meta_files or "uv" not in (snapshot.layout.cfg or {}):
        return False
    return any(other.installer == "uv" for other in snapshot.dists if other is not dist)


def _pip_stash_of(snapshot: Snapshot, dist: InstalledDist) -> str | None:
    """The version pip stashed of ``dist`` if ``dist`` has no INSTALLER, else ``None``.

    pip writes a wheel's files (its RECORD among them), compiles them, then
    writes INSTALLER and its own RECORD; it deletes the stash of the version it
    replaced right after that install succeeded (``req/__init__.py:
    install_given_reqs`` commits the uninstall).  With the stash still there,
    a dist-info without INSTALLER is pip's install stopped midway, not one made
    by an installer that writes no INSTALLER.
    """
    if "INSTALLER" in dist.meta_files:
        return None
    for stashed in snapshot.stashed:
        if stashed.name == dist.name and stashed.version != dist.version:
            return stashed.version or "?"
    return None


def missing_launchers(snapshot: Snapshot, dist: InstalledDist, index: Index) -> list[str]:
    """The declared console and GUI scripts for which ``dist``'s RECORD lists no launcher."""
    if not dist.entry_scripts:
        return []
    meta, scripts_rel = dist.meta_dir, snapshot.scripts_rel

    def listed(name: str) -> bool:
        return any(
            meta in index.owners.get(f"{scripts_rel}/{name}{suffix}", ())
            for suffix in _LAUNCHER_SUFFIXES
        )

    lacking: list[str] = []
    for name in dist.entry_scripts:
        family = next((f for f in _FAMILIES if f.fullmatch(name)), None)
        if family is None:
            if not listed(name):
                lacking.append(name)
        elif not any(family.fullmatch(script) for script in _listed_scripts(snapshot, dist)):
            lacking.append(name)
    return lacking


def _listed_scripts(snapshot: Snapshot, dist: InstalledDist) -> Iterable[str]:
    """The names (without Windows suffixes) of the launchers ``dist``'s RECORD lists."""
    prefix = snapshot.scripts_rel + "/"
    for rel, _row in snapshot.owned.get(dist.meta_dir, ()):
        if rel is not None and rel.startswith(prefix):
            name = rel[len(prefix) :]
            for suffix in _LAUNCHER_SUFFIXES[1:]:
                name = name.removesuffix(suffix)
            yield name


def claimed_paths(snapshot: Snapshot, index: Index) -> dict[str, str]:
    """Paths no RECORD lists that a dist-info still claims: path -> its meta_dir.

    For a dist-info whose RECORD is broken: the top-level entries of
    site-packages named in its top_level.txt, else by its own name (a folder,
    or a module such as ``NAME.py`` or ``NAME.cpython-311-x86_64-linux-gnu.so``).
    For those and for an unfinished RECORD: the launchers of the scripts its
    entry_points.txt declares.  Only paths that are there and that no RECORD
    lists; they are the distribution's to replace when it is reinstalled.  A
    dist-info with no RECORD at all claims nothing here: it is what an
    uninstall stopped halfway leaves, and its files are remnants.
    """
    claimed: dict[str, str] = {}
    tops: Mapping[str, list[str]] | None = None
    for dist in snapshot.dists:
        trouble = record_trouble(snapshot, dist, index)
        if trouble is None:
            continue
        if trouble.broken:
            if tops is None:
                tops = _site_tops(snapshot)
            names = set(dist.top_level or (dist.name.replace("-", "_"),))
            for top in tops.get(dist.site_dir, ()):
                name = top.rpartition("/")[2]
                if name in names or name.partition(".")[0] in names:
                    _claim(claimed, index, top, dist.meta_dir)
        for name in dist.entry_scripts:
            for suffix in _LAUNCHER_SUFFIXES:
                path = f"{snapshot.scripts_rel}/{name}{suffix}"
                if path in snapshot.tree:
                    _claim(claimed, index, path, dist.meta_dir)
    return claimed


def _claim(claimed: dict[str, str], index: Index, path: str, meta_dir: str) -> None:
    # A file some RECORD lists is that distribution's, never an orphan; a folder
    # is claimed whole even when another RECORD lists files in it (a namespace).
    if path not in index.owners and not path.endswith((".dist-info", ".egg-info")):
        claimed.setdefault(path, meta_dir)


def _site_tops(snapshot: Snapshot) -> Mapping[str, list[str]]:
    """site-packages (venv-relative) -> the entries directly in it."""
    tops: dict[str, list[str]] = {site: [] for site in snapshot.site_rels}
    for rel in snapshot.tree:
        parent = rel.rpartition("/")[0]
        if parent in tops:
            tops[parent].append(rel)
    return tops
