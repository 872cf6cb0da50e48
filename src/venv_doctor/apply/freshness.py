"""The ``uv_cache.json`` of a project installed from a local source: what uv would write.

uv computes a local project's cache info before it builds and keeps it in
the dist-info; every later sync rebuilds the project when the source's info
differs (see ``read.cache_info``).  ``fix`` computes it after everything
else is installed, in the environment it runs in (the one ``uv sync`` is run
from), and writes it last: whatever the install itself wrote into the
project (a glob key reaching into ``.venv``) is then already counted.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from venv_doctor.apply.transaction import Transaction
from venv_doctor.plan.actions import InstallDist
from venv_doctor.plan.relocate import record_hash
from venv_doctor.read.cache_info import CacheInfoUnknownError, cache_info
from venv_doctor.read.freshness import CACHE_FILE
from venv_doctor.read.readfile import read_regular

# Sources uv records cache info for: a project folder (editable or not), a local archive.
_LOCAL_KINDS = frozenset({"editable", "directory", "path"})


def local_source(action: InstallDist) -> str | None:
    """The local folder or archive ``action`` installs from, if uv would watch it."""
    wanted = action.wanted
    if wanted is None or wanted.source.kind not in _LOCAL_KINDS:
        return None
    return wanted.source.path


def write_cache_info(
    txn: Transaction, *, root: Path, meta_dir: str, source: str, environ: Mapping[str, str]
) -> None:
    """Write ``<meta_dir>/uv_cache.json`` for ``source`` as it is now, listed in RECORD.

    Nothing when uv would write nothing: its info is empty (``cache-keys =
    []``), or uv cannot compute it (it then rebuilds at every sync, whatever
    the file says).  RECORD goes first, so that ``uv_cache.json`` is the last
    file written; both are new files, never the installed ones written over.
    """
    try:
        info = cache_info(source, environ)
    except (CacheInfoUnknownError, OSError):
        return
    if info.empty:
        return
    data = info.to_json()
    record = f"{meta_dir}/RECORD"
    record_path = os.path.join(root, record)
    mode = stat.S_IMODE(os.lstat(record_path).st_mode)
    text = read_regular(record_path).decode("utf-8", "surrogateescape")
    row = f"{meta_dir.rpartition('/')[2]}/{CACHE_FILE}"
    rows = with_record_row(text, row, record_hash(data), len(data))
    txn.replace(record, data=rows.encode("utf-8", "surrogateescape"), mode=mode)
    txn.create(f"{meta_dir}/{CACHE_FILE}", data=data, mode=mode)


def with_record_row(text: str, path: str, hash_text: str, size: int) -> str:
    """RECORD text with one row for ``path`` (replacing any), put before RECORD's own row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    lines = [line for line in text.splitlines() if line]
    kept = [line for line in lines if next(csv.reader([line]), [""])[0] != path]
    own = next(
        (i for i, line in enumerate(kept) if next(csv.reader([line]), [""])[0].endswith("/RECORD")),
        len(kept),
    )
    for line in kept[:own]:
        out.write(line + "\n")
    writer.writerow([path, hash_text, str(size)])
    for line in kept[own:]:
        out.write(line + "\n")
    return out.getvalue()
