"""Which running processes hold a file: to name them when a file cannot be moved.

On Windows a file a process has open or is running cannot be renamed or
deleted; on POSIX that never blocks a rename, but naming the holder still
explains a busy or immutable file.  ``psutil`` reports open files, memory
maps (loaded ``.so``/``.pyd`` files) and each process's executable.  When
psutil is missing or the OS will not tell, the answer is simply empty.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

How = Literal["running", "open", "mapped", "cwd"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Holder:
    """A process that has ``path`` in use, and how (``running`` it, ``open``, ``mapped``)."""

    pid: int
    name: str
    how: How
    path: str

    def describe(self) -> str:
        return f"{self.name} (pid {self.pid}, {self.how})"


def find_holders(paths: Iterable[str]) -> tuple[Holder, ...]:
    """The processes that use any of ``paths`` (or anything under a folder among them)."""
    wanted = [os.path.normcase(os.path.realpath(path)) for path in paths]
    if not wanted:
        return ()
    try:
        import psutil
    except ImportError:
        return ()
    found: dict[tuple[int, str], Holder] = {}
    for proc in psutil.process_iter(["pid", "name"]):
        with contextlib.suppress(psutil.Error, OSError):
            for how, used in _uses(proc):
                match = _matching(os.path.normcase(used), wanted)
                if match is not None:
                    key = (proc.pid, match)
                    found.setdefault(
                        key,
                        Holder(pid=proc.pid, name=proc.info["name"] or "?", how=how, path=match),
                    )
    return tuple(sorted(found.values(), key=lambda holder: (holder.pid, holder.path)))


def find_users(root: str, *, skip_pids: Iterable[int] = ()) -> tuple[Holder, ...]:
    """Running processes that run, have open or have mapped a file under ``root``.

    Each ``Holder.path`` is the file used.  A process's working folder does not
    count.  ``skip_pids`` (venv-doctor itself) are left out.
    """
    try:
        import psutil
    except ImportError:
        return ()
    top = os.path.normcase(os.path.realpath(root)).rstrip(os.sep) + os.sep
    skipped = set(skip_pids)
    found: dict[tuple[int, str], Holder] = {}
    for proc in psutil.process_iter(["pid", "name"]):
        if proc.pid in skipped:
            continue
        with contextlib.suppress(psutil.Error, OSError):
            for how, used in _uses(proc):
                if how != "cwd" and os.path.normcase(used).startswith(top):
                    found.setdefault(
                        (proc.pid, used),
                        Holder(pid=proc.pid, name=proc.info["name"] or "?", how=how, path=used),
                    )
    return tuple(sorted(found.values(), key=lambda holder: (holder.pid, holder.path)))


def _uses(proc: Any) -> Iterator[tuple[How, str]]:
    import psutil

    questions: tuple[tuple[How, Callable[[], list[str]]], ...] = (
        ("running", lambda: [proc.exe()]),
        ("open", lambda: [item.path for item in proc.open_files()]),
        ("mapped", lambda: [item.path for item in proc.memory_maps()]),
        ("cwd", lambda: [proc.cwd()]),
    )
    for how, ask in questions:
        # Each question may be refused on its own (access denied, process gone).
        try:
            answers = ask()
        except (psutil.Error, OSError, NotImplementedError):
            continue
        for used in answers:
            if used:
                yield how, used


def _matching(used: str, wanted: list[str]) -> str | None:
    for path in wanted:
        if used == path or used.startswith(path.rstrip(os.sep) + os.sep):
            return path
    return None


def describe_holders(holders: Iterable[Holder]) -> str:
    """``python3 (pid 12, open), code (pid 40, running)``; empty when there are none."""
    return ", ".join(holder.describe() for holder in holders)
