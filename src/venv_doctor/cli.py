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


def venv_options(func: Any) -> Any:
    """PATH and --venv: which venv to work on (shared by every command on a venv)."""
    func = click.option(
        "--venv", "venv_option", type=click.Path(path_type=Path), help="The venv to work on."
    )(func)
    return click.argument("path", required=False, type=click.Path(path_type=Path))(func)


def _multi(name: str, help_text: str) -> Any:
    return click.option(name, multiple=True, metavar="NAME", help=help_text)


def lock_options(func: Any) -> Any:
    """--from, --no-lock and uv sync's selection flags (shared by check and fix)."""
    options = [
        click.option(
            "--from",
            "lockfile",
            type=click.Path(path_type=Path),
            help="Lockfile to compare against: uv.lock, pylock.toml or a pinned requirements file."
            " Default: the project's uv.lock or pylock.toml beside the venv.",
        ),
        click.option("--no-lock", is_flag=True, help="Do not compare against any lockfile."),
        _multi("--extra", "Include this extra of the project (as uv sync --extra)."),
        click.option("--all-extras", is_flag=True, help="Include every extra."),
        _multi("--no-extra", "Leave this extra out (with --all-extras)."),
        click.option("--no-dev", is_flag=True, help="Leave the dev group out."),
        click.option("--only-dev", is_flag=True, help="Only the dev group."),
        _multi("--group", "Include this dependency group."),
        _multi("--no-group", "Leave this dependency group out."),
        _multi("--only-group", "Only this dependency group."),
        click.option("--all-groups", is_flag=True, help="Include every dependency group."),
        click.option("--no-default-groups", is_flag=True, help="Leave the default groups out."),
        _multi("--package", "Only this workspace member and its dependencies."),
        click.option("--all-packages", is_flag=True, help="Every workspace member."),
        click.option("--no-editable", is_flag=True, help="Expect local projects non-editable."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _lock_from(params: dict[str, Any]) -> Any:
    from venv_doctor.checking import LockOptions
    from venv_doctor.lockfiles import Selection

    selection = Selection(
        extras=params.pop("extra"),
        all_extras=params.pop("all_extras"),
        no_extras=params.pop("no_extra"),
        no_dev=params.pop("no_dev"),
        only_dev=params.pop("only_dev"),
        groups=params.pop("group"),
        no_groups=params.pop("no_group"),
        only_groups=params.pop("only_group"),
        all_groups=params.pop("all_groups"),
        no_default_groups=params.pop("no_default_groups"),
        packages=params.pop("package"),
        all_packages=params.pop("all_packages"),
        no_editable=params.pop("no_editable"),
    )
    lockfile, disabled = params.pop("lockfile"), params.pop("no_lock")
    if lockfile is not None and disabled:
        from venv_doctor.errors import UsageError

        raise UsageError("--from and --no-lock exclude each other")
    return LockOptions(path=lockfile, disabled=disabled, selection=selection)


@cli.command()
@venv_options
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
@lock_options
@click.pass_context
def check(ctx: click.Context, /, **params: Any) -> None:
    """Report everything that is wrong with a venv.  Never changes anything.

    PATH is a venv or a project folder holding one.  Without it: --venv, then
    $VIRTUAL_ENV, then .venv in this folder or its parents.

    Exit status: 0 no problems, 1 problems found, 2 the check could not run.
    """

    def work() -> int:
        from venv_doctor.checking import locate, run_check

        lock = _lock_from(params)
        cwd = Path.cwd()
        layout = locate(
            params["path"], venv_option=params["venv_option"], environ=os.environ, cwd=cwd
        )
        result = run_check(
            layout,
            quick=params["quick"],
            select=params["select"],
            ignore=params["ignore"],
            lock=lock,
            environ=os.environ,
            cwd=cwd,
        ).result
        if params["output_format"] == "json":
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
