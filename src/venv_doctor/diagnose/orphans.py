"""orphan-file and stash-leftover: what no RECORD owns in site-packages and bin."""

from __future__ import annotations

import re
from collections import defaultdict

from venv_doctor.diagnose._make import finding
from venv_doctor.diagnose.index import Index
from venv_doctor.findings import Finding
from venv_doctor.installed import METADATA_SUFFIXES
from venv_doctor.layout import is_venv_own_script, is_venv_own_site_entry
from venv_doctor.records import is_bytecode
from venv_doctor.snapshot import DIR, Snapshot, is_stash_name
from venv_doctor.words import counted

# Legacy editables: managed by easy_install, checked as editable pointers.
_LEGACY = re.compile(r"^(?:easy-install\.pth|.+\.egg-link)$")

_KEEP_HINT = "a file you put there yourself is fine: silence with --ignore orphan-file"


def check(snapshot: Snapshot, index: Index) -> list[Finding]:
    found: list[Finding] = []
    meta_dirs = set(index.by_meta)
    for site_rel in snapshot.site_rels:
        found.extend(_site(snapshot, index, site_rel, meta_dirs))
    found.extend(_scripts(snapshot, index))
    return found


def _site(snapshot: Snapshot, index: Index, site_rel: str, meta_dirs: set[str]) -> list[Finding]:
    prefix = site_rel + "/"
    below: dict[str, list[str]] = defaultdict(list)
    for rel in snapshot.tree:
        if rel.startswith(prefix):
            top, _, rest = rel[len(prefix) :].partition("/")
            if rest:
                below[top].append(rel)
            else:
                below.setdefault(top, [])
    found: list[Finding] = []
    for top, inner in sorted(below.items()):
        rel = prefix + top
        if rel in meta_dirs or is_venv_own_site_entry(top) or _LEGACY.match(top):
            continue
        if top.endswith(METADATA_SUFFIXES):
            continue  # unreadable metadata folders are reported on their own
        if rel in index.egg_top_level or rel.rsplit(".", 1)[0] in index.egg_top_level:
            continue
        entry = snapshot.tree[rel]
        if is_stash_name(top):
            found.append(_stash(rel, inner, snapshot, is_dir=entry.kind == DIR))
            continue
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
        found.extend(_folder(snapshot, index, rel, inner))
    return found


def _folder(snapshot: Snapshot, index: Index, rel: str, inner: list[str]) -> list[Finding]:
    found: list[Finding] = []
    tree = snapshot.tree
    stashes = [
        path for path in inner if tree[path].kind == DIR and is_stash_name(path.rpartition("/")[2])
    ]
    found.extend(
        _stash(stash, [p for p in inner if p.startswith(stash + "/")], snapshot, is_dir=True)
        for stash in stashes
    )
    in_stash = tuple(stash + "/" for stash in stashes)
    loose = [
        path
        for path in inner
        if tree[path].kind != DIR
        and path not in index.owners
        and not is_bytecode(path)
        and not path.startswith(in_stash)
    ]
    owned = rel in index.owned_dirs
    name = rel.rpartition("/")[2]
    if owned:
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
    if loose:
        message = (
            f"{rel}/ ({counted(len(loose), 'file')}) belongs to no installed distribution: "
            "left by an interrupted uninstall, or added by hand"
        )
    else:
        message = (
            f"{rel}/ holds no files and belongs to no installed distribution, yet "
            f"'import {name}' still succeeds as a namespace package"
        )
    found.append(finding("orphan-file", message, path=rel, hint=_KEEP_HINT))
    return found


def _stash(rel: str, inner: list[str], snapshot: Snapshot, *, is_dir: bool) -> Finding:
    files = sum(1 for p in inner if snapshot.tree[p].kind != DIR)
    what = f"folder with {counted(files, 'file')}" if is_dir else "file"
    return finding(
        "stash-leftover",
        f"{rel} is a temporary {what} left by an interrupted install or uninstall "
        "(pip stashes what it removes under '~' names)",
        path=rel,
        hint="venv-doctor fix moves it to the trash (venv-doctor undo brings it back)",
    )


def _scripts(snapshot: Snapshot, index: Index) -> list[Finding]:
    prefix = snapshot.scripts_rel + "/"
    found: list[Finding] = []
    for rel, entry in snapshot.tree.items():
        if not rel.startswith(prefix) or "/" in rel[len(prefix) :]:
            continue
        name = rel[len(prefix) :]
        if rel in index.owners or is_venv_own_script(name):
            continue
        if is_stash_name(name):
            found.append(_stash(rel, [], snapshot, is_dir=entry.kind == DIR))
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
