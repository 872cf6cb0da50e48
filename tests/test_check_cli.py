"""The ``check`` command line: options, exit status, JSON contract, venv discovery."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.support.tools import (
    CheckResult,
    Tools,
    check_json,
    checked,
    clean_environ,
    rel,
    run_check,
    site_packages,
)

pytestmark = pytest.mark.slow

CODES = {
    "file-missing",
    "file-modified",
    "dangling-symlink",
    "dist-info-incomplete",
    "duplicate-distribution",
    "orphan-file",
    "stash-leftover",
    "record-unsafe-path",
    "script-stale-shebang",
    "editable-target-missing",
    "interpreter-missing",
    "cache-hardlink",
    "unreadable",
    "record-malformed",
}
FINDING_KEYS = {"code", "severity", "package", "version", "path", "message", "hint"}


@pytest.fixture(scope="module")
def healthy(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tools.make_uv_venv(tmp_path_factory.mktemp("healthy") / ".venv")
    tools.uv_pip_install(venv, "rufflike", "polarslike")
    return venv


@pytest.fixture(scope="module")
def broken(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with one of each: a file gone, a file edited, an unowned folder.

    The edit keeps the file's size, so only hashing finds it.
    """
    venv = tools.make_uv_venv(tmp_path_factory.mktemp("broken") / ".venv")
    tools.uv_pip_install(venv, "rufflike", "polarslike", "Mixed.Case_Pkg")
    sp = site_packages(venv)
    (sp / "mixed_case_pkg" / "util.py").unlink()
    frame = sp / "polarslike" / "frame.py"
    content = frame.read_bytes()
    frame.unlink()
    frame.write_bytes(content.replace(b"pass", b"PASS"))
    (sp / "stray").mkdir()
    (sp / "stray" / "notes.py").write_text("")
    return venv


def sp_rel(venv: Path, *parts: str) -> str:
    return rel(venv, site_packages(venv).joinpath(*parts))


# -- JSON ------------------------------------------------------------------------


def assert_contract(result: CheckResult, venv: Path) -> None:
    report = result.report
    assert report is not None
    assert set(report) == {"schema_version", "venv", "lockfile", "summary", "findings"}
    assert report["schema_version"] == 1
    assert report["venv"] == str(venv)
    assert report["lockfile"] is None
    summary = report["summary"]
    assert set(summary) == {"error", "warning", "info", "codes", "digests_hashed", "digests_reused"}
    # A venv a test checked before reuses digests: together they cover every file hashed.
    assert all(isinstance(summary[key], int) for key in ("digests_hashed", "digests_reused"))
    for severity in ("error", "warning", "info"):
        assert summary[severity] == sum(1 for f in result.findings if f["severity"] == severity)
    counted: dict[str, int] = {}
    for finding in result.findings:
        assert set(finding) == FINDING_KEYS, finding
        assert finding["code"] in CODES
        assert finding["severity"] in {"error", "warning", "info"}
        assert isinstance(finding["message"], str)
        assert finding["message"]
        assert finding["hint"] is None or isinstance(finding["hint"], str)
        if finding["package"] is not None:
            assert finding["package"] == canonicalize_name(finding["package"])
        path = finding["path"]
        if path is not None and (venv / path).resolve().is_relative_to(venv.resolve()):
            assert not os.path.isabs(path)
            assert "\\" not in path
            assert not path.startswith("./")
        counted[finding["code"]] = counted.get(finding["code"], 0) + 1
    assert summary["codes"] == counted


def test_json_contract_of_a_broken_venv(broken: Path) -> None:
    result = check_json(broken)
    assert result.exit_code == 1
    assert_contract(result, broken)
    missing = result.at("file-missing", sp_rel(broken, "mixed_case_pkg", "util.py"))
    assert missing["package"] == "mixed-case-pkg"
    assert missing["version"] == "1.0"
    modified = result.at("file-modified", sp_rel(broken, "polarslike", "frame.py"))
    assert modified["package"] == "polarslike"
    orphan = result.at("orphan-file", sp_rel(broken, "stray"))
    assert orphan["package"] is None


def test_json_contract_of_a_healthy_venv(healthy: Path) -> None:
    result = check_json(healthy)
    assert result.exit_code == 0
    assert_contract(result, healthy)


# -- exit status and options -----------------------------------------------------


def test_text_is_the_default_format(broken: Path) -> None:
    for args in ((), ("--format", "text")):
        result = checked(broken, *args, watch=[broken], cwd=broken.parent)
        assert result.exit_code == 1
        assert result.report is None
        for needle in ("file-missing", "file-modified", "orphan-file", "mixed_case_pkg/util.py"):
            assert needle in result.stdout


def test_quick_checks_sizes_and_structure_but_not_hashes(broken: Path) -> None:
    result = check_json(broken, "--quick")
    assert result.exit_code == 1
    assert result.at("file-missing", sp_rel(broken, "mixed_case_pkg", "util.py"))
    assert result.at("orphan-file", sp_rel(broken, "stray"))
    # Same size, other content: only a hash can tell.
    assert result.of("file-modified") == []


