"""``scan``: find every venv under some folders and check them all, in parallel.

A venv is a folder holding ``pyvenv.cfg``.  The search never follows links,
never goes into a venv it found (nor into ``node_modules``, ``.git`` and the
like), and hands each venv to a pool of worker processes as soon as it is
found, so the first results show while the search goes on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from venv_doctor.report.model import ScanRow

# Folders that never hold a venv worth checking, and can be huge.
_SKIP = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        "site-packages",
        ".Trash",
    }
)


def find_venvs(roots: Iterable[Path]) -> Iterator[Path]:
    """Every venv below ``roots`` (a root that is a venv itself counts), each once."""
    seen: set[tuple[int, int]] = set()
    for root in roots:
        stack = [Path(os.path.abspath(root))]
        while stack:
            folder = stack.pop()
            try:
                info = os.stat(folder, follow_symlinks=False)
            except OSError:
                continue
            key = (info.st_dev, info.st_ino)
            if key in seen:
                continue
            seen.add(key)
            if os.path.isfile(os.path.join(folder, "pyvenv.cfg")):
                yield folder
                continue
            try:
                with os.scandir(folder) as entries:
                    children = [
                        Path(entry.path)
                        for entry in entries
                        if entry.is_dir(follow_symlinks=False) and entry.name not in _SKIP
                    ]
            except OSError:
                continue
            stack.extend(sorted(children, reverse=True))


def _check_one(venv: str, quick: bool, environ: dict[str, str], cache: bool) -> ScanRow:
    """Run in a worker process: check one venv, never raise."""
    from venv_doctor.commands.check import LockOptions, run_check
    from venv_doctor.errors import VenvDoctorError
    from venv_doctor.read.layout import read_layout

    try:
        layout = read_layout(Path(venv))
        checked = run_check(
            layout,
            quick=quick,
            select=None,
            ignore=None,
            lock=LockOptions(),
            environ=environ,
            cwd=Path(venv),
            cache=cache,
        )
    except VenvDoctorError as exc:
        return ScanRow(venv=venv, error=str(exc))
    except Exception as exc:
        return ScanRow(venv=venv, error=f"unexpected {type(exc).__name__}: {exc}")
    return ScanRow(venv=venv, result=checked.result)


def scan(
    venvs: Iterable[Path],
    *,
    quick: bool,
    environ: Mapping[str, str],
    workers: int | None = None,
    cache: bool = False,
) -> Iterator[ScanRow]:
    """Check every venv in ``venvs``, yielding rows as they finish (not in order)."""
    from concurrent.futures import FIRST_COMPLETED, wait

    count = workers or os.cpu_count() or 1
    env = dict(environ)
    with ProcessPoolExecutor(max_workers=count) as pool:
        pending: set[Future[ScanRow]] = set()
        for venv in venvs:
            pending.add(pool.submit(_check_one, str(venv), quick, env, cache))
            # Keep the pool busy without queueing hundreds of venvs ahead.
            while len(pending) >= count * 2:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (future.result() for future in done)
