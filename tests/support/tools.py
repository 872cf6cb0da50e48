"""Run uv, pip, virtualenv and venv-doctor the way the tests need them.

Every tool runs isolated from the machine it is on: no user or global pip/uv
configuration, no inherited ``PIP_*``/``UV_*``/``VIRTUAL_ENV``, one uv cache
per test session, no Python downloads, and the local index as the only index.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The interpreter the target venvs are made from: the one running the tests,
# or its base when the tests run inside a venv.
BASE_PYTHON = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"

_DROPPED_PREFIXES = ("PIP_", "UV_", "VIRTUALENV_", "PYTHON")
_DROPPED = {"VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "PYENV_VERSION"}


class ToolFailedError(AssertionError):
    """A tool the test relies on failed: the message carries its output."""


def find_uv() -> str:
    """The uv binary: from the ``uv`` package, next to this Python, or on PATH."""
    try:
        from uv import find_uv_bin
    except ImportError:
        pass
    else:
        with contextlib.suppress(FileNotFoundError):
            return os.fsdecode(find_uv_bin())
    sibling = Path(sys.executable).with_name("uv")
    if sibling.is_file():
        return str(sibling)
    found = shutil.which("uv")
    if found is None:
        raise ToolFailedError("uv is not installed: pip install 'venv-doctor-cli[test]'")
    return found


def clean_environ(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) without anything that steers pip, uv or Python."""
    source = os.environ if base is None else base
    return {
        key: value
        for key, value in source.items()
        if not key.startswith(_DROPPED_PREFIXES) and key not in _DROPPED
    }


def site_packages(venv: Path) -> Path:
    """The POSIX site-packages folder of ``venv``."""
    (found,) = (venv / "lib").glob("python*/site-packages")
    return found


def rel(venv: Path, path: Path) -> str:
    """``path`` as check reports it: relative to ``venv``, with ``/`` separators."""
    return path.relative_to(venv).as_posix()


