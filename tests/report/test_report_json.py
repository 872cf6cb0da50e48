"""The JSON report's keys are a contract: this test pins them."""

import json
import os

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
        "digests_hashed": 0,
        "digests_reused": 0,
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


def test_bytes_that_are_not_utf8_are_escaped_and_the_finding_says_so():
    name = os.fsdecode(b"\xff\xfe")
    path = os.fsdecode(b"lib/python3.11/site-packages/stray\xff.py")
    found = Finding(
        code="orphan-file",
        severity=Severity.WARNING,
        package=name,
        version="1.0",
        path=path,
        message=f"{path} belongs to no installed distribution",
        hint=f"uv pip install --reinstall '{name}==1.0'",
    )
    plain = Finding(
        code="file-missing",
        severity=Severity.ERROR,
        package="café",
        version="1.0",
        path="lib/python3.11/site-packages/café/a.py",
        message="m",
    )
    text = render(
        CheckResult(
            venv=os.fsdecode(b"/v\xfd"),
            lockfile=None,
            quick=False,
            findings=(found, plain),
            distributions=2,
            files=2,
        )
    )
    data = json.loads(text.encode("utf-8"))
    assert data["venv"] == "/v\\xfd"
    escaped, kept = data["findings"]
    assert escaped["package"] == "\\xff\\xfe"
    assert escaped["path"] == "lib/python3.11/site-packages/stray\\xff.py"
    assert escaped["message"] == (
        "lib/python3.11/site-packages/stray\\xff.py belongs to no installed distribution"
        " (bytes that are not UTF-8 are shown as \\xNN)"
    )
    assert escaped["hint"] == "uv pip install --reinstall '\\xff\\xfe==1.0'"
    # Text that is UTF-8 already is left as it is, and says nothing more.
    assert kept["package"] == "café"
    assert kept["message"] == "m"
