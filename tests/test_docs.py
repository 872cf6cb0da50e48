"""The documentation says what the code does: generated pages, the hook, completion."""

import importlib.util
import re
import shlex
from pathlib import Path

import click
from click.testing import CliRunner

from venv_doctor.cli import cli

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
    source = runner.invoke(
        cli, prog_name="venv-doctor", env={"_VENV_DOCTOR_COMPLETE": "bash_source"}
    )
    assert "complete -o nosort -F _venv_doctor_completion venv-doctor" in source.output
