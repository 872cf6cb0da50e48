"""uv tool and pipx, isolated: their tools folders, command folders and homes in one test folder.

``uv tool`` and ``pipx`` install from the local index like every other tool
here.  pipx keeps the pip of its shared venv as the base interpreter's
``ensurepip`` bundles it (``PIPX_DISABLE_SHARED_LIBS_AUTO_UPGRADE``): the
upgrade it would otherwise make needs pip from an index the tests do not have.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.tools import BASE_PYTHON, Tools, run


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolHomes:
    """Where uv tool and pipx put venvs and commands, below ``root``."""

    tools: Tools
    root: Path
    pipx_backend: str = "pip"  # pipx's other backend, "uv", is its default where uv is found
    # pipx's shared venv (its pip), made once for many homes: making it takes half a minute.
    pipx_shared: Path | None = None

    @property
    def uv_tools(self) -> Path:
        return self.root / "uv-tools"

    @property
    def uv_bin(self) -> Path:
        return self.root / "uv-bin"

    @property
    def pipx_home(self) -> Path:
        return self.root / "pipx-home"

    @property
    def pipx_venvs(self) -> Path:
        return self.pipx_home / "venvs"

    @property
    def pipx_bin(self) -> Path:
        return self.root / "pipx-bin"

    @property
    def environ(self) -> dict[str, str]:
        return (
            self.tools.environ
            | {
                "HOME": str(self.root / "home"),
                "UV_TOOL_DIR": str(self.uv_tools),
                "UV_TOOL_BIN_DIR": str(self.uv_bin),
                # What a hint's bare `uv tool install` finds first, as a user's PATH would.
                "UV_PYTHON": str(BASE_PYTHON),
                "PIPX_HOME": str(self.pipx_home),
                "PIPX_BIN_DIR": str(self.pipx_bin),
                "PIPX_MAN_DIR": str(self.root / "pipx-man"),
                "PIPX_DEFAULT_PYTHON": str(BASE_PYTHON),
                "PIPX_DISABLE_SHARED_LIBS_AUTO_UPGRADE": "1",
                "PIPX_DEFAULT_BACKEND": self.pipx_backend,
            }
            | ({"PIPX_SHARED_LIBS": str(self.pipx_shared)} if self.pipx_shared else {})
        )

    def uv_tool(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``uv tool ARGS`` (``install`` gets the tests' base interpreter)."""
        python = ("--python", str(BASE_PYTHON)) if args[:1] == ("install",) else ()
        return run([self.tools.uv, "tool", *args, *python], env=self.environ, check=check)

    def pipx(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run([sys.executable, "-m", "pipx", *args], env=self.environ, check=check)

    def run_command(self, command: str) -> subprocess.CompletedProcess[str]:
        """A command as a hint names it (``uv tool …``, ``pipx …``), run with these tools."""
        words = shlex.split(command)
        if words[0] == "uv":
            return run([self.tools.uv, *words[1:]], env=self.environ)
        assert words[0] == "pipx", command
        return self.pipx(*words[1:])

    def uv_tool_listed(self) -> str:
        """``uv tool list``, failing on any tool uv finds malformed."""
        listed = self.uv_tool("list")
        assert "malformed" not in listed.stderr, listed.stderr
        return listed.stdout


def removal_order(root: Path, *, keep_last: str | None = None) -> list[Path]:
    """The files (and links) below ``root`` in the order a depth-first delete meets them.

    That is the order of ``uv tool uninstall`` (``remove_virtualenv`` in
    crates/uv-fs/src/lib.rs: the venv's entries in directory order, each
    folder with Rust's ``remove_dir_all``, depth first in directory order,
    ``keep_last`` deferred) and of ``shutil.rmtree``.  ``os.listdir`` lists a
    folder in the order the file system returns it, as both read it.
    """
    found: list[Path] = []

    def visit(folder: Path) -> None:
        for name in os.listdir(folder):
            path = folder / name
            if stat.S_ISDIR(os.lstat(path).st_mode):
                visit(path)
            else:
                found.append(path)

    for name in os.listdir(root):
        if name == keep_last:
            continue
        path = root / name
        if stat.S_ISDIR(os.lstat(path).st_mode):
            visit(path)
        else:
            found.append(path)
    return found