def test_quick_sees_a_size_change(tools: Tools, tmp_path: Path) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "polarslike")
    frame = site_packages(venv) / "polarslike" / "frame.py"
    frame.unlink()
    frame.write_text("class DataFrame:\n    rows = []\n")
    result = check_json(venv, "--quick")
    assert result.exit_code == 1
    assert result.at("file-modified", rel(venv, frame))["package"] == "polarslike"


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        pytest.param("--select", "file-missing", {"file-missing"}, id="select-one"),
        pytest.param(
            "--select", "file-missing,orphan-file", {"file-missing", "orphan-file"}, id="select-two"
        ),
        pytest.param(
            "--select",
            " orphan-file , file-modified ",
            {"orphan-file", "file-modified"},
            id="spaces",
        ),
        pytest.param("--ignore", "file-missing", {"file-modified", "orphan-file"}, id="ignore-one"),
        pytest.param("--ignore", "file-missing,file-modified", {"orphan-file"}, id="ignore-two"),
    ],
)
def test_select_and_ignore(broken: Path, option: str, value: str, expected: set[str]) -> None:
    result = check_json(broken, option, value)
    assert result.exit_code == 1
    assert result.codes == expected
    assert_contract(result, broken)


def test_ignoring_every_failing_code_exits_0(broken: Path) -> None:
    result = check_json(broken, "--ignore", "file-missing,file-modified,orphan-file")
    assert result.exit_code == 0
    assert result.failing() == []


def test_select_and_ignore_together(broken: Path) -> None:
    result = check_json(broken, "--select", "file-missing,orphan-file", "--ignore", "orphan-file")
    assert result.codes == {"file-missing"}


def test_selecting_only_info_codes_exits_0(broken: Path) -> None:
    result = check_json(broken, "--select", "cache-hardlink")
    assert result.exit_code == 0
    assert result.codes <= {"cache-hardlink"}


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_code_is_a_usage_error(broken: Path, option: str) -> None:
    result = checked(broken, option, "file-mising", watch=[broken], cwd=broken.parent)
    assert result.exit_code == 2
    assert "file-mising" in result.stderr


def test_path_that_does_not_exist(tmp_path: Path) -> None:
    result = checked(tmp_path / "nope", watch=[tmp_path], cwd=tmp_path)
    assert result.exit_code == 2
    assert str(tmp_path / "nope") in result.stderr
    assert result.stdout == ""


def test_path_that_is_not_a_venv(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "readme.txt").write_text("hello")
    result = checked(tmp_path / "plain", "--format", "json", watch=[tmp_path], cwd=tmp_path)
    assert result.exit_code == 2
    assert "plain" in result.stderr


def test_console_script_and_module_agree(broken: Path) -> None:
    script = Path(sys.executable).with_name("venv-doctor")
    if not script.exists():
        pytest.skip("venv-doctor is not installed as a console script here")
    # --no-cache: the second run would take over the digests the first computed.
    via_module = check_json(broken, "--no-cache")
    proc = subprocess.run(
        [script, "check", broken, "--format", "json", "--no-cache"],
        capture_output=True,
        text=True,
        env=clean_environ(),
        check=False,
    )
    assert proc.returncode == via_module.exit_code
    assert proc.stdout == via_module.stdout


# -- finding the venv -------------------------------------------------------------


@pytest.fixture
def nowhere(tmp_path: Path) -> Path:
    """A folder with no ``.venv`` in it or any parent."""
    folder = tmp_path / "nowhere"
    folder.mkdir()
    if any((parent / ".venv").exists() for parent in folder.parents):
        pytest.skip("a .venv above the test's temporary folder")
    return folder


def env_with(**values: str) -> dict[str, str]:
    env = clean_environ()
    env.update(values)
    return env


def reported_venv(result: CheckResult) -> str:
    assert result.exit_code in {0, 1}, result.stdout + result.stderr
    assert result.report is not None
    venv: str = result.report["venv"]
    return venv


def test_path_may_be_the_project_folder(healthy: Path, nowhere: Path) -> None:
    result = checked(
        healthy.parent, "--format", "json", watch=[healthy.parent], cwd=nowhere, env=env_with()
    )
    assert reported_venv(result) == str(healthy)


def test_venv_option(healthy: Path, broken: Path, nowhere: Path) -> None:
    result = checked(
        "--venv", healthy, "--format", "json", watch=[healthy], cwd=nowhere, env=env_with()
    )
    assert reported_venv(result) == str(healthy)
    # A PATH argument wins over --venv.
    result = checked(
        broken, "--venv", healthy, "--format", "json", watch=[healthy], cwd=nowhere, env=env_with()
    )
    assert reported_venv(result) == str(broken)


def test_virtual_env_variable(healthy: Path, broken: Path, nowhere: Path) -> None:
    result = checked(
        "--format", "json", watch=[healthy], cwd=nowhere, env=env_with(VIRTUAL_ENV=str(healthy))
    )
    assert reported_venv(result) == str(healthy)
    # --venv wins over $VIRTUAL_ENV.
    result = checked(
        "--venv",
        broken,
        "--format",
        "json",
        watch=[healthy],
        cwd=nowhere,
        env=env_with(VIRTUAL_ENV=str(healthy)),
    )
    assert reported_venv(result) == str(broken)


