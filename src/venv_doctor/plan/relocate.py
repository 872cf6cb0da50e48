"""Rewriting paths inside files after a venv or its project moved: pure functions."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from collections.abc import Mapping, Sequence

# Characters that may be part of a path name: one of them right before an old
# path means the match is the tail of another path (``/x/w/app``), right after
# it means another name (``/w/app2``, ``/w/app.bak``).  Bytes from 0x80 are
# parts of UTF-8 names.
_NAME = rb"\w.~+@%$\x80-\xff-"
# An old path starts the text or a line, or follows a character no path name
# ends with (a quote, a blank, ``=``, the ``!`` of a shebang, ``:`` of a PATH
# list), or ``file://`` (``file:///w/app``, ``file:///C:/w/app``).
_BEFORE = rb"(?:(?<=file://)|(?<=file:///)|(?<![" + _NAME + rb"/\\]))"
# ... and ends the text, or is followed by a separator (its own files below it)
# or by any character that cannot continue a name.
_AFTER = rb"(?![" + _NAME + rb"])"


def rewrite_paths(data: bytes, replacements: Sequence[tuple[str, str]]) -> bytes:
    """Replace each old absolute path prefix with the new one, anchored at path boundaries.

    ``/old/proj`` is replaced in ``/old/proj/.venv/bin/python``, in
    ``"/old/proj"`` and in ``file:///old/proj``, but not in ``/old/project``
    nor in ``/x/old/proj``.  The text is read once, left to right, and each
    place is replaced at most once: the longest path that matches there wins
    (the venv's own path over its project folder's), and a place that already
    names a new path is left as it is.  So the rewrite is idempotent even when
    one path is a prefix of the other (``/w/app`` moved to ``/w/app/svc/app``
    or back): ``/w/app/svc/app/.venv`` is already the new place, not the old
    ``/w/app`` followed by ``svc/app/.venv``.
    """
    table: dict[bytes, bytes] = {}
    for old, new in replacements:
        old_b, new_b = _prefix(old), _prefix(new)
        if old_b and new_b and old_b != new_b:
            table[old_b] = new_b
    if not table:
        return data
    for new_b in list(table.values()):
        table.setdefault(new_b, new_b)
    alternatives = b"|".join(re.escape(path) for path in sorted(table, key=len, reverse=True))
    pattern = re.compile(_BEFORE + b"(" + alternatives + b")" + _AFTER)
    return pattern.sub(lambda match: table[match.group(1)], data)


def _prefix(path: str) -> bytes:
    """``path`` as bytes without trailing separators; empty for a file system root."""
    encoded = path.encode("utf-8", "surrogateescape")
    stripped = encoded.rstrip(b"/\\")
    if not stripped or stripped.endswith(b":"):
        return b""  # "/" or "C:\\": every absolute path starts with it
    return stripped


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
