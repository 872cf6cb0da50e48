"""Rewriting paths inside files after a venv or its project moved: pure functions."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from collections.abc import Mapping, Sequence


def rewrite_paths(data: bytes, replacements: Sequence[tuple[str, str]]) -> bytes:
    """Replace each old absolute path prefix with the new one, at path boundaries only.

    ``/old/proj`` is replaced in ``/old/proj/.venv/bin/python`` and in
    ``"/old/proj"`` but not in ``/old/project``.  Longer prefixes go first, so
    the venv's own path wins over its project folder's.
    """
    for old, new in sorted(replacements, key=lambda pair: -len(pair[0])):
        pattern = re.compile(re.escape(old.encode()) + rb"(?=[/\\\"'\s:;]|$)", re.M)
        data = pattern.sub(new.encode().replace(b"\\", b"\\\\"), data)
    return data


def record_hash(data: bytes) -> str:
    """The RECORD form of a file's hash: ``sha256=<urlsafe base64, no padding>``."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def update_record(text: str, updates: Mapping[str, tuple[str, int]]) -> str:
    """RECORD text with the rows named in ``updates`` given a new hash and size.

    ``updates`` maps a row's path exactly as RECORD writes it to (hash, size).
    Other rows are kept as they are, in their order.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for line in text.splitlines():
        if not line:
            continue
        fields = next(csv.reader([line]), [])
        if len(fields) == 3 and fields[0] in updates:
            new_hash, size = updates[fields[0]]
            writer.writerow([fields[0], new_hash, str(size)])
        else:
            out.write(line + "\n")
    return out.getvalue()
