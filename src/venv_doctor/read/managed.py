"""Venvs that uv tool and pipx manage: where they live and what their installer recorded.

``uv tool install NAME`` makes the venv ``<tools>/NAME`` and writes
``uv-receipt.toml`` into it: the requirements asked for (the tool's own package
first, then each ``--with``), the Python asked for, the commands it put on
PATH (uv: crates/uv-tool/src/tool.rs, receipt.rs).  ``pipx install`` makes
``<pipx home>/venvs/NAME`` and writes ``pipx_metadata.json`` into it: the main
package as asked for (``package_or_url``) and every injected package (pipx:
src/pipx/pipx_metadata_file.py).  To either installer a tool is what that file
says: a venv that lost it is one ``uv tool list`` calls malformed.

``uv tool uninstall`` deletes the venv's entries in directory order, keeping
``pyvenv.cfg`` for last, and removes the commands on PATH only after the venv
is gone (crates/uv/src/commands/tool/uninstall.rs, ``remove_virtualenv`` in
crates/uv-fs/src/lib.rs): one that stops at a locked file leaves a venv
without its receipt, often without the tool's own dist-info, with part of its
files.  ``pipx uninstall`` deletes what it can and moves the rest to its trash
(src/pipx/commands/uninstall.py, ``rmdir`` in src/pipx/util.py); where that
move fails too, what stays has lost ``pipx_metadata.json`` and ``pyvenv.cfg``.

Parsers take text; ``read_managed`` is the thin loader.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from venv_doctor.read.readfile import read_regular

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

UV_TOOL = "uv tool"
PIPX = "pipx"
UV_RECEIPT = "uv-receipt.toml"
PIPX_METADATA = "pipx_metadata.json"

# ``ManagedVenv.problem`` when the installer's file is not there at all.
MISSING = "missing"

# Far more than any receipt: a file this big is not one.
_LIMIT = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolRequirement:
    """One requirement a tool's installer recorded, as a user would type it again.

    ``specifier`` is empty for a requirement without one and for one from a
    URL, a path or git (then only the name can be compared with what is
    installed).
    """

    name: str  # PEP 503 normalized
    text: str  # "black[d]>=24", "black @ git+https://…", or the path of an editable
    extras: tuple[str, ...] = ()
    specifier: str = ""
    marker: str | None = None
    editable: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ManagedVenv:
    """A venv made by ``uv tool install`` or ``pipx install``, and what it was made from.

    ``problem`` says why the installer's record could not be read (``None``:
    it was).  ``wants`` holds the tool's own package first, then the ``--with``
    (uv) or injected (pipx) packages; it is empty when the record was not read.
    """

    manager: str  # UV_TOOL or PIPX
    name: str  # the venv's folder name: uv's tool name, pipx's venv name
    root: str
    record: str  # the installer's file, relative to the venv root
    problem: str | None = None
    wants: tuple[ToolRequirement, ...] = ()
    python: str | None = None
    unkept: tuple[str, ...] = ()  # receipt keys the command cannot carry (constraints …)

    @property
    def title(self) -> str:
        """``uv tool black`` or ``pipx venv black``."""
        return f"uv tool {self.name}" if self.manager == UV_TOOL else f"pipx venv {self.name}"

    @property
    def main(self) -> ToolRequirement | None:
        return self.wants[0] if self.wants else None

    @property
    def main_name(self) -> str:
        """The tool's own package: the recorded one, else (for uv) the folder's name."""
        if self.main is not None:
            return self.main.name
        return str(canonicalize_name(self.name))

    @property
    def command(self) -> str:
        """The one command that rebuilds this venv as its installer recorded it."""
        if self.manager == PIPX:
            # pipx reinstalls from pipx_metadata.json, or from the venv's name
            # without it (src/pipx/commands/reinstall.py).
            return shlex.join(["pipx", "reinstall", self.name])
        # --force: a half-removed tool still has its commands on PATH, which uv
        # otherwise refuses to overwrite, and an unusable venv, which --force
        # recreates (crates/uv/src/commands/tool/install.rs).
        words = ["uv", "tool", "install", "--force"]
        if self.python:
            words += ["--python", self.python]
        main = self.main
        if main is None:
            words.append(self.name)
        elif main.editable:
            words += ["--editable", main.text]
        else:
            words.append(main.text)
        for want in self.wants[1:]:
            words += ["--with-editable" if want.editable else "--with", want.text]
        return shlex.join(words)

    @property
    def remove_command(self) -> str:
        manager = ["pipx", "uninstall"] if self.manager == PIPX else ["uv", "tool", "uninstall"]
        return shlex.join([*manager, self.name])


# -- where they live -----------------------------------------------------------


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


def _same_folder(one: str, other: Path | None) -> bool:
    if other is None:
        return False
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def managed_by(root: Path, environ: Mapping[str, str]) -> str | None:
    """``UV_TOOL`` or ``PIPX`` when ``root`` is one of their venvs, by its files or its place.

    Its own installer's file decides first; without one, a folder of uv's
    tools folder or of pipx's venvs folder (as ``environ`` sets them, or, for
    pipx, a ``venvs`` folder beside the ``shared`` venv pipx keeps its pip in).
    """
    folder = os.path.abspath(root)
    if os.path.lexists(os.path.join(folder, UV_RECEIPT)):
        return UV_TOOL
    if os.path.lexists(os.path.join(folder, PIPX_METADATA)):
        return PIPX
    parent = os.path.dirname(folder)
    if _same_folder(parent, uv_tools_dir(environ)):
        return UV_TOOL
    if _same_folder(parent, pipx_venvs_dir(environ)) or _pipx_venvs_shape(parent):
        return PIPX
    return None


def _pipx_venvs_shape(folder: str) -> bool:
    """A ``venvs`` folder beside pipx's ``shared`` venv: pipx's home, wherever it was put."""
    return os.path.basename(folder) == "venvs" and os.path.isfile(
        os.path.join(os.path.dirname(folder), "shared", "pyvenv.cfg")
    )


# -- what they hold ------------------------------------------------------------


class _InvalidRecordError(ValueError):
    """A record that parses but does not say what a receipt says."""


def parse_uv_receipt(text: str) -> tuple[tuple[ToolRequirement, ...], str | None, tuple[str, ...]]:
    """The requirements, the Python asked for, and the keys the command cannot carry.

    Raises ``ValueError`` (``tomllib.TOMLDecodeError`` included) for a
    receipt uv itself could not read.
    """
    tool = tomllib.loads(text).get("tool")
    if not isinstance(tool, dict):
        raise _InvalidRecordError("no [tool] table")
    raw = tool.get("requirements", [])
    if not isinstance(raw, list):
        raise _InvalidRecordError("requirements is not a list")
    wants = tuple(_uv_requirement(entry) for entry in raw)
    python = tool.get("python")
    unkept = tuple(
        key
        for key in ("constraints", "overrides", "excludes", "build-constraint-dependencies")
        if tool.get(key)
    )
    return wants, python if isinstance(python, str) else None, unkept


def _uv_requirement(entry: object) -> ToolRequirement:
    """One entry of the receipt's ``requirements``.

    uv writes a table: ``name``, ``extras``, ``marker`` and one source
    (``specifier`` for an index, ``url``, ``path``, ``directory``,
    ``editable``, ``git``); older receipts hold PEP 508 strings
    (``RequirementWire`` in crates/uv-tool/src/tool.rs, ``RequirementSourceWire``
    in crates/uv-distribution-types/src/requirement.rs).
    """
    if isinstance(entry, str):
        try:
            req = Requirement(entry)
        except InvalidRequirement as exc:
            raise _InvalidRecordError(str(exc)) from exc
        return _from_pep508(req, entry)
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise _InvalidRecordError("a requirement without a name")
    name = entry["name"]
    extras = tuple(str(extra) for extra in entry.get("extras", ()) if isinstance(extra, str))
    marker = entry.get("marker") if isinstance(entry.get("marker"), str) else None
    named = name + (f"[{','.join(extras)}]" if extras else "")
    specifier = ""
    editable = False
    if isinstance(entry.get("editable"), str):
        text, editable = entry["editable"], True
    elif isinstance(entry.get("url"), str):
        subdirectory = entry.get("subdirectory")
        url = entry["url"] + (f"#subdirectory={subdirectory}" if subdirectory else "")
        text = f"{named} @ {url}"
    elif isinstance(entry.get("git"), str):
        text = f"{named} @ {_git_url(entry['git'])}"
    elif isinstance(entry.get("path") or entry.get("directory"), str):
        path = entry.get("path") or entry["directory"]
        text = f"{named} @ {Path(path).as_uri()}" if os.path.isabs(path) else path
    else:
        specifier = str(entry.get("specifier", ""))
        text = named + specifier
    if marker and not editable:
        text += f"; {marker}"
    return ToolRequirement(
        name=str(canonicalize_name(name)),
        text=text,
        extras=extras,
        specifier=specifier,
        marker=marker,
        editable=editable,
    )


def _git_url(value: str) -> str:
    """uv's receipt form ``https://host/repo?tag=v1&subdirectory=sub#<commit>`` as PEP 508 takes it.

    The reference goes back after ``@``, the subdirectory into the fragment;
    the resolved commit is left out, as the user's request did not name it.
    """
    parts = urlsplit(value)
    query = dict(parse_qsl(parts.query))
    reference = query.get("rev") or query.get("tag") or query.get("branch")
    path = parts.path + (f"@{reference}" if reference else "")
    fragment = f"subdirectory={query['subdirectory']}" if query.get("subdirectory") else ""
    return "git+" + urlunsplit((parts.scheme, parts.netloc, path, "", fragment))


def _from_pep508(req: Requirement, text: str) -> ToolRequirement:
    return ToolRequirement(
        name=str(canonicalize_name(req.name)),
        text=text,
        extras=tuple(sorted(req.extras)),
        specifier="" if req.url else str(req.specifier),
        marker=str(req.marker) if req.marker else None,
    )


def parse_pipx_metadata(text: str) -> tuple[ToolRequirement, ...]:
    """The main package, then the injected ones, from ``pipx_metadata.json``.

    Each is ``package`` (the name) as ``package_or_url`` asked for it: a PEP 508
    requirement of that name gives the specifier and extras; a URL or a path
    gives the name only.  Raises ``ValueError`` for a file pipx could not read.
    """
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("main_package"), dict):
        raise _InvalidRecordError("no main_package")
    packages = [data["main_package"]]
    injected = data.get("injected_packages") or {}
    if isinstance(injected, dict):
        packages += [info for info in injected.values() if isinstance(info, dict)]
    return tuple(_pipx_package(info) for info in packages)


def _pipx_package(info: Mapping[str, Any]) -> ToolRequirement:
    name = info.get("package")
    if not isinstance(name, str) or not name:
        raise _InvalidRecordError("a package without a name")
    asked = info.get("package_or_url")
    asked = asked if isinstance(asked, str) and asked else name
    try:
        req = Requirement(asked)
    except InvalidRequirement:
        req = None
    if req is not None and canonicalize_name(req.name) == canonicalize_name(name):
        return _from_pep508(req, asked)
    return ToolRequirement(name=str(canonicalize_name(name)), text=asked)


def read_managed(root: Path, environ: Mapping[str, str]) -> ManagedVenv | None:
    """What ``root``'s installer recorded, when uv tool or pipx made it; ``None`` otherwise."""
    manager = managed_by(root, environ)
    if manager is None:
        return None
    folder = os.path.abspath(root)
    record = UV_RECEIPT if manager == UV_TOOL else PIPX_METADATA
    base = ManagedVenv(manager=manager, name=os.path.basename(folder), root=folder, record=record)
    try:
        raw = read_regular(os.path.join(folder, record), _LIMIT, follow=False)
    except FileNotFoundError:
        return dataclasses.replace(base, problem=MISSING)
    except OSError as exc:
        return dataclasses.replace(base, problem=exc.strerror or str(exc))
    try:
        text = raw.decode("utf-8")
        if manager == UV_TOOL:
            wants, python, unkept = parse_uv_receipt(text)
            return dataclasses.replace(base, wants=wants, python=python, unkept=unkept)
        return dataclasses.replace(base, wants=parse_pipx_metadata(text))
    except (ValueError, TypeError) as exc:
        # UnicodeDecodeError, TOMLDecodeError and JSONDecodeError are ValueErrors.
        return dataclasses.replace(base, problem=str(exc) or type(exc).__name__)
