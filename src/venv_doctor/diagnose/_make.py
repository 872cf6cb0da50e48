"""Building findings with the registered severity of their code."""

from __future__ import annotations

from venv_doctor.diagnose.findings import CODES, Finding
from venv_doctor.read.installed import InstalledDist


def finding(
    code: str,
    message: str,
    *,
    dist: InstalledDist | None = None,
    path: str | None = None,
    hint: str | None = None,
    count: int = 1,
) -> Finding:
    return Finding(
        code=code,
        severity=CODES[code].severity,
        package=dist.name if dist else None,
        version=dist.version if dist else None,
        path=path,
        message=message,
        hint=hint,
        count=count,
    )


def reinstall_hint(dist: InstalledDist, *options: str) -> str:
    """The one command first, then uv's own way: ``venv-doctor fix reinstalls it; so does …``."""
    pin = f"{dist.display_name}=={dist.version}" if dist.version else dist.display_name
    extra = "".join(f" {option}" for option in options)
    return f"venv-doctor fix reinstalls it; so does uv pip install --reinstall{extra} '{pin}'"
