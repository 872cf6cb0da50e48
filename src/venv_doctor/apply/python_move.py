"""The steps of a ``MovePython`` action: the venv runs on another Python from now on.

Every change goes through the transaction: the files that stay are copied
into the new site-packages (their old copies go to the trash with the old
``lib/pythonX.Y``), the ``python`` links are made anew, and ``undo`` puts
all of it back as it was.  ``execute`` writes ``pyvenv.cfg``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from pathlib import Path

from venv_doctor.apply.transaction import Transaction
from venv_doctor.plan.actions import MovePython
from venv_doctor.read.layout import VenvLayout
from venv_doctor.read.readfile import read_regular


def moved_layout(layout: VenvLayout, action: MovePython) -> VenvLayout:
    """The layout of the venv once ``action`` is done: installs go into the new site-packages."""
    return dataclasses.replace(
        layout,
        version=action.new_version.removesuffix("t"),
        site_packages=(layout.root / action.new_site,),
    )


def carry(txn: Transaction, root: Path, pairs: tuple[tuple[str, str], ...]) -> None:
    """Copy each (old, new) file or link; the old one goes with its folder later."""
    for old, new in pairs:
        path = os.path.join(root, old)
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            txn.symlink(new, os.readlink(path))
        elif stat.S_ISREG(info.st_mode):
            # O_NOFOLLOW: the file checked above, never what a link put there since leads to.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as handle:
                txn.create(new, stream=handle, mode=stat.S_IMODE(info.st_mode))


def move_links(txn: Transaction, layout: VenvLayout, action: MovePython, executable: str) -> None:
    """``bin/python*`` for the new version, made the way the venv's creator made them.

    ``python -m venv`` links ``python`` and ``python3`` to ``python3.11``,
    which links to the base interpreter; uv and virtualenv link ``python``
    to the base interpreter and the others to ``python``.  A link to the old
    ``pythonX.Y`` follows it to the new name, an absolute link goes to the
    new interpreter, a copy (``venv --copies``) becomes a copy of it.
    """
    scripts = layout.relative(layout.scripts)
    old_name, new_name = f"python{action.old_version}", f"python{action.new_version}"
    new_rel = f"{scripts}/{new_name}"
    old_rel = f"{scripts}/{old_name}"
    old_path = os.path.join(layout.root, old_rel)
    if os.path.lexists(old_path):
        _remake(txn, old_path, new_rel, executable, old_name, new_name, new=True)
        txn.remove(old_rel)
    for name in ("python", "python3"):
        rel = f"{scripts}/{name}"
        path = os.path.join(layout.root, rel)
        if os.path.lexists(path):
            _remake(txn, path, rel, executable, old_name, new_name, new=False)
        elif name == "python":
            txn.symlink(rel, executable)
    include = f"include/{old_name}"
    folder = os.path.join(layout.root, include)
    # python -m venv makes an empty include/python3.11: a fresh venv's is include/python3.12.
    if os.path.isdir(folder) and not os.path.islink(folder) and not os.listdir(folder):
        txn.remove(include)
        txn.mkdir(f"include/{new_name}")


def rewrite_activations(txn: Transaction, root: Path, action: MovePython) -> None:
    """Activate scripts that name ``lib/python3.11/site-packages`` name the new folder.

    uv's and virtualenv's ``activate_this.py`` put that folder on ``sys.path``.
    """
    old = f"/lib/python{action.old_version}/site-packages".encode()
    new = f"/lib/python{action.new_version}/site-packages".encode()
    for rel in action.activations:
        path = os.path.join(root, rel)
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            continue
        data = read_regular(path)
        if old in data:
            txn.replace(rel, data=data.replace(old, new), mode=stat.S_IMODE(info.st_mode))


def _remake(
    txn: Transaction,
    path: str,
    rel: str,
    executable: str,
    old_name: str,
    new_name: str,
    *,
    new: bool,
) -> None:
    """Make ``rel`` what ``path`` (a python link or copy) is, for the new interpreter.

    ``new``: ``rel`` is the new ``pythonX.Y``, made after the old one.
    """
    if os.path.islink(path):
        target = os.readlink(path)
        if os.path.isabs(target):
            txn.symlink(rel, executable)
        elif target == old_name:
            txn.symlink(rel, new_name)
        elif new:
            txn.symlink(rel, target)  # python3.12 -> python, as uv and virtualenv link it
        return
    if os.path.isfile(path):
        fd = os.open(executable, os.O_RDONLY)
        with os.fdopen(fd, "rb") as handle:
            txn.create(rel, stream=handle, mode=0o755)


def moved_cfg(text: str, action: MovePython, executable: str, *, version_info: str) -> str:
    """``pyvenv.cfg`` text (already re-pointed) with the keys that name the old X.Y updated.

    virtualenv's ``python-version = 3.11`` and ``version_info = 3.11.7.final.0``,
    and the ``command`` ``python -m venv`` wrote, which names the interpreter
    that made the venv.
    """
    new = action.new_version.removesuffix("t")
    updates = {"version_info": version_info, "python-version": new}
    lines: list[str] = []
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        name = key.strip().lower()
        if sep and name in updates:
            lines.append(f"{key.strip()} = {updates[name]}")
        elif sep and name == "command" and " -m venv " in value:
            rest = value.split(" -m venv ", 1)[1]
            lines.append(f"{key.strip()} = {executable} -m venv {rest}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def version_info_like(old: str | None, full: str, release: str) -> str:
    """``full`` (3.12.1) written the way ``old`` was: virtualenv adds ``.final.0``.

    ``release`` is the new interpreter's release level and serial (``final.0``).
    """
    if old is not None and re.fullmatch(r"\d+\.\d+\.\d+\.\w+\.\d+", old.strip()):
        return f"{full}.{release}"
    return full
