"""Package folders a repair must not leave behind: pure, like the rest of the plan.

Two kinds, both moved to the trash in the fix's transaction:

- folders the plan's removals leave holding nothing but bytecode.  uv removes
  the folders its removal of a distribution empties, walking up from each
  removed file to site-packages and taking ``__pycache__`` along
  (``crates/uv-install-wheel/src/uninstall.rs``, ``uninstall_wheel``); an
  emptied folder left in place still imports, as a namespace package.
- remnants: what no installed distribution owns inside a folder of
  site-packages that a distribution being installed puts files in, by the
  RECORD of the wheel it is installed from.  The plan knows that wheel's
  folders only once the wheel is at hand (``installs_into``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from venv_doctor.diagnose.findings import Finding
from venv_doctor.plan.actions import Action, DiscardPath, InstallDist, Plan, RemoveDist
from venv_doctor.read.installed import InstalledDist
from venv_doctor.read.records import is_bytecode
from venv_doctor.read.snapshot import DIR, Snapshot

EMPTY = "holds no files but bytecode: an empty package folder"
EMPTIED = "left with no files but bytecode by the moves above: an empty package folder"


def full_folders(snapshot: Snapshot, gone: set[str] | None = None) -> set[str]:
    """Every folder something lies in, at any depth, that is neither a folder nor bytecode.

    Entries in ``gone`` (or in a folder in it) do not count: they are moved away.
    """
    full: set[str] = set()
    gone_folders: dict[str, bool] = {}  # folder -> whether it or one holding it goes

    def folder_gone(folder: str) -> bool:
        known = gone_folders.get(folder)
        if known is None:
            known = gone_folders[folder] = folder in gone_set or (
                bool(folder) and folder_gone(folder.rpartition("/")[0])
            )
        return known

    gone_set = gone or set()
    for rel, entry in snapshot.tree.items():
        if entry.kind == DIR:
            continue
        parent = rel.rpartition("/")[0]
        if parent in full:
            continue  # most files: a file beside them already marked the way up
        if rel in gone_set or is_bytecode(rel) or (gone_set and folder_gone(parent)):
            continue
        while parent and parent not in full:
            full.add(parent)
            parent = parent.rpartition("/")[0]
    return full


def holds_nothing(snapshot: Snapshot, folder: str, full: set[str]) -> bool:
    """Whether ``folder`` is a folder with nothing below it but folders and bytecode.

    ``full`` is what ``full_folders`` gives for the snapshot.
    """
    entry = snapshot.tree.get(folder)
    return entry is not None and entry.kind == DIR and folder not in full


def empty_package_folders(
    snapshot: Snapshot, findings: Sequence[Finding], claimed: set[str]
) -> list[DiscardPath]:
    """The folders ``orphan-file`` findings are about that hold nothing but bytecode.

    Nothing a person could lose is in them, and ``import`` would still find
    them: they go without ``--purge-orphans``.  Each is added to ``claimed``.
    """
    orphans = [f.path for f in findings if f.code == "orphan-file" and f.path is not None]
    if not orphans:
        return []
    full = full_folders(snapshot)
    found: list[DiscardPath] = []
    for path in orphans:
        if holds_nothing(snapshot, path, full) and not is_gone(path, claimed):
            found.append(DiscardPath(path=path, reason=EMPTY, empty=True))
            claimed.add(path)
    return found


def is_gone(path: str, gone: set[str]) -> bool:
    """Whether ``path`` or a folder holding it is in ``gone``."""
    while path:
        if path in gone:
            return True
        path = path.rpartition("/")[0]
    return False


def emptied_folders(
    snapshot: Snapshot, gone: Iterable[str], released: Iterable[str] = ()
) -> list[DiscardPath]:
    """The folders of site-packages that moving ``gone`` away leaves holding nothing else.

    As uv: only folders on the way from a path that goes up to site-packages,
    outermost first (a folder goes whole, with its ``__pycache__``), never
    site-packages itself, never a folder outside it, never a folder holding a
    file that stays, be it a link or anything but bytecode.  Unlike uv, also
    the folders of ``released`` paths (the RECORD rows of a distribution the
    plan removes, there or not): a folder whose files an earlier removal took
    is no one's once that distribution goes.
    """
    taken = set(gone)
    sites = set(snapshot.site_rels)
    inside = tuple(site + "/" for site in sites)
    candidates: set[str] = set()
    for path in (*taken, *released):
        if not path.startswith(inside):
            continue  # bin/, share/: uv leaves those folders too
        parent = path.rpartition("/")[0]
        while parent and parent not in sites and parent not in candidates:
            candidates.add(parent)
            parent = parent.rpartition("/")[0]
    if not candidates:
        return []
    full = full_folders(snapshot, taken)  # folders something that stays lies in
    emptied = {
        folder
        for folder in candidates
        if holds_nothing(snapshot, folder, full)
        and not is_bytecode(folder)
        and not is_gone(folder, taken)
    }
    return [
        DiscardPath(path=folder, reason=EMPTIED, empty=True)
        for folder in sorted(emptied)
        if folder.rpartition("/")[0] not in emptied
    ]


def with_emptied_folders(
    snapshot: Snapshot, actions: Sequence[Action], removed: Iterable[str]
) -> list[Action]:
    """``actions``, then the moves of the folders they leave empty.

    ``removed`` are the metadata folders of the distributions the plan
    removes.  An empty folder that lies in one of those needs no move of its own.
    """
    gone = {path for a in actions if isinstance(a, RemoveDist) for path in a.paths}
    gone.update(a.path for a in actions if isinstance(a, DiscardPath))
    released = (rel for meta in removed for rel, _ in snapshot.owned.get(meta, ()) if rel)
    emptied = emptied_folders(snapshot, gone, released)
    if not emptied:
        return list(actions)
    outer = {a.path for a in emptied}
    kept = [
        a
        for a in actions
        if not (
            isinstance(a, DiscardPath) and a.empty and is_gone(a.path.rpartition("/")[0], outer)
        )
    ]
    return [*kept, *emptied]


def remnants(
    snapshot: Snapshot,
    installs: Sequence[InstallDist],
    installs_into: Mapping[str, frozenset[str]],
    staying: Sequence[InstalledDist],
    staying_owned: frozenset[str],
    gone: set[str],
) -> list[DiscardPath]:
    """Folders, whole, that hold only remnants of a distribution about to be installed.

    ``installs_into`` maps a package to the folders (site-packages relative)
    its wheel puts files in.  Such a folder goes whole when nothing below it
    is owned or claimed by a distribution that stays; a folder shared with
    one (a namespace folder: google/, jaraco/) stays, and only the wheel's own
    subfolders in it are looked at.  Nothing outside the wheel's folders goes.
    """
    if not snapshot.site_rels or not any(installs_into.get(i.package) for i in installs):
        return []
    site = snapshot.site_rels[0]  # purelib: where the install writes
    kept = _kept_folders(staying, staying_owned)
    found: list[DiscardPath] = []
    for install in installs:
        folders = installs_into.get(install.package)
        if not folders:
            continue
        label = f"{install.package} {install.version or ''}".rstrip()
        reason = (
            f"remnants in a folder the {label} wheel installs into, "
            "which no installed distribution owns anything in"
        )
        pending = sorted(folder for folder in folders if "/" not in folder)
        while pending:
            folder = pending.pop(0)
            rel = f"{site}/{folder}"
            entry = snapshot.tree.get(rel)
            if entry is None or entry.kind != DIR or is_gone(rel, gone):
                continue
            if rel in kept:
                below = sorted(f for f in folders if f.rpartition("/")[0] == folder)
                pending[:0] = below
                continue
            found.append(DiscardPath(path=rel, reason=reason))
            gone.add(rel)
    return found


def _kept_folders(staying: Sequence[InstalledDist], staying_owned: frozenset[str]) -> set[str]:
    """Folders holding a file a staying distribution owns, or that one without RECORD claims."""
    kept: set[str] = set()
    for rel in staying_owned:
        parent = rel.rpartition("/")[0]
        while parent and parent not in kept:
            kept.add(parent)
            parent = parent.rpartition("/")[0]
    for dist in staying:
        if dist.record is None:
            names = dist.top_level or (dist.name.replace("-", "_"),)
            kept.update(f"{dist.site_dir}/{name}" for name in names)
    return kept


def needs_wheel_contents(plan: Plan) -> bool:
    """Whether the plan installs something and leaves files no distribution owns.

    Then the folders the wheels install into decide what else goes: ``fix``
    gets the wheels first and plans again with ``installs_into``.
    """
    return any(isinstance(a, InstallDist) for a in plan.actions) and any(
        f.code == "orphan-file" for f in plan.unresolved
    )
