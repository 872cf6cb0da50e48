"""Lockfiles: read uv.lock, pylock.toml or a pinned requirements file into one ``WantedSet``.

``find_lockfile(project_dir)`` picks the file a project uses;
``load_wanted(path, probe=..., selection=...)`` reads it and selects what
belongs in the probed venv (``open_lockfile`` does it in two steps, the
first before the probe has answered).  The format is chosen by file name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from venv_doctor.errors import LockfileError
from venv_doctor.lockfiles.selection import Selection
from venv_doctor.lockfiles.wanted import Artifact, Source, WantedDist, WantedSet
from venv_doctor.read.probe import Probe

# The readers themselves are imported by the functions that read: a check
# without a lockfile imports ``wanted`` (through this package) but no reader.

__all__ = [
    "Artifact",
    "OpenedLockfile",
    "Selection",
    "Source",
    "WantedDist",
    "WantedSet",
    "find_lockfile",
    "load_wanted",
    "lockfile_kind",
    "open_lockfile",
]


def find_lockfile(project_dir: Path) -> Path | None:
    """The lockfile of the project in ``project_dir``, or ``None``.

    ``uv.lock`` first, then ``pylock.toml``, then a single ``pylock.<name>.toml``
    (with several named ones there is no telling which is meant: ``None``).
    """
    for name in ("uv.lock", "pylock.toml"):
        candidate = project_dir / name
        if candidate.is_file():
            return candidate
    named = sorted(p for p in project_dir.glob("pylock.*.toml") if is_valid_pylock_path(p))
    return named[0] if len(named) == 1 else None


def is_valid_pylock_path(path: Path) -> bool:
    """Whether ``path`` is a lockfile name of PEP 751: ``pylock.toml`` or ``pylock.NAME.toml``."""
    name = path.name
    if name == "pylock.toml":
        return True
    middle = name.removeprefix("pylock.").removesuffix(".toml")
    return len(middle) + len("pylock..toml") == len(name) and bool(middle) and "." not in middle


def lockfile_kind(path: Path) -> str:
    """``uv.lock``, ``pylock`` or ``requirements``, from the file name."""
    if path.name == "uv.lock":
        return "uv.lock"
    if is_valid_pylock_path(path):
        return "pylock"
    if path.suffix in {".txt", ".in"} or "requirements" in path.name:
        return "requirements"
    raise LockfileError(
        f"{path}: not a lockfile venv-doctor reads",
        hint="name a uv.lock, a pylock.toml / pylock.<name>.toml, or a requirements .txt file",
        path=path,
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise LockfileError(f"{path}: cannot be read: {reason}", path=path) from exc


def _pyproject(folder: Path) -> dict[str, Any] | None:
    from venv_doctor.lockfiles.toml import loads_toml

    candidate = folder / "pyproject.toml"
    if not candidate.is_file():
        return None
    return loads_toml(_read(candidate), path=candidate)


def _local_name(folder: Path) -> tuple[str, str | None] | None:
    from venv_doctor.lockfiles.requirements import local_project_name

    try:
        pyproject = _pyproject(folder)
    except LockfileError:
        return None
    return local_project_name(pyproject) if pyproject is not None else None


def load_wanted(path: Path, *, probe: Probe, selection: Selection) -> WantedSet:
    """Read the lockfile at ``path`` and select what belongs in the probed venv.

    ``open_lockfile(path, selection).select(probe)``: see there.
    """
    return open_lockfile(path, selection).select(probe)


class OpenedLockfile:
    """A lockfile read and parsed, waiting for the probe to select what belongs in the venv."""

    def __init__(self, path: Path, select: Callable[[Probe], WantedSet]) -> None:
        self.path = path
        self._select = select

    def select(self, probe: Probe) -> WantedSet:
        """What belongs in the venv ``probe`` describes (its markers and tags)."""
        return self._select(probe)


def open_lockfile(path: Path, selection: Selection) -> OpenedLockfile:
    """Read and parse the lockfile at ``path``; selecting needs the target's probe.

    A caller reads the lockfile before the venv (a file that cannot be read
    stops the work before it starts) and selects once the probe has
    answered, which the target's interpreter does while the venv is read.

    For a uv.lock, ``tool.uv.default-groups`` is read from the pyproject.toml
    beside it.  Raises ``LockfileError`` (exit 2) for a file that cannot be
    read or understood, naming the file and the line or field; ``select``
    raises ``UsageError`` for a selection that names unknown packages, extras
    or groups.  (A requirements file is parsed as it is selected: its markers
    are evaluated as each line is read.)
    """
    kind = lockfile_kind(path)
    text = _read(path)
    if kind == "uv.lock":
        from venv_doctor.lockfiles.uv_lock import parse_uv_lock
        from venv_doctor.lockfiles.uv_select import parse_default_groups, select_uv_lock

        lock = parse_uv_lock(text, path=path)
        pyproject = _pyproject(path.parent)
        defaults = parse_default_groups(pyproject) if pyproject is not None else None
        return OpenedLockfile(
            path,
            lambda probe: select_uv_lock(
                lock, probe=probe, selection=selection, default_groups=defaults
            ),
        )
    if kind == "pylock":
        # Imported here: packaging.pylock costs most of the readers' import time.
        from venv_doctor.lockfiles.pylock import parse_pylock, select_pylock

        parsed = parse_pylock(text, path=path)
        return OpenedLockfile(
            path,
            lambda probe: select_pylock(parsed, path=path, probe=probe, selection=selection),
        )
    from venv_doctor.lockfiles.requirements import parse_requirements

    return OpenedLockfile(
        path,
        lambda probe: parse_requirements(text, path=path, probe=probe, local_name=_local_name),
    )
