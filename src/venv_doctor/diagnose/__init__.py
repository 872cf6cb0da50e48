"""Pure checks: a ``Snapshot`` in, ``Finding`` objects out.

No module in this package opens a file, runs a process or prints.  Each check
reports everything it sees; none stops at the first problem.
"""

from __future__ import annotations

from collections.abc import Callable

from venv_doctor.diagnose import editables, files, interpreter, metadata, orphans, scripts
from venv_doctor.diagnose.index import Index
from venv_doctor.findings import Finding, sort_key
from venv_doctor.snapshot import Snapshot

Check = Callable[[Snapshot, Index], list[Finding]]

CHECKS: tuple[Check, ...] = (
    interpreter.check,
    metadata.check,
    files.check,
    orphans.check,
    scripts.check,
    editables.check,
)


def diagnose(snapshot: Snapshot) -> list[Finding]:
    """Every finding about the venv in ``snapshot``, worst first."""
    index = Index.build(snapshot)
    found: list[Finding] = []
    for check in CHECKS:
        found.extend(check(snapshot, index))
    found.sort(key=sort_key)
    return found