def test_virtual_env_wins_over_dot_venv_in_cwd(healthy: Path, broken: Path) -> None:
    # broken lives at <tmp>/broken0/.venv: run from <tmp>/broken0.
    result = checked(
        "--format",
        "json",
        watch=[broken],
        cwd=broken.parent,
        env=env_with(VIRTUAL_ENV=str(healthy)),
    )
    assert reported_venv(result) == str(healthy)


def test_dot_venv_in_cwd_and_its_parents(broken: Path) -> None:
    result = checked("--format", "json", watch=[broken], cwd=broken.parent, env=env_with())
    assert reported_venv(result) == str(broken)
    deeper = broken.parent / "src" / "pkg"
    deeper.mkdir(parents=True, exist_ok=True)
    result = checked("--format", "json", watch=[broken], cwd=deeper, env=env_with())
    assert reported_venv(result) == str(broken)


def _outside_any_venv_env(**values: str) -> tuple[str, dict[str, str]]:
    """A base interpreter that can import venv_doctor, and is not itself a venv."""
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    if sys.prefix == sys.base_prefix or not base.exists():
        pytest.skip("the tests need to run inside a venv for this case")
    env = env_with(**values)
    env["PYTHONPATH"] = os.pathsep.join(path for path in sys.path if path)
    return str(base), env


def test_no_venv_found_says_where_it_looked(nowhere: Path) -> None:
    python, env = _outside_any_venv_env()
    result = run_check("--format", "json", cwd=nowhere, env=env, python=python)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert str(nowhere) in result.stderr
    assert ".venv" in result.stderr


def test_virtual_env_naming_a_missing_folder(nowhere: Path) -> None:
    gone = nowhere / "gone-venv"
    python, env = _outside_any_venv_env(VIRTUAL_ENV=str(gone))
    result = run_check(cwd=nowhere, env=env, python=python)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert str(gone) in result.stderr


def test_never_the_venv_it_runs_from(healthy: Path, nowhere: Path) -> None:
    # venv-doctor installed into a venv (uv tool, pipx) and run where there is no
    # venv: it must say so, not report on its own venv.
    _, env = _outside_any_venv_env()
    python = healthy / "bin" / "python"
    before = {p.name for p in site_packages(healthy).iterdir()}
    result = run_check(cwd=nowhere, env=env, python=str(python))
    assert result.exit_code == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert "no virtual environment found" in result.stderr
    assert f".venv in {nowhere} and each folder above it" in result.stderr
    assert "hint: name one: venv-doctor check path/to/.venv" in result.stderr
    # Running the tool with that interpreter wrote no bytecode into the venv.
    assert {p.name for p in site_packages(healthy).iterdir()} == before


@pytest.mark.parametrize(
    ("how", "why"),
    [
        pytest.param("argument", "named by the argument", id="argument"),
        pytest.param("option", "named by --venv", id="option"),
        pytest.param("variable", "from $VIRTUAL_ENV", id="variable"),
        pytest.param("here", "the .venv in the current folder", id="here"),
        pytest.param("above", "the .venv above the current folder", id="above"),
    ],
)
def test_first_line_says_which_venv_and_why(healthy: Path, how: str, why: str) -> None:
    project = healthy.parent
    args: list[str | Path] = []
    env = env_with()
    cwd = project
    if how == "argument":
        args = [healthy]
    elif how == "option":
        args = ["--venv", healthy]
    elif how == "variable":
        env = env_with(VIRTUAL_ENV=str(healthy))
    elif how == "above":
        cwd = project / "src"
        cwd.mkdir(exist_ok=True)
    result = checked(*args, watch=[healthy], cwd=cwd, env=env)
    assert result.stdout.splitlines()[0].startswith(f"{healthy} ({why}): "), result.stdout


def test_a_venv_copied_elsewhere_is_found_by_path(broken: Path, tmp_path: Path) -> None:
    # Copy, not move: the module's venv stays for the other tests.
    copy = tmp_path / "copy" / ".venv"
    shutil.copytree(broken, copy, symlinks=True)
    result = check_json(copy)
    assert result.report is not None
    assert result.report["venv"] == str(copy)
    assert result.at("file-missing", sp_rel(copy, "mixed_case_pkg", "util.py"))
    # Its launchers still name the original venv's python.
    assert result.at("script-stale-shebang", "bin/rufflike-py")["package"] == "rufflike"


def test_piped_output_keeps_each_line_whole(broken: Path) -> None:
    # A CI log or grep gets the header, paths and the next command on one line each.
    environ = clean_environ() | {"COLUMNS": "80"}  # rich's width where it cannot ask
    result = checked(broken, watch=[broken], cwd=broken.parent, env=environ)
    header = result.stdout.splitlines()[0]
    assert len(header) > 80
    assert header.startswith(f"{broken} (named by the argument): ")
    # The digests of a venv checked before are reused, and the header says so.
    assert re.search(r"full check( \(\d+ files? hashed, \d+ digests? reused\))?$", header), header
