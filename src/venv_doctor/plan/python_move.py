"""Planning a move to another Python in place: pure data in, the plan out.

The venv keeps its folder, its ``bin/`` and everything a person put there;
what changes is the interpreter it runs on and so its ``lib/pythonX.Y``.
The plan is one ``MovePython`` action (re-point, carry the files that stay,
old ``lib/pythonX.Y`` to the trash), the removal of what distributions
installed outside that folder (launchers, data files), an install of every
distribution for the new interpreter, and new shebangs for the scripts a
person put in ``bin/`` that name the old ``pythonX.Y``.

What is reinstalled: with a lockfile, what it wants for the new interpreter
(its markers evaluated there: a package may come or go); without one, every
installed distribution at its installed version, from where it came (an
index, a folder, git).  The seed packages (pip, setuptools, wheel) that the
lockfile does not list stay as they are when they are pure Python: no index
needs to have them, and ``uv sync`` keeps them too.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from venv_doctor.diagnose.claims import claimed_paths
from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.index import Index
from venv_doctor.lockfiles.wanted import WantedDist, WantedSet, from_direct_url
from venv_doctor.plan.actions import (
    Action,
    InstallDist,
    MovePython,
    Plan,
    RemoveDist,
    RewriteFile,
)
from venv_doctor.read.installed import InstalledDist, NormalizedName
from venv_doctor.read.records import is_bytecode
from venv_doctor.read.snapshot import DIR, Snapshot
from venv_doctor.words import counted

# Compiled code: a distribution holding any is never carried to another Python.
_COMPILED = (".so", ".pyd", ".dylib", ".dll")
# Findings about what a move replaces whole: the old lib/pythonX.Y and its
# distributions go, every distribution is installed anew.
_REPLACED = frozenset(
    {
        "interpreter-missing",
        "interpreter-changed",
        "file-missing",
        "file-modified",
        "dangling-symlink",
        "dist-info-incomplete",
        "record-malformed",
        "record-unsafe-path",
        "duplicate-distribution",
        "stash-leftover",
        "pip-interrupted",
        "lock-missing",
        "lock-extraneous",
        "lock-version-mismatch",
        "lock-source-mismatch",
        "local-project-stale",
        "uv-cache-info-invalid",
        "dependency-unsatisfied",
        "orphan-file",
        "script-stale-shebang",
        "cache-hardlink",
    }
)
_SHOWN = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class MoveTo:
    """The base interpreter a venv moves to, as the caller probed it."""

    python: str
    version: str  # full version: 3.12.1
    free_threaded: bool = False

    @property
    def series(self) -> str:
        """``3.12``, or ``3.13t`` for a free-threaded build: the name of its lib folder."""
        return ".".join(self.version.split(".")[:2]) + ("t" if self.free_threaded else "")


def venv_series(snapshot: Snapshot) -> str | None:
    """The X.Y (``3.13t`` free-threaded) the venv was made for, from pyvenv.cfg and lib/."""
    layout = snapshot.layout
    if layout.version is None:
        return None
    free_threaded = any(site.parent.name.endswith("t") for site in layout.site_packages)
    return layout.version + ("t" if free_threaded else "")


def plan_move(
    snapshot: Snapshot,
    findings: Sequence[Finding],
    wanted: WantedSet | None,
    to: MoveTo,
    *,
    keep: frozenset[str],
    purge_orphans: bool = False,
) -> Plan:
    """The plan that moves the venv of ``snapshot`` to the interpreter ``to``.

    ``wanted`` is the lockfile's selection for the new interpreter (``None``:
    no lockfile); ``keep`` the seed packages kept when the lock does not list
    them.  With ``purge_orphans`` files no distribution owns go to the trash
    with the old folder instead of being carried.
    """
    old = venv_series(snapshot) or "?"
    index = Index.build(snapshot)
    old_libs = tuple(sorted({posixpath.dirname(site) for site in snapshot.site_rels}))
    new_site = f"lib/python{to.series}/site-packages"
    where = f"from {wanted.lockfile.name}" if wanted is not None else "as installed"
    for_new = f"for Python {to.series}"

    installs, carried_dists = _installs(snapshot, wanted, keep, f"{for_new}, {where}")
    leaving = [d for d in snapshot.dists if d.meta_dir not in carried_dists]
    carried_owned = {
        rel for meta in carried_dists for rel, _row in snapshot.owned.get(meta, ()) if rel
    }
    # A carried metadata folder goes whole, with files its RECORD does not list.
    carried_owned.update(
        rel
        for meta in carried_dists
        for rel, entry in snapshot.tree.items()
        if entry.kind != DIR and rel.startswith(meta + "/")
    )
    claims = claimed_paths(snapshot, index)
    actions: list[Action] = []
    notes: list[str] = []

    unowned = (
        [] if purge_orphans else _unowned(snapshot, index, old_libs, claims, set(snapshot.temps))
    )
    carried_files = sorted(
        {rel for rel in carried_owned if _under(rel, old_libs) and not is_bytecode(rel)}
        | set(unowned)
    )
    pairs = tuple(
        (rel, new_site + rel[len(site) :])
        for rel in carried_files
        for site in snapshot.site_rels
        if rel.startswith(site + "/")
    )
    reason = f"{', '.join(old_libs)} goes to the trash"
    if unowned:
        reason += f"; what no distribution owns ({counted(len(unowned), 'file')}) moves along"
    actions.append(
        MovePython(
            python=to.python,
            old_version=old,
            new_version=to.series,
            old_libs=old_libs,
            new_site=new_site,
            carried=pairs,
            activations=tuple(
                rel
                for rel, entry in sorted(snapshot.tree.items())
                if entry.kind != DIR
                and rel.startswith(snapshot.scripts_rel + "/")
                and rel.rpartition("/")[2].lower().startswith("activate")
                and rel not in index.owners
            ),
            reason=reason,
        )
    )
    wanted_names = set(wanted.dists) if wanted is not None else None
    for dist in sorted(leaving, key=lambda d: d.meta_dir):
        outside = sorted(
            rel
            for rel, _row in snapshot.owned.get(dist.meta_dir, ())
            if rel
            and not _under(rel, old_libs)
            and rel not in carried_owned
            and rel not in snapshot.escaped
        )
        dropped = wanted_names is not None and dist.name not in wanted_names
        if not outside and not dropped:
            continue  # its files all go with the old lib folder
        why = (
            f"not wanted by {wanted.lockfile.name} {for_new}"
            if dropped and wanted is not None
            else f"its launchers and data files outside {', '.join(old_libs)} go too; "
            f"the install {for_new} writes them again"
        )
        actions.append(
            RemoveDist(
                package=dist.name,
                version=dist.version,
                meta_dir=dist.meta_dir,
                paths=tuple(outside),
                kept=(),
                reason=why,
            )
        )
    actions.extend(installs)
    actions.extend(_shebangs(snapshot, index, old, to.series))

    notes.append(
        f"moves the venv from Python {old} to {to.series}: reinstalls "
        f"{counted(len(installs), 'distribution')} {where} ({to.python})"
    )
    if carried_dists:
        names = ", ".join(sorted(index.by_meta[m].name for m in carried_dists))
        notes.append(
            f"keeps {names} as they are, moved to {new_site}: pure Python seed packages"
            + (f" that {wanted.lockfile.name} does not list" if wanted is not None else "")
        )
    if unowned:
        shown = ", ".join(unowned[:_SHOWN]) + (", ..." if len(unowned) > _SHOWN else "")
        notes.append(
            f"carries {counted(len(unowned), 'file')} no distribution owns to {new_site} "
            f"(yours, or left by an installer; --purge-orphans leaves them in the trash): {shown}"
        )
    unresolved = tuple(
        f for f in findings if f.fails and f.code not in _REPLACED and f.code != "unreadable"
    )
    return Plan(
        actions=tuple(actions),
        unresolved=unresolved,
        lockfile=str(wanted.lockfile) if wanted else None,
        notes=tuple(notes),
    )


def _under(rel: str, folders: Sequence[str]) -> bool:
    return any(rel == folder or rel.startswith(folder + "/") for folder in folders)


def _installs(
    snapshot: Snapshot, wanted: WantedSet | None, keep: frozenset[str], why: str
) -> tuple[list[InstallDist], frozenset[str]]:
    """Every distribution to install, and the metadata folders of the seeds carried as they are."""
    by_name: dict[str, list[InstalledDist]] = defaultdict(list)
    for dist in snapshot.dists:
        by_name[dist.name].append(dist)
    uv_made = "uv" in (snapshot.layout.cfg or {})
    carried: set[str] = set()
    installs: list[InstallDist] = []
    targets: dict[str, tuple[str | None, WantedDist | None]] = {}
    for name, dists in sorted(by_name.items()):
        if name in keep and (wanted is None or name not in wanted.dists):
            seed = _pure(snapshot, dists)
            if seed is not None:
                carried.add(seed.meta_dir)
                continue
        if wanted is None or (name in keep and name not in wanted.dists):
            version = _installed_version(dists)
            targets[name] = (version, _as_installed(name, version, dists))
    if wanted is not None:
        for name, want in wanted.dists.items():
            targets[name] = (want.version, want)
    for name, (version, wanted_dist) in sorted(targets.items()):
        dists = by_name.get(name, [])
        installs.append(
            InstallDist(
                package=name,
                version=version,
                wanted=wanted_dist,
                requested=uv_made or any("REQUESTED" in d.meta_files for d in dists),
                reason=why,
            )
        )
    return installs, frozenset(carried)


def _pure(snapshot: Snapshot, dists: Sequence[InstalledDist]) -> InstalledDist | None:
    """The one complete, pure Python copy of a distribution, if that is what is installed."""
    if len(dists) != 1 or dists[0].record is None:
        return None
    rels = [rel for rel, _row in snapshot.owned.get(dists[0].meta_dir, ()) if rel]
    if any(rel.endswith(_COMPILED) or ".so." in rel for rel in rels):
        return None
    return dists[0]


def _installed_version(dists: Sequence[InstalledDist]) -> str | None:
    """Without a lockfile: the version whose RECORD is whole, else any."""
    complete = [d for d in dists if d.record is not None and d.version]
    if complete:
        return complete[-1].version
    return next((d.version for d in dists if d.version), None)


def _as_installed(
    name: str, version: str | None, dists: Sequence[InstalledDist]
) -> WantedDist | None:
    """Where the copy at ``version`` came from (a folder, git, a URL), if not an index."""
    for dist in dists:
        if dist.direct_url is not None and dist.version == version:
            return from_direct_url(NormalizedName(name), version, dist.direct_url)
    return None


def _unowned(
    snapshot: Snapshot,
    index: Index,
    old_libs: Sequence[str],
    claims: Mapping[str, str],
    temps: set[str],
) -> list[str]:
    """Files in the old site-packages no distribution owns or claims: they move along.

    Not bytecode (it is for the old Python), not what installers leave for a
    moment (``stash-leftover``), not what a distribution with a broken RECORD
    still claims (it is installed anew).
    """
    found: list[str] = []
    for rel, entry in snapshot.tree.items():
        if entry.kind == DIR or not _under(rel, old_libs) or rel in index.owners:
            continue
        if not any(rel.startswith(site + "/") for site in snapshot.site_rels):
            continue
        if is_bytecode(rel) or _under(rel, tuple(temps)) or _under(rel, tuple(claims)):
            continue
        if any(rel.startswith(meta + "/") for meta in index.by_meta):
            continue  # a metadata folder's own extra files go with it
        found.append(rel)
    return sorted(found)


def _shebangs(snapshot: Snapshot, index: Index, old: str, new: str) -> list[RewriteFile]:
    """Scripts no distribution owns whose ``#!`` names the old ``bin/pythonX.Y``."""
    root = str(snapshot.layout.root)
    scripts = snapshot.scripts_rel
    old_python = f"{root}/{scripts}/python{old}"
    actions: list[RewriteFile] = []
    for rel, interpreter in sorted(snapshot.shebangs.items()):
        if rel in index.owners or interpreter != old_python:
            continue
        actions.append(
            RewriteFile(
                path=rel,
                owner=None,
                replacements=((old_python, f"{root}/{scripts}/python{new}"),),
                reason=f"its #! names bin/python{old}, which the move to {new} takes away",
            )
        )
    return actions
