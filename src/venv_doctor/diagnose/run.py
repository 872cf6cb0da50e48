"""Every check over one snapshot, in order, in one or two steps."""

from __future__ import annotations

from collections.abc import Callable

from venv_doctor.diagnose import (
    editables,
    files,
    interpreter,
    leftovers,
    metadata,
    orphans,
    scripts,
)
from venv_doctor.diagnose.findings import Finding, sort_key
from venv_doctor.diagnose.index import Index
from venv_doctor.read.snapshot import Snapshot

Check = Callable[[Snapshot, Index], list[Finding]]

CHECKS: tuple[Check, ...] = (
    interpreter.check,
    metadata.check,
    files.check,
    orphans.check,
    leftovers.check,
    scripts.check,
    editables.check,
)


# The checks that read no file digest: they may run on a snapshot whose files
# are still being hashed (``Snapshot.hashes`` empty).
WITHOUT_DIGESTS: frozenset[Check] = frozenset(
    {interpreter.check, orphans.check, leftovers.check, scripts.check, editables.check}
)


def diagnose(snapshot: Snapshot) -> list[Finding]:
    """Every finding about the venv in ``snapshot``, worst first."""
    return Diagnosis(snapshot).finish(snapshot)


class Diagnosis:
    """``diagnose`` in two steps: the checks that need no digest first, on a snapshot
    whose files are still being hashed; the others once it is complete."""

    def __init__(self, unhashed: Snapshot) -> None:
        self._index = Index.build(unhashed)
        self._found = {
            check: check(unhashed, self._index) for check in CHECKS if check in WITHOUT_DIGESTS
        }

    @property
    def index(self) -> Index:
        """The lookups the checks shared: the same for the complete snapshot (``finish``)."""
        return self._index

    def finish(self, snapshot: Snapshot) -> list[Finding]:
        """Every finding, worst first; ``snapshot`` is the complete one, with its digests."""
        found: list[Finding] = []
        for check in CHECKS:
            early = self._found.get(check)
            found.extend(check(snapshot, self._index) if early is None else early)
        found.sort(key=sort_key)
        return found
