"""Run ``venv-doctor`` as a user would, and build the projects the fix tests break.

The state comparisons (``installed_state``, ``fresh_sync_state``, ...) live in
``tests/test_fix.py``; this module adds what the tests of every finding code,
of faults and of bad input share: a runner that takes extra environment, uv
run against a venv outside its project, and projects built by the in-tree
PEP 517/660 backend, so that no build tool is ever fetched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.tools import ImmutableFiles, Tools, run, site_packages

BACKEND = (
    Path(__file__).resolve().parents[2] / "fixtures" / "lockfiles" / "_backend" / "vd_build.py"
)


@dataclass(frozen=True, slots=True)
class Run:
    """One ``venv-doctor`` command: exit status and output."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.stdout)  # type: ignore[no-any-return]


def venv_doctor(
    tools: Tools,
    *args: str | os.PathLike[str],
    cache: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    allow_traceback: bool = False,
) -> Run:
    """``python -m venv_doctor ARGS`` with the tools' isolated environment.

    ``cache`` is venv-doctor's own wheel cache; ``env`` adds or overrides
    variables (``PATH`` for a machine without some Python).  A traceback in
    the output fails the test: every error must reach the user as a message.
    With ``allow_traceback`` the caller looks for one itself (to report it
    together with everything else it saw).
    """
    environ = tools.environ | {
        "VENV_DOCTOR_CACHE_DIR": str(cache),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    environ.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "venv_doctor", *(os.fspath(arg) for arg in args)],
        env=environ,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    result = Run(proc.returncode, proc.stdout, proc.stderr)
    if not allow_traceback:
        assert "Traceback (most recent call last)" not in result.output, result.output
    return result


def project_env(tools: Tools, venv: Path) -> dict[str, str]:
    """The tools' environment with ``venv`` as the project's environment (outside the project)."""
    return tools.environ | {"UV_PROJECT_ENVIRONMENT": str(venv)}


def uv_in(
    tools: Tools, venv: Path, *args: str, cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``uv ARGS`` in the project at ``cwd`` whose environment is ``venv``."""
    return run([tools.uv, *args], env=project_env(tools, venv), cwd=cwd, check=check)


def backend_project(root: Path, *, name: str, deps: Sequence[str]) -> Path:
    """A packaged project at ``root`` built by the in-tree backend; returns ``root``.

    The backend packages ``src/<name>/`` into a wheel, and for an editable
    install writes ``_<name>.pth`` naming ``src/``.
    """
    package = root / "src" / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 1\n", encoding="utf-8")
    (root / "_backend").mkdir()
    shutil.copy(BACKEND, root / "_backend" / "vd_build.py")
    dependencies = ", ".join(json.dumps(dep) for dep in deps)
    (root / "pyproject.toml").write_text(
        "[project]\n"
        f'name = "{name}"\n'
        'version = "0.1.0"\n'
        'requires-python = ">=3.8"\n'
        f"dependencies = [{dependencies}]\n"
        "\n"
        "[build-system]\n"
        "requires = []\n"
        'build-backend = "vd_build"\n'
        'backend-path = ["_backend"]\n',
        encoding="utf-8",
    )
    return root


def half_removed(tools: Tools, project: Path, immutable: ImmutableFiles) -> Path:
    """A project whose ``uv remove polarslike`` stopped at a locked file: fix must reinstall it."""
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    immutable(site_packages(venv) / "polarslike" / "_native.abi3.so")
    assert tools.run_uv("remove", "polarslike", cwd=project, check=False).returncode != 0
    immutable.release()
    return venv
