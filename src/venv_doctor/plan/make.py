"""Findings in, a repair plan out: pure data, made by pure functions.

The plan says what ``fix`` will do and why, before anything is touched:
``--dry-run`` prints it, the transaction applies it.  Nothing here reads the
disk; everything comes from the snapshot, the findings and the wanted set.

Rules that keep a fix from losing anything:

- a path that resolves outside the venv is never part of a plan;
- a file another installed distribution that stays also lists in its RECORD
  stays (``kept``);
- files no RECORD owns go only when they lie inside a top-level folder of a
  distribution being removed or reinstalled that no staying distribution
  shares, or in a folder a wheel installs into (``leftovers``: remnants),
  or with ``purge_orphans``; empty package folders go too;
- what a distribution whose RECORD cannot list it still claims (its import
  names, its launchers: ``diagnose.claims``) is never purged as an orphan: it
  goes with that distribution's removal or reinstall;
- a distribution whose only damage is files of its RECORD missing or
  modified stays: those files alone are put back from its wheel
  (``plan.restore``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from packaging.version import InvalidVersion, Version

from venv_doctor.diagnose.claims import claimed_paths
from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.index import Index
from venv_doctor.diagnose.interpreter import repoints
from venv_doctor.diagnose.leftovers import pip_stashes
from venv_doctor.lockfiles.wanted import WantedDist, WantedSet, from_direct_url
from venv_doctor.plan.actions import (
    Action,
    DiscardPath,
    InstallDist,
    Plan,
    PlanOptions,
    RemoveDist,
    RewriteFile,
)
from venv_doctor.plan.leftovers import empty_package_folders, remnants, with_emptied_folders
from venv_doctor.plan.moved import (
    move_pairs,
    moved_source_only,
    relocations,
    repoint_action,
)
from venv_doctor.plan.remove import owned_by, remove_action, subtree
from venv_doctor.plan.restore import restorable, with_fallback
from venv_doctor.read.installed import InstalledDist, NormalizedName
from venv_doctor.read.records import is_bytecode
from venv_doctor.read.snapshot import DIR, Snapshot

# Findings that make a distribution's installed files untrustworthy: reinstall.
DAMAGE = frozenset(
    {
        "file-missing",
        "file-modified",
        "dangling-symlink",
        "dist-info-incomplete",
        "record-malformed",
        "record-unsafe-path",
        # uv rebuilds these; a rebuild from the source, not a new uv_cache.json
        # alone, makes the install what a fresh sync would give.
        "local-project-stale",
        "uv-cache-info-invalid",
        # About one distribution (its path the dist-info): built for another
        # platform; reinstalled for this one.  About bin/python: a re-point.
        "interpreter-changed",
    }
)
PURGE_REASON = "belongs to no distribution (--purge-orphans)"
# Findings the plan does not act on: information, or nothing fix can do.
_NOT_ACTED_ON = frozenset({"cache-hardlink", "unreadable"})


def make_plan(
    snapshot: Snapshot,
    findings: Sequence[Finding],
    wanted: WantedSet | None,
    options: PlanOptions,
    *,
    installs_into: Mapping[str, frozenset[str]] | None = None,
    index: Index | None = None,
) -> Plan:
    """Turn ``findings`` about ``snapshot`` into an ordered plan.

    ``installs_into``: package -> the folders its wheel installs into (``remnants``).
    ``index``: the lookups the check that found ``findings`` built over ``snapshot``.
    """
    index = index or Index.build(snapshot)
    damaged = _damaged(findings, index)
    notes: list[str] = []
    pairs = move_pairs(snapshot, findings, notes)
    restoring = restorable(snapshot, findings, index)
    decision = _decide(snapshot, findings, wanted, damaged, options, pairs, restoring)
    if wanted is not None and wanted.kind != "uv.lock":
        kept = sorted(
            {d.name for d in snapshot.dists if d.name in options.keep} - wanted.dists.keys()
        )
        if kept:
            notes.append(
                f"keeps {', '.join(kept)}: the venv's seed packages, which "
                f"{wanted.lockfile.name} does not list (as pip-sync keeps them)"
            )
    staying = [d for d in snapshot.dists if d.meta_dir not in decision.remove]
    staying_owned = owned_by(snapshot, staying)

    actions: list[Action] = []
    unresolved: list[Finding] = []
    repoint = repoint_action(snapshot, findings, options, unresolved)
    if repoint is not None:
        actions.append(repoint)

    claims = claimed_paths(snapshot, index)
    claimed: set[str] = set()
    for meta_dir in sorted(decision.remove):
        dist = index.by_meta[meta_dir]
        action = remove_action(
            snapshot, dist, staying_owned, claimed, decision.remove[meta_dir], claims
        )
        claimed.update(action.paths)
        actions.append(action)
    leftover = {stash.paths[0]: stash.everything for stash in pip_stashes(snapshot, index)}
    # Whatever a distribution claims is its own removal's or reinstall's to
    # replace, never an orphan's to purge.
    claimed.update(claims)
    actions.extend(empty_package_folders(snapshot, findings, claimed))
    whole = [action for action in decision.installs if not action.restore]
    actions.extend(remnants(snapshot, whole, installs_into or {}, staying, staying_owned, claimed))
    actions.extend(
        _discards(snapshot, findings, claimed, staying_owned, options.purge_orphans, leftover)
    )
    actions = with_emptied_folders(snapshot, actions, decision.remove)
    actions.extend(
        with_fallback(snapshot, action, index, staying, claimed, claims)
        for action in decision.installs
    )
    actions.extend(relocations(snapshot, findings, index, decision.remove, pairs))

    done = _Done.of(actions)
    unresolved.extend(
        f
        for f in findings
        if f.fails
        and f.code not in _NOT_ACTED_ON
        and not repoints(f)
        and not done.addresses(f, index, wanted is not None)
        and not _loose_files_go(snapshot, f, staying_owned, done)
    )
    return Plan(
        actions=tuple(actions),
        unresolved=tuple(unresolved),
        lockfile=str(wanted.lockfile) if wanted else None,
        notes=tuple(notes),
    )


# -- which distributions go, which are (re)installed ----------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _Decision:
    remove: Mapping[str, str]  # meta_dir -> reason
    installs: tuple[InstallDist, ...]


def _damaged(findings: Sequence[Finding], index: Index) -> dict[str, str]:
    """meta_dir -> the first damage finding's code, for every damaged distribution."""
    # An editable whose folder is gone is left for the person: a rebuild from
    # there would point at nothing again, stale or not.
    pointless = {
        meta_dir
        for finding in findings
        if finding.code == "editable-target-missing" and finding.path is not None
        for meta_dir in _metas_of(finding.path, index)
    }
    damaged: dict[str, str] = {}
    for finding in findings:
        if finding.code not in DAMAGE or finding.path is None or repoints(finding):
            continue
        for meta_dir in _metas_of(finding.path, index):
            if finding.code != "local-project-stale" or meta_dir not in pointless:
                damaged.setdefault(meta_dir, finding.code)
    return damaged


