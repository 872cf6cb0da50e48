"""script-stale-shebang: console scripts that name another venv's interpreter, and
activate scripts that name another venv's folder."""

from __future__ import annotations

import ntpath
import posixpath

from venv_doctor.diagnose._make import finding
from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.index import Index
from venv_doctor.read.snapshot import Snapshot


def check(snapshot: Snapshot, index: Index) -> list[Finding]:
    return _launchers(snapshot, index) + _activate_scripts(snapshot)


def _launchers(snapshot: Snapshot, index: Index) -> list[Finding]:
    layout = snapshot.layout
    mod = ntpath if layout.windows else posixpath
    here = {
        _norm(str(layout.scripts), layout.windows),
        _norm(str(layout.real_root / layout.scripts.name), layout.windows),
    }
    found = []
    for rel, interpreter in sorted(snapshot.shebangs.items()):
        dist = index.owner(rel)
        if dist is None:
            continue
        folder = _norm(mod.dirname(interpreter), layout.windows)
        if folder in here:
            continue
        found.append(
            finding(
                "script-stale-shebang",
                f"{rel} runs {interpreter}, not this venv's interpreter "
                "(the venv or its project was moved or renamed)",
                dist=dist,
                path=rel,
                hint="venv-doctor fix rewrites the launchers; so does uv sync --reinstall",
            )
        )
    return found


def _activate_scripts(snapshot: Snapshot) -> list[Finding]:
    layout = snapshot.layout
    here = {_norm(str(layout.root), layout.windows), _norm(str(layout.real_root), layout.windows)}
    return [
        finding(
            "script-stale-shebang",
            f"{rel} sets VIRTUAL_ENV to {venv}, not this venv "
            "(the venv or its project was moved or renamed)",
            path=rel,
            hint="venv-doctor fix rewrites the activate scripts",
        )
        for rel, venv in sorted(snapshot.activations.items())
        if _norm(venv, layout.windows) not in here
    ]


def _norm(path: str, windows: bool) -> str:
    if windows:
        return ntpath.normpath(path.replace("/", "\\")).lower()
    return posixpath.normpath(path)
