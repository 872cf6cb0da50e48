"""Settings from ``[tool.venv-doctor]`` in the project's pyproject.toml.

[tool.venv-doctor]
ignore = ["orphan-file"]
select = []
per-package-ignores = { somepkg = ["file-modified"] }
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from venv_doctor.diagnose.findings import CODES, Finding
from venv_doctor.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    source: Path | None = None
    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    per_package_ignores: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def keeps(self, finding: Finding) -> bool:
        if finding.package is None:
            return True
        return finding.code not in self.per_package_ignores.get(finding.package, frozenset())


def parse_settings(data: Mapping[str, Any], source: Path) -> Settings:
    """Validate the ``[tool.venv-doctor]`` table; unknown codes are errors."""
    table = data.get("tool", {}).get("venv-doctor", {})
    if not isinstance(table, dict):
        raise UsageError(f"{source}: [tool.venv-doctor] must be a table", path=source)

    def codes(value: Any, where: str) -> frozenset[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UsageError(f"{source}: {where} must be a list of finding codes", path=source)
        unknown = sorted(set(value) - CODES.keys())
        if unknown:
            raise UsageError(
                f"{source}: {where} names unknown finding code {', '.join(unknown)}",
                hint="venv-doctor explain lists the codes",
                path=source,
            )
        return frozenset(value)

    per_package = table.get("per-package-ignores", {})
    if not isinstance(per_package, dict):
        raise UsageError(
            f"{source}: tool.venv-doctor.per-package-ignores must be a table", path=source
        )
    return Settings(
        source=source,
        select=codes(table.get("select", []), "tool.venv-doctor.select"),
        ignore=codes(table.get("ignore", []), "tool.venv-doctor.ignore"),
        per_package_ignores={
            canonicalize_name(name): codes(value, f"tool.venv-doctor.per-package-ignores.{name}")
            for name, value in per_package.items()
        },
    )


def load_settings(project: Path | None) -> Settings:
    """Read settings from ``project/pyproject.toml``; none when there is none."""
    if project is None:
        return Settings()
    path = project / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}", path=path) from exc
    if "venv-doctor" not in text:
        return Settings()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}", path=path) from exc
    return parse_settings(data, path)