def run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; when ``check`` is set, fail with its whole output if it fails."""
    args = [os.fspath(part) for part in cmd]
    proc = subprocess.run(
        args, env=dict(env), cwd=cwd, capture_output=True, text=True, check=False, timeout=300
    )
    if check and proc.returncode != 0:
        raise ToolFailedError(
            f"{' '.join(args)} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc


@dataclass(frozen=True, slots=True, kw_only=True)
class Tools:
    """uv, pip and virtualenv pointed at the local index, with a private cache."""

    index_url: str
    uv_cache: Path
    pip_cache: Path
    tmp: Path
    uv: str

    def with_uv_cache(self, uv_cache: Path) -> Tools:
        """The same tools with their own uv cache (for tests that clean it)."""
        return dataclasses.replace(self, uv_cache=uv_cache)

    def with_tmp(self, tmp: Path) -> Tools:
        """The same tools with a temp folder of their own (for tests that look into it)."""
        tmp.mkdir(parents=True, exist_ok=True)
        return dataclasses.replace(self, tmp=tmp)

    @property
    def environ(self) -> dict[str, str]:
        env = clean_environ()
        env.update(
            {
                # os.devnull as the config file turns off every pip config file.
                "PIP_CONFIG_FILE": os.devnull,
                "PIP_INDEX_URL": self.index_url,
                "PIP_CACHE_DIR": str(self.pip_cache),
                "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                "PIP_NO_INPUT": "1",
                "UV_NO_CONFIG": "1",
                "UV_CACHE_DIR": str(self.uv_cache),
                "UV_DEFAULT_INDEX": self.index_url,
                "UV_PYTHON_DOWNLOADS": "never",
                "UV_NO_PROGRESS": "1",
                "UV_NO_MANAGED_PYTHON": "1",
                "VIRTUALENV_CONFIG_FILE": os.devnull,
                "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
                "VIRTUALENV_NO_DOWNLOAD": "1",
                "VIRTUALENV_OVERRIDE_APP_DATA": str(self.tmp / "virtualenv-app-data"),
                # pip stashes uninstalled files under the temp folder: keep them
                # where the session can find (and clean) them.
                "TMPDIR": str(self.tmp),
            }
        )
        return env

    def run(
        self, *cmd: str | os.PathLike[str], cwd: Path | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return run(cmd, env=self.environ, cwd=cwd, check=check)

    def run_uv(
        self, *args: str | os.PathLike[str], cwd: Path | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self.run(self.uv, *args, cwd=cwd, check=check)

    # -- venvs -----------------------------------------------------------------

    def make_uv_venv(self, path: Path, *, python: Path = BASE_PYTHON) -> Path:
        """``uv venv`` at ``path``."""
        self.run_uv("venv", "--python", python, path)
        return path

    def uv_pip_install(
        self, venv: Path, *reqs: str, link_mode: str | None = "copy", check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """``uv pip install`` into ``venv`` (``link_mode=None``: uv's default)."""
        mode = () if link_mode is None else ("--link-mode", link_mode)
        return self.run_uv(
            "pip", "install", "--python", venv / "bin" / "python", *mode, *reqs, check=check
        )

    def uv_pip_uninstall(
        self, venv: Path, *names: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self.run_uv(
            "pip", "uninstall", "--python", venv / "bin" / "python", *names, check=check
        )

    def make_pip_venv(self, path: Path, *reqs: str, python: Path = BASE_PYTHON) -> Path:
        """``python -m venv`` (pip from ensurepip), then ``pip install reqs``."""
        self.run(python, "-m", "venv", path)
        if reqs:
            self.pip_install(path, *reqs)
        return path

    def make_virtualenv(self, path: Path, *reqs: str, python: Path = BASE_PYTHON) -> Path:
        """``virtualenv`` (its embedded seed wheels), then ``pip install reqs``."""
        self.run(sys.executable, "-m", "virtualenv", "--python", python, path)
        if reqs:
            self.pip_install(path, *reqs)
        return path

    def pip(self, venv: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(venv / "bin" / "python", "-m", "pip", *args, check=check)

    def pip_install(
        self, venv: Path, *reqs: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self.pip(venv, "install", *reqs, check=check)

    # -- projects --------------------------------------------------------------

    def uv_project(
        self,
        root: Path,
        deps: Sequence[str],
        *,
        link_mode: str = "copy",
        package: bool = False,
        python: Path = BASE_PYTHON,
        name: str = "app",
    ) -> Path:
        """A uv project at ``root`` depending on ``deps``, locked and synced.

        With ``package`` the project itself is built (uv's own build backend)
        and installed editable; otherwise it is a virtual project.  Returns the
        project's ``.venv``.
        """
        root.mkdir(parents=True, exist_ok=True)
        write_pyproject(root, deps, package=package, name=name)
        self.run_uv("lock", "--python", python, cwd=root)
        self.uv_sync(root, link_mode=link_mode, python=python)
        return root / ".venv"

    def uv_sync(
        self,
        root: Path,
        *,
        link_mode: str = "copy",
        python: Path = BASE_PYTHON,
        check: bool = True,
        extra: Sequence[str] = (),
    ) -> subprocess.CompletedProcess[str]:
        return self.run_uv(
            "sync", "--python", python, "--link-mode", link_mode, *extra, cwd=root, check=check
        )


def write_pyproject(
    root: Path, deps: Sequence[str], *, package: bool = False, name: str = "app"
) -> Path:
    """Write a minimal ``pyproject.toml`` for a uv project."""
    dependencies = ", ".join(json.dumps(dep) for dep in deps)
    lines = [
        "[project]",
        f'name = "{name}"',
        'version = "0.1.0"',
        'requires-python = ">=3.8"',
        f"dependencies = [{dependencies}]",
        "",
    ]
    if package:
        lines += [
            "[build-system]",
            'requires = ["uv_build>=0.8,<0.99"]',
            'build-backend = "uv_build"',
            "",
        ]
    else:
        lines += ["[tool.uv]", "package = false", ""]
    path = root / "pyproject.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# -- running venv-doctor -------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """One ``venv-doctor check`` run: exit status, parsed JSON (if asked for), output."""

    exit_code: int
    report: dict[str, Any] | None
    stdout: str
    stderr: str

    @property
    def findings(self) -> list[dict[str, Any]]:
        assert self.report is not None, "run with --format json"
        findings: list[dict[str, Any]] = self.report["findings"]
        return findings

    @property
    def codes(self) -> set[str]:
        return {finding["code"] for finding in self.findings}

    def of(self, code: str) -> list[dict[str, Any]]:
        """The findings with ``code``."""
        return [finding for finding in self.findings if finding["code"] == code]

    def at(self, code: str, path: str) -> dict[str, Any]:
        """The one finding with ``code`` about ``path``; fails when there is none."""
        matches = [f for f in self.of(code) if f["path"] == path]
        assert matches, f"no {code} finding for {path}; got:\n{self.stdout}"
        assert len(matches) == 1, matches
        return matches[0]

    def failing(self) -> list[dict[str, Any]]:
        """Findings that make ``check`` exit 1 (warnings and errors)."""
        return [f for f in self.findings if f["severity"] in {"warning", "error"}]


# Every ``run_check`` of the current test: (arguments, cwd, exit status).  A test
# module may go over them afterwards (tests/test_check_broken.py runs the next
# command each check suggested).
CHECKS_RUN: list[tuple[tuple[str, ...], Path | None, int]] = []


def run_check(
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    python: str = sys.executable,
    timeout: float = 120,
) -> CheckResult:
    """Run ``python -m venv_doctor check *args`` and parse its JSON output if any.

    A run that takes longer than ``timeout`` seconds fails the test (a check
    that opens a FIFO or follows a symlink loop would hang).
    """
    argv = [python, "-m", "venv_doctor", "check", *(os.fspath(arg) for arg in args)]
    environ = clean_environ() if env is None else dict(env)
    # Keep rich from wrapping or colouring text output in a captured pipe.
    environ.setdefault("NO_COLOR", "1")
    environ.setdefault("COLUMNS", "200")
    try:
        proc = subprocess.run(
            argv, env=environ, cwd=cwd, capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"check did not finish within {timeout}s: {argv}") from exc
    CHECKS_RUN.append((tuple(os.fspath(arg) for arg in args), cwd, proc.returncode))
    report = None
    if "json" in argv and proc.stdout.strip():
        try:
            report = json.loads(proc.stdout)
        except ValueError as exc:
            raise AssertionError(
                f"check did not print JSON: {exc}\n--- stdout\n{proc.stdout}\n"
                f"--- stderr\n{proc.stderr}"
            ) from exc
    return CheckResult(
        exit_code=proc.returncode, report=report, stdout=proc.stdout, stderr=proc.stderr
    )


def checked(
    *args: str | os.PathLike[str],
    watch: Sequence[Path],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> CheckResult:
    """``run_check`` that also proves the run wrote nothing under ``watch``.

    Fails when a digest of any folder in ``watch`` changes, when a traceback
    reaches the output, or when the exit status does not agree with the
    severities of the JSON findings.
    """
    before = {root: tree_digest(root) for root in watch}
    result = run_check(*args, cwd=cwd, env=env, timeout=timeout)
    for root in watch:
        assert_same_tree(before[root], tree_digest(root), root)
    output = result.stdout + result.stderr
    assert "Traceback (most recent call last)" not in output, output
    assert result.exit_code in {0, 1, 2}, output
    if result.report is not None and result.exit_code != 2:
        assert result.exit_code == (1 if result.failing() else 0), output
    return result


def check_json(
    venv: Path,
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    watch: Sequence[Path] = (),
    timeout: float = 120,
) -> CheckResult:
    """``venv-doctor check VENV --format json ARGS``, proving nothing was written.

    ``watch`` adds folders besides the venv that must not change either; the
    project folder holding a project's ``.venv`` is always watched.
    """
    project = venv.parent
    own = project if (project / "pyproject.toml").is_file() else venv
    return checked(
        venv,
        "--format",
        "json",
        *args,
        watch=[own, *watch],
        cwd=cwd or venv.parent,
        timeout=timeout,
    )


# -- the file tree -------------------------------------------------------------


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISLNK, "symlink"),
        (stat.S_ISREG, "file"),
        (stat.S_ISDIR, "dir"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "other"


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_digest(root: Path) -> dict[str, tuple[object, ...]]:
    """Everything about the tree at ``root`` that a write would change.

    For each entry (symlinks are not followed): type, permission bits,
    modification time, and the size and sha256 of regular files or the target
    of symlinks.  Compare two digests to prove nothing was written.
    """
    entries: dict[str, tuple[object, ...]] = {}

    def add(path: str) -> None:
        info = os.lstat(path)
        kind = _kind(info.st_mode)
        extra: tuple[object, ...] = ()
        if kind == "file":
            extra = (info.st_size, _sha256(path))
        elif kind == "symlink":
            extra = (os.readlink(path),)
        rel = os.path.relpath(path, root)
        entries[rel] = (kind, stat.S_IMODE(info.st_mode), info.st_mtime_ns, *extra)

    add(str(root))
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            add(os.path.join(folder, name))
    return entries


def _chattr(flag: str, path: str) -> bool:
    proc = subprocess.run(["chattr", flag, path], capture_output=True, check=False)
    return proc.returncode == 0


def _find_inodes(roots: Sequence[Path], wanted: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    found: dict[tuple[int, int], str] = {}
    for root in roots:
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                with contextlib.suppress(OSError):
                    info = os.lstat(path)
                    key = (info.st_dev, info.st_ino)
                    if key in wanted and stat.S_ISREG(info.st_mode):
                        found.setdefault(key, path)
    return found


def assert_same_tree(
    before: Mapping[str, tuple[object, ...]], after: Mapping[str, tuple[object, ...]], root: Path
) -> None:
    """Fail with the entries that differ when two ``tree_digest`` results differ."""
    if before == after:
        return
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    raise AssertionError(
        f"{root} changed: added {added[:10]}, removed {removed[:10]}, changed {changed[:10]}"
    )


class ImmutableFiles:
    """Files made undeletable with ``chattr +i``; ``release()`` undoes it.

    Stands in for a file Windows will not delete because a process has it
    open.  Tools may move the folder holding such a file (pip stashes whole
    folders), so each file is remembered by inode and, when it is no longer
    where it was, looked for under ``search``.  A folder made immutable
    (nothing can be added to or removed from it) must stay where it is.
    """

    def __init__(self, search: Sequence[Path] = ()) -> None:
        self.search = list(search)
        self._done: dict[tuple[int, int], str] = {}

    def __call__(self, *paths: Path) -> None:
        for path in paths:
            info = os.lstat(path)
            if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
                raise ValueError(f"only files and folders are made immutable here: {path}")
            if not _chattr("+i", os.fspath(path)):
                raise ToolFailedError(f"chattr +i {path} failed (not root, or not ext4?)")
            self._done[info.st_dev, info.st_ino] = os.fspath(path)

    def release(self) -> None:
        """``chattr -i`` every file made immutable, wherever it is now."""
        missing = set()
        for key, path in self._done.items():
            with contextlib.suppress(OSError):
                info = os.lstat(path)
                if (info.st_dev, info.st_ino) == key and _chattr("-i", path):
                    continue
            missing.add(key)
        if missing:
            for key, path in _find_inodes(self.search, missing).items():
                if _chattr("-i", path):
                    missing.discard(key)
        self._done.clear()
        if missing:
            raise ToolFailedError(f"immutable files not found again to undo chattr +i: {missing}")


@contextlib.contextmanager
def immutable(*paths: Path, search: Sequence[Path] = ()) -> Iterator[None]:
    """Make the files ``paths`` undeletable for the ``with`` block, then undo it."""
    files = ImmutableFiles(search)
    try:
        files(*paths)
        yield
    finally:
        files.release()
