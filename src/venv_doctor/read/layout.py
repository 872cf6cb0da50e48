"""Find the venv and read its shape: pyvenv.cfg, site-packages, scripts folder.

Nothing here runs the target interpreter.  The layout is worked out from the
files alone, for POSIX venvs (``bin/``, ``lib/pythonX.Y/site-packages``) and
Windows venvs (``Scripts/``, ``Lib/site-packages``) alike, so a Windows venv
copied to Linux reads the same as it would at home.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from venv_doctor.errors import InvalidVenvError, VenvNotFoundError

_LIB_DIR = re.compile(r"^(?:python|pypy)(\d+)\.(\d+)t?$")


@dataclass(frozen=True, slots=True, kw_only=True)
class VenvLayout:
    """Where things live in one venv.  Every path is absolute.

    ``site_packages`` holds purelib first; platlib is only listed when it is
    another folder (``lib64`` as a real folder rather than a link).
    """

    root: Path
    real_root: Path
    windows: bool
    cfg: Mapping[str, str] | None
    cfg_error: str | None
    version: str | None
    site_packages: tuple[Path, ...]
    scripts: Path
    # Why this venv: how ``find_venv_why`` found it ("" when named directly).
    found_by: str = ""

    @property
    def purelib(self) -> Path | None:
        return self.site_packages[0] if self.site_packages else None

    @property
    def interpreter(self) -> Path:
        return self.scripts / ("python.exe" if self.windows else "python")

    def relative(self, path: Path) -> str:
        """``path`` relative to the venv root, with ``/`` separators."""
        return path.relative_to(self.root).as_posix()


def parse_pyvenv_cfg(text: str) -> dict[str, str]:
    """Parse ``pyvenv.cfg`` the way ``site.py`` does: ``key = value`` lines.

    Keys are lower-cased; lines without ``=`` are ignored, as site.py does.
    """
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    return values


def _cfg_version(cfg: Mapping[str, str]) -> str | None:
    raw = cfg.get("version_info") or cfg.get("version") or ""
    match = re.match(r"(\d+)\.(\d+)", raw)
    return f"{match[1]}.{match[2]}" if match else None


def looks_like_venv(path: Path) -> bool:
    """A folder with ``pyvenv.cfg``, or (its cfg lost) with a venv's folders."""
    if (path / "pyvenv.cfg").is_file():
        return True
    if (path / "Scripts").is_dir() and (path / "Lib" / "site-packages").is_dir():
        return True
    lib = path / "lib"
    if not (path / "bin").is_dir() or not lib.is_dir():
        return False
    try:
        return any(
            _LIB_DIR.match(name) and (lib / name / "site-packages").is_dir()
            for name in os.listdir(lib)
        )
    except OSError:
        return False


