"""The command line: its commands and exit statuses (shared options in ``cli_options``).

With ``cli_options`` the only module that imports click or builds a rich Console.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

import click

from venv_doctor import __version__
from venv_doctor.cli_options import (
    PythonParam,
    code_options,
    codes,
    detail,
    format_option,
    lock_from,
    lock_options,
    venv_options,
)
from venv_doctor.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, VenvDoctorError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="venv-doctor")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Show library warnings, and tracebacks for unexpected errors.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour in text output (NO_COLOR in the environment means never).",
)
@click.pass_context
def cli(ctx: click.Context, verbose: bool, color: str) -> None:
    """Find what is wrong with a Python virtual environment, and repair it."""
    ctx.obj = {"verbose": verbose}
    if not verbose:
        # A library's warning is no message for the user: what matters of it
        # is said in venv-doctor's own words; -v shows the raw warnings.
        warnings.simplefilter("ignore")
    global _COLOR  # noqa: PLW0603 - one setting for every console of this process
    _COLOR = color


@cli.command(short_help="Report everything that is wrong with a venv.")
@venv_options
@click.option("--quick", is_flag=True, help="Check sizes and structure only; hash nothing.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Hash every file: neither read nor update the digest cache.",
)
@format_option
@code_options
@lock_options
@click.pass_context
def check(ctx: click.Context, /, **params: Any) -> None:
    """Report everything that is wrong with a venv.  Never changes anything.

    PATH is a venv or a project folder holding one.  Without it: --venv, then
    $VIRTUAL_ENV, then .venv in this folder or its parents.

    Exit status: 0 no problems, 1 problems found, 2 the check could not run.
    """

    def work() -> int:
        from venv_doctor.commands.check import run_check
        from venv_doctor.report.progress import RichHashProgress

        lock = lock_from(params)
        cwd = Path.cwd()
        layout = _layout(params)
        as_text = params["output_format"] == "text"
        show_progress = as_text and not params["quick"] and sys.stderr.isatty()
        checked = run_check(
            layout,
            quick=params["quick"],
            select=params["select"],
            ignore=params["ignore"],
            lock=lock,
            environ=os.environ,
            cwd=cwd,
            progress=RichHashProgress(_console(stderr=True, rich=True)) if show_progress else None,
            cache=not params["no_cache"],
        )
        result = checked.result
        if not as_text:
            from venv_doctor.report.json import render as render_json

            click.echo(render_json(result), nl=False)
            for note in result.notes:
                click.echo(f"note: {note}", err=True)
        else:
            from venv_doctor.report.text import render as render_text

            render_text(result, _console(), detail=detail(ctx, params))
        _LEFT_TO_THE_OS.append(checked)
        return EXIT_FINDINGS if result.failed else EXIT_OK

    _exit(ctx, work)


@cli.command(short_help="Repair a venv to match its lockfile.")
@venv_options
@click.option("--dry-run", is_flag=True, help="Show the plan; change nothing.")
@format_option
@click.option(
    "--find-links",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Look for wheels in this folder first (repeatable).",
)
@click.option("--index-url", metavar="URL", help="Package index for wheels (default: PyPI).")
@click.option("--offline", is_flag=True, help="Never touch the network.")
@click.option(
    "--python",
    type=PythonParam(),
    metavar="X.Y|FILE",
    help="Base interpreter: a file, or X.Y for pythonX.Y on PATH. Of the venv's X.Y: "
    "re-point the venv to it when its own is gone; of another: move the venv to it "
    "(every distribution installed anew).",
)
@click.option(
    "--purge-orphans", is_flag=True, help="Also move files no distribution owns to the trash."
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Hash every file: neither read nor update the digest cache.",
)
@code_options
@lock_options
@click.pass_context
def fix(ctx: click.Context, /, **params: Any) -> None:
    """Repair a venv to match its lockfile, in one transaction, losing nothing.

    Runs check, makes a plan, shows it, applies it (every removal is a move to
    the trash: venv-doctor undo brings it back), then checks again.  Without a
    lockfile, damaged distributions are reinstalled at their installed version.
    A distribution whose only problems are files missing or modified gets just
    those files back from its wheel; in a venv whose files are hard links into
    uv's cache, what is installed is linked from there, as uv links it.

    Exit status: 0 the venv is healthy afterwards, 1 problems remain, 2 the fix
    could not run (nothing was changed).
    """

    def work() -> int:
        from venv_doctor.apply.wheelsource import wheel_getter
        from venv_doctor.commands.fix import FixOptions, run_fix
        from venv_doctor.report.progress import RichDownloadProgress

        lock = lock_from(params)
        cwd = Path.cwd()
        layout = _layout(params)
        as_json = params["output_format"] == "json"
        err = _console(stderr=True)
        result = run_fix(
            layout,
            lock=lock,
            options=FixOptions(
                dry_run=params["dry_run"],
                purge_orphans=params["purge_orphans"],
                python=params["python"] if isinstance(params["python"], Path) else None,
                python_version=params["python"] if isinstance(params["python"], str) else None,
                select=params["select"],
                ignore=params["ignore"],
                cache=not params["no_cache"],
            ),
            environ=os.environ,
            cwd=cwd,
            get_wheel=wheel_getter(
                find_links=tuple(params["find_links"]),
                index_url=params["index_url"],
                offline=params["offline"],
                environ=os.environ,
                progress=None if as_json or not err.is_terminal else RichDownloadProgress(err),
            ),
            progress=None if as_json else lambda line: err.print(f"[dim]{line}[/]"),
            on_plan=None if as_json else partial(_render_plan, dry_run=params["dry_run"]),
        )
        if as_json:
            from venv_doctor.report.plan import fix_json

            click.echo(fix_json(result, dry_run=params["dry_run"]))
        else:
            from venv_doctor.report.plan import render_fix

            render_fix(result, _console(), dry_run=params["dry_run"], detail=detail(ctx, params))
        return (
            EXIT_OK
            if result.healthy or (params["dry_run"] and result.plan.empty)
            else (EXIT_FINDINGS)
        )

    _exit(ctx, work)


def _render_plan(plan: Any, recovered: Any, *, dry_run: bool) -> None:
    """The plan, shown before anything is fetched or changed."""
    from venv_doctor.report.plan import render_plan

    console = _console()
    if recovered and recovered.rolled_back:
        console.print(
            "Rolled back an interrupted change first: " + ", ".join(recovered.rolled_back)
        )
    render_plan(plan, console, dry_run=dry_run)


@cli.command(short_help="Revert the last fix.")
@venv_options
@click.option(
    "--force", is_flag=True, help="Undo even where files changed since (they go to the trash)."
)
@click.pass_context
def undo(ctx: click.Context, /, **params: Any) -> None:
    """Restore the venv as it was before the last fix (while its trash is kept).

    Each undo goes one fix further back: the fix it reverts is the newest
    one no undo has reverted yet, and an undo is never undone in turn (to
    make a change again, run fix).  When every fix was undone it says which
    undo reverted the last one, changes nothing, and exits with status 2.
    """

    def work() -> int:
        from venv_doctor.commands.undo import run_undo

        report = run_undo(_layout(params), force=params["force"], on_rolled_back=_rolled_back)
        click.echo(
            f"Reverted {report.undone} ({report.description}) as transaction {report.transaction}."
        )
        for note in report.notes:
            click.echo(f"note: {note}")
        return EXIT_OK

    _exit(ctx, work)


@cli.group(short_help="List or clean what fix moved to the trash.")
def trash() -> None:
    """List or clean what fix moved to the venv's trash (.venv-doctor/trash)."""


