"""What the venv's files say about other places: launchers' shebangs, activate scripts,
editable pointers, and the interpreter ``pyvenv.cfg`` names."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping

from venv_doctor.read.editables import file_url_path, finder_mapping, is_editable_finder, pth_paths
from venv_doctor.read.installed import (
    InstalledDist,
    Unreadable,
)
from venv_doctor.read.layout import VenvLayout, is_venv_own_script
from venv_doctor.read.readfile import read_regular
from venv_doctor.read.snapshot import (
    FILE,
    EditablePointer,
    Entry,
    InterpreterFacts,
    OwnedFile,
)


def read_shebangs(
    layout: VenvLayout, tree: Mapping[str, Entry], scripts_rel: str, unreadable: list[Unreadable]
) -> dict[str, str]:
    """The interpreter each script in the scripts folder names, when it names one."""
    from venv_doctor.read.shebang import interpreter_of_exe, interpreter_of_script

    found: dict[str, str] = {}
    prefix = scripts_rel + "/"
    for rel, entry in tree.items():
        if entry.kind != FILE or not rel.startswith(prefix) or "/" in rel[len(prefix) :]:
            continue
        name = rel[len(prefix) :]
        if is_venv_own_script(name):
            continue
        path = os.path.join(layout.root, rel)
        try:
            if name.lower().endswith(".exe"):
                # A launcher is a small stub with the shebang and a zip appended.
                interpreter = interpreter_of_exe(read_regular(path, 1024 * 1024)[-65536:])
            else:
                interpreter = interpreter_of_script(read_regular(path, 1024))
        except OSError as exc:
            unreadable.append(Unreadable(path=rel, reason=exc.strerror or str(exc)))
            continue
        if interpreter is not None:
            found[rel] = interpreter
    return found


def read_activations(
    layout: VenvLayout, tree: Mapping[str, Entry], scripts_rel: str, unreadable: list[Unreadable]
) -> dict[str, str]:
    """The venv folder each activate script of the scripts folder names, when it names one.

    Only regular files directly in the scripts folder are read, and never
    through a link: not when the scripts folder itself is one.
    """
    from venv_doctor.read.activation import is_activate_script, venv_of_activate_script

    found: dict[str, str] = {}
    if os.path.islink(layout.scripts):
        return found
    prefix = scripts_rel + "/"
    for rel, entry in tree.items():
        name = rel[len(prefix) :]
        if entry.kind != FILE or not rel.startswith(prefix) or "/" in name:
            continue
        if not is_activate_script(name):
            continue
        try:
            data = read_regular(os.path.join(layout.root, rel), 1024 * 1024, follow=False)
        except OSError as exc:
            unreadable.append(Unreadable(path=rel, reason=exc.strerror or str(exc)))
            continue
        venv = venv_of_activate_script(name, data.decode("utf-8", "surrogateescape"))
        if venv is not None:
            found[rel] = venv
    return found


def flagless_digests(
    layout: VenvLayout,
    owned: Iterable[tuple[OwnedFile, ...]],
    tree: Mapping[str, Entry],
    scripts_rel: str,
) -> dict[str, tuple[int, str]]:
    """Size and digest of each RECORD-listed script whose shebang adds interpreter flags.

    Only scripts whose size is not RECORD's (or RECORD gives none) are read:
    the flags make a script longer.  The digest is of the script with its
    first line cut to ``#!<interpreter>``, in the RECORD's algorithm.
    """
    import base64
    import hashlib

    from venv_doctor.read.hashing import available
    from venv_doctor.read.shebang import without_interpreter_flags

    found: dict[str, tuple[int, str]] = {}
    prefix = scripts_rel + "/"
    for files in owned:
        for rel, row in files:
            if rel is None or not rel.startswith(prefix) or "/" in rel[len(prefix) :]:
                continue
            algo = row.hash_algo
            entry = tree.get(rel)
            if algo is None or not available(algo) or entry is None or entry.kind != FILE:
                continue
            if entry.size == row.size or entry.size > 1024 * 1024 or rel in found:
                continue
            try:
                data = read_regular(os.path.join(layout.root, rel), 1024 * 1024, follow=False)
            except OSError:
                continue  # file-modified all the same
            flagless = without_interpreter_flags(data)
            if flagless is not None:
                digest = hashlib.new(algo, flagless).digest()
                text = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
                found[rel] = (len(flagless), text)
    return found


def editable_pointers(
    layout: VenvLayout,
    dists: Iterable[InstalledDist],
    tree: Mapping[str, Entry],
    unreadable: list[Unreadable],
) -> list[EditablePointer]:
    pointers: list[EditablePointer] = []
    site_rels = {layout.relative(site): site for site in layout.site_packages}
    for rel, entry in tree.items():
        parent, _, name = rel.rpartition("/")
        site = site_rels.get(parent)
        if site is None or entry.kind != FILE:
            continue
        kind = (
            "pth"
            if name.endswith(".pth")
            else "finder"
            if is_editable_finder(name)
            else "egg-link"
            if name.endswith(".egg-link")
            else None
        )
        if kind is None:
            continue
        try:
            text = read_regular(str(site / name), 1024 * 1024).decode("utf-8", "replace")
        except OSError as exc:
            unreadable.append(Unreadable(path=rel, reason=exc.strerror or str(exc)))
            continue
        if kind == "pth":
            targets = pth_paths(text)
        elif kind == "finder":
            targets = list(finder_mapping(text).values())
        else:
            targets = pth_paths(text)[:1]
        for target in targets:
            full = target if os.path.isabs(target) else os.path.join(site, target)
            pointers.append(
                EditablePointer(source=rel, kind=kind, target=target, exists=os.path.exists(full))
            )
    for dist in dists:
        url = dist.editable_url
        local = file_url_path(url) if url else None
        if local is None:
            continue
        source = f"{dist.meta_dir}/direct_url.json"
        checkable = not layout.windows or sys.platform == "win32"
        pointers.append(
            EditablePointer(
                source=source,
                kind="direct_url",
                target=local,
                exists=os.path.isdir(local) if checkable else True,
            )
        )
    return pointers


def _foreign(layout: VenvLayout) -> bool:
    """A Windows venv read on POSIX (or the reverse): its paths cannot be checked here."""
    return layout.windows != (sys.platform == "win32")


def interpreter_facts(layout: VenvLayout) -> InterpreterFacts:
    cfg = layout.cfg or {}
    foreign = _foreign(layout)
    home = cfg.get("home")
    executable = cfg.get("executable") or cfg.get("base-executable")
    link = layout.interpreter
    python_target: str | None = None
    try:
        python_target = os.readlink(link)
    except OSError:
        python_target = None
    return InterpreterFacts(
        home=home,
        home_exists=None if foreign or not home else os.path.isdir(home),
        executable=executable,
        executable_exists=None if foreign or not executable else os.path.exists(executable),
        python_link=layout.relative(link),
        python_target=python_target,
        python_exists=os.path.exists(link),
        **_real_interpreter(str(link), foreign),
    )


_VERSIONED = re.compile(r"^python(\d+\.\d+t?)$")


def _real_interpreter(link: str, foreign: bool) -> dict[str, str | None]:
    """Where bin/python's chain of links ends, and the X.Y it is for, without running it.

    The version comes from the file's name (``python3.12``, ``python3.13t``),
    else from the one ``lib/pythonX.Y`` with a standard library in the
    installation it belongs to (``<prefix>/bin/python3`` -> ``<prefix>/lib``).
    """
    if foreign or not os.path.exists(link):
        return {"python_real": None, "python_real_version": None}
    real = os.path.realpath(link)
    match = _VERSIONED.match(os.path.basename(real))
    version = match[1] if match else None
    if version is None:
        lib = os.path.join(os.path.dirname(os.path.dirname(real)), "lib")
        try:
            names = [
                name[len("python") :]
                for name in os.listdir(lib)
                if _VERSIONED.match(name) and os.path.isfile(os.path.join(lib, name, "os.py"))
            ]
        except OSError:
            names = []
        version = names[0] if len(names) == 1 else None
    return {"python_real": real, "python_real_version": version}
