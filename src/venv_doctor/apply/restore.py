"""Put back some files of an installed distribution from its wheel (``InstallDist.restore``).

The rest of the distribution stays as it is: its metadata and RECORD are the
installer's, and so are its other files.  Each file comes from the wheel,
checked against the wheel's RECORD, or is linked from uv's cache as a whole
install would link it (``destination``).  Permission bits follow installer
(``steps.installed_modes``).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import BinaryIO, cast

from venv_doctor.apply.steps import Expected, installed_modes, record_digest
from venv_doctor.apply.transaction import Transaction
from venv_doctor.read.records import parse_record
from venv_doctor.read.snapshot import OwnedFile

Unpacked = Callable[[str, bytes], str | None]


def restore_files(
    txn: Transaction,
    wheel: Path,
    *,
    meta_dir: str,
    paths: Iterable[str],
    owned: Iterable[OwnedFile],
    unpacked: Unpacked | None = None,
) -> bool:
    """Write ``paths`` (venv-relative) of the distribution at ``meta_dir`` from ``wheel``.

    Returns ``False``, having changed nothing, when the wheel's RECORD does
    not list each of them with the hash and size the installed RECORD gives
    it (the installed copy came from another build of the version, or the
    wheel has another layout): the caller then installs the wheel whole.
    """
    site, _, name = meta_dir.rpartition("/")
    installed = {rel: row for rel, row in owned if rel is not None}
    with zipfile.ZipFile(wheel) as archive:
        try:
            record = archive.read(f"{name}/RECORD")
        except KeyError:
            return False
        rows = _rows(record)
        todo: list[tuple[str, str, Expected]] = []
        for rel in paths:
            member = rel[len(site) + 1 :] if rel.startswith(site + "/") else None
            row = installed.get(rel)
            listed = rows.get(member) if member is not None else None
            if member is None or row is None or listed is None:
                return False
            hash_text, size = listed
            if hash_text != f"{row.hash_algo}={row.hash_value}" or size != row.size:
                return False
            digest = record_digest(hash_text[len("sha256=") :])
            todo.append((rel, member, Expected(size=size, digest=digest, source=wheel.name)))
        link_root = unpacked(name, record) if unpacked is not None else None
        file_mode, exec_mode = installed_modes()
        for rel, member, want in todo:
            info = archive.getinfo(member)
            executable = (info.external_attr >> 16) & 0o111
            link_from = os.path.join(link_root, *member.split("/")) if link_root else None
            with archive.open(info) as stream:
                txn.create(
                    rel,
                    stream=cast(BinaryIO, stream),
                    mode=exec_mode if executable else file_mode,
                    link_from=link_from,
                    link_expected=want,
                )
    return True


def _rows(record: bytes) -> Mapping[str, tuple[str, int | None]]:
    """The wheel's RECORD: path -> (``sha256=...``, size), for rows with a sha256 hash."""
    rows, _problems = parse_record(record.decode("utf-8", "surrogateescape"))
    return {
        row.path: (f"sha256={row.hash_value}", row.size)
        for row in rows
        if row.hash_algo == "sha256" and ".." not in row.path.split("/")
    }
