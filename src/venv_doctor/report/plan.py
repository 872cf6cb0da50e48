"""The repair plan and the outcome of ``fix``, for people (text) and programs (JSON)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from venv_doctor.plan.actions import (
    Action,
    DiscardPath,
    InstallDist,
    MovePython,
    Plan,
    RemoveDist,
    Repoint,
    RewriteFile,
)
from venv_doctor.report.json import SCHEMA_VERSION, check_dict, dumps, finding_dict
from venv_doctor.report.plain import escape
from venv_doctor.report.printable import shown
from venv_doctor.words import counted

if TYPE_CHECKING:
    from rich.console import Console

    from venv_doctor.report.model import FixResult


def action_line(action: Action) -> str:
    """One line that says what an action does and why."""
    if isinstance(action, RemoveDist):
        what = f"remove {action.package} {action.version or ''}".rstrip()
        kept = f", keeping {counted(len(action.kept), 'shared file')}" if action.kept else ""
        return f"{what} ({counted(len(action.paths), 'path')}{kept}): {action.reason}"
    if isinstance(action, InstallDist):
        return _install_line(action)
    if isinstance(action, DiscardPath):
        return f"move {action.path} to the trash: {action.reason}"
    if isinstance(action, RewriteFile):
        return f"rewrite {action.path}: {action.reason}"
    if isinstance(action, MovePython):
        return (
            f"move the venv from Python {action.old_version} to {action.new_version} "
            f"({action.python}): {action.reason}"
        )
    assert isinstance(action, Repoint)  # noqa: S101 - the union is closed
    return f"re-point the venv to {action.python}: {action.reason}"


def _install_line(action: InstallDist) -> str:
    label = f"{action.package} {action.version or ''}".rstrip()
    if not action.restore:
        return f"install {label}: {action.reason}"
    more = f" and {len(action.restore) - 1} more" if len(action.restore) > 1 else ""
    return f"restore {action.restore[0]}{more} of {label}: {action.reason}"


def action_dict(action: Action) -> dict[str, Any]:
    if isinstance(action, RemoveDist):
        return {
            "action": "remove",
            "package": action.package,
            "version": action.version,
            "path": action.meta_dir,
            "paths": list(action.paths),
            "kept": list(action.kept),
            "reason": action.reason,
        }
    if isinstance(action, InstallDist):
        source = action.wanted.source.describe() if action.wanted else None
        return {
            "action": "install",
            "package": action.package,
            "version": action.version,
            "source": source,
            "restore": list(action.restore),
            "reason": action.reason,
        }
    if isinstance(action, DiscardPath):
        return {"action": "discard", "path": action.path, "reason": action.reason}
    if isinstance(action, RewriteFile):
        return {
            "action": "rewrite",
            "path": action.path,
            "replacements": [list(pair) for pair in action.replacements],
            "reason": action.reason,
        }
    if isinstance(action, MovePython):
        return {
            "action": "move-python",
            "python": action.python,
            "from": action.old_version,
            "to": action.new_version,
            "paths": list(action.old_libs),
            "carried": [list(pair) for pair in action.carried],
            "reason": action.reason,
        }
    return {"action": "repoint", "python": action.python, "reason": action.reason}


def plan_dict(plan: Plan) -> dict[str, Any]:
    return {
        "lockfile": plan.lockfile,
        "actions": [action_dict(a) for a in plan.actions],
        "unresolved": [finding_dict(f) for f in plan.unresolved],
        "notes": list(plan.notes),
    }


def fix_dict(result: FixResult, *, dry_run: bool) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "dry_run": dry_run,
        "venv": result.before.venv,
        "lockfile": result.before.lockfile,
        "recovered": list(result.recovered.rolled_back) if result.recovered else [],
        "plan": plan_dict(result.plan),
        "transaction": result.transaction,
        "before": check_dict(result.before),
        "after": check_dict(result.after) if result.after else None,
        "healthy": result.healthy,
    }


def fix_json(result: FixResult, *, dry_run: bool) -> str:
    """The JSON report of ``fix`` (docs/reference/json.md)."""
    return dumps(fix_dict(result, dry_run=dry_run), indent=2)


def render_plan(plan: Plan, console: Console, *, dry_run: bool) -> None:
    if plan.empty:
        console.print("Nothing to do.")
    else:
        verb = "Would" if dry_run else "Will"
        console.print(f"[bold]{verb} do, in one transaction:[/]")
        for number, action in enumerate(plan.actions, start=1):
            console.print(f"  {number}. {escape(action_line(action))}", soft_wrap=True)
    for note in plan.notes:
        console.print(f"[dim]note: {escape(note)}[/]")
    if plan.unresolved:
        console.print("[bold yellow]Left as it is:[/]")
        for finding in map(shown, plan.unresolved):
            hint = f" (hint: {finding.hint})" if finding.hint else ""
            console.print(
                f"  {finding.code}: {escape(finding.message)}{escape(hint)}", soft_wrap=True
            )


def render_fix(result: FixResult, console: Console, *, dry_run: bool, detail: bool = False) -> None:
    """What ``fix`` did and what the check after it found (``detail``: see ``text.render``)."""
    from venv_doctor.report.text import render as render_text

    if dry_run:
        console.print("Dry run: nothing was changed.")
        return
    if result.transaction:
        console.print(
            f"Applied as transaction {result.transaction} "
            "(venv-doctor undo reverts it; venv-doctor trash list shows what it kept)."
        )
    if result.after is not None:
        console.print()
        console.print("[bold]Checked again:[/]")
        render_text(result.after, console, suggest=False, detail=detail)
        left = {finding.code for finding in result.after.findings if finding.fails}
        if left == {"orphan-file"}:
            console.print(
                "Left in place: files no installed distribution owns, which may be yours. "
                "To move them to the trash too: [bold]venv-doctor fix --purge-orphans[/]"
            )
        elif left:
            console.print("Left as it is: fix cannot repair these; the hints above say what to do.")
