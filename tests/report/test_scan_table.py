"""The ``scan`` table keeps every path readable, whatever the terminal's width."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from venv_doctor.diagnose.findings import CODES, Finding
from venv_doctor.report.model import CheckResult, ScanRow
from venv_doctor.report.scan import render_table, shorten_path

LONG = "/home/someone/projects/pytest-12/test_scan_uv_tools0/home/.local/share/uv/tools/black"


@pytest.mark.parametrize(
    ("path", "width", "shown"),
    [
        pytest.param("/a/b/c", 10, "/a/b/c", id="fits"),
        pytest.param(LONG, 20, "…/uv/tools/black", id="whole-names"),
        pytest.param("/x/averyveryverylongname", 10, "…ylongname", id="one-long-name"),
    ],
)
def test_shorten_path(path: str, width: int, shown: str) -> None:
    assert shorten_path(path, width) == shown
    assert len(shorten_path(path, width)) <= width


def result(codes: dict[str, int]) -> CheckResult:
    findings = tuple(
        Finding(
            code=code,
            severity=CODES[code].severity,
            package=None,
            version=None,
            path=None,
            message="m",
        )
        for code, count in codes.items()
        for _ in range(count)
    )
    return CheckResult(
        venv=LONG, lockfile=None, quick=True, findings=findings, distributions=1, files=1
    )


@pytest.mark.parametrize("width", [60, 80, 120])
def test_table_never_breaks_a_path(width: int) -> None:
    rows = [
        ScanRow(venv=LONG, result=result({"orphan-file": 3, "dist-info-incomplete": 1})),
        ScanRow(venv=LONG.replace("black", "ruff"), result=result({})),
        ScanRow(venv="/short/.venv", error="could not read pyvenv.cfg: Permission denied"),
    ]
    out = io.StringIO()
    console = Console(file=out, width=width, no_color=True, highlight=False)
    render_table(rows, console, Console(file=io.StringIO()))
    lines = out.getvalue().splitlines()
    table = [line for line in lines if not line.startswith("Next:")]
    assert all(len(line) <= width for line in table), "\n".join(lines)
    text = out.getvalue()
    # Each venv on one line, ending with its own folder names.
    assert text.count("/uv/tools/black ") == 1
    assert text.count("/uv/tools/ruff ") == 1
    assert "/short/.venv" in text
    if width >= 80:
        assert "orphan-file x3" in text
