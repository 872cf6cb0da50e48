"""An ``installer`` destination whose every write goes through a ``Transaction``.

``installer.install`` never rolls back: a failure midway leaves files with
no RECORD.  Routed through a transaction, the whole install is undone with
everything else.  Files are copied, or, in a venv uv fills with hard links
into its cache, linked to the same wheel's unpacked files there as uv links
them (each checked against the wheel's RECORD first); RECORD rows are
computed as installer computes them, and ``overwrite_existing`` means "move
the old file to the trash, then write".

``install_wheel`` runs installer twice: first with a destination that only
notes which files it would write, in which order (reading no content), so
that the transaction can journal them all in one batch; then for real.  The
wheel's files are checked against its RECORD as they are written.
"""

from __future__ import annotations

import base64
import io
import os
import posixpath
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from installer.destinations import WheelDestination
from installer.records import Hash, RecordEntry, parse_record_file
from installer.scripts import Script
from installer.utils import Scheme, construct_record_file, fix_shebang

from venv_doctor.apply.steps import Expected, installed_modes, record_digest
from venv_doctor.apply.trash import UnsafePathError, venv_path
from venv_doctor.read.layout import VenvLayout

if TYPE_CHECKING:
    from installer.scripts import LauncherKind, ScriptSection
    from installer.sources import WheelFile

    from venv_doctor.apply.transaction import Transaction


