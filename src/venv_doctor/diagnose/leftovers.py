"""stash-leftover and pip-interrupted: what uv and pip leave of their own work.

uv writes each file under a temporary name and renames it into place; pip
moves what it uninstalls aside under ``~`` names (its stash) and deletes the
stash once the uninstall, or the upgrade it is part of, is done.  A killed or
failed run leaves those names behind (``read.tempnames`` says whose each
is).  They are the installer's, not a person's: ``fix`` moves them to the
trash without ``--purge-orphans``.

pip's stash of one distribution is reported once, with the version it holds
and the one installed in its place.  When no version is installed any more
(pip stopped while it replaced or removed one), the finding is
``pip-interrupted`` and also covers what pip had written of the new version
where the stashed folders were, and the old files it had not moved yet.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from venv_doctor.diagnose._make import finding
from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.index import Index
from venv_doctor.lockfiles.wanted import WantedSet
from venv_doctor.read import tempnames
from venv_doctor.read.installed import METADATA_SUFFIXES, InstalledDist, NormalizedName
from venv_doctor.read.records import is_bytecode
from venv_doctor.read.snapshot import DIR, Snapshot
from venv_doctor.words import counted

_TRASH_HINT = "venv-doctor fix moves it to the trash (venv-doctor undo brings it back)"


@dataclass(frozen=True, slots=True, kw_only=True)
class PipStash:
    """What an interrupted pip uninstall or upgrade left of one distribution.

    ``installed`` has METADATA and a RECORD; a metadata folder of the name
    without them is a version pip had begun to write (``new``).  ``paths``
    are the stash folders (metadata first).  ``written`` and ``unmoved`` are
    set only when no version of the distribution is installed:
    what lies where pip had moved folders away (files of the version it was
    installing) and the stashed version's files it had not moved yet.  Each
    is a folder that goes whole or a single file.
    """

    name: NormalizedName
    old: str | None
    installed: InstalledDist | None
    new: str | None  # the version installed, or begun (an incomplete metadata folder)
    paths: tuple[str, ...]
    files: int
    written: tuple[str, ...] = ()
    written_files: int = 0
    unmoved: tuple[str, ...] = ()
    unmoved_files: int = 0

    @property
    def everything(self) -> tuple[str, ...]:
        """Every path that goes when this is repaired."""
        return self.paths + self.written + self.unmoved


def check(snapshot: Snapshot, index: Index) -> list[Finding]:
    """One finding per distribution pip left a stash of, one per other temporary name."""
    stashes = pip_stashes(snapshot, index)
    found = [_stash_finding(snapshot, stash) for stash in stashes]
    covered = {path for stash in stashes for path in stash.everything}
    found.extend(
        _temp_finding(snapshot, index, rel)
        for rel in snapshot.temps
        if not under(rel, covered) and not _owned(rel, index)
    )
    return found


def not_orphans(snapshot: Snapshot, index: Index) -> frozenset[str]:
    """Paths whose files this module reports: ``orphan-file`` leaves everything below them."""
    if not snapshot.temps:
        return frozenset()
    stashes = pip_stashes(snapshot, index)
    temps = (rel for rel in snapshot.temps if not _owned(rel, index))
    return frozenset(temps).union(*(stash.everything for stash in stashes))


def with_lock(findings: Sequence[Finding], wanted: WantedSet) -> list[Finding]:
    """The findings, ``pip-interrupted`` ones naming the version the lockfile wants."""
    named: list[Finding] = []
    lock = wanted.lockfile.name
    for found in findings:
        if found.code != "pip-interrupted" or found.package is None:
            named.append(found)
            continue
        want = wanted.get(found.package)
        wants = f"{lock} wants {want.label}" if want else f"{lock} does not want it"
        installs = f" and installs {want.label}" if want else ""
        named.append(
            dataclasses.replace(
                found,
                message=f"{found.message}; {wants}",
                hint=f"venv-doctor fix --from {lock} moves what pip left to the trash{installs}",
            )
        )
    return named


# -- finding pip's stash of each distribution ----------------------------------------------


def pip_stashes(snapshot: Snapshot, index: Index) -> list[PipStash]:
    """What interrupted pip runs left, one ``PipStash`` per distribution it can be tied to.

    A stashed metadata folder names its distribution; a stashed package
    folder is tied to the distribution (stashed or installed) that has files
    in a folder of the name pip derives the stash's from.
    """
    stash_dirs = [
        rel
        for rel in snapshot.temps
        if rel.rpartition("/")[2].startswith("~") and _kind(snapshot, rel) == DIR
    ]
    if not stash_dirs:
        return []
    in_temps = set(stash_dirs)
    metas = {d.meta_dir: d for d in snapshot.stashed if d.has_metadata and d.meta_dir in in_temps}
    groups: dict[NormalizedName, _Group] = {}
    for dist in metas.values():
        groups.setdefault(dist.name, _Group()).metas.append(dist)
    others = [rel for rel in stash_dirs if rel not in metas]
    if others:
        children = _children(index, metas.values())
        for rel in others:
            parent, _, name = rel.rpartition("/")
            for child, dist_name in children.get(parent, ()):
                if tempnames.is_pip_stash_of(name, child):
                    group = groups.setdefault(dist_name, _Group())
                    group.folders.append(rel)
                    group.originals.append(f"{parent}/{child}")
                    break
    installed: dict[NormalizedName, InstalledDist] = {}
    begun: dict[NormalizedName, InstalledDist] = {}
    for dist in snapshot.dists:
        complete = dist.has_metadata and dist.record is not None
        (installed if complete else begun).setdefault(dist.name, dist)
    return [
        group.stash(snapshot, index, name, installed.get(name) or begun.get(name))
        for name, group in sorted(groups.items())
    ]


@dataclass(slots=True)
class _Group:
    metas: list[InstalledDist] = dataclasses.field(default_factory=list)
    folders: list[str] = dataclasses.field(default_factory=list)
    originals: list[str] = dataclasses.field(default_factory=list)

    def stash(
        self,
        snapshot: Snapshot,
        index: Index,
        name: NormalizedName,
        now: InstalledDist | None,
    ) -> PipStash:
        paths = (*sorted(d.meta_dir for d in self.metas), *sorted(self.folders))
        complete = now is not None and now.has_metadata and now.record is not None
        stash = PipStash(
            name=name,
            old=next((d.version for d in self.metas if d.version), None),
            installed=now if complete else None,
            new=now.version if now is not None else None,
            paths=paths,
            files=_count(snapshot, paths),
        )
        if complete:
            return stash
        temps = frozenset(snapshot.temps)
        written = _remnants(snapshot, index, self.originals, temps)
        places = sorted(_places(snapshot, self.metas) - set(self.originals))
        unmoved = _remnants(snapshot, index, places, temps.union(written))
        return dataclasses.replace(
            stash,
            written=written,
            written_files=_count(snapshot, written),
            unmoved=unmoved,
            unmoved_files=_count(snapshot, unmoved),
        )


def _children(
    index: Index, stashed: Iterable[InstalledDist]
) -> dict[str, list[tuple[str, NormalizedName]]]:
    """Folder -> the (name, distribution) of each subfolder holding a distribution's files.

    Stashed distributions come first: their files are the ones pip moved.
    """
    children: dict[str, list[tuple[str, NormalizedName]]] = {}
    seen: set[str] = set()

    def add(folder: str, dist_name: NormalizedName) -> None:
        if folder not in seen:
            seen.add(folder)
            parent, _, child = folder.rpartition("/")
            children.setdefault(parent, []).append((child, dist_name))

    for dist in stashed:
        for row in dist.record or ():
            path = posixpath.normpath(f"{dist.site_dir}/{row.path}")
            parent = path.rpartition("/")[0]
            while parent.startswith(dist.site_dir + "/"):
                add(parent, dist.name)
                parent = parent.rpartition("/")[0]
    for folder, meta_dir in index.owned_dirs.items():
        add(folder, index.by_meta[meta_dir].name)
    return children


def _places(snapshot: Snapshot, metas: Iterable[InstalledDist]) -> set[str]:
    """Where the stashed distributions' files were: top-level entries and scripts."""
    places: set[str] = set()
    root = snapshot.scripts_rel + "/"
    for dist in metas:
        site = dist.site_dir + "/"
        for row in dist.record or ():
            path = posixpath.normpath(f"{dist.site_dir}/{row.path}")
            if path.startswith(site):
                top = site + path[len(site) :].partition("/")[0]
                if not top.endswith(METADATA_SUFFIXES):
                    places.add(top)
            elif path.startswith(root) and "/" not in path[len(root) :]:
                places.add(path)
    return places