@trash.command("list", short_help="List the kept trash, oldest first.")
@venv_options
@click.pass_context
def trash_list(ctx: click.Context, /, **params: Any) -> None:
    """List the kept trash of past transactions, newest last."""

    def work() -> int:
        from venv_doctor.commands.trash import run_list
        from venv_doctor.report.trash import trash_line

        entries = run_list(_layout(params))
        if not entries:
            click.echo("The trash is empty.")
        for entry in entries:
            click.echo(trash_line(entry))
        return EXIT_OK

    _exit(ctx, work)


@trash.command("clean", short_help="Delete the trash of finished transactions.")
@venv_options
@click.option(
    "--keep-last", type=int, default=0, show_default=True, help="Keep the newest N transactions."
)
@click.pass_context
def trash_clean(ctx: click.Context, /, **params: Any) -> None:
    """Delete the trash of finished transactions (after this, undo cannot restore them)."""

    def work() -> int:
        from venv_doctor.commands.trash import run_clean
        from venv_doctor.report.trash import clean_line, kept_lines

        report = run_clean(
            _layout(params), keep_last=params["keep_last"], on_rolled_back=_rolled_back
        )
        click.echo(clean_line(report))
        for error in report.errors:
            click.echo(f"could not delete: {error}", err=True)
        for line in kept_lines(report):
            click.echo(line, err=True)
        return EXIT_OK if not report.errors and not report.kept else EXIT_FINDINGS

    _exit(ctx, work)


