"""The documentation says what the code does: generated pages, the hook, completion."""

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from venv_doctor.cli import cli
from venv_doctor.diagnose.findings import CODES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _commands_tool():
    spec = importlib.util.spec_from_file_location("docs_commands", DOCS / "_tools" / "commands.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_commands_page_is_generated_from_the_cli():
    # Regenerate with: python docs/_tools/commands.py
    tool = _commands_tool()
    assert (DOCS / "reference" / "commands.md").read_text(encoding="utf-8") == tool.render()


def test_every_option_is_on_the_commands_page():
    page = (DOCS / "reference" / "commands.md").read_text(encoding="utf-8")

    def walk(command: click.Command, path: str):
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, f"{path} {name}")

    for path, command in walk(cli, "venv-doctor"):
        assert f"## `{path}`" in page
        for param in command.params:
            if isinstance(param, click.Option):
                assert f"`{', '.join(param.opts)}" in page, (path, param.opts)


def test_pre_commit_hook_runs_a_valid_check_command():
    manifest = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert re.search(r"^- id: venv-doctor-check$", manifest, flags=re.M)
    assert re.search(r"^  language: python$", manifest, flags=re.M)
    assert re.search(r"^  pass_filenames: false$", manifest, flags=re.M)
    assert re.search(r"^  always_run: true$", manifest, flags=re.M)
    entry = re.search(r"^  entry: (.+)$", manifest, flags=re.M)
    assert entry is not None
    program, *args = shlex.split(entry[1])
    assert program == "venv-doctor"
    # Parses as a real command line: every option in the entry exists.
    assert args[0] == "check"
    with cli.commands["check"].make_context("check", args[1:]) as ctx:
        assert ctx.params["quick"] is True
        # pre-commit sets VIRTUAL_ENV to the hook's own venv: the project is named.
        assert ctx.params["venv_option"] == Path()


def test_shell_completion_completes_commands_and_choices():
    runner = CliRunner()

    def complete(words: str, cword: int) -> list[str]:
        result = runner.invoke(
            cli,
            prog_name="venv-doctor",
            env={
                "_VENV_DOCTOR_COMPLETE": "bash_complete",
                "COMP_WORDS": words,
                "COMP_CWORD": str(cword),
            },
        )
        assert result.exit_code == 0, result.output
        return result.output.split()

    assert complete("venv-doctor tr", 1) == ["plain,trash"]
    assert complete("venv-doctor trash ", 2) == ["plain,clean", "plain,list"]
    assert complete("venv-doctor check --format ", 3) == ["plain,text", "plain,json"]
    codes = complete("venv-doctor explain file-m", 2)
    assert codes == ["plain,file-missing", "plain,file-modified"]
    assert complete("venv-doctor check --ignore cache-hardlink,lock-e", 3) == [
        "plain,cache-hardlink,lock-extraneous"
    ]
    source = runner.invoke(
        cli, prog_name="venv-doctor", env={"_VENV_DOCTOR_COMPLETE": "bash_source"}
    )
    assert "complete -o nosort -F _venv_doctor_completion venv-doctor" in source.output


# --- every page: links, finding codes, commands, JSON keys, completion -----------------