class TransactionDestination(WheelDestination):
    """Writes a wheel's files into the venv of ``transaction``, by ``scheme_dict``.

    Every scheme folder must lie inside that venv, and every file inside its
    scheme folder.  Permission bits follow installer (and pip): ``0o666`` or,
    for executables, ``0o777`` with every execute bit, less the umask.
    """

    def __init__(
        self,
        transaction: Transaction,
        *,
        scheme_dict: Mapping[str, str],
        interpreter: str,
        script_kind: LauncherKind,
        hash_algorithm: str = "sha256",
        overwrite_existing: bool = False,
        expected: Mapping[tuple[str, str], Expected] | None = None,
        link_root: str | None = None,
        members: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        self.transaction = transaction
        self.link_root = link_root  # the wheel unpacked in uv's cache, to link from
        self.members = dict(members or {})  # (scheme, path) -> the wheel's file
        self.expected = dict(expected or {})
        self.wrong: list[str] = []  # files whose content the wheel's RECORD gets wrong
        self.scheme_dict = dict(scheme_dict)
        self.interpreter = interpreter
        self.script_kind: LauncherKind = script_kind
        self.hash_algorithm = hash_algorithm
        self.overwrite_existing = overwrite_existing
        root = transaction.root
        self._folders = {name: _inside(root, path) for name, path in scheme_dict.items()}
        self._file_mode, self._exec_mode = installed_modes()

    def write_to_fs(
        self, scheme: Scheme, path: str, stream: BinaryIO, is_executable: bool
    ) -> RecordEntry:
        """Write ``stream`` to ``path`` in ``scheme`` as a new file; its RECORD row."""
        folder = self._folders[scheme]
        target = self.transaction.path(posixpath.join(folder, path), under=folder)
        if not self.overwrite_existing and os.path.lexists(target.path):
            raise FileExistsError(f"File already exists: {target.path}")
        want = self.expected.get((scheme, path))
        written = self.transaction.create(
            target.rel,
            stream=stream,
            mode=self._exec_mode if is_executable else self._file_mode,
            hash_name=self.hash_algorithm,
            link_from=self._link_source(scheme, path) if want is not None else None,
            link_expected=want,
        )
        # Some published wheels list hashes in their RECORD that their files do
        # not have (uv#11723); uv and pip install them as they are, and so does
        # this.  The RECORD written here holds the real hashes; the caller says
        # which files the wheel's own RECORD got wrong.
        if want is not None and (
            written.digest != want.digest or want.size not in {None, written.size}
        ):
            self.wrong.append(path)
        digest = base64.urlsafe_b64encode(written.digest).decode("ascii").rstrip("=")
        return RecordEntry(path, Hash(self.hash_algorithm, digest), written.size)

    def _link_source(self, scheme: Scheme, path: str) -> str | None:
        """The file of uv's unpacked wheel that ``path`` comes from (never a script)."""
        member = self.members.get((scheme, path))
        if self.link_root is None or member is None:
            return None
        parts = member.split("/")
        if any(part in {"", ".", ".."} for part in parts):
            return None
        return os.path.join(self.link_root, *parts)

    def write_file(
        self,
        scheme: Scheme,
        path: str | os.PathLike[str],
        stream: BinaryIO,
        is_executable: bool,
    ) -> RecordEntry:
        """Write one file of the wheel; ``#!python`` in a script becomes the interpreter."""
        text = os.fspath(path)
        if scheme == "scripts":
            with fix_shebang(stream, self.interpreter) as fixed:
                return self.write_to_fs(scheme, text, fixed, is_executable)
        return self.write_to_fs(scheme, text, stream, is_executable)

    def write_script(
        self, name: str, module: str, attr: str, section: ScriptSection
    ) -> RecordEntry:
        """Write the launcher of one entry point, as installer generates it."""
        script_name, data = Script(name, module, attr, section).generate(
            self.interpreter, self.script_kind
        )
        with io.BytesIO(data) as stream:
            return self.write_to_fs(Scheme("scripts"), script_name, stream, is_executable=True)

    def finalize_installation(
        self,
        scheme: Scheme,
        record_file_path: str,
        records: Iterable[tuple[Scheme, RecordEntry]],
    ) -> None:
        """Write RECORD; rows of other schemes carry a prefix, as installer writes them."""

        def prefix_for_scheme(file_scheme: Scheme) -> str | None:
            if file_scheme == scheme:
                return None
            if sys.platform == "win32":  # pragma: no cover
                return os.path.abspath(self.scheme_dict[file_scheme]) + "/"
            return os.path.relpath(self.scheme_dict[file_scheme], self.scheme_dict[scheme]) + "/"

        with construct_record_file(list(records), prefix_for_scheme) as stream:
            self.write_to_fs(scheme, record_file_path, stream, is_executable=False)


def venv_scheme(layout: VenvLayout, distribution: str) -> dict[str, str]:
    """The install scheme of the venv at ``layout`` for ``distribution`` (as sysconfig's venv)."""
    if layout.purelib is None:
        raise UnsafePathError(f"{layout.root} has no site-packages folder", path=layout.root)
    if layout.windows:
        headers = layout.root / "Include" / distribution
    else:
        headers = layout.root / "include" / "site" / f"python{layout.version}" / distribution
    site = str(layout.purelib)
    return {
        "purelib": site,
        "platlib": site,
        "headers": str(headers),
        "scripts": str(layout.scripts),
        "data": str(layout.root),
    }


def install_wheel(
    transaction: Transaction,
    wheel: Path,
    *,
    layout: VenvLayout,
    additional_metadata: Mapping[str, bytes] | None = None,
    overwrite_existing: bool = False,
    validate: bool = True,
    script_kind: LauncherKind | None = None,
    unpacked: Callable[[str, bytes], str | None] | None = None,
) -> Installed:
    """Install ``wheel`` into the venv with ``installer``, every write in ``transaction``.

    With ``validate`` each file is compared with the wheel's RECORD (installer
    does not do it on its own), and the files the wheel's RECORD gets wrong are
    named in what it returns.  ``additional_metadata`` adds dist-info files such
    as ``INSTALLER``.  ``unpacked`` finds the same wheel unpacked in uv's cache
    (by its dist-info folder's name and its RECORD's bytes): the files that are
    there as the wheel's RECORD says become hard links to them.
    """
    from installer import install
    from installer.sources import WheelFile

    kind: LauncherKind = script_kind or ("win-amd64" if layout.windows else "posix")
    metadata = dict(additional_metadata or {})
    with WheelFile.open(wheel) as source:
        expected = _wheel_record(source, wheel.name) if validate else {}
        scheme = venv_scheme(layout, source.distribution)
        interpreter = str(layout.interpreter)
        # A dry run first: which files, in which order; scripts are checked here
        # (their shebang is rewritten on the way, so the written digest cannot be).
        planner = _Planner(
            transaction.root,
            scheme_dict=scheme,
            interpreter=interpreter,
            script_kind=kind,
            expected=expected,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the same warnings as the install below
            install(source, planner, metadata)
        link_root = None
        if unpacked is not None and planner.expected:
            link_root = unpacked(source.dist_info_dir, source.read_dist_info("RECORD").encode())
        destination = TransactionDestination(
            transaction,
            scheme_dict=scheme,
            interpreter=interpreter,
            script_kind=kind,
            overwrite_existing=overwrite_existing,
            expected=planner.expected,
            link_root=link_root,
            members=planner.members,
        )
        with transaction.prepared(planner.paths), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            install(source, destination, metadata)
    return Installed(
        left_out=tuple(_left_out(str(warning.message)) for warning in caught),
        wrong_record=(*planner.wrong, *destination.wrong),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Installed:
    """What installing one wheel did not do as its RECORD says.

    ``left_out``: files installer refuses, bytecode a wheel ships in
    ``__pycache__`` folders (installer warns; the warning must not reach the
    user raw).  ``wrong_record``: files installed whose content the wheel's own
    RECORD gets wrong, a fault of the wheel.
    """

    left_out: tuple[str, ...] = ()
    wrong_record: tuple[str, ...] = ()


def _left_out(message: str) -> str:
    """The path a warning of installer's names (``Skip installing <path> from ...``)."""
    prefix = "Skip installing "
    if message.startswith(prefix) and " from " in message:
        return message[len(prefix) : message.index(" from ")]
    return message


def wheel_paths(wheel: Path, *, layout: VenvLayout) -> list[str]:
    """The venv-relative paths installing ``wheel`` writes (launchers and RECORD too).

    Reads the wheel's file list and entry points only, as ``install_wheel``'s
    dry run does; writes nothing.
    """
    from installer import install
    from installer.sources import WheelFile

    kind: LauncherKind = "win-amd64" if layout.windows else "posix"
    with WheelFile.open(wheel) as source:
        planner = _Planner(
            layout.root,
            scheme_dict=venv_scheme(layout, source.distribution),
            interpreter=str(layout.interpreter),
            script_kind=kind,
            expected={},
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # said by the install itself (install_wheel)
            install(source, planner, {})
    return planner.paths


def dist_info_path(wheel: Path, layout: VenvLayout) -> str:
    """Where installing ``wheel`` puts its ``.dist-info`` folder, relative to the venv root.

    Both purelib and platlib are the venv's site-packages (``venv_scheme``).
    """
    from installer.sources import WheelFile

    if layout.purelib is None:
        raise UnsafePathError(f"{layout.root} has no site-packages folder", path=layout.root)
    with WheelFile.open(wheel) as source:
        return f"{layout.relative(layout.purelib)}/{source.dist_info_dir}"


def site_folders(wheel: Path) -> frozenset[str]:
    """The folders of site-packages ``wheel`` puts files in, by its RECORD.

    Relative to site-packages, ``/``-separated, every level (``a``, ``a/b``):
    its packages, its ``.data/purelib`` and ``.data/platlib`` folders; not
    its dist-info, scripts, headers or data.  Entries that would climb out
    are left out (the install refuses them anyway).
    """
    from installer.sources import WheelFile

    with WheelFile.open(wheel) as source:
        rows = parse_record_file(source.read_dist_info("RECORD").splitlines())
        data = source.data_dir
    folders: set[str] = set()
    for path, _hash, _size in rows:
        parts = path.replace("\\", "/").split("/")
        if parts[0] == data:
            if len(parts) < 3 or parts[1] not in {"purelib", "platlib"}:
                continue
            parts = parts[2:]
        elif parts[0].endswith(".dist-info"):
            continue
        if any(part in {"", ".", ".."} for part in parts) or ":" in parts[0]:
            continue
        folders.update("/".join(parts[:end]) for end in range(1, len(parts)))
    return frozenset(folders)


def _wheel_record(source: WheelFile, filename: str) -> dict[str, Expected]:
    """The wheel's RECORD, checked against its file list, as the content each file must have.

    Empty when RECORD uses a hash other than sha256: then every file is
    checked here, before anything is written.
    """
    source.validate_record(validate_contents=False)
    where = f"the RECORD of {filename}"
    rows = parse_record_file(source.read_dist_info("RECORD").splitlines())
    expected: dict[str, Expected] = {}
    for path, hash_text, size in rows:
        if not hash_text:
            continue
        entry = Hash.parse(hash_text)
        if entry.name != "sha256":
            source.validate_record()
            return {}
        digest = record_digest(entry.value)
        expected[path] = Expected(size=int(size) if size else None, digest=digest, source=where)
    return expected


class _Planner(WheelDestination):
    """Notes the venv-relative paths an install would write, in order; writes nothing.

    ``expected`` maps each (scheme, path) written as it is in the wheel to the
    content the wheel's RECORD gives it.  Scripts of the wheel's ``scripts``
    folder are checked against RECORD here, as their content changes on the way.
    """

    def __init__(
        self,
        root: Path,
        *,
        scheme_dict: Mapping[str, str],
        interpreter: str,
        script_kind: LauncherKind,
        expected: Mapping[str, Expected],
    ) -> None:
        self._folders = {name: _inside(root, path) for name, path in scheme_dict.items()}
        self._interpreter = interpreter
        self._script_kind: LauncherKind = script_kind
        self._record = expected
        self.paths: list[str] = []
        self.expected: dict[tuple[str, str], Expected] = {}
        self.members: dict[tuple[str, str], str] = {}  # the wheel's file of each
        self.wrong: list[str] = []  # files whose content the wheel's RECORD gets wrong

    def _note(self, scheme: Scheme, path: str) -> RecordEntry:
        self.paths.append(posixpath.join(self._folders[scheme], path))
        return RecordEntry(path, None, None)

    def write_file(
        self,
        scheme: Scheme,
        path: str | os.PathLike[str],
        stream: BinaryIO,
        is_executable: bool,
    ) -> RecordEntry:
        del is_executable  # nothing is written
        text = os.fspath(path)
        member = getattr(stream, "name", None)  # a wheel's file, not generated metadata
        want = self._record.get(member) if isinstance(member, str) else None
        if want is not None and scheme == "scripts":
            if not _matches(stream, want):
                self.wrong.append(text)
        elif want is not None and isinstance(member, str):
            self.expected[(scheme, text)] = want
            self.members[(scheme, text)] = member
        return self._note(scheme, text)

    def write_script(
        self, name: str, module: str, attr: str, section: ScriptSection
    ) -> RecordEntry:
        script_name, _ = Script(name, module, attr, section).generate(
            self._interpreter, self._script_kind
        )
        return self._note(Scheme("scripts"), script_name)

    def finalize_installation(
        self,
        scheme: Scheme,
        record_file_path: str,
        records: Iterable[tuple[Scheme, RecordEntry]],
    ) -> None:
        del records  # RECORD is written last, whatever it holds
        self._note(scheme, record_file_path)


def _matches(stream: BinaryIO, want: Expected) -> bool:
    import hashlib

    hasher = hashlib.sha256()
    size = 0
    while chunk := stream.read(1 << 20):
        hasher.update(chunk)
        size += len(chunk)
    return hasher.digest() == want.digest and want.size in {None, size}


def _inside(root: Path, folder: str) -> str:
    """``folder`` relative to ``root`` (``.`` for the root itself); refused when outside."""
    rel = os.path.relpath(os.path.abspath(folder), root).replace(os.sep, "/")
    if rel == ".":
        return rel
    return venv_path(root, rel).rel
