"""A venv against a fresh ``uv sync --frozen`` of the same lock, file for file.

``snapshot`` reads a venv into ``{relative path: description}``: the kind of
each entry and a digest of its content, after the normalisations below, so
that two venvs that hold the same installed files compare equal however they
were made and wherever they are.  ``differences`` lists what differs.

What is never compared, and why:

- ``__pycache__`` folders and ``*.pyc`` files: bytecode.  pip compiles it at
  install time, uv does not, Python writes it at import time; no lock says
  anything about it, and a missing or stale ``.pyc`` is rebuilt from its source.
- At the venv root, ``.lock`` (the empty file uv locks the venv with),
  ``CACHEDIR.TAG`` and ``.gitignore`` (markers uv writes when it creates a venv,
  to keep it out of backups and git): they belong to no distribution, and a
  venv made by ``python -m venv`` has none of them.
- ``.venv-doctor/`` at the venv root: venv-doctor's journal and trash, which
  ``fix`` keeps on purpose so that ``undo`` can take the fix back.

What is compared after normalising, and why:

- The venv's absolute path, inside any file (launcher shebangs, the activate
  scripts, ``pyvenv.cfg``), becomes ``<VENV>``: the fresh sync is made in
  another folder.
- Console-script launchers (a ``#!...python`` file in ``bin/`` that imports an
  entry point and exits with its result) are compared by interpreter and entry
  point only: uv, pip (distlib) and ``installer`` (which venv-doctor installs
  with) each word the same launcher differently, by design.  A launcher cut
  short by a kill matches none of them and is compared byte for byte.
- ``INSTALLER``: by presence only.  It names the tool that installed the
  distribution (``uv``, ``pip``, ``venv-doctor``).
- ``RECORD``: as the set of its rows, with ``.pyc`` rows dropped (pip lists
  them, uv does not), and without hash and size for the rows of ``INSTALLER``,
  ``RECORD`` itself and the scripts folder (their bytes name the installer or
  embed the venv's path; the files themselves are compared on their own).  Row
  order differs between installers.

A venv made by ``python -m venv`` and filled by pip (``made_by_pip``) is
compared with a uv-made one only where both must agree: the files of what
the lock wants.  On top of the above:

- The scaffold of each venv, whatever its maker put there before any package
  was installed, is left out on both sides (``scaffold``, the union of both):
  ``pyvenv.cfg``, the ``python`` links, the activate scripts (each tool writes
  its own set), ``lib64``, ``include/``, uv's ``_virtualenv.py``/``.pth``, and
  pip and setuptools themselves with their launchers.  ``uv sync`` preserves
  pip, setuptools, wheel and uv in a venv it did not make (``uv sync -v`` says
  "Preserving seed package"), so their presence is no difference either.
- ``REQUESTED``: not compared at all.  pip writes it only for what it was asked
  for by name, uv for every distribution; nothing reads it to decide what a
  venv holds.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

Snapshot = dict[str, str]

SKIPPED_AT_ROOT = frozenset({".lock", "CACHEDIR.TAG", ".gitignore", ".venv-doctor"})
VENV = b"<VENV>"

_FROM_IMPORT = re.compile(rb"^from ([\w.]+) import ([\w.]+)$")
_EXIT_CALL = re.compile(rb"^\s*sys\.exit\(([\w.]+)\(\)\)$")
_PYTHON_NAME = re.compile(rb"/python[0-9.]*$")


def _is_bytecode(rel: str) -> bool:
    return "__pycache__" in rel.split("/") or rel.endswith(".pyc")


def launcher(content: bytes) -> str | None:
    """``launcher <interpreter> <module>:<attr>`` for a console-script launcher, else None.

    Accepts the wordings of uv, pip (distlib) and installer: a ``#!`` line
    naming a Python, ``from MODULE import ATTR``, and ``sys.exit(ATTR())`` as
    the last line, the whole being valid Python.
    """
    lines = content.rstrip(b"\n").split(b"\n")
    if len(lines) < 3 or not lines[0].startswith(b"#!"):
        return None
    interpreter = lines[0][2:].strip()
    if b"python" not in interpreter:
        return None
    imports = [match for line in lines if (match := _FROM_IMPORT.match(line))]
    call = _EXIT_CALL.match(lines[-1])
    if len(imports) != 1 or call is None or call[1] != imports[0][2]:
        return None
    try:
        compile(b"\n".join(lines[1:]), "<launcher>", "exec")
    except (SyntaxError, ValueError):
        return None
    interpreter = _PYTHON_NAME.sub(b"/python", interpreter)
    module, attr = imports[0][1], imports[0][2]
    return f"launcher {interpreter.decode()} {module.decode()}:{attr.decode()}"


def record_rows(content: bytes, *, made_by_pip: bool = False) -> list[str] | None:
    """The rows of a RECORD, normalised as the module says; None when it is not CSV text."""
    try:
        rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error):
        return None
    normalised = []
    for row in rows:
        if not row:
            continue
        path, digest, size = (*row, "", "")[:3]
        if _is_bytecode(path):
            continue
        top, _, rest = path.partition("/")
        in_dist_info = top.endswith(".dist-info") and "/" not in rest
        if made_by_pip and in_dist_info and rest == "REQUESTED":
            continue
        if path.startswith("../../../bin/") or (in_dist_info and rest in {"INSTALLER", "RECORD"}):
            digest = size = ""
        normalised.append(f"{path},{digest},{size}")
    return sorted(normalised)


def _describe_file(path: str, rel: str, venv_bytes: bytes, *, made_by_pip: bool) -> str | None:
    info = os.lstat(path)
    executable = "exec " if info.st_mode & 0o111 else ""
    with open(path, "rb") as handle:
        content = handle.read().replace(venv_bytes, VENV)
    parts = rel.split("/")
    in_dist_info = len(parts) >= 2 and parts[-2].endswith(".dist-info")
    if in_dist_info and parts[-1] == "INSTALLER":
        return f"{executable}installer-file"
    if in_dist_info and parts[-1] == "REQUESTED" and made_by_pip:
        return None
    if in_dist_info and parts[-1] == "RECORD":
        rows = record_rows(content, made_by_pip=made_by_pip)
        if rows is not None:
            return f"{executable}record\n" + "\n".join(rows)
    if parts[0] == "bin" and len(parts) == 2:
        found = launcher(content)
        if found is not None:
            return executable + found
    return f"{executable}file {hashlib.sha256(content).hexdigest()}"


def snapshot(venv: Path, *, made_by_pip: bool = False) -> Snapshot:
    """Every entry of ``venv`` with a normalised description of its kind and content."""
    root = os.fspath(venv)
    venv_bytes = os.fsencode(root)
    entries: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        if rel_folder == ".":
            dirs[:] = [name for name in dirs if name not in SKIPPED_AT_ROOT]
            files = [name for name in files if name not in SKIPPED_AT_ROOT]  # noqa: PLW2901
        dirs[:] = [name for name in dirs if name != "__pycache__"]
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)
            rel = name if rel_folder == "." else f"{rel_folder}/{name}"
            if _is_bytecode(rel):
                continue
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                target = os.fsencode(os.readlink(path)).replace(venv_bytes, VENV)
                entries[rel] = f"symlink {target.decode(errors='replace')}"
            elif stat.S_ISDIR(mode):
                entries[rel] = "dir"
            elif stat.S_ISREG(mode):
                described = _describe_file(path, rel, venv_bytes, made_by_pip=made_by_pip)
                if described is not None:
                    entries[rel] = described
            else:
                entries[rel] = "other"
    return entries


def owned_paths(venv: Path) -> set[str]:
    """The venv-relative paths that some RECORD lists, with every folder above them."""
    owned: set[str] = set()
    (site,) = (venv / "lib").glob("python*/site-packages")
    site_rel = site.relative_to(venv).as_posix()
    for record in site.glob("*.dist-info/RECORD"):
        rows = record_rows(record.read_bytes()) or []
        for row in rows:
            path = os.path.normpath(f"{site_rel}/{row.rsplit(',', 2)[0]}")
            while path not in {"", "."}:
                owned.add(path)
                path = os.path.dirname(path)
    return owned


def without(entries: Mapping[str, str], scaffold: Iterable[str]) -> Snapshot:
    """``entries`` less the paths of ``scaffold``."""
    left_out = set(scaffold)
    return {path: kind for path, kind in entries.items() if path not in left_out}


def _short(description: str) -> str:
    first, _, rest = description.partition("\n")
    if first.endswith("record"):
        return f"{first} ({len(rest.splitlines())} rows)"
    return re.sub(r"\b([0-9a-f]{12})[0-9a-f]{52}\b", r"\1", first)


def _ancestors(path: str) -> Iterable[str]:
    parts = path.split("/")
    return ("/".join(parts[:end]) for end in range(1, len(parts)))


def _is_record(description: str) -> bool:
    return description.split("\n", 1)[0] in {"record", "exec record"}


def differences(actual: Mapping[str, str], expected: Mapping[str, str]) -> list[str]:
    """What ``actual`` has that ``expected`` lacks (``+``), lacks (``-``), holds otherwise (``~``).

    A folder found on one side only stands for everything under it, which is
    counted rather than listed; RECORD files that differ show the rows that do.
    """
    lines: list[str] = []
    folders: dict[tuple[str, str], int] = {}  # (sign, folder) -> index of its line
    counts: dict[int, int] = {}
    for path in sorted(actual.keys() | expected.keys()):
        mine, theirs = actual.get(path), expected.get(path)
        if mine == theirs:
            continue
        if mine is not None and theirs is not None:
            lines.append(f"~ {path}: {_short(mine)}, wanted {_short(theirs)}")
            if _is_record(mine) and _is_record(theirs):
                mine_rows = set(mine.splitlines()[1:])
                their_rows = set(theirs.splitlines()[1:])
                lines.extend(f"    + {row}" for row in sorted(mine_rows - their_rows))
                lines.extend(f"    - {row}" for row in sorted(their_rows - mine_rows))
            continue
        sign, description = ("+", mine) if theirs is None else ("-", theirs)
        assert description is not None
        folder = next((f for f in _ancestors(path) if (sign, f) in folders), None)
        if folder is not None:
            index = folders[sign, folder]
            counts[index] = counts.get(index, 0) + 1
            continue
        if description == "dir":
            folders[sign, path] = len(lines)
        lines.append(f"{sign} {path}  ({_short(description)})")
    for index, count in counts.items():
        lines[index] += f" and {count} entries under it"
    return lines


def leftovers(venv: Path) -> dict[str, Any]:
    """In brief, what a killed installer left: each dist-info's files, and temporary names.

    ``dist-info`` maps each metadata folder to its files and their sizes;
    ``temporary`` lists entries of site-packages and ``bin/`` named like
    uv's temporary files (``.tmpXXXXXX``) or pip's stash (``~name``).
    """
    (site,) = (venv / "lib").glob("python*/site-packages")
    dist_infos = {
        folder.name: {
            path.name: path.stat().st_size if path.is_file() else "dir"
            for path in sorted(folder.iterdir())
        }
        for folder in sorted(site.glob("*.dist-info"))
    }
    temporary = []
    for top in (site, venv / "bin"):
        for folder, dirs, files in os.walk(top):
            dirs[:] = [name for name in dirs if name != "__pycache__"]
            temporary += [
                Path(folder, name).relative_to(venv).as_posix()
                for name in dirs + files
                if name.startswith((".tmp", "~"))
            ]
    return {"dist-info": dist_infos, "temporary": sorted(temporary)}
