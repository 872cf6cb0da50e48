"""The hosted-runner workflow runs the README's test command on the Pythons pyproject.toml names.

It cannot run here; this keeps it from drifting from the README and from
``requires-python`` and the classifiers when either changes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "tests.yml"


def readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(python3 -m venv .*python -m pytest)$", readme, flags=re.M)
    assert len(commands) == 1, commands
    return str(commands[0])


@pytest.fixture(scope="module")
def job() -> dict[str, Any]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return workflow["jobs"]["tests"]  # type: ignore[no-any-return]


def test_every_os_and_the_oldest_and_newest_python(job: dict[str, Any]) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    prefix = "Programming Language :: Python :: 3."
    minors = sorted(int(c[len(prefix) :]) for c in project["classifiers"] if c.startswith(prefix))
    assert minors == list(range(minors[0], minors[-1] + 1)), "the classifiers skip a version"
    oldest, newest = f"3.{minors[0]}", f"3.{minors[-1]}"
    requires = SpecifierSet(project["requires-python"])
    assert Version(oldest) in requires
    assert Version(f"3.{minors[0] - 1}") not in requires, "requires-python allows an older one"

    matrix = job["strategy"]["matrix"]
    assert matrix["os"] == ["ubuntu-latest", "windows-latest", "macos-latest"]
    assert matrix["python"] == [oldest, newest]
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["strategy"]["fail-fast"] is False


def test_it_runs_the_readme_test_command(job: dict[str, Any]) -> None:
    command = readme_test_command()
    assert job["defaults"]["run"]["shell"] == "bash"
    runs = {step.get("if"): step["run"] for step in job["steps"] if "run" in step}
    assert runs["runner.os != 'Windows'"] == command
    # Windows: the same command where a venv has Scripts\ for bin/ and python for python3.
    windows = command.replace("python3 ", "python ").replace(".venv/bin/", ".venv/Scripts/")
    assert runs["runner.os == 'Windows'"] == windows
    setup = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-python@")]
    assert [s["with"]["python-version"] for s in setup] == ["${{ matrix.python }}"]


def test_actions_are_pinned_to_a_release(job: dict[str, Any]) -> None:
    for step in job["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w-]+/[\w-]+@v\d+(\.\d+)*", step["uses"]), step["uses"]
