"""orphan-file: what no RECORD owns in site-packages and bin.

Installers' own temporary names and pip's stash are ``leftovers``' to report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from venv_doctor.diagnose._make import finding
from venv_doctor.diagnose.claims import claimed_paths
from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.index import Index
from venv_doctor.diagnose.leftovers import not_orphans, under
from venv_doctor.read.installed import METADATA_SUFFIXES
from venv_doctor.read.layout import is_venv_own_script, is_venv_own_site_entry
from venv_doctor.read.records import is_bytecode
from venv_doctor.read.snapshot import DIR, Snapshot
from venv_doctor.words import counted

# Legacy editables: managed by easy_install, checked as editable pointers.
_LEGACY = re.compile(r"^(?:easy-install\.pth|.+\.egg-link)$")

_KEEP_HINT = "a file you put there yourself is fine: silence with --ignore orphan-file"


def check(snapshot: Snapshot, index: Index) -> list[Finding]:
    found: list[Finding] = []
    # Files of a distribution whose RECORD cannot say so are its, not orphans:
    # dist-info-incomplete reports it, and fix reinstalls it over them.
    claimed = claimed_paths(snapshot, index)
    meta_dirs = set(index.by_meta) | claimed.keys()
    theirs = not_orphans(snapshot, index)
    for site_rel in snapshot.site_rels:
        found.extend(_site(snapshot, index, site_rel, meta_dirs, theirs))
    found.extend(_scripts(snapshot, index, theirs, claimed))
    return found


def _site(
    snapshot: Snapshot,
    index: Index,
    site_rel: str,
    meta_dirs: set[str],
    theirs: frozenset[str],
) -> list[Finding]:
    prefix = site_rel + "/"
    start = len(prefix)
    # Top-level name -> the folders and the other entries below it.
    below: dict[str, _Below] = {}
    for rel, entry in snapshot.tree.items():
        if rel.startswith(prefix):
            cut = rel.find("/", start)
            if cut < 0:
                below.setdefault(rel[start:], ([], []))
            else:
                top = rel[start:cut]
                lists = below.get(top)
                if lists is None:
                    lists = below[top] = ([], [])
                lists[0 if entry.kind == DIR else 1].append(rel)
    found: list[Finding] = []
    for top, (dirs, others) in sorted(below.items()):
        rel = prefix + top
        if rel in meta_dirs or is_venv_own_site_entry(top) or _LEGACY.match(top):
            continue
        if top.endswith(METADATA_SUFFIXES):
            continue  # unreadable metadata folders are reported on their own
        if (
            rel in theirs
            or rel in index.egg_top_level
            or rel.rsplit(".", 1)[0] in index.egg_top_level
        ):
            continue
        left = _left_by_installer(snapshot, index, rel, others)
        if left is not None:
            found.append(left)
            continue
        entry = snapshot.tree[rel]
        if entry.kind != DIR:
            if rel not in index.owners and not is_bytecode(rel):
                found.append(
                    finding(
                        "orphan-file",
                        f"{rel} belongs to no installed distribution",
                        path=rel,
                        hint=_KEEP_HINT,
                    )
                )
            continue
        found.extend(_folder(index, prefix, rel, dirs, others, theirs))
    return found


def _left_by_installer(
    snapshot: Snapshot, index: Index, rel: str, others: list[str]
) -> Finding | None:
    """What uv linked or copied from its cache, or pip wrote, belonging to no distribution."""
    if rel in index.owned_dirs:
        return None
    why = _installers_evidence(snapshot, rel)
    if why is None:
        return None
    files = sum(1 for path in others if not is_bytecode(path))
    what = f"{rel}/ ({counted(files, 'file')})" if others else rel
    return finding(
        "stash-leftover",
        f"{what} belongs to no installed distribution, and its files are {why}",
        path=rel,
        hint="venv-doctor fix moves it to the trash (venv-doctor undo brings it back)",
    )


def _installers_evidence(snapshot: Snapshot, rel: str) -> str | None:
    """What shows that uv or pip put ``rel`` there, or ``None``."""
    cache = snapshot.cache
    if rel in cache.orphans:
        return (
            f"hard links into uv's cache ({cache.cache_dir}): uv put them there, in an install "
            "or an uninstall it did not finish"
        )
    # uv links or copies as one link mode says, for a whole sync: where the
    # files of what it installed are hard links into its cache, a copy is a
    # person's.
    if rel in cache.copies and not cache.confirmed:
        archive, meta = cache.copies[rel]
        wheel = f"{meta.removesuffix('.dist-info')}, " if meta else ""
        return (
            f"copies of the files of an unpacked wheel in uv's cache ({wheel}{archive}), byte "
            "for byte: uv put them there, in an install or an uninstall it did not finish"
        )
    if rel in cache.unpacked:
        wheel = cache.unpacked[rel]
        return (
            f"those of {os.path.basename(wheel)}, still in pip's temporary download folder "
            f"({os.path.dirname(wheel)}): pip wrote them, in an install it did not finish"
        )
    return None


# Below one top-level entry: its folders, and its files, links and others.
_Below = tuple[list[str], list[str]]


def _folder(
    index: Index, site: str, rel: str, dirs: list[str], others: list[str], theirs: frozenset[str]
) -> list[Finding]:
    found: list[Finding] = []
    owners = index.owners
    loose = [
        path
        for path in others
        if path not in owners  # first: it rules out nearly every path
        and not is_bytecode(path)
        and not under(path, theirs)
    ]
    owned = rel in index.owned_dirs
    if owned:
        found.extend(
            _empty(site, folder) for folder in _empty_folders(index, rel, dirs, others, theirs)
        )
        if loose:
            sample = ", ".join(p[len(rel) + 1 :] for p in loose[:3])
            more = f" and {len(loose) - 3} more" if len(loose) > 3 else ""
            # Name a distribution only when every loose file lies beside files it
            # owns: in a shared namespace folder (google/, nspkg/) a leftover
            # subfolder of a half-removed package belongs to none of those that stay.
            metas = {index.owned_dirs.get(path.rpartition("/")[0]) for path in loose}
            dist = (
                index.by_meta[str(metas.pop())] if len(metas) == 1 and None not in metas else None
            )
            found.append(
                finding(
                    "orphan-file",
                    f"{counted(len(loose), 'file')} in {rel}/ "
                    f"{'is' if len(loose) == 1 else 'are'} listed in no RECORD ({sample}{more}): "
                    "left from an older version, or added by hand",
                    dist=dist,
                    path=rel,
                    hint=_KEEP_HINT,
                )
            )
        return found
    if not loose:
        found.append(_empty(site, rel))
        return found
    message = (
        f"{rel}/ ({counted(len(loose), 'file')}) belongs to no installed distribution: "
        "left by an interrupted uninstall, or added by hand"
    )
    found.append(finding("orphan-file", message, path=rel, hint=_KEEP_HINT))
    return found


def _empty_folders(
    index: Index, top: str, dirs: list[str], others: list[str], theirs: frozenset[str]
) -> list[str]:
    """Folders below ``top`` that hold no file but bytecode and in which no RECORD puts one.

    Only the outermost of such folders, and never a ``__pycache__`` folder
    itself, nor an installer's temporary folder: what a removal that stopped
    halfway leaves (uv removes emptied folders only once every file is gone).
    """
    full: set[str] = set()  # folders holding a file that is not bytecode, at any depth
    for path in others:
        if is_bytecode(path):
            continue
        parent = path.rpartition("/")[0]
        while parent != top and parent not in full:
            full.add(parent)
            parent = parent.rpartition("/")[0]
    empty = {
        folder
        for folder in dirs
        if folder not in full
        and folder not in index.owned_dirs
        and folder not in index.owners  # a folder where RECORD lists a file: reported as such
        and not is_bytecode(folder)
        and not under(folder, theirs)
    }
    return sorted(folder for folder in empty if folder.rpartition("/")[0] not in empty)


def _empty(site: str, rel: str) -> Finding:
    """``rel``, a folder ``site`` (``<site-packages>/``) holds, has no files but bytecode."""
    module = rel[len(site) :].replace("/", ".")
    return finding(
        "orphan-file",
        f"{rel}/ holds no files and belongs to no installed distribution, yet "
        f"'import {module}' still succeeds as a namespace package",
        path=rel,
        hint="venv-doctor fix moves it to the trash (it holds no files but bytecode; "
        "venv-doctor undo brings it back)",
    )


def _scripts(
    snapshot: Snapshot, index: Index, theirs: frozenset[str], claimed: Mapping[str, str]
) -> list[Finding]:
    prefix = snapshot.scripts_rel + "/"
    found: list[Finding] = []
    for rel in snapshot.tree:
        if not rel.startswith(prefix) or "/" in rel[len(prefix) :]:
            continue
        name = rel[len(prefix) :]
        if rel in index.owners or is_venv_own_script(name) or rel in theirs or rel in claimed:
            continue
        found.append(
            finding(
                "orphan-file",
                f"{rel} belongs to no installed distribution (a script left by an "
                "interrupted uninstall, or added by hand)",
                path=rel,
                hint=_KEEP_HINT,
            )
        )
    return found