def _metas_of(path: str, index: Index) -> tuple[str, ...]:
    if path in index.by_meta:
        return (path,)
    parent = path.rpartition("/")[0]
    if parent in index.by_meta:
        return (parent,)
    return index.owners.get(path, ())


def _version_equal(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a == b
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _decide(
    snapshot: Snapshot,
    findings: Sequence[Finding],
    wanted: WantedSet | None,
    damaged: Mapping[str, str],
    options: PlanOptions,
    pairs: tuple[tuple[str, str], ...],
    restoring: Mapping[str, tuple[str, ...]],
) -> _Decision:
    by_name: dict[str, list[InstalledDist]] = defaultdict(list)
    for dist in snapshot.dists:
        by_name[dist.name].append(dist)
    source_wrong = {(f.package, f.version) for f in findings if f.code == "lock-source-mismatch"}
    remove: dict[str, str] = {}
    installs: list[InstallDist] = []
    # uv marks every distribution it installs as requested.
    uv_made = "uv" in (snapshot.layout.cfg or {})
    # A version pip stashed while it replaced it says whether it was requested.
    stashed = {d.name for d in snapshot.stashed if "REQUESTED" in d.meta_files}
    for name, dists in sorted(by_name.items()):
        want = wanted.get(name) if wanted is not None else None
        if wanted is not None and want is None:
            unwanted = [] if name in options.keep else dists
            remove.update((d.meta_dir, f"not wanted by {wanted.lockfile.name}") for d in unwanted)
            continue
        version = want.version if want is not None else _installed_version(dists, damaged)
        requested = uv_made or name in stashed or any("REQUESTED" in d.meta_files for d in dists)
        restore = _restore(name, dists, want, wanted, version, restoring, source_wrong)
        if restore is not None:
            installs.append(replace(restore, requested=requested))
            continue

        keeper = next(
            (
                dist
                for dist in dists
                if dist.meta_dir not in damaged
                and _version_equal(dist.version, version)
                and (
                    (dist.name, dist.version) not in source_wrong
                    or moved_source_only(dist, want, pairs)
                )
            ),
            None,
        )
        for dist in dists:
            if dist is keeper:
                continue
            remove[dist.meta_dir] = _why(dist, damaged, version, keeper)
        if keeper is None:
            if wanted is None:
                want = _as_installed(name, version, dists)
            installs.append(
                InstallDist(
                    package=name,
                    version=version,
                    wanted=want,
                    requested=requested,
                    reason=_install_reason(name, version, dists, wanted),
                )
            )
    if wanted is not None:
        for name, want in sorted(wanted.dists.items()):
            if name not in by_name:
                installs.append(
                    InstallDist(
                        package=name,
                        version=want.version,
                        wanted=want,
                        requested=uv_made or name in stashed,
                        reason=f"missing: {wanted.lockfile.name} wants {want.label}",
                    )
                )
    return _Decision(remove=remove, installs=tuple(installs))


def _restore(
    name: str,
    dists: Sequence[InstalledDist],
    want: WantedDist | None,
    wanted: WantedSet | None,
    version: str | None,
    restoring: Mapping[str, tuple[str, ...]],
    source_wrong: set[tuple[str | None, str | None]],
) -> InstallDist | None:
    """Put back files of the one installed copy, when only they are wrong (``plan.restore``)."""
    only = dists[0] if len(dists) == 1 else None
    if (
        only is None
        or only.meta_dir not in restoring
        or not _version_equal(only.version, version)
        or (name, only.version) in source_wrong
        or (want is not None and want.source.kind != "registry")
    ):
        return None
    paths = restoring[only.meta_dir]
    where = f"the wheel {wanted.lockfile.name} names" if wanted else "its wheel"
    return InstallDist(
        package=name,
        version=version,
        wanted=want,
        reason=f"from {where}; the rest of it is intact",
        restore=paths,
        meta_dir=only.meta_dir,
    )


def _as_installed(
    name: str, version: str | None, dists: Sequence[InstalledDist]
) -> WantedDist | None:
    """Without a lockfile: where the copy at ``version`` came from, if not an index."""
    for dist in dists:
        if dist.direct_url is not None and _version_equal(dist.version, version):
            return from_direct_url(NormalizedName(name), version, dist.direct_url)
    return None


def _installed_version(dists: Sequence[InstalledDist], damaged: Mapping[str, str]) -> str | None:
    """Without a lockfile: the version to keep is the one the files match."""
    for dist in dists:
        if dist.meta_dir not in damaged and dist.version:
            return dist.version
    complete = [d for d in dists if d.record is not None and d.version]
    if complete:
        return complete[-1].version
    return next((d.version for d in dists if d.version), None)


def _install_reason(
    name: str, version: str | None, dists: Sequence[InstalledDist], wanted: WantedSet | None
) -> str:
    """``reinstall`` when that version is what was there, ``upgrade``/``downgrade``/``install``."""
    label = f"{name} {version or ''}".rstrip()
    where = f" from {wanted.lockfile.name}" if wanted else " (as installed)"
    had = [d.version for d in dists if d.version]
    if version is None or any(_version_equal(v, version) for v in had) or not had:
        return f"reinstall {label}{where}"
    try:
        newer = all(Version(v) < Version(version) for v in had)
        older = all(Version(v) > Version(version) for v in had)
    except InvalidVersion:
        newer = older = False
    verb = "upgrade" if newer else "downgrade" if older else "install"
    return f"{verb} {name} {', '.join(had)} to {version}{where}"


def _why(
    dist: InstalledDist, damaged: Mapping[str, str], version: str | None, keeper: object
) -> str:
    if keeper is not None:
        return f"duplicate of the {dist.name} that stays"
    if damaged.get(dist.meta_dir) == "local-project-stale":
        return "its source changed since it was built: rebuilt, as uv sync would"
    if damaged.get(dist.meta_dir) == "interpreter-changed":
        return "built for another platform: reinstalled for this interpreter's"
    if dist.meta_dir in damaged:
        return f"damaged ({damaged[dist.meta_dir]}), reinstalled"
    if not _version_equal(dist.version, version):
        return f"version {dist.version}, wanted {version}"
    return "installed from another source than the lock's"


# -- paths that belong to no distribution -----------------------------------------------


def _discards(
    snapshot: Snapshot,
    findings: Iterable[Finding],
    claimed: set[str],
    staying_owned: frozenset[str],
    purge_orphans: bool,
    leftover: Mapping[str, tuple[str, ...]],
) -> list[DiscardPath]:
    found: list[DiscardPath] = []
    for finding in findings:
        path = finding.path
        if path is None or path in claimed or any(path.startswith(c + "/") for c in claimed):
            continue
        if finding.code in ("stash-leftover", "pip-interrupted"):
            # The installer's, not a person's: no --purge-orphans needed.  pip's
            # stash of a distribution goes with what pip wrote where it was.
            reason = "temporary leftover of an interrupted install or uninstall"
            if finding.code == "pip-interrupted":
                label = " ".join(filter(None, (finding.package, finding.version)))
                reason = f"left by pip, stopped while replacing {label}"
            for rel in leftover.get(path, (path,)):
                if not any(rel == c or rel.startswith(c + "/") for c in claimed):
                    found.append(DiscardPath(path=rel, reason=reason))
                    claimed.add(rel)
            continue
        if finding.code != "orphan-file" or not purge_orphans:
            continue
        reason = PURGE_REASON
        if finding.code == "orphan-file" and finding.package is not None:
            # Loose files inside a staying distribution's folder: each one, not the folder.
            found.extend(
                DiscardPath(path=rel, reason=reason)
                for rel in subtree(snapshot, path)
                if snapshot.tree[rel].kind != DIR
                and rel not in staying_owned
                and not is_bytecode(rel)
            )
            continue
        found.append(DiscardPath(path=path, reason=reason))
        claimed.add(path)
    return found


def _loose_files_go(
    snapshot: Snapshot, finding: Finding, staying_owned: frozenset[str], done: _Done
) -> bool:
    """Whether every loose file of an orphan-file finding about a folder goes with the plan.

    Remnants beside a staying distribution's files go one by one, not with
    their folder, so the folder itself is not among the paths that go.
    """
    if finding.code != "orphan-file" or finding.path is None:
        return False
    entry = snapshot.tree.get(finding.path)
    if entry is None or entry.kind != DIR:
        return False
    loose = [
        rel
        for rel in subtree(snapshot, finding.path)
        if snapshot.tree[rel].kind != DIR and rel not in staying_owned and not is_bytecode(rel)
    ]
    return bool(loose) and all(done.is_gone(rel) for rel in loose)


# -- bookkeeping --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _Done:
    """What a list of actions touches, to tell which findings it addresses."""

    removed_metas: frozenset[str]
    gone: tuple[str, ...]  # paths moved to the trash (folders whole)
    installed: frozenset[str]
    rewritten: frozenset[str]

    @classmethod
    def of(cls, actions: Iterable[Action]) -> _Done:
        metas: set[str] = set()
        gone: list[str] = []
        installed: set[str] = set()
        rewritten: set[str] = set()
        for action in actions:
            if isinstance(action, RemoveDist):
                metas.add(action.meta_dir)
                gone.extend(action.paths)
            elif isinstance(action, DiscardPath):
                gone.append(action.path)
            elif isinstance(action, InstallDist):
                installed.add(action.package)
            elif isinstance(action, RewriteFile):
                rewritten.add(action.path)
        return cls(
            removed_metas=frozenset(metas),
            gone=tuple(gone),
            installed=frozenset(installed),
            rewritten=frozenset(rewritten),
        )

    def is_gone(self, path: str) -> bool:
        return any(path == g or path.startswith(g + "/") for g in self.gone)

    def addresses(self, finding: Finding, index: Index, with_lock: bool) -> bool:
        path = finding.path
        if finding.package is not None and finding.package in self.installed:
            return True
        if path is not None:
            if self.is_gone(path) or path in self.rewritten:
                return True
            if any(meta in self.removed_metas for meta in _metas_of(path, index)):
                return True
        if finding.code == "lock-source-mismatch" and path is not None:
            # A distribution kept only when rewriting its direct_url.json after
            # a move makes its source the lock's (``moved_source_only``).
            return f"{path}/direct_url.json" in self.rewritten
        if finding.code == "dependency-unsatisfied":
            return with_lock
        return False
