"""The actions a plan is made of, and the plan: frozen data ``fix`` shows, then applies."""

from __future__ import annotations

from dataclasses import dataclass, field

from venv_doctor.diagnose.findings import Finding
from venv_doctor.lockfiles.wanted import WantedDist


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveDist:
    """Move a distribution's files to the trash.

    ``paths`` are venv-relative; a folder in it goes whole (every file below it
    is this distribution's or a remnant).  ``kept`` lists RECORD entries that
    stay because a staying distribution owns them too.
    """

    package: str
    version: str | None
    meta_dir: str
    paths: tuple[str, ...]
    kept: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallDist:
    """Install a distribution from a verified wheel (its files copied, or linked from uv's cache).

    ``wanted`` is the lock's entry; without a lockfile it is ``None`` and the
    same name and version are fetched again.
    """

    package: str
    version: str | None
    wanted: WantedDist | None
    reason: str
    requested: bool = False  # write REQUESTED, as the installer the venv came from did
    # Only these venv-relative files, from the wheel, into the installed copy
    # at ``meta_dir`` that stays (``plan.restore``); the rest is intact.  Should
    # the wheel's RECORD not list them as the installed one does (another
    # build of the version), ``fallback`` goes to the trash and the wheel is
    # installed whole.
    restore: tuple[str, ...] = ()
    meta_dir: str | None = None
    fallback: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscardPath:
    """Move one path that belongs to no distribution to the trash.

    ``empty``: a folder that holds nothing but folders and bytecode once the
    actions before it are done; it goes only if that still holds then.
    """

    path: str
    reason: str
    empty: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RewriteFile:
    """Write a new copy of a file with old paths replaced, and fix its RECORD row.

    ``replacements`` are (old, new) absolute path prefixes; ``owner`` is the
    metadata folder whose RECORD lists the file, if any.
    """

    path: str
    owner: str | None
    replacements: tuple[tuple[str, str], ...]
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Repoint:
    """Point the venv at another base interpreter of the same version."""

    python: str
    version: str | None
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MovePython:
    """Point the venv at a base interpreter of another version (or ABI), in place.

    ``old_libs`` (``lib/python3.11``) go to the trash whole; ``carried`` are
    (old, new) venv-relative paths of files copied from the old site-packages
    to ``new_site`` first: files no distribution owns, and the seed packages
    that stay as they are.  Every other distribution is reinstalled by the
    ``InstallDist`` actions that follow.
    """

    python: str
    old_version: str  # X.Y the venv was made for (``3.13t`` free-threaded)
    new_version: str  # X.Y of ``python`` (``3.13t`` free-threaded)
    old_libs: tuple[str, ...]
    new_site: str
    carried: tuple[tuple[str, str], ...]
    # The venv's own activate scripts: ``activate_this.py`` of uv and virtualenv
    # names ``lib/pythonX.Y/site-packages``, which is rewritten where it does.
    activations: tuple[str, ...] = ()
    reason: str


Action = RemoveDist | InstallDist | DiscardPath | RewriteFile | Repoint | MovePython


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What ``fix`` will do, in order, and the findings it cannot act on."""

    actions: tuple[Action, ...]
    unresolved: tuple[Finding, ...] = ()
    lockfile: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.actions


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanOptions:
    purge_orphans: bool = False
    python: str | None = None  # a base interpreter to re-point to, found by the caller
    keep: frozenset[str] = frozenset()  # names never removed as extraneous (uv's seed packages)
