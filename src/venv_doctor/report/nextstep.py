"""The one command a person should run next, after a check that found problems."""

from __future__ import annotations

import os
import shlex

from venv_doctor.report.model import CheckResult

# Drift that uv itself repairs: its view of the venv is consistent, only out of date
# (a requirement left unmet by a missing or other version is part of that drift).
_UV_SYNCS = frozenset(
    {"lock-missing", "lock-version-mismatch", "lock-extraneous", "dependency-unsatisfied"}
)


def next_command(result: CheckResult, cwd: str) -> str | None:
    """The command that repairs what ``result`` found, as typed in ``cwd``; None if none does.

    ``uv sync --frozen`` when the project's own venv only drifted from its
    uv.lock (uv sees every installed distribution whole), otherwise
    ``venv-doctor fix`` with the venv and lockfile of this check; for a uv
    tool's or pipx's venv that no longer matches its installer's record, that
    installer's own command, which ``fix`` leaves it to.  ``None``
    when all that fails is unmet requirements without a lockfile: fix
    reinstalls what is there and resolves nothing, the findings' hints say
    what to install.
    """
    failing = {finding.code for finding in result.findings if finding.fails}
    if "tool-venv-broken" in failing and result.tool_command is not None:
        return result.tool_command
    if not failing or result.repair == "none":
        return None
    lock_dir = os.path.dirname(result.lockfile) if result.lockfile else None
    if failing == {"dependency-unsatisfied"} and result.lockfile is None:
        return None
    if (
        result.lockfile is not None
        and lock_dir is not None
        and os.path.basename(result.lockfile) == "uv.lock"
        and failing <= _UV_SYNCS
        and os.path.normpath(result.venv) == os.path.join(lock_dir, ".venv")
    ):
        words = ["uv", "sync", "--frozen"]
        if os.path.normpath(lock_dir) != os.path.normpath(cwd):
            words += ["--project", _shown(lock_dir, cwd)]
        return shlex.join(words)
    words = ["venv-doctor", "fix"]
    if os.path.normpath(result.venv) != os.path.join(os.path.normpath(cwd), ".venv"):
        words.append(_shown(result.venv, cwd))
    if result.lockfile is not None:
        words += ["--from", _shown(result.lockfile, cwd)]
    if result.repair == "purge":
        words.append("--purge-orphans")
    return shlex.join(words)


def _shown(path: str, cwd: str) -> str:
    """``path`` relative to ``cwd`` when it lies below it, else as it is."""
    relative = os.path.relpath(path, cwd)
    return path if relative == os.pardir or relative.startswith(os.pardir + os.sep) else relative