def _remnants(
    snapshot: Snapshot, index: Index, places: Iterable[str], skip: Collection[str]
) -> tuple[str, ...]:
    """What lies at ``places`` that no installed RECORD lists: whole folders, else files.

    Nothing at or below ``skip``.
    """
    found: list[str] = []
    for place in places:
        entry = snapshot.tree.get(place)
        if entry is None or under(place, skip):
            continue
        if entry.kind != DIR:
            if place not in index.owners:
                found.append(place)
        elif place not in index.owned_dirs:
            found.append(place)
        else:  # shared with an installed distribution: only the files none lists
            prefix = place + "/"
            found.extend(
                rel
                for rel, below in snapshot.tree.items()
                if rel.startswith(prefix)
                and below.kind != DIR
                and rel not in index.owners
                and not is_bytecode(rel)
                and not under(rel, skip)
            )
    return tuple(sorted(found))


# -- the findings ------------------------------------------------------------------------


def _stash_finding(snapshot: Snapshot, stash: PipStash) -> Finding:
    name, old = stash.name, stash.old
    held = f"{_names(snapshot, stash.paths)} ({counted(stash.files, 'file')})"
    dist = stash.installed
    if dist is not None:
        now = f"{name} {dist.version}" if dist.version else str(name)
        if old is None:
            message = (
                f"{held} {_is(stash.paths)} pip's stash of {name}'s files: pip moves what it "
                "uninstalls aside and deletes it at the end, and was stopped or failed before "
                f"that; {now} is installed"
            )
        else:
            message = (
                f"{name} {old} is still stashed in {held}: pip moves the version it replaces "
                f"aside and deletes it at the end, and was stopped or failed before that; "
                f"{now} is installed in its place"
            )
        return dataclasses.replace(
            finding("stash-leftover", message, path=stash.paths[0], hint=_TRASH_HINT),
            package=name,
            version=old,
        )
    label = f"{name} {old}" if old else str(name)
    parts = [f"{label} is stashed in {held}"]
    if stash.written:
        of_what = f"{name} {stash.new}" if stash.new else "the version replacing it"
        parts.append(
            f"pip had written {counted(stash.written_files, 'file')} of {of_what} in "
            f"{_names(snapshot, stash.written)}, "
            + ("not all of its metadata" if stash.new else "not yet its metadata")
        )
    if stash.unmoved:
        parts.append(
            f"pip had not yet moved {counted(stash.unmoved_files, 'file')} of {label} "
            f"({_names(snapshot, stash.unmoved)})"
        )
    if stash.new:
        doing = f"replacing {label} with {stash.new}"
    else:
        doing = f"replacing {label}" if stash.written else f"removing or replacing {label}"
    message = f"pip was stopped while {doing}, so no version of {name} is installed: " + "; ".join(
        parts
    )
    pin = f"{name}=={old}" if old else str(name)
    hint = (
        "venv-doctor fix moves what pip left to the trash, and with --from LOCKFILE installs "
        f"the version the lock wants; pip install '{pin}' puts the stashed version back"
    )
    return dataclasses.replace(
        finding("pip-interrupted", message, path=stash.paths[0], hint=hint),
        package=name,
        version=old,
    )


