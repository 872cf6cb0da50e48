"""Reports into a file or a pipe, as rich prints them there, without importing rich.

Into a file or a pipe with no colour asked for, rich's ``Console.print`` of
console markup writes the text alone: tags dropped, escapes undone, lines
never broken (``soft_wrap``).  Importing rich (its markup module alone, for
``escape``, imports most of it) costs a check or a fix about 25 ms on the
benchmark machine, a twentieth of a whole ``fix``; this module escapes as
rich does and writes the same bytes for the markup the reports print.  Whatever it cannot
write as rich would (a tab, which rich expands by cell widths) it hands to
rich.  ``tests/report/test_plain.py`` compares the two on every kind of
markup the reports use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, TextIO

# rich.markup.RE_TAGS: what rich reads as a tag, with the backslashes before it.
_TAGS = re.compile(r"((\\*)\[([a-z#/@][^[]*?)])")
# rich.control.STRIP_CONTROL_CODES: bell, backspace, vertical tab, form feed, CR.
_STRIPPED = dict.fromkeys((7, 8, 11, 12, 13))


# What rich.markup.escape escapes: a bracket that would open a tag, and the
# backslashes before it.
_ESCAPABLE = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def escape(text: str) -> str:
    """``text`` as markup that prints as ``text``: rich.markup.escape, without importing rich."""
    escaped = _ESCAPABLE.sub(lambda match: match[1] * 2 + "\\" + match[2], text)
    if escaped.endswith("\\") and not escaped.endswith("\\\\"):
        escaped += "\\"  # a backslash at the end would escape what follows
    return escaped


def plain_text(markup: str) -> str:
    """``markup`` as rich prints it with no styles: tags dropped, escapes undone."""
    if "[" not in markup:
        return markup.translate(_STRIPPED)
    out: list[str] = []
    position = 0
    for match in _TAGS.finditer(markup):
        full, escapes, _tag = match.groups()
        start, end = match.span()
        if start > position:
            out.append(_text(markup[position:start]))
        position = end
        if escapes:
            backslashes, escaped = divmod(len(escapes), 2)
            if backslashes:
                out.append("\\" * backslashes)
            if escaped:
                out.append(full[len(escapes) :])  # an escaped tag is text
    if position < len(markup):
        out.append(_text(markup[position:]))
    return "".join(out).translate(_STRIPPED)


def _text(text: str) -> str:
    # rich.markup.render: an escaped bracket that opens no tag is a bracket.
    return text.replace("\\[", "[")


def needs_rich(stream: TextIO, color: str, environ: Mapping[str, str]) -> bool:
    """Whether rich would style what goes to ``stream`` (a terminal, or colour forced).

    rich's own test (``Console.is_terminal``): ``TTY_COMPATIBLE``, then
    ``FORCE_COLOR``, then whether the stream is a terminal.
    """
    if color == "always":
        return True
    compatible = environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    forced = environ.get("FORCE_COLOR")
    if forced is not None:
        return forced != ""
    try:
        return stream.isatty()
    except ValueError:  # closed
        return False


class PlainConsole:
    """The part of rich's ``Console`` the text reports use, for a file or a pipe."""

    is_terminal = False

    def __init__(self, file: TextIO, make_rich: Any) -> None:
        self.file = file
        self._make_rich = make_rich  # () -> a rich Console on the same stream
        self._rich: Any = None

    def print(self, *objects: Any, sep: str = " ", end: str = "\n", **options: Any) -> None:
        """``Console.print`` of markup strings, into a file or a pipe."""
        text = sep.join(map(str, objects))
        if (
            "\t" in text
            or options.get("markup") is False
            or not all(isinstance(item, str) for item in objects)
        ):
            if self._rich is None:
                self._rich = self._make_rich()
            self._rich.print(*objects, sep=sep, end=end, **options)
            return
        # Flushed at once, as rich does: lines on stdout and stderr stay in order.
        self.file.write(plain_text(text) + end)
        self.file.flush()


def plain_console(stream: TextIO, color: str, make_rich: Any) -> Any:
    """A ``PlainConsole`` on ``stream`` where rich would style nothing, else ``make_rich()``."""
    if needs_rich(stream, color, os.environ):
        return make_rich()
    return PlainConsole(stream, make_rich)
