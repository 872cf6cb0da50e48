"""Building findings with the registered severity of their code."""

from __future__ import annotations

from venv_doctor.findings import CODES, Finding
from venv_doctor.installed import InstalledDist


def finding(
    code: str,
    message: str,
    *,
    dist: InstalledDist | None = None,
    path: str | None = None,
    hint: str | None = None,
) -> Finding:
    return Finding(
        code=code,
        severity=CODES[code].severity,
        package=dist.name if dist else None,
        version=dist.version if dist else None,
        path=path,
        message=message,
        hint=hint,
    )


def reinstall_hint(dist: InstalledDist) -> str:
    pin = f"{dist.display_name}=={dist.version}" if dist.version else dist.display_name
    return f"venv-doctor fix (or: uv pip install --reinstall '{pin}')"