def _temp_finding(snapshot: Snapshot, index: Index, rel: str) -> Finding:
    parent, _, name = rel.rpartition("/")
    is_dir = _kind(snapshot, rel) == DIR
    top = parent in snapshot.site_rels or parent == snapshot.scripts_rel
    kind = tempnames.temp_kind(name, is_dir=is_dir, at_top=top)
    held = f" ({counted(_count(snapshot, (rel,)), 'file')})" if is_dir else ""
    if kind == tempnames.UV_TEMP and is_dir:
        message = (
            f"{rel}{held} is a temporary folder of uv's: uv writes a file that replaces "
            "another in such a folder and moves it out, and was stopped before that"
        )
    elif kind == tempnames.UV_TEMP:
        message = (
            f"{rel} is a temporary file of uv's: uv writes what it installs under a '.tmp' "
            "name and renames it into place, and was stopped before the rename"
        )
    elif kind == tempnames.UV_DATA:
        message = (
            f"{rel}{held} is the data folder of a wheel uv was installing: uv moves what it "
            "holds to the scripts, headers and data folders, then deletes it, and was stopped "
            "before it was done"
        )
    elif kind == tempnames.PIP_TEMP and not is_dir:
        target = tempnames.pip_meta_target(name)
        message = (
            f"{rel} is a temporary file of pip's: pip writes {target} under this name and "
            "renames it into place, and was stopped before the rename"
        )
    elif kind == tempnames.PIP_TEMP:
        message = f"{rel}{held} is a temporary folder of pip's, left by a pip run that was stopped"
    else:
        what = f"folder with {counted(_count(snapshot, (rel,)), 'file')}" if is_dir else "file"
        message = (
            f"{rel} is a temporary {what} left by an interrupted install or uninstall "
            "(pip stashes what it removes under '~' names)"
        )
    # In a distribution's metadata or package folder: about that distribution.
    meta = parent if parent in index.by_meta else None if top else index.owned_dirs.get(parent)
    dist = index.by_meta.get(meta) if meta is not None else None
    return finding("stash-leftover", message, dist=dist, path=rel, hint=_TRASH_HINT)


