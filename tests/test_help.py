"""Every command's summary in ``--help`` is a whole sentence, never cut short."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from venv_doctor.cli import cli


def _groups() -> list[tuple[list[str], click.Group]]:
    found: list[tuple[list[str], click.Group]] = [([], cli)]
    for name, command in cli.commands.items():
        if isinstance(command, click.Group):
            found.append(([name], command))
    return found


@pytest.mark.parametrize(
    ("args", "group"),
    [pytest.param(args, group, id=" ".join(["venv-doctor", *args])) for args, group in _groups()],
)
def test_command_summaries_are_whole_sentences(args: list[str], group: click.Group) -> None:
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="venv-doctor", terminal_width=80)
    assert result.exit_code == 0
    listing = result.output.split("Commands:", 1)[1]
    summaries = [line.split(None, 1)[1] for line in listing.splitlines() if line.strip()]
    assert len(summaries) == len(group.commands)
    for summary in summaries:
        assert summary.endswith("."), summary
        assert not summary.endswith("..."), summary
