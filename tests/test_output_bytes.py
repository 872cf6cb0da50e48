"""Every output is valid UTF-8 (and JSON parses) whatever bytes the venv holds.

File names that are not UTF-8, and METADATA fields, RECORD paths and entry
points that are not: the reports spell such bytes ``\\xNN``, and a finding
that holds one says so.  Output is read as bytes, from a pipe and from a file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.tools import Tools, site_packages
from tests.test_fix import assert_in_sync

pytestmark = pytest.mark.slow

NOTE = "(bytes that are not UTF-8 are shown as \\xNN)"


@dataclass(frozen=True, slots=True)
class Output:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_vd(tools: Tools, tmp_path: Path, *args: str | bytes | Path, into: str) -> Output:
    """``venv-doctor ARGS``, stdout into a pipe or a file, both read as bytes and checked."""
    env = tools.environ | {
        "VENV_DOCTOR_CACHE_DIR": str(tmp_path / "vd-cache"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    cmd = [sys.executable, "-m", "venv_doctor", *(os.fsencode(arg) for arg in args)]
    if into == "file":
        target = tmp_path / "stdout"
        with target.open("wb") as handle:
            proc = subprocess.run(
                cmd, env=env, stdout=handle, stderr=subprocess.PIPE, timeout=300, check=False
            )
        stdout = target.read_bytes()
    else:
        proc = subprocess.run(cmd, env=env, capture_output=True, timeout=300, check=False)
        stdout = proc.stdout
    # Strict decoding: a raw 0xFF, or an encoded lone surrogate, fails here.
    out, err = stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert "Traceback" not in out + err, out + err
    return Output(proc.returncode, out, err)


def _replace(path: Path, data: bytes) -> None:
    path.unlink()  # never write into an installed file in place (it may be a hard link)
    path.write_bytes(data)


def _undecodable_venv(tools: Tools, project: Path) -> Path:
    """A uv project's venv holding bytes that are not UTF-8 in names and metadata."""
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    sp = site_packages(venv)
    (metadata,) = sp.glob("polarslike-*.dist-info/METADATA")
    _replace(metadata, metadata.read_bytes().replace(b"Name: polarslike", b"Name: \xff\xfe", 1))
    (record,) = sp.glob("rufflike-*.dist-info/RECORD")
    _replace(record, record.read_bytes() + b"rufflike/gone\xfe.py,,\n")
    (entry_points,) = sp.glob("rufflike-*.dist-info/entry_points.txt")
    _replace(entry_points, entry_points.read_bytes() + b"ruff\xfd = rufflike.__main__:main\n")
    with open(os.path.join(os.fsencode(sp), b"stray\xff.py"), "wb") as handle:
        handle.write(b"STRAY = 1\n")
    return venv


def _findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = report["findings"]
    for finding in findings:
        texts = [finding[key] or "" for key in ("package", "version", "path", "message", "hint")]
        if any("\\x" in text for text in texts):
            assert finding["message"].endswith(NOTE), finding
    return findings


@pytest.mark.parametrize("into", ["pipe", "file"])
def test_check_and_fix_write_utf8_whatever_bytes_the_venv_holds(
    tools: Tools, tmp_path: Path, into: str
) -> None:
    project = tmp_path / "proj"
    venv = _undecodable_venv(tools, project)
    site = site_packages(venv).relative_to(venv).as_posix()
    stray = f"{site}/stray\\xff.py"

    checked = run_vd(tools, tmp_path, "check", venv, "--format", "json", into=into)
    assert checked.exit_code == 1, checked.stdout + checked.stderr
    findings = _findings(checked.json())
    [orphan] = [f for f in findings if f["code"] == "orphan-file"]
    assert orphan["path"] == stray
    assert orphan["message"] == f"{stray} belongs to no installed distribution {NOTE}"
    assert any(f["package"] == "\\xff\\xfe" for f in findings)
    assert any("gone\\xfe.py" in f["message"] for f in findings)

    text = run_vd(tools, tmp_path, "check", venv, into=into)
    assert text.exit_code == 1
    assert f"orphan-file {stray} belongs to no installed distribution {NOTE}" in text.stdout
    assert "\\xff\\xfe 1.2.0" in text.stdout

    planned = run_vd(tools, tmp_path, "fix", venv, "--dry-run", "--format", "json", into=into)
    assert planned.exit_code == 1, planned.stdout + planned.stderr
    plan = planned.json()["plan"]
    assert {"action": "remove", "package": "\\xff\\xfe"}.items() <= plan["actions"][0].items()
    _findings(planned.json()["before"])
    shown = run_vd(tools, tmp_path, "fix", venv, "--dry-run", into=into)
    assert "remove \\xff\\xfe 1.2.0" in shown.stdout

    fixed = run_vd(tools, tmp_path, "fix", venv, "--purge-orphans", "--format", "json", into=into)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    report = fixed.json()
    assert report["healthy"] is True
    assert {a["path"] for a in report["plan"]["actions"] if a["action"] == "discard"} == {stray}
    assert run_vd(tools, tmp_path, "check", venv, into=into).exit_code == 0
    assert_in_sync(tools, project)

    listed = run_vd(tools, tmp_path, "trash", "list", venv, into=into)
    assert listed.exit_code == 0
    undone = run_vd(tools, tmp_path, "undo", venv, into=into)
    assert undone.exit_code == 0, undone.stderr
    assert os.path.exists(os.path.join(os.fsencode(site_packages(venv)), b"stray\xff.py"))
    # Text output of a fix, progress lines on stderr included.
    fixed_text = run_vd(tools, tmp_path, "fix", venv, "--purge-orphans", into=into)
    assert fixed_text.exit_code == 0, fixed_text.stdout + fixed_text.stderr
    assert f"move {stray} to the trash" in fixed_text.stdout
    assert "removing \\xff\\xfe 1.2.0" in fixed_text.stderr


@pytest.mark.parametrize("into", ["pipe", "file"])
def test_scan_explain_and_errors_write_utf8(tools: Tools, tmp_path: Path, into: str) -> None:
    folder = os.path.join(os.fsencode(tmp_path), b"repos\xff")
    os.mkdir(folder)
    _undecodable_venv(tools, tmp_path / "proj")
    # The project (and its venv) now lives in a folder whose name is not UTF-8.
    os.rename(tmp_path / "proj", os.path.join(folder, b"proj"))
    shown_venv = f"{tmp_path}/repos\\xff/proj/.venv"

    rows = run_vd(tools, tmp_path, "scan", "--format", "json", folder, into=into)
    assert rows.exit_code == 1, rows.stderr
    [row] = [json.loads(line) for line in rows.stdout.splitlines()]
    assert row["venv"] == shown_venv
    _findings(row["report"])
    table = run_vd(tools, tmp_path, "scan", folder, into=into)
    assert table.exit_code == 1
    assert "repos\\xff" in table.stdout

    checked = run_vd(tools, tmp_path, "check", os.path.join(folder, b"proj"), into=into)
    assert checked.stdout.startswith(f"{shown_venv} ")

    unknown = run_vd(tools, tmp_path, "explain", b"code\xff", into=into)
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("error: unknown finding code code\\xff\n")
    missing = run_vd(tools, tmp_path, "check", os.path.join(folder, b"gone\xfe"), into=into)
    assert missing.exit_code == 2
    assert "gone\\xfe" in missing.stderr