# -- small helpers ---------------------------------------------------------------------------


def _kind(snapshot: Snapshot, rel: str) -> str | None:
    entry = snapshot.tree.get(rel)
    return entry.kind if entry is not None else None


def _owned(rel: str, index: Index) -> bool:
    """Whether an installed RECORD lists ``rel`` or a file below it: then it is not temporary."""
    return rel in index.owners or rel in index.owned_dirs


def under(rel: str, paths: Collection[str]) -> bool:
    """Whether ``rel`` is one of ``paths`` or lies below one."""
    if not paths:
        return False
    while rel:
        if rel in paths:
            return True
        rel = rel.rpartition("/")[0]
    return False


def _count(snapshot: Snapshot, paths: Iterable[str]) -> int:
    """The files (not folders) at or below ``paths`` that the walk saw."""
    folders: list[str] = []
    count = 0
    for path in paths:
        if _kind(snapshot, path) == DIR:
            folders.append(path + "/")
        else:
            count += 1
    if folders:
        prefixes = tuple(folders)
        count += sum(
            1
            for rel, entry in snapshot.tree.items()
            if entry.kind != DIR and rel.startswith(prefixes)
        )
    return count


def _names(snapshot: Snapshot, paths: Sequence[str]) -> str:
    """``~umpy-1.0.dist-info/, ~umpy/``: relative to site-packages, ``... and 3 more``."""
    shown = ", ".join(_short(snapshot, path) for path in paths[:4])
    return shown + (f" and {len(paths) - 4} more" if len(paths) > 4 else "")


def _short(snapshot: Snapshot, path: str) -> str:
    """``path`` relative to its site-packages, with ``/`` after a folder."""
    shown = path
    for site in snapshot.site_rels:
        if path.startswith(site + "/"):
            shown = path[len(site) + 1 :]
            break
    return shown + "/" if _kind(snapshot, path) == DIR else shown


def _is(paths: Sequence[str]) -> str:
    return "is" if len(paths) == 1 else "are"
