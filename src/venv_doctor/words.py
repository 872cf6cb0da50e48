"""Counted nouns for messages: ``1 file``, ``2 files``."""

from __future__ import annotations

_IRREGULAR = {"entry": "entries", "copy": "copies", "info": "info"}


def counted(count: int, noun: str) -> str:
    """``count`` followed by ``noun``, in the plural unless ``count`` is 1."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {_IRREGULAR.get(noun, noun + 's')}"
