"""The command line.  The only module that imports click or builds a rich Console."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NoReturn

import click

from venv_doctor import __version__
from venv_doctor.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, VenvDoctorError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="venv-doctor")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Find what is wrong with a Python virtual environment, and repair it."""
    ctx.obj = {"verbose": verbose}


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--venv", "venv_option", type=click.Path(path_type=Path), help="The venv to check.")
@click.option("--quick", is_flag=True, help="Check sizes and structure only; hash nothing.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Text for people, JSON for programs (see docs/reference/json.md).",
)
@click.option("--select", metavar="CODES", help="Only report these finding codes (comma list).")
@click.option("--ignore", metavar="CODES", help="Do not report these finding codes (comma list).")
@click.pass_context
def check(
    ctx: click.Context,
    path: Path | None,
    venv_option: Path | None,
    quick: bool,
    output_format: str,
    select: str | None,
    ignore: str | None,
) -> None:
    """Report everything that is wrong with a venv.  Never changes anything.

    PATH is a venv or a project folder holding one.  Without it: --venv, then
    $VIRTUAL_ENV, then .venv in this folder or its parents.

    Exit status: 0 no problems, 1 problems found, 2 the check could not run.
    """
    from venv_doctor.checking import run_check

    def work() -> int:
        result = run_check(
            path,
            venv_option=venv_option,
            quick=quick,
            select=select,
            ignore=ignore,
            environ=os.environ,
            cwd=Path.cwd(),
        )
        if output_format == "json":
            from venv_doctor.report.json import render as render_json

            click.echo(render_json(result), nl=False)
        else:
            from venv_doctor.report.text import render as render_text

            render_text(result, _console())
        return EXIT_FINDINGS if result.failed else EXIT_OK

    _exit(ctx, work)


@cli.command()
@click.argument("code", required=False)
@click.pass_context
def explain(ctx: click.Context, code: str | None) -> None:
    """Explain a finding code: what it means, how it arises, how it gets fixed.

    Without CODE, list every code.
    """
    from venv_doctor.explanations import explain_text

    def work() -> int:
        click.echo(explain_text(code))
        return EXIT_OK

    _exit(ctx, work)


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _exit(ctx: click.Context, work: Any) -> NoReturn:
    """Run ``work`` and turn what it raises into a message and an exit code."""
    verbose = bool(ctx.obj and ctx.obj.get("verbose"))
    try:
        code = work()
    except VenvDoctorError as exc:
        _error(str(exc), exc.hint)
        ctx.exit(exc.exit_code)
    except KeyboardInterrupt:
        _error("interrupted", None)
        ctx.exit(130)
    except Exception as exc:  # one place turns the unexpected into a message too
        if verbose:
            raise
        _error(
            f"unexpected {type(exc).__name__}: {exc}",
            "run again with -v for the traceback, and report it",
        )
        ctx.exit(EXIT_ERROR)
    ctx.exit(code)


def _error(message: str, hint: str | None) -> None:
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)


def main() -> None:
    """Entry point of the ``venv-doctor`` command."""
    cli.main(prog_name="venv-doctor")


if __name__ == "__main__":  # pragma: no cover
    main()
