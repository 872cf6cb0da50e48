"""The text report for people: findings grouped by package, worst first."""

from __future__ import annotations

import os
from collections import defaultdict
from typing import TYPE_CHECKING

from venv_doctor.diagnose.findings import Finding, Severity
from venv_doctor.report.model import CheckResult
from venv_doctor.report.nextstep import next_command
from venv_doctor.words import counted

if TYPE_CHECKING:
    from rich.console import Console

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
# Per package and code, show this many paths before summing up the rest.
_SHOWN = 5


def render(result: CheckResult, console: Console, *, suggest: bool = True) -> None:
    """Print ``result`` for people; with ``suggest``, end with the command to run next."""
    from rich.markup import escape

    mode = "quick check (sizes only)" if result.quick else "full check"
    why = f" ({escape(result.found_by)})" if result.found_by else ""
    console.print(
        f"[bold]{escape(result.venv)}[/]{why}: {counted(result.distributions, 'distribution')}, "
        f"{counted(result.files, 'file')}, {mode}"
        + (f", lockfile {escape(result.lockfile)}" if result.lockfile else "")
    )
    for note in result.notes:
        console.print(f"[dim]note: {escape(note)}[/]", soft_wrap=True)
    groups: dict[str | None, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        groups[finding.package].append(finding)
    for package in sorted(groups, key=lambda p: (p is None, p or "")):
        found = groups[package]
        title = package or "(no package)"
        versions = sorted({f.version for f in found if f.version})
        if versions:
            title += " " + ", ".join(versions)
        console.print()
        console.print(f"[bold]{escape(title)}[/]")
        by_code: dict[str, list[Finding]] = defaultdict(list)
        for finding in found:
            by_code[finding.code].append(finding)
        for code, items in by_code.items():
            severity = items[0].severity
            for finding in items[:_SHOWN]:
                console.print(
                    f"  [{_STYLE[severity]}]{severity.value:7}[/] [bold]{code}[/] "
                    f"{escape(finding.message)}",
                    soft_wrap=True,
                )
            if len(items) > _SHOWN:
                console.print(f"          … and {len(items) - _SHOWN} more {code}")
            hint = items[0].hint
            if hint:
                console.print(f"          [dim]hint: {escape(hint)}[/]", soft_wrap=True)
    console.print()
    counts = result.counts()
    if not result.findings:
        console.print("[bold green]No problems found.[/]")
        return
    summary = ", ".join(counted(n, severity) for severity, n in counts.items() if n)
    style = "bold red" if counts["error"] else "yellow" if counts["warning"] else "cyan"
    console.print(f"[{style}]{summary}[/]")
    if result.failed and suggest:
        console.print(_next_line(result))


def _next_line(result: CheckResult) -> str:
    from rich.markup import escape

    command = next_command(result, os.getcwd())
    if command is None:
        return "Next: install what the hints above name."
    if command.startswith("venv-doctor"):
        return f"Next: [bold]{escape(command)}[/] (see what it would do first with --dry-run)"
    return f"Next: [bold]{escape(command)}[/] (uv can repair this drift itself)"
