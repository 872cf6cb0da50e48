"""interpreter-missing: the base interpreter the venv runs on is gone;
interpreter-changed: it is there but runs another Python than the venv was made for,
or on another platform than its compiled distributions were built for."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from packaging.tags import Tag, parse_tag

from venv_doctor.diagnose._make import finding, reinstall_hint
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


_CHANGED_HINT = (
    "venv-doctor fix re-points it to a Python {version} on PATH, or to --python PATH; "
    "venv-doctor fix --python {new} moves it to Python {new} instead, reinstalling every "
    "package (or recreate the venv: uv sync --frozen --python {new} with a uv.lock, else "
    "uv venv --python {new} and reinstall)"
)


def changed(snapshot: Snapshot, *, runs: str | None, interpreter: str) -> list[Finding]:
    """interpreter-changed: bin/python runs another X.Y, or another ABI, than the venv's.

    ``runs`` is the full version the probe of ``interpreter`` answered with
    (``3.13.0t`` for a free-threaded build), ``None`` when it could not run:
    then the X.Y read from the file bin/python's links end at stands in.
    What the venv was made for: pyvenv.cfg ``version_info``/``version``, else
    its ``lib/pythonX.Y`` folder (``pythonX.Yt`` for a free-threaded venv).
    A base interpreter that is gone is ``interpreter-missing``'s alone.
    """
    layout, facts = snapshot.layout, snapshot.interpreter
    if layout.version is None or _interpreter(snapshot):
        return []
    made_ft = any(site.parent.name.endswith("t") for site in layout.site_packages)
    made = layout.version + ("t" if made_ft else "")
    if runs is not None:
        runs_full = runs
        parts = runs.removesuffix("t").split(".")
        runs = ".".join(parts[:2]) + ("t" if runs.endswith("t") else "")
    elif facts.python_real_version is not None:
        runs = runs_full = facts.python_real_version
    else:
        return []
    if runs == made:
        return []
    cfg = layout.cfg or {}
    full = re.match(r"\d+\.\d+(?:\.\d+)?", cfg.get("version_info") or cfg.get("version") or "")
    made_full = (full[0] if full else layout.version) + ("t" if made_ft else "")
    site = snapshot.site_rels[0] if snapshot.site_rels else f"lib/python{made}/site-packages"
    old = facts.executable or facts.home or "pyvenv.cfg"
    new = facts.python_real or interpreter
    link = facts.python_link or "bin/python"
    return [
        finding(
            "interpreter-changed",
            f"{link} runs Python {runs_full} ({new}), but the venv was made for "
            f"Python {made_full} ({old}): it does not see the packages in {site}",
            path=link,
            hint=_CHANGED_HINT.format(version=made, new=runs),
        )
    ]


def repoints(found: Finding) -> bool:
    """Whether ``found`` is about the venv's interpreter, which ``fix`` re-points.

    An ``interpreter-changed`` finding about one distribution (built for
    another platform) is not: another interpreter of the same X.Y would not
    load it either; that distribution is reinstalled instead.
    """
    return found.code == "interpreter-missing" or (
        found.code == "interpreter-changed" and found.package is None
    )


def foreign_builds(
    snapshot: Snapshot, *, tags: Iterable[Tag], markers: Mapping[str, str], interpreter: str
) -> list[Finding]:
    """interpreter-changed: compiled distributions built for another platform than bin/python's.

    ``tags`` are the tags the probe of ``interpreter`` supports, ``markers``
    its marker environment.  A distribution is foreign when its WHEEL file
    names platforms only (no ``any``) and none of them is among the
    interpreter's: an aarch64 wheel on x86_64, a macOS wheel on Linux.  uv
    compares the WHEEL tags with the interpreter's the same way and reinstalls
    what does not fit (uv-installer ``satisfies.rs``, ``read_tags``); another
    X.Y or ABI on the right platform is the venv-level finding's (``changed``),
    and a WHEEL file whose Python tag alone is off (a mislabelled wheel) is not
    reported: a reinstall would give the same file again.
    """
    if _interpreter(snapshot):
        return []
    platforms = {tag.platform for tag in tags}
    machine = markers.get("platform_machine") or "?"
    system = (markers.get("platform_system") or markers.get("sys_platform") or "?").lower()
    link = snapshot.interpreter.python_link or "bin/python"
    found: list[Finding] = []
    for dist in snapshot.dists:
        built_for = _platforms(dist.wheel_tags)
        if not built_for or "any" in built_for or built_for & platforms:
            continue
        found.append(
            finding(
                "interpreter-changed",
                f"{dist.label} is built for {', '.join(sorted(built_for))}, but {link} "
                f"({snapshot.interpreter.python_real or interpreter}) runs on {system} "
                f"{machine}: its compiled modules cannot load",
                dist=dist,
                path=dist.meta_dir,
                hint=reinstall_hint(dist),
            )
        )
    return found


def _platforms(wheel_tags: Iterable[str]) -> set[str]:
    """The platforms the WHEEL file's tags name (compressed tag sets expanded)."""
    platforms: set[str] = set()
    for raw in wheel_tags:
        try:
            platforms.update(tag.platform for tag in parse_tag(raw))
        except ValueError:
            continue  # not a tag: says nothing about the platform
    return platforms
