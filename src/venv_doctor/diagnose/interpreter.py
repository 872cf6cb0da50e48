"""interpreter-missing: the base interpreter the venv runs on is gone."""

from __future__ import annotations

from venv_doctor.diagnose._make import finding
from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.index import Index
from venv_doctor.read.snapshot import Snapshot

_HINT = (
    "venv-doctor fix re-points it to a Python {version} on PATH, or to --python PATH; "
    "with none installed, install Python {version} first "
    "(or recreate the venv: uv venv --python {version} && uv sync)"
)


def check(snapshot: Snapshot, _index: Index) -> list[Finding]:
    return _interrupted(snapshot) + _interpreter(snapshot)


def _interrupted(snapshot: Snapshot) -> list[Finding]:
    if not snapshot.interrupted:
        return []
    return [
        finding(
            "fix-interrupted",
            "a venv-doctor change to this venv was interrupted "
            f"({', '.join(snapshot.interrupted)}) and is half applied",
            path=".venv-doctor/journal",
            hint="venv-doctor fix or venv-doctor undo rolls it back first, then goes on",
        )
    ]


def _interpreter(snapshot: Snapshot) -> list[Finding]:
    layout = snapshot.layout
    facts = snapshot.interpreter
    version = layout.version or "X.Y"
    reasons: list[str] = []
    path = "pyvenv.cfg"
    if layout.cfg_error == "missing":
        reasons.append("pyvenv.cfg is missing, so Python cannot tell it is a venv")
    elif layout.cfg_error:
        reasons.append(f"pyvenv.cfg cannot be read ({layout.cfg_error})")
    elif not facts.home:
        reasons.append("pyvenv.cfg has no 'home' key naming the base interpreter")
    elif facts.home_exists is False:
        reasons.append(f"the base interpreter's folder {facts.home} (pyvenv.cfg 'home') is gone")
    if facts.executable and facts.executable_exists is False and facts.home_exists is not False:
        reasons.append(f"the base interpreter {facts.executable} named in pyvenv.cfg is gone")
    if not facts.python_exists and facts.python_link:
        if facts.python_target:
            reasons.append(f"{facts.python_link} links to {facts.python_target}, which is gone")
        else:
            reasons.append(f"{facts.python_link} is missing")
        if not reasons[:-1]:
            path = facts.python_link
    if not reasons:
        return []
    return [
        finding(
            "interpreter-missing",
            "; ".join(reasons),
            path=path,
            hint=_HINT.format(version=version),
        )
    ]
