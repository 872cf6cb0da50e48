"""Carry out a plan inside a transaction: every change through it, nothing in place.

The transaction journals each step before it happens and rolls everything
back when one fails, so this module only has to say what to do, in order.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from venv_doctor.apply.destination import Installed, install_wheel
from venv_doctor.apply.transaction import Transaction
from venv_doctor.lockfiles.wanted import Source
from venv_doctor.plan.actions import (
    DiscardPath,
    InstallDist,
    Plan,
    RemoveDist,
    Repoint,
    RewriteFile,
)
from venv_doctor.plan.relocate import record_hash, rewrite_paths, update_record
from venv_doctor.read.layout import parse_pyvenv_cfg
from venv_doctor.read.readfile import read_regular
from venv_doctor.read.snapshot import Snapshot
from venv_doctor.words import counted

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

INSTALLER_NAME = b"venv-doctor\n"

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseInterpreter:
    """A base interpreter to re-point a venv to, as probed by the caller."""

    executable: str
    home: str  # the folder holding it (pyvenv.cfg "home")
    prefix: str
    version: str  # full version, e.g. 3.11.7


def execute(
    plan: Plan,
    txn: Transaction,
    *,
    snapshot: Snapshot,
    wheels: Mapping[str, Path],
    base: BaseInterpreter | None = None,
    progress: Progress | None = None,
) -> None:
    """Apply every action of ``plan`` in ``txn``, in order."""
    layout = snapshot.layout
    record_updates: dict[str, dict[str, tuple[str, int]]] = defaultdict(dict)
    for action in plan.actions:
        if progress is not None:
            progress(_describe(action))
        if isinstance(action, Repoint):
            if base is None:
                raise ValueError("a Repoint action needs the probed base interpreter")
            _repoint(txn, snapshot, base)
        elif isinstance(action, RemoveDist):
            txn.remove_all(action.paths, missing_ok=True)
        elif isinstance(action, DiscardPath):
            txn.remove(action.path, missing_ok=True)
        elif isinstance(action, InstallDist):
            installed = install_wheel(
                txn,
                wheels[action.package],
                layout=layout,
                additional_metadata=_metadata_files(action),
                overwrite_existing=True,
            )
            if progress is not None:
                for line in _install_notes(action, installed):
                    progress(line)
        else:
            _rewrite(txn, snapshot, action, record_updates)
    for owner, updates in record_updates.items():
        record = f"{owner}/RECORD"
        text = read_regular(os.path.join(layout.root, record)).decode("utf-8", "surrogateescape")
        txn.replace(record, data=update_record(text, updates).encode("utf-8", "surrogateescape"))


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


def _describe(action: object) -> str:
    if isinstance(action, RemoveDist):
        return f"removing {action.package} {action.version or ''}".rstrip()
    if isinstance(action, InstallDist):
        return f"installing {action.package} {action.version or ''}".rstrip()
    if isinstance(action, DiscardPath):
        return f"moving {action.path} to the trash"
    if isinstance(action, RewriteFile):
        return f"rewriting {action.path}"
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
        freshness = uv_cache_info(wanted.source)
        if freshness is not None:
            files["uv_cache.json"] = json.dumps(freshness, separators=(",", ":")).encode()
    return files


# uv's default cache keys for a local project: the newest change of these
# files, and the modification time of these folders (files added or removed).
_UV_KEY_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
_UV_KEY_FOLDERS = ("src",)


def uv_cache_info(source: Source) -> dict[str, Any] | None:
    """What uv records in ``uv_cache.json`` for an install from a local file or folder.

    uv reinstalls a local source whose install has no such record, or one
    that differs from the source as it is now, so without it ``uv sync
    --check`` calls a repaired venv outdated.  Written as uv 0.13 writes it
    for its default cache keys (ctime on POSIX, as uv); ``None`` for other
    sources and for projects that set their own ``tool.uv.cache-keys``.
    """
    if source.path is None:
        return None
    if source.kind == "path":
        try:
            info = os.stat(source.path)
        except OSError:
            return None
        return _uv_record(_uv_change_time(info), {})
    if source.kind not in {"directory", "editable"} or _own_cache_keys(source.path):
        return None
    newest: int | None = None
    for name in _UV_KEY_FILES:
        try:
            info = os.stat(os.path.join(source.path, name))
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            newest = max(newest or 0, _uv_change_time(info))
    folders: dict[str, Any] = {}
    for name in _UV_KEY_FOLDERS:
        try:
            info = os.stat(os.path.join(source.path, name))
        except OSError:
            folders[name] = None
            continue
        folders[name] = _uv_time(info.st_mtime_ns) if stat.S_ISDIR(info.st_mode) else None
    return _uv_record(newest, folders)


def _uv_change_time(info: os.stat_result) -> int:
    return info.st_ctime_ns if os.name == "posix" else info.st_mtime_ns


def _uv_time(ns: int | None) -> dict[str, int] | None:
    if ns is None:
        return None
    return {"secs_since_epoch": ns // 1_000_000_000, "nanos_since_epoch": ns % 1_000_000_000}


def _uv_record(timestamp: int | None, folders: dict[str, Any]) -> dict[str, Any]:
    return {
        "timestamp": _uv_time(timestamp),
        "commit": None,
        "tags": None,
        "env": {},
        "directories": folders,
    }


def _own_cache_keys(project: str) -> bool:
    """Whether the project sets ``tool.uv.cache-keys`` (or its pyproject.toml cannot be read)."""
    try:
        text = read_regular(os.path.join(project, "pyproject.toml")).decode("utf-8")
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError):
        return True
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return True
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    return isinstance(uv, dict) and "cache-keys" in uv


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
