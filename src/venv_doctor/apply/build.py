"""Build a wheel from sources: an sdist, a project folder, a git commit (PEP 517 / 660).

Builds run in an isolated environment made by ``build.env.DefaultIsolatedEnv``.
Its build requirements come from the index and ``--find-links`` folders
venv-doctor was given (``--offline`` allows no index at all), whichever
installer ``build`` uses (uv when it is available, else pip).  The backend's
output is captured and only shown, trimmed, when the build fails.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import tarfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from venv_doctor.apply.wheel_errors import BuildError

# Lines of a failed build's output worth showing; the rest is in the build tool's hands.
_TAIL_LINES = 15


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildSettings:
    """Where the isolated build environment may install build requirements from."""

    index_url: str
    find_links: Sequence[Path] = ()
    offline: bool = False


def installer_environ(settings: BuildSettings) -> dict[str, str | None]:
    """Environment overrides that point pip and uv at the configured index (``None``: unset).

    ``build`` runs its installer as a subprocess that inherits the
    environment, so this is how the index and find-links reach it.
    """
    links = [os.fspath(path) for path in settings.find_links]
    return {
        "PIP_INDEX_URL": settings.index_url,
        "PIP_EXTRA_INDEX_URL": None,
        "PIP_FIND_LINKS": " ".join(links) or None,
        "PIP_NO_INDEX": "1" if settings.offline else None,
        "UV_DEFAULT_INDEX": settings.index_url,
        "UV_INDEX_URL": None,
        "UV_INDEX": None,
        "UV_EXTRA_INDEX_URL": None,
        "UV_FIND_LINKS": ",".join(links) or None,
        "UV_OFFLINE": "1" if settings.offline else None,
        "UV_NO_INDEX": "1" if settings.offline else None,
    }


@contextlib.contextmanager
def _environ(overrides: Mapping[str, str | None]) -> Iterator[None]:
    # Process-wide: builds run one at a time, never from several threads.
    saved = {key: os.environ.get(key) for key in overrides}
    try:
        for key, value in overrides.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _installer() -> Literal["uv", "pip"]:
    if importlib.util.find_spec("uv") is not None or shutil.which(os.environ.get("UV") or "uv"):
        return "uv"
    return "pip"


def _tail(output: object) -> str:
    if isinstance(output, bytes):
        output = output.decode("utf-8", "replace")
    if not isinstance(output, str) or not output.strip():
        return ""
    lines = output.strip().splitlines()[-_TAIL_LINES:]
    return "\n" + "\n".join(f"  {line}" for line in lines)


def _failure_detail(exc: BaseException) -> str:
    from build import BuildBackendException

    if isinstance(exc, subprocess.CalledProcessError):
        # Only installing the build requirements raises this bare: hooks come wrapped.
        detail = _tail(exc.stderr) or _tail(exc.output)
        return f"installing the build requirements failed (exit status {exc.returncode}){detail}"
    inner: BaseException = exc
    if isinstance(exc, BuildBackendException):
        inner = exc.exception
    if isinstance(inner, subprocess.CalledProcessError):
        return f"{exc}{_tail(inner.stderr) or _tail(inner.output)}"
    return str(exc) or repr(exc)


def build_project(
    source_dir: Path,
    *,
    out_dir: Path,
    package: str,
    editable: bool = False,
    settings: BuildSettings,
) -> Path:
    """Build ``source_dir`` into a wheel in ``out_dir`` and return the wheel's path.

    ``editable`` asks the backend for a PEP 660 editable wheel.  Any failure
    (no ``pyproject.toml``/``setup.py``, a build requirement the index does
    not have, the backend failing) is a ``BuildError`` with the end of the
    output.
    """
    from build import BuildBackendException, BuildException, ProjectBuilder
    from build.env import DefaultIsolatedEnv
    from pyproject_hooks import quiet_subprocess_runner

    kind: Literal["wheel", "editable"] = "editable" if editable else "wheel"
    try:
        with (
            _environ(installer_environ(settings)),
            DefaultIsolatedEnv(installer=_installer()) as env,
        ):
            builder = ProjectBuilder.from_isolated_env(
                env, source_dir, runner=quiet_subprocess_runner
            )
            env.install(builder.build_system_requires)
            env.install(builder.get_requires_for_build(kind))
            built = builder.build(kind, out_dir)
    except (
        BuildException,
        BuildBackendException,
        subprocess.CalledProcessError,
        RuntimeError,
        OSError,
    ) as exc:
        what = "an editable wheel" if editable else "a wheel"
        raise BuildError(
            f"{package}: building {what} from {source_dir} failed: {_failure_detail(exc)}",
            package=package,
            location=str(source_dir),
            path=source_dir,
            hint=(
                f"run `python -m build --wheel {source_dir}` to see the whole output; "
                "a build requirement must be on the index (--index-url) or in --find-links"
            ),
        ) from exc
    return Path(built)


# ------------------------------------------------------------------- sources


def _inside(root: Path, member: str) -> bool:
    target = os.path.realpath(os.path.join(root, member))
    return target == os.path.realpath(root) or target.startswith(os.path.realpath(root) + os.sep)


def _extract_tar(tarred: tarfile.TarFile, dest: Path, *, archive: Path, package: str) -> None:
    if hasattr(tarfile, "data_filter"):
        # The "data" filter refuses absolute paths, "..", links out and device files.
        tarred.extractall(dest, filter="data")
        return
    # Python 3.10 before 3.10.12 has no filters: check each member by hand.
    for member in tarred.getmembers():
        bad_link = (member.issym() or member.islnk()) and not _inside(
            dest, os.path.join(os.path.dirname(member.name), member.linkname)
        )
        if not _inside(dest, member.name) or bad_link or member.isdev():
            raise BuildError(
                f"{package}: {archive} holds {member.name!r}, outside its own folder",
                package=package,
                location=str(archive),
                path=archive,
            )
    tarred.extractall(dest)  # noqa: S202 - every member was checked just above


def unpack_sdist(archive: Path, dest: Path, *, package: str) -> Path:
    """Unpack a source archive into ``dest``; return its project folder.

    An archive member that would land outside ``dest`` (an absolute path,
    ``..``, a link out) is refused.
    """
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zipped:
                for name in zipped.namelist():
                    if not _inside(dest, name):
                        raise BuildError(
                            f"{package}: {archive} holds {name!r}, outside its own folder",
                            package=package,
                            location=str(archive),
                            path=archive,
                        )
                zipped.extractall(dest)  # noqa: S202 - every member was checked just above
        else:
            with tarfile.open(archive) as tarred:
                _extract_tar(tarred, dest, archive=archive, package=package)
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
        raise BuildError(
            f"{package}: cannot unpack {archive}: {exc}",
            package=package,
            location=str(archive),
            path=archive,
            hint="the archive is damaged: remove it and fetch it again",
        ) from exc
    entries = [entry for entry in dest.iterdir() if not entry.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest


def _git(args: Sequence[str], *, package: str, url: str) -> None:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ADVICE": "0"}
    try:
        subprocess.run(
            ["git", "-c", "advice.detachedHead=false", *args],
            capture_output=True,
            check=True,
            env=env,
        )
    except FileNotFoundError as exc:
        raise BuildError(
            f"{package}: git is needed to fetch {url}, but it is not installed",
            package=package,
            location=url,
            hint="install git, or put a wheel of the package in a --find-links folder",
        ) from exc
    except subprocess.CalledProcessError as exc:
        raise BuildError(
            f"{package}: git {args[0]} of {url} failed (exit {exc.returncode}){_tail(exc.stderr)}",
            package=package,
            location=url,
            hint="check that the repository and the locked commit are reachable, then try again",
        ) from exc


def checkout_git(
    url: str, *, commit: str | None, revision: str | None, dest: Path, package: str
) -> Path:
    """Clone ``url`` into ``dest`` and check out ``commit`` (else ``revision``, else HEAD)."""
    url = url.removeprefix("git+")
    _git(["clone", "--quiet", "--no-checkout", url, os.fspath(dest)], package=package, url=url)
    target = commit or revision or "HEAD"
    _git(
        ["-C", os.fspath(dest), "checkout", "--quiet", "--detach", target], package=package, url=url
    )
    if (dest / ".gitmodules").is_file():
        _git(
            ["-C", os.fspath(dest), "submodule", "update", "--init", "--recursive", "--quiet"],
            package=package,
            url=url,
        )
    return dest


def project_folder(root: Path, subdirectory: str | None, *, package: str) -> Path:
    """``root`` or its ``subdirectory``, which must stay inside it and be a folder."""
    folder = root / subdirectory if subdirectory else root
    if subdirectory and not _inside(root, subdirectory):
        raise BuildError(
            f"{package}: subdirectory {subdirectory!r} leaves {root}",
            package=package,
            location=str(root),
            path=root,
        )
    if not folder.is_dir():
        raise BuildError(
            f"{package}: the project folder {folder} does not exist",
            package=package,
            location=str(folder),
            path=folder,
            hint="check the path in the lockfile (it is relative to the lockfile's folder)",
        )
    return folder