def _layout(params: dict[str, Any]) -> Any:
    """The venv that PATH / --venv (or the environment) names."""
    from venv_doctor.commands.check import locate

    return locate(
        params["path"], venv_option=params["venv_option"], environ=os.environ, cwd=Path.cwd()
    )


def _rolled_back(transactions: tuple[str, ...]) -> None:
    click.echo("Rolled back an interrupted change first: " + ", ".join(transactions), err=True)


@cli.command(short_help="Check every venv under some folders.")
@click.argument("folders", nargs=-1, type=click.Path(path_type=Path))
@click.option("--uv-tools", is_flag=True, help="Also check the venvs of `uv tool install`.")
@click.option("--pipx", is_flag=True, help="Also check the venvs pipx manages.")
@click.option("--full", is_flag=True, help="Hash every file too (default: sizes only).")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Hash every file: neither read nor update the digest cache.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="A table for people; for programs one JSON object per line, per venv.",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Venvs checked at once.")
@click.pass_context
def scan(ctx: click.Context, /, **params: Any) -> None:
    """Find every venv under FOLDERS (a pyvenv.cfg marks one) and check them all.

    Without FOLDERS and without --uv-tools/--pipx, the current folder.
    Exit status: 0 every venv is healthy, 1 some have problems or could not be
    checked, 2 the scan could not run.
    """

    def work() -> int:
        from venv_doctor.commands.scan import find_venvs
        from venv_doctor.commands.scan import scan as scan_venvs
        from venv_doctor.read.managed import pipx_venvs_dir, uv_tools_dir

        roots: list[Path] = list(params["folders"])
        if params["uv_tools"] and (tools := uv_tools_dir(os.environ)) is not None:
            roots.append(tools)
        if params["pipx"] and (pipx := pipx_venvs_dir(os.environ)) is not None:
            roots.append(pipx)
        if not roots and not (params["uv_tools"] or params["pipx"]):
            roots.append(Path.cwd())
        rows = scan_venvs(
            find_venvs(root for root in roots if root.is_dir()),
            quick=not params["full"],
            environ=os.environ,
            workers=params["jobs"],
            cache=not params["no_cache"],
        )
        if params["output_format"] == "json":
            from venv_doctor.report.scan import row_json

            failed = False
            for row in rows:
                click.echo(row_json(row))
                failed |= row.worst in {"error", "warning", "unchecked"}
            return EXIT_FINDINGS if failed else EXIT_OK
        from venv_doctor.report.scan import render_table

        table = render_table(rows, _console(rich=True), _console(stderr=True, rich=True))
        return EXIT_FINDINGS if table else EXIT_OK

    _exit(ctx, work)


