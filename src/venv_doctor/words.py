"""Words for messages: counted nouns (``1 file``, ``2 files``), text made printable."""

from __future__ import annotations

import re

_IRREGULAR = {"entry": "entries", "copy": "copies", "info": "info"}


def counted(count: int, noun: str) -> str:
    """``count`` followed by ``noun``, in the plural unless ``count`` is 1."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {_IRREGULAR.get(noun, noun + 's')}"


# Lone surrogates: what os.fsdecode and surrogateescape make of bytes that are
# not UTF-8 (U+DC80 to U+DCFF), and what a JSON "\ud800" escape gives.
_SURROGATE = re.compile("[\ud800-\udfff]")

NOT_UTF8 = "bytes that are not UTF-8 are shown as \\xNN"


def printable(text: str) -> str:
    """``text`` with each lone surrogate spelt out, so that it encodes as UTF-8.

    A byte that was not UTF-8 (read with ``surrogateescape``) becomes ``\\xNN``,
    as Python's ``backslashreplace`` shows bytes; any other lone surrogate
    becomes ``\\udNNN``.  Text without any is returned as it is.
    """
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


# In repr's text: an escaped backslash, or the escape of a lone surrogate.
_REPR_SURROGATE = re.compile(r"(\\\\)|\\u(d[89a-f][0-9a-f]{2})")


def quoted(text: str) -> str:
    """``text`` quoted as ``repr`` quotes it, but with its lone surrogates kept as they are.

    So that the report spells an undecodable byte ``\\xNN`` as it does
    everywhere else, and says so, rather than ``repr``'s ``\\udcNN``.
    """
    return _REPR_SURROGATE.sub(
        lambda match: match.group(1) or chr(int(match.group(2), 16)), repr(text)
    )