PAGES = sorted([ROOT / "README.md", ROOT / "CHANGELOG.md", *DOCS.rglob("*.md")])
_FENCE = re.compile(r"^```.*?^```", flags=re.M | re.S)
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _prose(text: str) -> str:
    """The page without its code blocks (a link inside one is an example)."""
    return _FENCE.sub("", text)


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors for the headings of a page."""
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", _prose(page.read_text(encoding="utf-8")), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path):
    links = _LINK.findall(_prose(page.read_text(encoding="utf-8")))
    broken = []
    for link in links:
        if re.match(r"^[a-z]+:", link):
            continue  # https:, mailto:
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        missing_anchor = anchor and path.suffix == ".md" and anchor not in _anchors(path)
        if not path.exists() or missing_anchor:
            broken.append(link)
    assert not broken, f"{page.name}: {broken}"


def test_every_page_is_linked_from_the_index():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    linked = {(DOCS / link.partition("#")[0]).resolve() for link in _LINK.findall(index)}
    pages = {page.resolve() for page in DOCS.rglob("*.md")} - {(DOCS / "index.md").resolve()}
    assert pages <= linked, sorted(str(p) for p in pages - linked)


def _findings_sections() -> dict[str, str]:
    page = (DOCS / "reference" / "findings.md").read_text(encoding="utf-8")
    parts = re.split(r"^## (\S+)\n", page, flags=re.M)
    return {code: body.strip() for code, body in zip(parts[1::2], parts[2::2], strict=True)}


@pytest.mark.parametrize("code", sorted(CODES))
def test_explain_prints_the_findings_page_section(code: str):
    section = _findings_sections().get(code)
    assert section is not None, f"docs/reference/findings.md has no section for {code}"
    first, *rest = section.split("\n\n")
    severity, summary = re.fullmatch(r"Severity: \*\*(\w+)\*\*\. (.+)", first).groups()
    expected = "\n\n".join(
        [f"{code} ({severity}): {summary}", *(re.sub(r"\*\*(.+?)\*\*", r"\1", p) for p in rest)]
    )
    result = CliRunner().invoke(cli, ["explain", code], prog_name="venv-doctor")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == expected


def _shown_commands() -> list[tuple[str, str]]:
    """(page, command line) for every `$ venv-doctor …` in a console block of the docs."""
    found = []
    for page in PAGES:
        for block in re.findall(
            r"^```console\n(.*?)^```", page.read_text(encoding="utf-8"), re.M | re.S
        ):
            found.extend(
                (page.name, line[2:])
                for line in block.splitlines()
                if line.startswith("$ venv-doctor ") and "<TAB>" not in line
            )
    return found


@pytest.mark.parametrize("command", [c for _, c in _shown_commands()])
def test_commands_shown_in_the_docs_parse(command: str):
    # The command itself, without what the shell adds (a pipe, a redirection, `; echo $?`).
    args = shlex.split(re.split(r"[|>;]", command, maxsplit=1)[0])[1:]
    command_obj: click.Command = cli
    path = "venv-doctor"
    while isinstance(command_obj, click.Group):
        name, *args = args
        if name.startswith("-"):  # an option of the group itself, such as --version
            assert any(name in param.opts for param in command_obj.params), command
            return
        sub = command_obj.commands.get(name)
        assert sub is not None, f"{path} has no command {name!r}: {command}"
        command_obj, path = sub, f"{path} {name}"
    # Raises click's usage error for an option or choice that does not exist.
    with command_obj.make_context(path, args):
        pass


def _entry_point() -> str:
    found = shutil.which("venv-doctor", path=os.path.dirname(sys.executable))
    if found is None:
        pytest.skip("the venv-doctor entry point is not installed beside this interpreter")
    return found


def _json_keys(value: object) -> set[str]:
    if isinstance(value, dict):
        keys = set()
        for key, item in value.items():
            keys.add(key)
            if key not in {"before", "after", "report"}:  # check reports: documented once
                keys |= _json_keys(item)
        return keys
    if isinstance(value, list):
        return set().union(*(_json_keys(item) for item in value)) if value else set()
    return set()


def test_json_page_names_every_key_fix_and_scan_print(tmp_path: Path):
    venv = tmp_path / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    program = _entry_point()
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    fixed = subprocess.run(
        [program, "fix", str(venv), "--dry-run", "--format", "json", "--offline"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    scanned = subprocess.run(
        [program, "scan", str(tmp_path), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    fix_data = json.loads(fixed.stdout)
    row = json.loads(scanned.stdout.splitlines()[0])
    keys = _json_keys(fix_data) | _json_keys(row) | _json_keys(fix_data["before"])
    page = (DOCS / "reference" / "json.md").read_text(encoding="utf-8")
    documented = {
        part
        for path in re.findall(r"`([\w.\[\]]+)`", page)
        for part in path.replace("[]", "").split(".")
    }
    assert keys - documented == set()


def test_completion_script_from_the_installed_command():
    program = _entry_point()
    env = {**os.environ, "_VENV_DOCTOR_COMPLETE": "bash_source"}
    source = subprocess.run([program], capture_output=True, text=True, env=env, check=True)
    assert "complete -o nosort -F _venv_doctor_completion venv-doctor" in source.stdout
    for shell in ("zsh", "fish"):
        env["_VENV_DOCTOR_COMPLETE"] = f"{shell}_source"
        other = subprocess.run([program], capture_output=True, text=True, env=env, check=True)
        assert "_venv_doctor_completion" in other.stdout, shell


def test_bash_completes_ch_to_check():
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    program = _entry_point()
    script = (
        f'eval "$(_VENV_DOCTOR_COMPLETE=bash_source {shlex.quote(program)})"\n'
        "complete -p venv-doctor >/dev/null\n"
        "COMP_WORDS=(venv-doctor ch); COMP_CWORD=1; COMPREPLY=()\n"
        f"_venv_doctor_completion {shlex.quote(program)}\n"
        'echo "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        [bash, "--norc", "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["check"]
