"""Who owns what venv-doctor writes inside a venv that belongs to someone else.

In a container, on a bind mount or under ``sudo``, the user who runs ``fix`` is
often not the one who owns the venv.  Run as root, every file and folder
``fix``, ``undo`` and ``trash`` create inside the venv (reinstalled files,
launchers, folders, the lock file, the journal, the trash) is given the owner
and group of the folder it lands in, so that the venv's owner can still
upgrade, uninstall, undo and clean as themselves.  What is only moved (into the
trash, or back from it) keeps its owner.

Run as another user who is not root, what venv-doctor wrote would belong to
that user and the system does not let it give files away: ``refuse_foreign``
stops before anything changes and names the owner.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from venv_doctor.errors import VenvDoctorError

_AS_ROOT = sys.platform != "win32" and os.geteuid() == 0


class ForeignVenvError(VenvDoctorError):
    """The venv belongs to another user, and venv-doctor does not run as root."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Owner:
    """The owner of a venv: of its ``pyvenv.cfg``, else of its folder."""

    uid: int
    gid: int

    @property
    def shown(self) -> str:
        return f"{_user_name(self.uid)}:{_group_name(self.gid)}"

    @property
    def user(self) -> str:
        return _user_name(self.uid)


def venv_owner(root: Path) -> Owner:
    """Who owns the venv at ``root``."""
    try:
        info = os.stat(root / "pyvenv.cfg")
    except OSError:
        info = os.stat(root)
    return Owner(uid=info.st_uid, gid=info.st_gid)


def writes_for_another_owner(root: Path) -> Owner | None:
    """The venv's owner, when venv-doctor runs as root on a venv that is not root's."""
    if not _AS_ROOT:
        return None
    owner = venv_owner(root)
    return owner if owner.uid != 0 else None


def refuse_foreign(root: Path, command: str) -> None:
    """Raise ``ForeignVenvError`` when a user who is not root and not the owner would write.

    ``command`` is what to run as the owner instead (``venv-doctor fix ...``).
    """
    if sys.platform == "win32" or _AS_ROOT:
        return
    owner = venv_owner(root)
    if owner.uid == os.geteuid():
        return
    raise ForeignVenvError(
        f"{root} belongs to {owner.user}: the files venv-doctor would write there would belong "
        f"to {_user_name(os.geteuid())}, and {owner.user} could not change or remove them",
        hint=f"run it as {owner.user}: sudo -u {owner.user} {command}",
    )


def adopt(path: str) -> None:
    """Give ``path``, just created, the owner and group of the folder it is in (as root only).

    A link is changed itself, never its target.  Nothing happens when venv-doctor
    does not run as root, or when the folder belongs to root too.
    """
    if not _AS_ROOT:
        return
    folder = os.stat(os.path.dirname(os.path.abspath(path)))
    if folder.st_uid == 0 and folder.st_gid == 0:
        return
    info = os.lstat(path)
    if (info.st_uid, info.st_gid) != (folder.st_uid, folder.st_gid):
        os.lchown(path, folder.st_uid, folder.st_gid)


def owned_as_adopted(path: str, info: os.stat_result) -> bool:
    """Whether a file with ``info``'s owner, linked to ``path``, needs no ``adopt``.

    A hard link shares its owner with every other name of the file: ``adopt``
    must never change it.  Running as root, a link is made only where its
    owner is already the folder's.
    """
    if not _AS_ROOT:
        return True
    folder = os.stat(os.path.dirname(os.path.abspath(path)))
    return (info.st_uid, info.st_gid) == (folder.st_uid, folder.st_gid)


def make_folders(path: str) -> None:
    """``os.makedirs(path, exist_ok=True)``, each new folder adopted (see ``adopt``)."""
    missing: list[str] = []
    probe = path
    while not os.path.isdir(probe):
        missing.append(probe)
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not os.path.isdir(folder):
                raise
            continue
        adopt(folder)


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def _group_name(gid: int) -> str:
    try:
        import grp

        return grp.getgrgid(gid).gr_name
    except (ImportError, KeyError):
        return str(gid)
