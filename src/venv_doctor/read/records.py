"""RECORD files and the paths they name, as pure functions over text.

installer's ``parse_record_file`` stops at the first bad row; a checker must
report every bad row and keep the good ones, so parsing is done here with the
same ``csv`` dialect.
"""

from __future__ import annotations

import csv
import posixpath
import re
from collections.abc import Iterable
from typing import NamedTuple

from venv_doctor.words import quoted

_WINDOWS_ABS = re.compile(r"^[A-Za-z]:[\\/]")
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_new = tuple.__new__


class RecordRow(NamedTuple):
    """One row of a RECORD file.

    A NamedTuple rather than a dataclass: large venvs have tens of thousands of
    rows and tuples are several times cheaper to build.
    """

    path: str
    hash_algo: str | None
    hash_value: str | None
    size: int | None


class RecordProblem(NamedTuple):
    line: int
    text: str
    reason: str


def parse_record(text: str) -> tuple[list[RecordRow], list[RecordProblem]]:
    """Parse RECORD text into rows, and the rows that could not be parsed.

    Backslashes in paths become ``/``.  A row is rejected when it does not have
    three fields, its path is empty, its hash is not ``algo=value`` or its size
    is not a whole number; the other rows are still returned.
    """
    # Only \n and \r\n end a row (str.splitlines would also split on \f, \x1c ...).
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if text.isascii() and '"' not in text and "\0" not in text:
        rows = _plain_rows(lines, backslash="\\" in text)
        if rows is not None:
            return rows, []
    return _parse_lines(text, lines)


def _plain_rows(lines: list[str], *, backslash: bool) -> list[RecordRow] | None:
    """The rows of ASCII text without quotes or NULs, or ``None`` at the first bad row.

    The same rows as ``_parse_lines`` gives, in a third less time on the tens
    of thousands of rows of a big venv: one loop, no call per row, and
    ``tuple.__new__`` rather than RecordRow's Python-level ``__new__``.
    """
    rows: list[RecordRow] = []
    append = rows.append
    for line in lines:
        if not line:
            continue
        fields = line.split(",")
        if len(fields) != 3:
            return None
        path, hash_text, size_text = fields
        if not path:
            return None
        algo = value = None
        if hash_text:
            algo, _, value = hash_text.partition("=")
            if not algo or not value:
                return None
        size = None
        if size_text:
            if not size_text.isdigit():
                return None
            size = int(size_text)
        if backslash:
            path = path.replace("\\", "/")
        append(_new(RecordRow, (path, algo, value, size)))
    return rows


def _parse_lines(text: str, lines: list[str]) -> tuple[list[RecordRow], list[RecordProblem]]:
    rows: list[RecordRow] = []
    problems: list[RecordProblem] = []
    # Loaders decode with surrogateescape; only then can a path hold bytes
    # that were not UTF-8, so the per-row search runs only when needed.
    suspect = not text.isascii() and _UNDECODABLE.search(text) is not None
    parsed = [_split(line) for line in lines]
    for index, fields in enumerate(parsed, start=1):
        if not fields or fields == [""]:
            continue
        raw = fields[1] if fields[0] == "\0csv" else ",".join(fields)
        if len(fields) != 3:
            reason = (
                "not valid CSV"
                if fields[0] == "\0csv"
                else f"expected 3 fields (path,hash,size), got {len(fields)}"
            )
            problems.append(RecordProblem(index, raw, reason))
            continue
        path, hash_text, size_text = fields
        if not path:
            problems.append(RecordProblem(index, raw, "empty path"))
            continue
        algo = value = None
        if hash_text:
            algo, sep, value = hash_text.partition("=")
            if not sep or not algo or not value:
                problems.append(
                    RecordProblem(index, raw, f"hash {quoted(hash_text)} is not algo=value")
                )
                continue
        size: int | None = None
        if size_text:
            if not size_text.isdigit():
                problems.append(
                    RecordProblem(index, raw, f"size {quoted(size_text)} is not a number")
                )
                continue
            size = int(size_text)
        if "\0" in path:
            problems.append(RecordProblem(index, raw, "path holds a NUL byte"))
            continue
        if suspect and _UNDECODABLE.search(path):
            problems.append(RecordProblem(index, raw, "path is not valid UTF-8"))
            continue
        rows.append(RecordRow(path.replace("\\", "/"), algo, value, size))
    return rows, problems


def _split(line: str) -> list[str]:
    """One RECORD line as CSV fields.

    Each line is parsed on its own: a row is never meant to span lines, and one
    unclosed quote must not swallow the rows after it.  Without a quote a line
    is plain comma separated, which ``str.split`` reads much faster.
    """
    if '"' not in line:
        return line.split(",")
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return ["\0csv", line]


def venv_relative(path: str, base: str, root: str, *, windows: bool) -> str | None:
    """Turn a RECORD path into a path relative to the venv root.

    ``base`` is the venv-relative folder that holds the ``.dist-info`` (the
    site-packages folder); relative RECORD paths are taken from there.  ``root``
    is the venv root as an absolute POSIX-style string, used for absolute RECORD
    paths (installer writes those on Windows for files outside site-packages).
    Returns ``None`` when the path resolves outside the venv.
    """
    path = path.replace("\\", "/")
    if path.startswith("/") or _WINDOWS_ABS.match(path):
        prefix = root.replace("\\", "/").rstrip("/") + "/"
        candidate, head = (path.lower(), prefix.lower()) if windows else (path, prefix)
        if not candidate.startswith(head):
            return None
        rel = posixpath.normpath(path[len(prefix) :])
    else:
        rel = posixpath.normpath(posixpath.join(base, path))
    if rel == ".." or rel.startswith("../") or rel.startswith("/"):
        return None
    return rel


def venv_relatives(
    paths: Iterable[str], base: str, root: str, *, windows: bool
) -> list[str | None]:
    """``venv_relative`` of each path, all relative to the same ``base``.

    The same results, about four times faster on the tens of thousands of
    RECORD rows of a big venv: a path ``normpath`` would leave as it is (no
    ``.``, ``..`` or empty part, no backslash, not absolute) is only joined
    to ``base``, and that is nearly every path.
    """
    normal_base = (
        base not in ("", ".", "..")
        and posixpath.normpath(base) == base
        and not base.startswith(("/", "../"))
        and ":" not in base
    )
    if not normal_base:
        return [venv_relative(path, base, root, windows=windows) for path in paths]
    prefix = base + "/"
    return [
        venv_relative(path, base, root, windows=windows)
        # Substring tests, cheaper than a regular expression: "./" catches the
        # parts "." and ".." anywhere but at the end, which the last test catches.
        if not path
        or "./" in path
        or "//" in path
        or "\\" in path
        or ":" in path
        or path[0] == "/"
        or path[-1] in "./"
        else prefix + path
        for path in paths
    ]


def is_bytecode(path: str) -> bool:
    """Compiled bytecode, which RECORD may or may not list and is never missing."""
    return (
        path.endswith((".pyc", ".pyo", "/__pycache__"))
        or "/__pycache__/" in path
        or path.startswith("__pycache__")
    )