@cli.command(short_help="Explain what a finding code means.")
@click.argument(
    "code",
    required=False,
    shell_complete=lambda _ctx, _param, incomplete: codes(incomplete, listed=False),
)
@click.pass_context
def explain(ctx: click.Context, code: str | None) -> None:
    """Explain a finding code: what it means, how it arises, how it gets fixed.

    Without CODE, list every code.
    """
    from venv_doctor.diagnose.explanations import explain_text

    def work() -> int:
        click.echo(explain_text(code))
        return EXIT_OK

    _exit(ctx, work)


_COLOR = "auto"


def _console(stderr: bool = False, *, rich: bool = False) -> Any:
    """The console a report prints on: rich's, or where rich would style nothing (a file
    or a pipe) the same text without importing rich, unless ``rich`` (tables, progress)."""
    from venv_doctor.report.plain import plain_console

    stream = sys.stderr if stderr else sys.stdout
    if rich:
        return _rich_console(stream, stderr=stderr)
    return plain_console(stream, _COLOR, lambda: _rich_console(stream, stderr=stderr))


def _rich_console(stream: Any, *, stderr: bool) -> Any:
    from rich.console import Console

    # Into a file or a pipe (a CI log, grep), a line is not broken at 80 columns.
    # No emoji codes: ":name:" in a path or a message is text.
    soft_wrap = not stream.isatty()
    if _COLOR == "never" or (_COLOR == "auto" and os.environ.get("NO_COLOR")):
        return Console(
            stderr=stderr,
            highlight=False,
            emoji=False,
            no_color=True,
            color_system=None,
            soft_wrap=soft_wrap,
        )
    if _COLOR == "always":
        return Console(
            stderr=stderr, highlight=False, emoji=False, force_terminal=True, soft_wrap=soft_wrap
        )
    return Console(stderr=stderr, highlight=False, emoji=False, soft_wrap=soft_wrap)


_EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool a pipe closed on


def _exit(ctx: click.Context, work: Any) -> NoReturn:
    """Run ``work`` and turn what it raises into a message and an exit code."""
    verbose = bool(ctx.obj and ctx.obj.get("verbose"))
    try:
        code = work()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, as a killed-by-SIGPIPE tool does,
        # and keep the interpreter's last flush from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        ctx.exit(_EXIT_BROKEN_PIPE)
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


# What check read, kept once its report is written: see main.
_LEFT_TO_THE_OS: list[object] = []


_PRINTABLE = "venv-doctor-printable"


def _utf8_streams() -> None:
    """Make stdout and stderr write UTF-8, whatever the locale and whatever the venv holds.

    The reports escape what they know may hold bytes that are not UTF-8; this
    catches the rest (a path in an error, a note), spelling each such byte
    ``\\xNN`` as the reports do instead of failing or writing it raw.
    """
    import codecs

    from venv_doctor.words import printable

    def escape(error: UnicodeError) -> tuple[str | bytes, int]:
        if not isinstance(error, UnicodeEncodeError):
            raise error
        part = error.object[error.start : error.end]
        shown = printable(part)
        if shown == part:  # not a surrogate: cannot happen in UTF-8
            return codecs.backslashreplace_errors(error)
        return shown, error.end

    codecs.register_error(_PRINTABLE, escape)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(encoding="utf-8", errors=_PRINTABLE)


def main() -> None:
    """Entry point of the ``venv-doctor`` command."""
    _utf8_streams()
    try:
        cli.main(prog_name="venv-doctor")
    except SystemExit as exc:
        if not _LEFT_TO_THE_OS:
            raise
        # What check read of a big venv is a few hundred thousand objects:
        # freeing them one by one, then the modules, takes longer than a small
        # venv's whole check.  With the report written, the helper threads
        # and the probe ended, nothing else is left to do.
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        code = exc.code
        os._exit(EXIT_OK if code is None else code if isinstance(code, int) else EXIT_ERROR)


if __name__ == "__main__":  # pragma: no cover
    main()
