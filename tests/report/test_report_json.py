"""The JSON report's keys are a contract: this test pins them."""

import json

from venv_doctor.diagnose.findings import Finding, Severity
from venv_doctor.report.json import SCHEMA_VERSION, render
from venv_doctor.report.model import CheckResult


def result(*findings: Finding) -> CheckResult:
    return CheckResult(
        venv="/v", lockfile=None, quick=False, findings=findings, distributions=1, files=2
    )


def test_keys_and_summary():
    found = Finding(
        code="file-missing",
        severity=Severity.ERROR,
        package="demo",
        version="1.0",
        path="lib/python3.11/site-packages/demo/a.py",
        message="m",
        hint="h",
    )
    info = Finding(
        code="cache-hardlink",
        severity=Severity.INFO,
        package="demo",
        version="1.0",
        path=None,
        message="m",
    )
    data = json.loads(render(result(found, info)))
    assert SCHEMA_VERSION == 1
    assert list(data) == ["schema_version", "venv", "lockfile", "summary", "findings"]
    assert data["schema_version"] == 1
    assert data["summary"] == {
        "error": 1,
        "warning": 0,
        "info": 1,
        "codes": {"cache-hardlink": 1, "file-missing": 1},
    }
    assert list(data["findings"][0]) == [
        "code",
        "severity",
        "package",
        "version",
        "path",
        "message",
        "hint",
    ]
    assert data["findings"][0]["severity"] == "error"
    assert data["findings"][1]["hint"] is None


def test_info_findings_do_not_fail():
    info = Finding(
        code="cache-hardlink",
        severity=Severity.INFO,
        package=None,
        version=None,
        path=None,
        message="m",
    )
    assert not result(info).failed
    assert not result().failed
