"""Carry out a plan inside a transaction: every change through it, nothing in place.

The transaction journals each step before it happens and rolls everything
back when one fails, so this module only has to say what to do, in order.
"""

from __future__ import annotations

import json
import os
import stat
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from venv_doctor.apply.freshness import local_source, write_cache_info
from venv_doctor.apply.python_move import (
    carry,
    move_links,
    moved_cfg,
    moved_layout,
    rewrite_activations,
    version_info_like,
)
from venv_doctor.apply.restore import restore_files
from venv_doctor.apply.transaction import Transaction
from venv_doctor.lockfiles.wanted import Source
from venv_doctor.plan.actions import (
    DiscardPath,
    InstallDist,
    MovePython,
    Plan,
    RemoveDist,
    Repoint,
    RewriteFile,
)
from venv_doctor.plan.relocate import record_hash, rewrite_paths, update_record
from venv_doctor.read.layout import VenvLayout, parse_pyvenv_cfg
from venv_doctor.read.readfile import read_regular
from venv_doctor.read.records import is_bytecode
from venv_doctor.read.snapshot import Snapshot
from venv_doctor.read.uv_cache import unpacked_wheels
from venv_doctor.words import counted

if TYPE_CHECKING:
    from venv_doctor.apply.destination import Installed

INSTALLER_NAME = b"venv-doctor\n"

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseInterpreter:
    """A base interpreter to re-point a venv to, as probed by the caller."""

    executable: str
    home: str  # the folder holding it (pyvenv.cfg "home")
    prefix: str
    version: str  # full version, e.g. 3.11.7
    release: str = "final.0"  # release level and serial, as sys.version_info has them
    free_threaded: bool = False  # a build without the GIL (python3.13t)


