"""Planning for a venv that moved or lost its base interpreter: rewrites and a re-point."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence

from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.index import Index
from venv_doctor.diagnose.interpreter import repoints
from venv_doctor.lockfiles.wanted import WantedDist
from venv_doctor.plan.actions import (
    PlanOptions,
    Repoint,
    RewriteFile,
)
from venv_doctor.plan.relocate import rewrite_paths
from venv_doctor.read.editables import file_url_path
from venv_doctor.read.installed import InstalledDist
from venv_doctor.read.snapshot import Snapshot


def move_pairs(
    snapshot: Snapshot, findings: Iterable[Finding], notes: list[str]
) -> tuple[tuple[str, str], ...]:
    """(old, new) path prefixes when the venv (and its project) moved.

    Read from the launchers and activate scripts that name the old place.
    """
    stale = [f.path for f in findings if f.code == "script-stale-shebang" and f.path]
    if not stale:
        return ()
    root = str(snapshot.layout.root)
    olds = {_old_place(snapshot, path) for path in stale}
    if len(olds) != 1 or None in olds:
        notes.append(
            "launchers or activate scripts name several other venvs: none is rewritten; "
            "reinstall the launchers and recreate the venv for its activate scripts"
        )
        return ()
    old_root = str(olds.pop())
    replacements = [(old_root, root)]
    old_project, new_project = posixpath.dirname(old_root), posixpath.dirname(root)
    if posixpath.basename(old_root) == posixpath.basename(root) and old_project != new_project:
        replacements.append((old_project, new_project))
    return tuple(replacements)


def moved_source_only(
    dist: InstalledDist, want: WantedDist | None, pairs: Sequence[tuple[str, str]]
) -> bool:
    """Whether rewriting paths after the move makes ``dist``'s source the lock's."""
    if not pairs or want is None or want.source.path is None or dist.direct_url is None:
        return False
    url = dist.direct_url.get("url")
    if not isinstance(url, str):
        return False
    moved = rewrite_paths(url.encode(), pairs).decode()
    local = file_url_path(moved)
    return local is not None and posixpath.normpath(local) == posixpath.normpath(want.source.path)


def relocations(
    snapshot: Snapshot,
    findings: Iterable[Finding],
    index: Index,
    removed: Mapping[str, str],
    pairs: tuple[tuple[str, str], ...],
) -> list[RewriteFile]:
    """Rewrite launchers, activate scripts and editable pointers after a move."""
    if not pairs:
        return []
    stale = {f.path for f in findings if f.code == "script-stale-shebang" and f.path}
    actions: list[RewriteFile] = []
    for rel in sorted(snapshot.tree):
        owner = index.owner(rel)
        if owner is not None and owner.meta_dir in removed:
            continue
        name = rel.rpartition("/")[2]
        if rel in stale and rel in snapshot.activations:
            reason = "activate script names the venv's old place"
        elif rel in stale:
            reason = "launcher names the interpreter of the venv's old place"
        elif rel.rpartition("/")[0] in snapshot.site_rels and (
            name.endswith(".pth") or name.startswith("__editable__")
        ):
            reason = "editable pointer names the project's old place"
        elif name == "direct_url.json" and owner is not None:
            reason = "direct_url.json names the project's old place"
        else:
            continue
        actions.append(
            RewriteFile(
                path=rel, owner=owner.meta_dir if owner else None, replacements=pairs, reason=reason
            )
        )
    return actions


def _old_place(snapshot: Snapshot, path: str) -> str | None:
    """The venv folder a stale launcher or activate script names, ``/``-separated."""
    windows = snapshot.layout.windows
    interpreter = snapshot.shebangs.get(path)
    if interpreter is not None:
        return _old_root(interpreter, windows)
    venv = snapshot.activations.get(path)
    if venv is None:
        return None
    venv = venv.replace("\\", "/") if windows else venv
    return posixpath.normpath(venv)


def _old_root(interpreter: str, windows: bool) -> str | None:
    """``/old/.venv/bin/python`` -> ``/old/.venv``."""
    path = interpreter.replace("\\", "/") if windows else interpreter
    scripts = posixpath.dirname(path)
    if posixpath.basename(scripts).lower() not in {"bin", "scripts"}:
        return None
    return posixpath.dirname(scripts)


def repoint_action(
    snapshot: Snapshot,
    findings: Iterable[Finding],
    options: PlanOptions,
    unresolved: list[Finding],
) -> Repoint | None:
    missing = [f for f in findings if repoints(f)]
    if not missing:
        return None
    if options.python is None:
        unresolved.extend(missing)
        return None
    why = (
        "the base interpreter is gone"
        if any(f.code == "interpreter-missing" for f in missing)
        else f"the base interpreter runs another Python than {snapshot.layout.version}"
    )
    return Repoint(
        python=options.python,
        version=snapshot.layout.version,
        reason=f"{why}; use {options.python}",
    )
