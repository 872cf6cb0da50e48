"""The options several commands share: which venv, which lockfile, which codes, which format."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click


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


_SELECTION = {
    "extra": "extras",
    "all_extras": "all_extras",
    "no_extra": "no_extras",
    "no_dev": "no_dev",
    "only_dev": "only_dev",
    "group": "groups",
    "no_group": "no_groups",
    "only_group": "only_groups",
    "all_groups": "all_groups",
    "no_default_groups": "no_default_groups",
    "package": "packages",
    "all_packages": "all_packages",
    "no_editable": "no_editable",
}


def lock_from(params: dict[str, Any]) -> Any:
    """The lockfile options of ``params`` (taken out of it) as ``LockOptions``."""
    from venv_doctor.commands.check import LockOptions

    flags = {field: params.pop(option) for option, field in _SELECTION.items()}
    selection = None
    if any(flags.values()):
        # Only then: the lockfile readers take a while to import.
        from venv_doctor.lockfiles import Selection

        selection = Selection(**flags)
    lockfile, disabled = params.pop("lockfile"), params.pop("no_lock")
    if lockfile is not None and disabled:
        from venv_doctor.errors import UsageError

        raise UsageError("--from and --no-lock exclude each other")
    return LockOptions(path=lockfile, disabled=disabled, selection=selection)


# check and fix: the same report formats (fix's JSON holds its plan and both checks).
def code_options(func: Any) -> Any:
    """``--select`` and ``--ignore``: which finding codes a report shows (check and fix)."""
    func = click.option(
        "--ignore",
        metavar="CODES",
        help="Do not report these finding codes (comma list).",
        shell_complete=lambda _ctx, _param, incomplete: codes(incomplete, listed=True),
    )(func)
    return click.option(
        "--select",
        metavar="CODES",
        help="Only report these finding codes (comma list).",
        shell_complete=lambda _ctx, _param, incomplete: codes(incomplete, listed=True),
    )(func)


def detail(ctx: click.Context, params: dict[str, Any]) -> bool:
    """Whether text reports show each ``cache-hardlink`` finding, not one line for all."""
    selected = (params.get("select") or "").replace(" ", "").split(",")
    return bool(ctx.obj and ctx.obj.get("verbose")) or "cache-hardlink" in selected


format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Text for people, JSON for programs (see docs/reference/json.md).",
)


def codes(incomplete: str, *, listed: bool) -> list[str]:
    """Finding codes that complete ``incomplete``; ``listed``: after the commas of a list."""
    from venv_doctor.diagnose.findings import CODES

    done, _, last = incomplete.rpartition(",") if listed else ("", "", incomplete)
    prefix = f"{done}," if done else ""
    return [prefix + code for code in sorted(CODES) if code.startswith(last)]


if TYPE_CHECKING:
    _ParamType = click.ParamType[str | Path]
else:  # click before 8.2 has no generic ParamType
    _ParamType = click.ParamType


class PythonParam(_ParamType):
    """``--python``: ``X.Y`` (``X.Yt`` free-threaded) as a string, else an existing file."""

    name = "python"
    _file = click.Path(exists=True, dir_okay=False, executable=True, path_type=Path)

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> str | Path:
        if isinstance(value, str) and re.fullmatch(r"[0-9]+\.[0-9]+t?", value):
            return value
        return self._file.convert(value, param, ctx)