def execute(
    plan: Plan,
    txn: Transaction,
    *,
    snapshot: Snapshot,
    wheels: Mapping[str, Path],
    base: BaseInterpreter | None = None,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Apply every action of ``plan`` in ``txn``, in order.

    ``environ`` is the environment uv would run in (``os.environ`` when not
    given): the cache info of local projects is computed in it.
    """
    layout = snapshot.layout
    environ = os.environ if environ is None else environ
    unpacked = _uv_links(snapshot, environ)
    record_updates: dict[str, dict[str, tuple[str, int]]] = defaultdict(dict)
    for action in plan.actions:
        if progress is not None:
            progress(_describe(action))
        if isinstance(action, (Repoint, MovePython)):
            layout = _rebase(txn, snapshot, action, base, layout)
        elif isinstance(action, RemoveDist):
            txn.remove_all(action.paths, missing_ok=True)
        elif isinstance(action, DiscardPath):
            if not action.empty or _holds_nothing(txn, action.path):
                txn.remove(action.path, missing_ok=True)
        elif isinstance(action, InstallDist):
            _install(txn, action, snapshot, wheels[action.package], layout, unpacked, progress)
        else:
            _rewrite(txn, snapshot, action, record_updates)
    for owner, updates in record_updates.items():
        record = f"{owner}/RECORD"
        text = read_regular(os.path.join(layout.root, record)).decode("utf-8", "surrogateescape")
        txn.replace(record, data=update_record(text, updates).encode("utf-8", "surrogateescape"))
    # Last of all, once nothing else will change: what uv would record for each
    # local project now (uv rebuilds a project whose record differs).
    _write_cache_infos(txn, plan, wheels, layout, environ)


def _install(
    txn: Transaction,
    action: InstallDist,
    snapshot: Snapshot,
    wheel: Path,
    layout: VenvLayout,
    unpacked: Callable[[str, bytes], str | None] | None,
    progress: Progress | None,
) -> None:
    """Install ``wheel`` whole, or put back only the files ``action.restore`` names."""
    if action.restore and action.meta_dir is not None:
        if restore_files(
            txn,
            wheel,
            meta_dir=action.meta_dir,
            paths=action.restore,
            owned=snapshot.owned.get(action.meta_dir, ()),
            unpacked=unpacked,
        ):
            return
        if progress is not None:
            progress(
                f"{action.package}'s wheel does not list {action.restore[0]} as the installed "
                "RECORD does (another build of that version): reinstalling it whole"
            )
        txn.remove_all(action.fallback, missing_ok=True)
    # installer (and the email parser it loads) only when a wheel goes in whole.
    from venv_doctor.apply.destination import install_wheel

    installed = install_wheel(
        txn,
        wheel,
        layout=layout,
        additional_metadata=_metadata_files(action),
        overwrite_existing=True,
        unpacked=unpacked,
    )
    if progress is not None:
        for line in _install_notes(action, installed):
            progress(line)


def _uv_links(
    snapshot: Snapshot, environ: Mapping[str, str]
) -> Callable[[str, bytes], str | None] | None:
    """Where to find wheels to link from, in a venv uv fills with hard links into its cache.

    uv uses one link mode for a whole sync: where the check proved that
    installed files are hard links into uv's cache, a fresh ``uv sync`` would
    link the reinstalled files too, and so does the fix (unless
    ``UV_LINK_MODE`` says uv now copies, clones or symlinks).  Anywhere else
    files are written anew.
    """
    cache = snapshot.cache
    if not cache.confirmed or cache.cache_dir is None:
        return None
    if environ.get("UV_LINK_MODE", "hardlink") not in {"", "hardlink"}:
        return None
    return unpacked_wheels(cache.cache_dir)


def _write_cache_infos(
    txn: Transaction,
    plan: Plan,
    wheels: Mapping[str, Path],
    layout: VenvLayout,
    environ: Mapping[str, str],
) -> None:
    for action in plan.actions:
        if not isinstance(action, InstallDist):
            continue
        source = local_source(action)
        if source is not None:
            from venv_doctor.apply.destination import dist_info_path

            meta_dir = dist_info_path(wheels[action.package], layout)
            write_cache_info(
                txn, root=layout.root, meta_dir=meta_dir, source=source, environ=environ
            )


def _install_notes(action: InstallDist, installed: Installed) -> list[str]:
    notes = []
    paths = installed.left_out
    if paths:
        bytecode = sum(1 for path in paths if path.endswith((".pyc", ".pyo")))
        what = counted(bytecode, "bytecode file") if bytecode == len(paths) else None
        notes.append(
            f"left out {what or counted(len(paths), 'file')} that {action.package}'s wheel "
            f"ships in __pycache__ folders (installers refuse them; Python writes its own), "
            f"e.g. {paths[0]}"
        )
    wrong = installed.wrong_record
    if wrong:
        notes.append(
            f"{action.package}'s wheel lists wrong hashes in its RECORD for "
            f"{counted(len(wrong), 'file')} (a fault of the wheel, e.g. {wrong[0]}): installed "
            "as the wheel holds them, as uv and pip do; the RECORD written has their real hashes"
        )
    return notes


def _holds_nothing(txn: Transaction, rel: str) -> bool:
    """Whether ``rel`` is a folder with nothing below it but folders and bytecode, now.

    What the plan took for an empty package folder is checked again on disk
    just before it goes: a file put there since keeps it in place.
    """
    top = txn.path(rel).path
    try:
        if not stat.S_ISDIR(os.lstat(top).st_mode):
            return False
    except FileNotFoundError:
        return False
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(folder, name)
            if os.path.islink(path) or (
                name in files and not is_bytecode(os.path.relpath(path, top).replace(os.sep, "/"))
            ):
                return False
    return True


def _describe(action: object) -> str:
    if isinstance(action, (RemoveDist, InstallDist)):
        label = f"{action.package} {action.version or ''}".rstrip()
        if isinstance(action, RemoveDist):
            verb = "removing"
        elif action.restore:
            verb = f"putting back {counted(len(action.restore), 'file')} of"
        else:
            verb = "installing"
        return f"{verb} {label}"
    if isinstance(action, DiscardPath):
        return f"moving {action.path} to the trash"
    if isinstance(action, RewriteFile):
        return f"rewriting {action.path}"
    if isinstance(action, MovePython):
        return f"moving the venv to Python {action.new_version}"
    return "re-pointing the base interpreter"


def _metadata_files(action: InstallDist) -> dict[str, bytes]:
    files = {"INSTALLER": INSTALLER_NAME}
    if action.requested:
        files["REQUESTED"] = b""
    wanted = action.wanted
    if wanted is not None:
        direct = direct_url(wanted.source)
        if direct is not None:
            files["direct_url.json"] = json.dumps(direct, separators=(",", ":")).encode()
    return files


def direct_url(source: Source) -> dict[str, Any] | None:
    """The PEP 610 ``direct_url.json`` an install from ``source`` records (None: registry)."""
    if source.kind in {"registry", "unknown"}:
        return None
    if source.kind in {"editable", "directory", "virtual"} and source.path:
        # uv tells a non-editable folder install by an explicit "editable": false;
        # without it uv sync sees an install of another kind and reinstalls.
        info = {"editable": source.kind == "editable"}
        return {"url": Path(source.path).as_uri(), "dir_info": info}
    if source.kind == "path" and source.path:
        return {"url": Path(source.path).as_uri(), "archive_info": {}}
    if source.kind == "git" and source.url:
        vcs: dict[str, Any] = {"vcs": "git", "commit_id": source.commit or ""}
        if source.requested_revision:
            vcs["requested_revision"] = source.requested_revision
        found: dict[str, Any] = {"url": source.url, "vcs_info": vcs}
    elif source.url:
        found = {"url": source.url, "archive_info": {}}
    else:
        return None
    if source.subdirectory:
        found["subdirectory"] = source.subdirectory
    return found


def _rewrite(
    txn: Transaction,
    snapshot: Snapshot,
    action: RewriteFile,
    record_updates: dict[str, dict[str, tuple[str, int]]],
) -> None:
    path = os.path.join(snapshot.layout.root, action.path)
    data = read_regular(path)
    new = rewrite_paths(data, action.replacements)
    if new == data:
        return
    mode = stat.S_IMODE(os.lstat(path).st_mode)
    txn.replace(action.path, data=new, mode=mode)
    if action.owner is not None:
        for rel, row in snapshot.owned.get(action.owner, ()):
            if rel == action.path and row.hash_algo is not None:
                record_updates[action.owner][row.path] = (record_hash(new), len(new))


def _repoint(txn: Transaction, snapshot: Snapshot, base: BaseInterpreter) -> None:
    layout = snapshot.layout
    cfg_path = os.path.join(layout.root, "pyvenv.cfg")
    try:
        text = read_regular(cfg_path).decode("utf-8", "replace")
    except FileNotFoundError:
        text = ""
    txn.create("pyvenv.cfg", data=repointed_cfg(text, base).encode())
    for name in ("python", "python3", f"python{layout.version}"):
        rel = f"{snapshot.scripts_rel}/{name}"
        link = os.path.join(layout.root, rel)
        if os.path.islink(link):
            target = os.readlink(link)
            if os.path.isabs(target) or not os.path.exists(link):
                txn.symlink(rel, base.executable)
        elif name == "python" and not os.path.lexists(link):
            txn.symlink(rel, base.executable)


def _rebase(
    txn: Transaction,
    snapshot: Snapshot,
    action: Repoint | MovePython,
    base: BaseInterpreter | None,
    layout: VenvLayout,
) -> VenvLayout:
    """Point the venv at ``base``; the layout the actions after this one work in."""
    if base is None:
        raise ValueError(f"a {type(action).__name__} action needs the probed base interpreter")
    if isinstance(action, Repoint):
        _repoint(txn, snapshot, base)
        return layout
    _move(txn, snapshot, action, base)
    # From here on the venv is the new Python's: installs go into its site-packages.
    return moved_layout(layout, action)


def _move(txn: Transaction, snapshot: Snapshot, action: MovePython, base: BaseInterpreter) -> None:
    layout = snapshot.layout
    txn.mkdir(action.new_site)
    carry(txn, layout.root, action.carried)
    cfg_path = os.path.join(layout.root, "pyvenv.cfg")
    try:
        text = read_regular(cfg_path).decode("utf-8", "replace")
    except FileNotFoundError:
        text = ""
    old_info = parse_pyvenv_cfg(text).get("version_info")
    info = version_info_like(old_info, base.version, base.release)
    new = moved_cfg(repointed_cfg(text, base), action, base.executable, version_info=info)
    txn.create("pyvenv.cfg", data=new.encode())
    move_links(txn, layout, action, base.executable)
    rewrite_activations(txn, layout.root, action)
    txn.remove_all(action.old_libs)


def repointed_cfg(text: str, base: BaseInterpreter) -> str:
    """pyvenv.cfg text with the base interpreter's keys pointing at ``base``."""
    cfg = parse_pyvenv_cfg(text)
    updates = {
        "home": base.home,
        "executable": base.executable,
        "base-executable": base.executable,
        "base-prefix": base.prefix,
        "base-exec-prefix": base.prefix,
        "version": base.version,
        "version_info": base.version,
    }
    lines: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        key, sep, _value = line.partition("=")
        name = key.strip().lower()
        if sep and name in updates:
            seen.add(name)
            lines.append(f"{key.strip()} = {updates[name]}")
        else:
            lines.append(line)
    if "home" not in cfg:
        lines.insert(0, f"home = {base.home}")
    if not cfg:
        lines.append("include-system-site-packages = false")
        lines.append(f"version = {base.version}")
    return "\n".join(lines) + "\n"
