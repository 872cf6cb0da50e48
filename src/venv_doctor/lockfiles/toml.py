"""TOML parsing that reports errors as ``LockfileError`` naming the file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from venv_doctor.errors import LockfileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def loads_toml(text: str, *, path: Path) -> dict[str, Any]:
    """Parse ``text``; malformed TOML raises ``LockfileError`` with the line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockfileError(
            f"{path}: not valid TOML: {exc}",
            hint="fix the file, or regenerate it with the tool that wrote it",
            path=path,
        ) from exc
