"""The next command a check suggests: pure cases, then real runs of what it suggests."""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.fixing import half_removed, venv_doctor
from tests.support.tools import ImmutableFiles, Tools, check_json, site_packages
from venv_doctor.diagnose.findings import CODES, Finding
from venv_doctor.report.model import CheckResult
from venv_doctor.report.nextstep import next_command


def result(
    *codes: str, venv: str = "/p/.venv", lockfile: str | None = "/p/uv.lock", repair: str = "fix"
) -> CheckResult:
    findings = tuple(
        Finding(
            code=code,
            severity=CODES[code].severity,
            package="pkg",
            version="1",
            path="x",
            message="m",
            hint=None,
        )
        for code in codes
    )
    return CheckResult(
        venv=venv,
        lockfile=lockfile,
        quick=False,
        findings=findings,
        distributions=1,
        files=1,
        repair=repair,
        purged=2 if repair == "purge" else 0,
    )


@pytest.mark.parametrize(
    ("checked", "cwd", "expected"),
    [
        pytest.param(result("cache-hardlink"), "/p", None, id="info-only"),
        pytest.param(
            result("lock-missing", "lock-extraneous"), "/p", "uv sync --frozen", id="drift"
        ),
        pytest.param(
            result("lock-version-mismatch"), "/", "uv sync --frozen --project p", id="drift-below"
        ),
        pytest.param(
            result("lock-missing", "dist-info-incomplete"),
            "/p",
            "venv-doctor fix --from uv.lock",
            id="damage-and-drift",
        ),
        pytest.param(
            result("lock-missing", venv="/elsewhere/env"),
            "/p",
            "venv-doctor fix /elsewhere/env --from uv.lock",
            id="drift-of-another-venv",
        ),
        pytest.param(
            result("lock-missing", lockfile="/p/pylock.toml"),
            "/p",
            "venv-doctor fix --from pylock.toml",
            id="drift-from-pylock",
        ),
        pytest.param(
            result("file-missing", venv="/w/my venv/.venv", lockfile=None),
            "/w",
            "venv-doctor fix 'my venv/.venv'",
            id="no-lock-quoted",
        ),
        pytest.param(result("dependency-unsatisfied", lockfile=None), "/p", None, id="deps-only"),
        pytest.param(
            result("orphan-file", repair="purge"),
            "/p",
            "venv-doctor fix --from uv.lock --purge-orphans",
            id="only-unowned-files",
        ),
        pytest.param(result("editable-target-missing", repair="none"), "/p", None, id="fix-cannot"),
        pytest.param(
            result("dependency-unsatisfied", "lock-missing"),
            "/p",
            "uv sync --frozen",
            id="drift-and-its-unmet-requirement",
        ),
    ],
)
def test_next_command(checked: CheckResult, cwd: str, expected: str | None) -> None:
    assert next_command(checked, cwd) == expected


def test_next_command_of_a_tool_venv() -> None:
    tools = "/h/.local/share/uv/tools/black"
    command = "uv tool install --force black"
    broken = replace(
        result("tool-venv-broken", "file-missing", venv=tools), tool_command=command, repair="none"
    )
    assert next_command(broken, "/h") == command
    # Damage the receipt does not see is fix's, as in any venv.
    damaged = replace(result("file-missing", venv=tools, lockfile=None), tool_command=command)
    assert next_command(damaged, "/h") == "venv-doctor fix .local/share/uv/tools/black"


# -- real runs: the command shown is the one that repairs the venv -----------------------


def suggested(tools: Tools, project: Path, tmp_path: Path) -> list[str]:
    run = venv_doctor(tools, "check", cache=tmp_path / "vd-cache", cwd=project)
    assert run.exit_code == 1, run.output
    (line,) = [line for line in run.stdout.splitlines() if line.startswith("Next: ")]
    return shlex.split(line.removeprefix("Next: ").partition(" (")[0])


@pytest.mark.slow
def test_after_uv_pip_uninstall_uv_sync_is_suggested_and_repairs(
    tools: Tools, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["deptop"])
    tools.uv_pip_uninstall(venv, "deplow")

    command = suggested(tools, project, tmp_path)
    assert command == ["uv", "sync", "--frozen"]
    tools.run_uv(*command[1:], "--link-mode", "copy", cwd=project)
    assert check_json(venv).failing() == []


@pytest.mark.slow
def test_after_a_failed_uv_remove_fix_is_suggested_and_repairs(
    tools: Tools, tmp_path: Path, immutable: ImmutableFiles
) -> None:
    project = tmp_path / "proj"
    venv = half_removed(tools, project, immutable)

    command = suggested(tools, project, tmp_path)
    assert command == ["venv-doctor", "fix", "--from", "uv.lock"]
    run = venv_doctor(tools, *command[1:], cache=tmp_path / "vd-cache", cwd=project)
    assert run.exit_code == 0, run.output
    assert check_json(venv).failing() == []
    assert (site_packages(venv) / "polarslike" / "_native.abi3.so").is_file()
