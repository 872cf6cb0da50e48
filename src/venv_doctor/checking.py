"""``check`` from start to end: locate, read, diagnose, filter."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from venv_doctor.config import load_settings
from venv_doctor.diagnose import diagnose
from venv_doctor.findings import filter_findings, parse_code_list
from venv_doctor.layout import find_venv, read_layout
from venv_doctor.report.model import CheckResult
from venv_doctor.scan import take_snapshot


def run_check(
    path: Path | None,
    *,
    venv_option: Path | None,
    quick: bool,
    select: str | None,
    ignore: str | None,
    environ: Mapping[str, str],
    cwd: Path,
) -> CheckResult:
    """Check one venv and return its findings, filtered as asked."""
    selected = parse_code_list(select)
    ignored = parse_code_list(ignore)
    root = find_venv(path, venv_option=venv_option, environ=environ, cwd=cwd)
    layout = read_layout(root)
    settings = load_settings(layout.root.parent)
    snapshot = take_snapshot(layout, hashes=not quick, environ=environ)
    findings = [f for f in diagnose(snapshot) if settings.keeps(f)]
    findings = filter_findings(
        findings,
        select=selected or settings.select,
        ignore=ignored | settings.ignore,
    )
    return CheckResult(
        venv=str(layout.root),
        lockfile=None,
        quick=quick,
        findings=tuple(findings),
        distributions=len(snapshot.dists),
        files=sum(len(files) for files in snapshot.owned.values()),
    )
