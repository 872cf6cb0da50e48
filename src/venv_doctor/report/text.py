"""The text report for people: findings grouped by package, worst first."""

from __future__ import annotations

import os
from collections import defaultdict
from typing import TYPE_CHECKING

from venv_doctor.diagnose.findings import Finding, Severity
from venv_doctor.report.model import CheckResult
from venv_doctor.report.nextstep import next_command
from venv_doctor.report.plain import escape
from venv_doctor.report.printable import shown
from venv_doctor.words import counted

if TYPE_CHECKING:
    from rich.console import Console

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
# Per package and code, show this many paths before summing up the rest.
_SHOWN = 5
_FOLDED = "cache-hardlink"


def render(
    result: CheckResult, console: Console, *, suggest: bool = True, detail: bool = False
) -> None:
    """Print ``result`` for people; with ``suggest``, end with the command to run next.

    ``cache-hardlink`` findings, one per distribution of every healthy venv uv
    made in hardlink mode, are folded into one line unless ``detail`` is asked
    for (``-v``, or ``--select cache-hardlink``).
    """
    mode = "quick check (sizes only)" if result.quick else "full check"
    if not result.quick and result.reused:
        mode += (
            f" ({counted(result.hashed, 'file')} hashed, {counted(result.reused, 'digest')} reused)"
        )
    why = f" ({escape(result.found_by)})" if result.found_by else ""
    console.print(
        f"[bold]{escape(result.venv)}[/]{why}: {counted(result.distributions, 'distribution')}, "
        f"{counted(result.files, 'file')}, {mode}"
        + (f", lockfile {escape(result.lockfile)}" if result.lockfile else "")
    )
    for note in result.notes:
        console.print(f"[dim]note: {escape(note)}[/]", soft_wrap=True)
    findings = [shown(finding) for finding in result.findings]
    folded: list[Finding] = []
    if not detail:
        folded = [f for f in findings if f.code == _FOLDED]
        findings = [f for f in findings if f.code != _FOLDED]
    _render_findings(findings, console)
    line = _folded_line(folded)
    if line and findings:
        console.print()
        console.print(f"  [cyan]info   [/] [bold]{_FOLDED}[/] {escape(line)}", soft_wrap=True)
    console.print()
    if not findings:
        tail = f" [dim]{escape(line)}[/]" if line else ""
        console.print(f"[bold green]No problems found.[/]{tail}", soft_wrap=True)
        return
    counts = result.counts()
    if folded:
        counts["info"] -= len(folded) - 1
    summary = ", ".join(counted(n, severity) for severity, n in counts.items() if n)
    style = "bold red" if counts["error"] else "yellow" if counts["warning"] else "cyan"
    console.print(f"[{style}]{summary}[/]")
    if result.failed and suggest:
        console.print(_next_line(result))


def _render_findings(findings: list[Finding], console: Console) -> None:
    """The findings grouped by package, then by code, each code's hint once."""
    groups: dict[str | None, list[Finding]] = defaultdict(list)
    for finding in findings:
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


def _folded_line(folded: list[Finding]) -> str | None:
    """One line for every ``cache-hardlink`` finding: how many files, where, what to do."""
    if not folded:
        return None
    files = sum(f.count for f in folded)
    caches = {f.message.partition(" shared with ")[2].partition(": ")[0] for f in folded}
    where = caches.pop() if len(caches) == 1 else "uv's cache or other venvs"
    return (
        f"{counted(files, 'installed file')} of {counted(len(folded), 'distribution')} "
        f"{'is a hard link' if files == 1 else 'are hard links'} shared with {where}: never "
        f"edit them in place (each: --select {_FOLDED})"
    )


def _next_line(result: CheckResult) -> str:
    command = next_command(result, os.getcwd())
    if command is None and result.repair == "none":
        return "Next: fix cannot repair these; the hints above say what to do."
    if command is None:
        return "Next: install what the hints above name."
    if command == result.tool_command:
        return f"Next: [bold]{escape(command)}[/] (it rebuilds the tool's venv as it was installed)"
    if result.repair == "purge":
        paths = counted(result.purged, "unowned path")
        return (
            f"Next: [bold]{escape(command)}[/] moves the {paths} reported above to the trash "
            "(venv-doctor undo brings them back; see the list first with --dry-run)"
        )
    if command.startswith("venv-doctor"):
        return f"Next: [bold]{escape(command)}[/] (see what it would do first with --dry-run)"
    return f"Next: [bold]{escape(command)}[/] (uv can repair this drift itself)"
