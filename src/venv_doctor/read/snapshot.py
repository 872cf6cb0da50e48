"""The snapshot: everything ``check`` read from a venv, as plain data.

``scan.take_snapshot`` fills it; ``diagnose`` reads it and never touches the
disk.  Paths are venv-relative POSIX strings unless a field says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from venv_doctor.read.installed import InstalledDist, Unreadable
from venv_doctor.read.layout import VenvLayout
from venv_doctor.read.records import RecordRow
from venv_doctor.read.tempnames import temp_kind

# Entry kinds.
FILE = "file"
DIR = "dir"
LINK = "link"
OTHER = "other"

# What a symbolic link points at.
TARGET_FILE = "file"
TARGET_DIR = "dir"
TARGET_MISSING = "missing"
TARGET_LOOP = "loop"
TARGET_OTHER = "other"


def is_stash_name(name: str) -> bool:
    """A folder name that an interrupted install or uninstall leaves behind (``read.tempnames``)."""
    return temp_kind(name, is_dir=True) is not None


class Entry(NamedTuple):
    """One file system entry, from ``lstat`` (and ``stat`` for links).

    For a link, ``size`` is its target's size and ``target`` says what the
    link points at; ``target_inside`` whether the target lies in the venv.
    Folders, and files that no RECORD lists, carry their kind only (size 0,
    no inode): no check needs more, and a ``stat`` of every entry would cost
    three times the walk.
    """

    kind: str
    size: int
    dev: int
    ino: int
    nlink: int
    target: str | None = None
    target_inside: bool = True


class OwnedFile(NamedTuple):
    """A RECORD row and where it lands: ``rel`` is ``None`` outside the venv."""

    rel: str | None
    row: RecordRow


@dataclass(frozen=True, slots=True, kw_only=True)
class EditablePointer:
    """Somewhere an editable install points: a folder that must exist."""

    source: str  # venv-relative file that holds the pointer
    kind: str  # "pth", "finder", "direct_url" or "egg-link"
    target: str  # absolute path as written
    exists: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class InterpreterFacts:
    """What is known about the base interpreter, from pyvenv.cfg and the links."""

    home: str | None
    home_exists: bool | None  # None: not checkable on this OS
    executable: str | None
    executable_exists: bool | None
    python_link: str | None  # venv-relative path of bin/python
    python_target: str | None  # where that link points, when it is a link
    python_exists: bool
    # Where the chain of links from bin/python ends, and the X.Y (``3.13t`` for
    # a free-threaded build) that file is for, read from its name or its
    # installation's lib/pythonX.Y, without running it; None when unknown.
    python_real: str | None = None
    python_real_version: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheLinks:
    """uv's cache and which distributions' files are hard links into it."""

    cache_dir: str | None
    linked: Mapping[str, int]  # meta_dir -> number of files with other links
    confirmed: frozenset[str]  # meta_dirs whose files are proven to be uv cache links
    # Top-level entries of site-packages that no RECORD lists, holding a file
    # proven to be a hard link into uv's unpacked wheels: uv linked them for an
    # install it did not finish.
    orphans: frozenset[str] = frozenset()
    # The same, holding only copies of the files of one unpacked wheel (uv's
    # copy mode), byte for byte: top-level entry -> that wheel's folder and
    # the name of its metadata folder.
    copies: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # The same, holding only files of a wheel pip was installing, found in its
    # temporary download folder: top-level entry -> that wheel.
    unpacked: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    layout: VenvLayout
    hashed: bool
    dists: tuple[InstalledDist, ...]
    owned: Mapping[str, tuple[OwnedFile, ...]]  # meta_dir -> its RECORD rows, resolved
    tree: Mapping[str, Entry]
    hashes: Mapping[str, str]  # rel -> urlsafe base64 digest, in the RECORD's algorithm
    escaped: frozenset[str]  # rel paths that lead out of the venv through a linked folder
    shebangs: Mapping[str, str]  # scripts rel -> interpreter named by its shebang
    editables: tuple[EditablePointer, ...]
    interpreter: InterpreterFacts
    cache: CacheLinks
    unreadable: tuple[Unreadable, ...]
    interrupted: tuple[str, ...] = ()  # venv-doctor transactions a crash left unfinished
    # scripts rel -> the venv folder that activate script names (as VIRTUAL_ENV)
    activations: Mapping[str, str] = field(default_factory=dict)
    # RECORD-listed scripts rel -> (size, digest in the RECORD's algorithm) of the
    # file with its shebang cut to the interpreter, when the shebang adds flags
    # (pip as pipx runs it writes "#!<venv>/bin/python -E"; RECORD has no -E)
    flagless: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    # When asked for (fix reads the venv twice): RECORD-listed regular files rel
    # -> (mtime_ns, ctime_ns), and when the reading began (time.time_ns())
    stamps: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    stamped_at: int = 0
    # How many of ``hashes`` were taken over (from the digest cache, or from
    # the check before a fix) instead of read from the files again.
    reused: int = 0
    # Entries of site-packages and the scripts folder named as uv and pip name
    # what they write or move aside for a moment (``read.tempnames``), sorted;
    # none below another (a stash folder is one entry).
    temps: tuple[str, ...] = ()
    # Metadata folders pip stashed under "~" names (``~umpy-2.3.5.dist-info``):
    # read as data, never taken for installed distributions.
    stashed: tuple[InstalledDist, ...] = ()

    @property
    def site_rels(self) -> tuple[str, ...]:
        return tuple(self.layout.relative(p) for p in self.layout.site_packages)

    @property
    def scripts_rel(self) -> str:
        return self.layout.relative(self.layout.scripts)
