"""Wheels pip was installing when it was killed, from its temporary download folders.

pip downloads each wheel into a ``pip-unpack-XXXXXXXX`` folder of the
temporary directory and writes its files straight to their places in
site-packages, the metadata folder among the last
(``network/download.py``: ``get_http_url``; ``operations/install/wheel.py``:
``_install_wheel``).  It removes the folder when it exits; killed (SIGKILL, a
closed terminal, the OOM killer) it leaves the folder, and in site-packages
files that no RECORD lists.  Only read here, never changed.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable, Mapping

from venv_doctor.read.readfile import read_regular

_PREFIX = "pip-unpack-"


def temp_dir(environ: Mapping[str, str]) -> str:
    """The temporary directory pip uses, by the variables ``tempfile`` reads."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        if environ.get(name):
            return environ[name]
    import tempfile  # its 4 ms of imports, only when no variable says it

    return tempfile.gettempdir()


def pip_wheels(environ: Mapping[str, str]) -> list[str]:
    """The wheels in pip's ``pip-unpack-*`` folders of the temporary directory."""
    found: list[str] = []
    try:
        folders = [
            e.path
            for e in os.scandir(temp_dir(environ))
            if e.name.startswith(_PREFIX) and e.is_dir(follow_symlinks=False)
        ]
    except OSError:
        return found
    for folder in folders:
        try:
            found.extend(
                e.path
                for e in os.scandir(folder)
                if e.name.endswith(".whl") and e.is_file(follow_symlinks=False)
            )
        except OSError:
            continue
    return found


def written_by_pip(
    site: str, tops: Mapping[str, Iterable[str]], wheels: list[str]
) -> dict[str, str]:
    """Which of ``tops`` hold only files of one of ``wheels``, as pip writes them.

    ``tops`` maps a top-level entry to the paths of its files inside
    ``site``.  Each file must have the bytes of the wheel's member of that
    name, or the first of them (pip killed while writing it).  Returns top ->
    the wheel.
    """
    found: dict[str, str] = {}
    left = {top: list(inners) for top, inners in tops.items()}
    for wheel in wheels:
        if not left:
            break
        try:
            with zipfile.ZipFile(wheel) as archive:
                members = {info.filename: info for info in archive.infolist()}
                for top, inners in list(left.items()):
                    if inners and all(
                        _written_from(os.path.join(site, inner), archive, members.get(inner))
                        for inner in inners
                    ):
                        found[top] = wheel
                        del left[top]
        except (OSError, zipfile.BadZipFile, EOFError, ValueError):
            continue
    return found


def _written_from(path: str, archive: zipfile.ZipFile, member: zipfile.ZipInfo | None) -> bool:
    if member is None or member.is_dir():
        return False
    try:
        mine = read_regular(path, member.file_size + 1, follow=False)
    except OSError:
        return False
    if len(mine) > member.file_size:
        return False
    theirs = archive.read(member)
    return theirs == mine or (len(mine) < len(theirs) and theirs.startswith(mine))
