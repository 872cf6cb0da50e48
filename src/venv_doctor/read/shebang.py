"""The interpreter a console script names, read from its first bytes.

Launchers are worded differently by every tool (uv, installer, pip/distlib);
these parsers accept each form and return the interpreter path as written.
"""

from __future__ import annotations

import re

# installer and distlib: when the path is long or has a space, a /bin/sh
# trampoline:  #!/bin/sh  then  '''exec' '/venv/bin/python' "$0" "$@"
_TRAMPOLINE = re.compile(rb"""^'''exec' (?:'([^']+)'|"([^"]+)"|(\S+)) "\$0" "\$@"\s*$""", re.M)


def interpreter_of_script(head: bytes) -> str | None:
    """The interpreter named by a script's shebang, or ``None``.

    ``None`` for scripts without a shebang, for ``env`` shebangs and for
    relocatable launchers that find python next to themselves: those do not
    name a fixed interpreter.
    """
    if not head.startswith(b"#!"):
        return None
    first, _, rest = head.partition(b"\n")
    command = first[2:].strip()
    if command in (b"/bin/sh", b"/usr/bin/env sh", b"/bin/bash"):
        match = _TRAMPOLINE.search(rest)
        if match is None:
            return None
        found = next(group for group in match.groups() if group)
        return _absolute(found)
    if command.startswith(b'"'):
        path = command[1:].partition(b'"')[0]
    else:
        path = command.split()[0] if command.split() else b""
    return _absolute(path)


def interpreter_of_exe(tail: bytes) -> str | None:
    """The interpreter named in a Windows launcher ``.exe``.

    distlib and installer launchers append ``#!<python>`` and a zip archive to
    a stub; the shebang is the last one before the archive.
    """
    zip_start = tail.rfind(b"PK\x03\x04")
    if zip_start == -1:
        return None
    start = tail.rfind(b"#!", 0, zip_start)
    if start == -1:
        return None
    line = tail[start:zip_start].splitlines()[0]
    return interpreter_of_script(line + b"\n")


def without_interpreter_flags(data: bytes) -> bytes | None:
    """``data`` with a first line ``#!<python> <flags>`` cut to ``#!<python>``, or ``None``.

    pip, as pipx runs it, writes ``#!/venv/bin/python -E`` into console scripts
    while RECORD holds the hash of the script it would write for
    ``#!/venv/bin/python``.  ``None`` when the first line names no python
    interpreter or adds no flags (``-`` first) after it.
    """
    if not data.startswith(b"#!"):
        return None
    first, newline, rest = data.partition(b"\n")
    cr = b"\r" if first.endswith(b"\r") else b""
    command = first[2 : len(first) - len(cr)]
    body = command.lstrip(b" \t")
    if body.startswith(b'"'):
        end = body.find(b'"', 1) + 1
    else:
        match = re.match(rb"[^ \t]+", body)
        end = match.end() if match else 0
    if end <= 0:
        return None
    interpreter, flags = body[:end], body[end:]
    if not flags.strip(b" \t").startswith(b"-") or flags[:1] not in (b" ", b"\t"):
        return None
    if interpreter_of_script(b"#!" + interpreter + b"\n") is None:
        return None
    head = command[: len(command) - len(body)] + interpreter
    return b"#!" + head + cr + newline + rest


def _absolute(path: bytes) -> str | None:
    text = path.decode("utf-8", "surrogateescape")
    if text.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", text):
        name = re.split(r"[\\/]", text)[-1].lower()
        if name.startswith(("python", "pypy", "graalpy")):
            return text
    return None