def read_layout(root: Path) -> VenvLayout:
    """Read the layout of the venv at ``root`` (which must look like a venv)."""
    root = Path(os.path.abspath(root))
    if not root.is_dir():
        raise InvalidVenvError(f"{root} is not a folder", path=root)
    if not looks_like_venv(root):
        raise InvalidVenvError(
            f"{root} does not look like a virtual environment (no pyvenv.cfg)",
            hint="pass the folder that holds pyvenv.cfg, or a project folder with a .venv",
            path=root,
        )
    cfg: dict[str, str] | None = None
    cfg_error: str | None = None
    try:
        cfg = parse_pyvenv_cfg((root / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace"))
    except FileNotFoundError:
        cfg_error = "missing"
    except OSError as exc:
        cfg_error = exc.strerror or str(exc)
    version = _cfg_version(cfg) if cfg else None

    windows = (root / "Scripts").is_dir() and (root / "Lib" / "site-packages").is_dir()
    if windows:
        site_packages: tuple[Path, ...] = (root / "Lib" / "site-packages",)
        scripts = root / "Scripts"
    else:
        site_packages = _posix_site_packages(root, version)
        scripts = root / "bin"
        if version is None and site_packages:
            match = _LIB_DIR.match(site_packages[0].parent.name)
            version = f"{match[1]}.{match[2]}" if match else None
    return VenvLayout(
        root=root,
        real_root=Path(os.path.realpath(root)),
        windows=windows,
        cfg=cfg,
        cfg_error=cfg_error,
        version=version,
        site_packages=site_packages,
        scripts=scripts,
    )


def _posix_site_packages(root: Path, version: str | None) -> tuple[Path, ...]:
    found: list[Path] = []
    seen: set[str] = set()
    for libname in ("lib", "lib64"):
        lib = root / libname
        try:
            names = sorted(name for name in os.listdir(lib) if _LIB_DIR.match(name))
        except OSError:
            continue
        for name in names:
            match = _LIB_DIR.match(name)
            if match is None or (version is not None and f"{match[1]}.{match[2]}" != version):
                continue
            candidate = lib / name / "site-packages"
            if not candidate.is_dir():
                continue
            # lib64 -> lib on 64-bit Linux: the same folder seen twice.
            real = os.path.realpath(candidate)
            if real not in seen:
                seen.add(real)
                found.append(candidate)
    if not found and version is not None:
        # pyvenv.cfg names a version whose folder is gone: look at what is there.
        return _posix_site_packages(root, None)
    return tuple(found)


def find_venv(
    path: Path | None,
    *,
    venv_option: Path | None,
    environ: Mapping[str, str],
    cwd: Path,
) -> Path:
    """Pick the venv to inspect, in the documented order (see ``find_venv_why``)."""
    return find_venv_why(path, venv_option=venv_option, environ=environ, cwd=cwd)[0]


def find_venv_why(
    path: Path | None,
    *,
    venv_option: Path | None,
    environ: Mapping[str, str],
    cwd: Path,
) -> tuple[Path, str]:
    """Pick the venv to inspect, and say why that one, in a few words.

    ``PATH`` (a venv, or a project folder holding ``.venv``), then ``--venv``,
    then ``$VIRTUAL_ENV``, then ``.venv`` in ``cwd`` or its parents.  Never the
    venv venv-doctor itself runs from: a user whose ``cd`` failed must not be
    told that some other venv is healthy.
    """
    looked: list[str] = []
    for named, origin in ((path, "the argument"), (venv_option, "--venv")):
        if named is None:
            continue
        given = cwd / named
        if looks_like_venv(given):
            return given, f"named by {origin}"
        project_env = _project_venv(given, environ)
        if project_env is not None and looks_like_venv(project_env):
            return project_env, f"the environment of the project named by {origin}"
        if not given.exists():
            raise VenvNotFoundError(f"{given} does not exist ({origin})", path=given)
        _refuse_tool_remains(given, environ)
        raise VenvNotFoundError(
            f"{given} is neither a virtual environment nor a project folder with one",
            hint="pass the venv folder itself (the one holding pyvenv.cfg)",
            path=given,
        )
    virtual_env = environ.get("VIRTUAL_ENV")
    if virtual_env:
        if looks_like_venv(Path(virtual_env)):
            return Path(virtual_env), "from $VIRTUAL_ENV"
        looked.append(f"$VIRTUAL_ENV ({virtual_env})")
    else:
        looked.append("$VIRTUAL_ENV (not set)")
    for folder in (cwd, *cwd.parents):
        candidate = folder / ".venv"
        if looks_like_venv(candidate):
            where = "in the current folder" if folder == cwd else "above the current folder"
            return candidate, f"the .venv {where}"
    looked.append(f".venv in {cwd} and each folder above it")
    raise VenvNotFoundError(
        "no virtual environment found; looked at " + ", ".join(looked),
        hint="name one: venv-doctor check path/to/.venv (or activate it, or cd into its project)",
    )


def _refuse_tool_remains(folder: Path, environ: Mapping[str, str]) -> None:
    """Name the tool when ``folder`` is what an uninstall left of a uv tool's or pipx's venv.

    ``pipx uninstall`` deletes what it can and, where it cannot move the rest
    to its trash, leaves a folder without ``pyvenv.cfg``; so may a ``uv tool
    uninstall`` that stopped at the very end (see ``managed``).
    """
    from venv_doctor.read.managed import read_managed

    managed = read_managed(folder, environ) if folder.is_dir() else None
    if managed is None:
        return
    raise VenvNotFoundError(
        f"{folder} is what is left of {managed.title}: its pyvenv.cfg is gone, and "
        f"its {managed.record} is {'gone' if managed.problem else 'still there'} "
        "(an uninstall that could not remove everything leaves it so)",
        hint=f"{managed.command} rebuilds it; {managed.remove_command} removes what is left",
        path=folder,
    )


def _project_venv(folder: Path, environ: Mapping[str, str]) -> Path | None:
    """The venv a project folder uses: ``UV_PROJECT_ENVIRONMENT`` or ``.venv``."""
    if not folder.is_dir():
        return None
    custom = environ.get("UV_PROJECT_ENVIRONMENT")
    if custom and (folder / "pyproject.toml").is_file():
        return folder / custom
    return folder / ".venv"


# Files that venv, virtualenv and uv create themselves in the scripts folder
# and in site-packages: never orphans, whatever RECORD says.
_OWN_SCRIPTS = re.compile(
    r"""^(?:
        (?:python|pypy|pythonw|graalpy)[0-9.]*t?(?:-config)?(?:\.exe)?
      | activate(?:_this\.py|\.[A-Za-z0-9]+)?
      | Activate\.ps1
      | deactivate(?:\.[A-Za-z0-9]+)?
      | pydoc(?:\.bat)?
      | venv(?:w)?launcher\.exe
      | [^/]+\.dll
      | __pycache__
    )$""",
    re.VERBOSE,
)
# pipx_shared.pth: pipx points each of its venvs at its shared pip with it.
_OWN_SITE = re.compile(
    r"^(?:_virtualenv\.pth|_virtualenv\.py|pipx_shared\.pth|__pycache__|.+\.virtualenv)$"
)


def is_venv_own_script(name: str) -> bool:
    """A scripts-folder entry made by the venv creator (interpreter links, activate scripts)."""
    return _OWN_SCRIPTS.match(name) is not None


def is_venv_own_site_entry(name: str) -> bool:
    """A site-packages entry made by virtualenv, uv or pipx rather than by a distribution."""
    return _OWN_SITE.match(name) is not None
