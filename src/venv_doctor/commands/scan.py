"""``scan``: find every venv under some folders and check them all, in parallel.

A venv is a folder holding ``pyvenv.cfg``.  The search never follows links,
never goes into a venv it found (nor into ``node_modules``, ``.git`` and the
like), and hands each venv to a pool of worker processes as soon as it is
found, so the first results show while the search goes on.
"""

from __future__ import annotations

import os
import sys
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


def uv_tools_dir(environ: Mapping[str, str], *, platform: str = sys.platform) -> Path | None:
    """Where ``uv tool install`` puts its venvs: ``UV_TOOL_DIR``, else uv's data folder's ``tools``.

    uv's data folder is ``%APPDATA%\\uv`` on Windows and ``$XDG_DATA_HOME/uv``
    (``~/.local/share/uv``) elsewhere, except where an older uv already made
    one at its earlier place, which uv keeps using: ``%APPDATA%\\uv\\data`` on
    Windows, ``~/Library/Application Support/uv`` on macOS.
    """
    if environ.get("UV_TOOL_DIR"):
        return Path(environ["UV_TOOL_DIR"])
    legacy: Path | None = None
    if platform == "win32":
        roaming = _windows_folder(environ, "APPDATA", "Roaming")
        data = roaming / "uv" if roaming else None
        legacy = roaming / "uv" / "data" if roaming else None
    else:
        xdg = _xdg_data_home(environ)
        data = xdg / "uv" if xdg else None
        if platform == "darwin" and environ.get("HOME"):
            legacy = Path(environ["HOME"], "Library", "Application Support", "uv")
    if legacy is not None and legacy.is_dir():
        return legacy / "tools"
    return data / "tools" if data else None


def pipx_venvs_dir(environ: Mapping[str, str], *, platform: str = sys.platform) -> Path | None:
    """Where pipx keeps its venvs: ``PIPX_HOME``, else the home pipx picks.

    pipx keeps using an earlier default home where one exists
    (``~/.local/pipx``; on Windows also ``~/pipx``); otherwise its home is the
    user data folder: ``%LOCALAPPDATA%\\pipx\\pipx`` on Windows,
    ``~/Library/Application Support/pipx`` on macOS, ``$XDG_DATA_HOME/pipx``
    (``~/.local/share/pipx``) elsewhere.
    """
    if environ.get("PIPX_HOME"):
        return Path(environ["PIPX_HOME"]) / "venvs"
    windows = platform == "win32"
    home = (environ.get("USERPROFILE") or environ.get("HOME")) if windows else environ.get("HOME")
    if not home:
        return None
    earlier = [Path(home, ".local", "pipx")] + ([Path(home, "pipx")] if windows else [])
    if windows:
        local = _windows_folder(environ, "LOCALAPPDATA", "Local")
        default = (local or Path(home, "AppData", "Local")) / "pipx" / "pipx"
    elif platform == "darwin":
        default = Path(home, "Library", "Application Support", "pipx")
    else:
        default = (_xdg_data_home(environ) or Path(home, ".local", "share")) / "pipx"
    for candidate in earlier:
        if candidate.is_dir():
            return candidate / "venvs"
    return default / "venvs"


def _windows_folder(environ: Mapping[str, str], variable: str, name: str) -> Path | None:
    """``%APPDATA%`` or ``%LOCALAPPDATA%``, else that folder under the user's profile."""
    if environ.get(variable):
        return Path(environ[variable])
    profile = environ.get("USERPROFILE")
    return Path(profile, "AppData", name) if profile else None


def _xdg_data_home(environ: Mapping[str, str]) -> Path | None:
    """``$XDG_DATA_HOME`` when absolute (the spec ignores others), else ``~/.local/share``."""
    xdg = environ.get("XDG_DATA_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    home = environ.get("HOME")
    return Path(home, ".local", "share") if home else None


def _check_one(venv: str, quick: bool, environ: dict[str, str]) -> ScanRow:
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
) -> Iterator[ScanRow]:
    """Check every venv in ``venvs``, yielding rows as they finish (not in order)."""
    from concurrent.futures import FIRST_COMPLETED, wait

    count = workers or os.cpu_count() or 1
    env = dict(environ)
    with ProcessPoolExecutor(max_workers=count) as pool:
        pending: set[Future[ScanRow]] = set()
        for venv in venvs:
            pending.add(pool.submit(_check_one, str(venv), quick, env))
            # Keep the pool busy without queueing hundreds of venvs ahead.
            while len(pending) >= count * 2:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield from (future.result() for future in done)
