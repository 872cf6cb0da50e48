"""An ``installer`` destination whose every write goes through a ``Transaction``.

``installer.install`` never rolls back: a failure midway leaves files with
no RECORD.  Routed through a transaction, the whole install is undone with
everything else.  Files are always copied (never linked into a cache),
RECORD rows are computed as installer computes them, and
``overwrite_existing`` means "move the old file to the trash, then write".
"""

from __future__ import annotations

import base64
import io
import os
import posixpath
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from installer.destinations import WheelDestination
from installer.records import Hash, RecordEntry
from installer.scripts import Script
from installer.utils import Scheme, construct_record_file, fix_shebang

from venv_doctor.apply.trash import UnsafePathError, venv_path
from venv_doctor.layout import VenvLayout

if TYPE_CHECKING:
    from installer.scripts import LauncherKind, ScriptSection

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
    ) -> None:
        self.transaction = transaction
        self.scheme_dict = dict(scheme_dict)
        self.interpreter = interpreter
        self.script_kind: LauncherKind = script_kind
        self.hash_algorithm = hash_algorithm
        self.overwrite_existing = overwrite_existing
        root = transaction.root
        self._folders = {name: _inside(root, path) for name, path in scheme_dict.items()}
        mask = _umask()
        self._file_mode = 0o666 & ~mask
        self._exec_mode = (0o777 & ~mask) | 0o111

    def write_to_fs(
        self, scheme: Scheme, path: str, stream: BinaryIO, is_executable: bool
    ) -> RecordEntry:
        """Write ``stream`` to ``path`` in ``scheme`` as a new file; its RECORD row."""
        folder = self._folders[scheme]
        target = self.transaction.path(posixpath.join(folder, path), under=folder)
        if not self.overwrite_existing and os.path.lexists(target.path):
            raise FileExistsError(f"File already exists: {target.path}")
        written = self.transaction.create(
            target.rel,
            stream=stream,
            mode=self._exec_mode if is_executable else self._file_mode,
            hash_name=self.hash_algorithm,
        )
        digest = base64.urlsafe_b64encode(written.digest).decode("ascii").rstrip("=")
        return RecordEntry(path, Hash(self.hash_algorithm, digest), written.size)

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
) -> None:
    """Install ``wheel`` into the venv with ``installer``, every write in ``transaction``.

    With ``validate`` the wheel's RECORD must match its files (installer does
    not check this on its own).  ``additional_metadata`` adds dist-info
    files such as ``INSTALLER``.
    """
    from installer import install
    from installer.sources import WheelFile

    kind: LauncherKind = script_kind or ("win-amd64" if layout.windows else "posix")
    with WheelFile.open(wheel) as source:
        if validate:
            source.validate_record()
        destination = TransactionDestination(
            transaction,
            scheme_dict=venv_scheme(layout, source.distribution),
            interpreter=str(layout.interpreter),
            script_kind=kind,
            overwrite_existing=overwrite_existing,
        )
        install(source, destination, dict(additional_metadata or {}))


def _inside(root: Path, folder: str) -> str:
    """``folder`` relative to ``root`` (``.`` for the root itself); refused when outside."""
    rel = os.path.relpath(os.path.abspath(folder), root).replace(os.sep, "/")
    if rel == ".":
        return rel
    return venv_path(root, rel).rel


def _umask() -> int:
    # The only portable way to read the umask is to set it; set it straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
