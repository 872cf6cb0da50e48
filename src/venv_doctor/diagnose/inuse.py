"""file-in-use: running processes that use files of the venv (information)."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable

from venv_doctor.diagnose._make import finding
from venv_doctor.diagnose.findings import Finding
from venv_doctor.read.holders import Holder
from venv_doctor.read.layout import VenvLayout

# Per process, name this many files before summing up the rest.
_SHOWN = 3


def in_use_findings(layout: VenvLayout, holders: Iterable[Holder]) -> list[Finding]:
    """One finding per process that uses files of the venv.

    ``holders`` name files by their real path; they are reported relative to
    the venv root.
    """
    real_root = str(layout.real_root)
    by_process: dict[tuple[int, str], list[Holder]] = defaultdict(list)
    for holder in holders:
        by_process[(holder.pid, holder.name)].append(holder)
    found: list[Finding] = []
    for (pid, name), items in sorted(by_process.items()):
        rels = sorted({os.path.relpath(h.path, real_root).replace(os.sep, "/") for h in items})
        hows = sorted({h.how for h in items})
        shown = ", ".join(rels[:_SHOWN]) + (
            f" and {len(rels) - _SHOWN} more" if len(rels) > _SHOWN else ""
        )
        found.append(
            finding(
                "file-in-use",
                f"{name} (pid {pid}) uses {len(rels)} file{'s' if len(rels) != 1 else ''} of "
                f"this venv ({'/'.join(hows)}): {shown}",
                path=rels[0],
                hint="on Windows these files cannot be removed or replaced until that process "
                "ends; fix moves them aside instead",
            )
        )
    return found
