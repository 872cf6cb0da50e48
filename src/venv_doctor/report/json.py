"""The JSON report: a versioned contract, documented in docs/reference/json.md.

Keys are only ever added within a schema version; removing or renaming one
bumps ``schema_version``.
"""

from __future__ import annotations

import json
from typing import Any

from venv_doctor.diagnose.findings import Finding
from venv_doctor.report.model import CheckResult
from venv_doctor.report.printable import json_printable, shown

SCHEMA_VERSION = 1


def finding_dict(finding: Finding) -> dict[str, Any]:
    finding = shown(finding)
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "package": finding.package,
        "version": finding.version,
        "path": finding.path,
        "message": finding.message,
        "hint": finding.hint,
    }


def check_dict(result: CheckResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "venv": result.venv,
        "lockfile": result.lockfile,
        "summary": {
            **result.counts(),
            "codes": result.code_counts(),
            "digests_hashed": result.hashed,
            "digests_reused": result.reused,
        },
        "findings": [finding_dict(f) for f in result.findings],
    }


def render(result: CheckResult) -> str:
    return dumps(check_dict(result), indent=2) + "\n"


def dumps(data: Any, *, indent: int | None = None) -> str:
    """JSON text of ``data``, valid UTF-8 when written: undecodable bytes spelt ``\\xNN``."""
    return json_printable(json.dumps(data, indent=indent, ensure_ascii=False))
