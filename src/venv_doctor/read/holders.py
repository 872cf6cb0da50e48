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
    top = os.path.normcase(os.path.realpath(root)).rstrip(os.sep) + os.sep
    skipped = set(skip_pids)
    if _PROC_MAPS:
        return _users_from_proc(top, skipped)
    try:
        import psutil
    except ImportError:
        return ()
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


# Linux: /proc tells the same as psutil (which reads it too) for a fraction of
# the time: psutil's memory_maps parses each process's smaps (a dozen lines a
# mapping), where the paths alone are in maps.
_PROC_MAPS = os.path.isfile("/proc/self/maps") and os.path.isdir("/proc/self/fd")
_DELETED = " (deleted)"


def _users_from_proc(top: str, skipped: set[int]) -> tuple[Holder, ...]:
    """``find_users`` from /proc: each process's executable, open files and mapped files."""
    found: dict[tuple[int, str], Holder] = {}
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return ()
    for pid in pids:
        if pid in skipped:
            continue
        for how, used in _proc_uses(pid, top):
            if (pid, used) not in found:
                found[pid, used] = Holder(pid=pid, name=_proc_name(pid), how=how, path=used)
    return tuple(sorted(found.values(), key=lambda holder: (holder.pid, holder.path)))


def _proc_uses(pid: int, top: str) -> Iterator[tuple[How, str]]:
    base = f"/proc/{pid}"
    with contextlib.suppress(OSError):
        exe = os.readlink(f"{base}/exe")
        if exe.startswith(top):
            yield "running", exe.removesuffix(_DELETED)
    with contextlib.suppress(OSError):
        fds = os.listdir(f"{base}/fd")
        for fd in fds:
            with contextlib.suppress(OSError):
                target = os.readlink(f"{base}/fd/{fd}")
                # Regular files only, as psutil's open_files lists them.
                if target.startswith(top) and os.path.isfile(target):
                    yield "open", target
    with contextlib.suppress(OSError), open(f"{base}/maps", "rb") as handle:
        data = handle.read()
        needle = os.fsencode(top)
        if needle in data:
            for line in data.splitlines():
                at = line.find(b" /")
                if at != -1 and line[at + 1 :].startswith(needle):
                    yield "mapped", os.fsdecode(line[at + 1 :]).removesuffix(_DELETED)


def _proc_name(pid: int) -> str:
    try:
        import psutil

        return psutil.Process(pid).name() or "?"
    except Exception:  # gone, or no psutil: the name is only shown
        return "?"


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
