"""What ``check`` cannot know when it could not read a site-packages folder.

A user who may not read site-packages sees no installed distribution at all.
Saying that every locked package is missing, that the scripts belong to
nobody, or that requirements are unmet would be guesses: only ``unreadable``
is known.  Those findings are left out, and a note says what went unverified.
"""

from __future__ import annotations

from collections.abc import Sequence

from venv_doctor.diagnose.findings import Finding
from venv_doctor.read.snapshot import Snapshot

# Findings that claim something about what is (not) installed.
GUESSES = frozenset(
    {
        "lock-missing",
        "lock-extraneous",
        "lock-version-mismatch",
        "lock-source-mismatch",
        "dependency-unsatisfied",
        "orphan-file",
        "stash-leftover",
    }
)


def unread_sites(snapshot: Snapshot) -> tuple[str, ...]:
    """The venv's site-packages folders (relative) that could not be read, or a folder above."""
    unread = {item.path.rstrip("/") for item in snapshot.unreadable}
    return tuple(
        site
        for site in snapshot.site_rels
        if any(site == path or site.startswith(f"{path}/") for path in unread)
    )


def without_guesses(
    findings: Sequence[Finding], snapshot: Snapshot
) -> tuple[list[Finding], str | None]:
    """``findings`` less the guesses an unreadable site-packages would make, and a note."""
    sites = unread_sites(snapshot)
    if not sites:
        return list(findings), None
    kept = [finding for finding in findings if finding.code not in GUESSES]
    note = (
        f"could not read {', '.join(sites)}: which distributions are installed, their files, "
        "the lockfile and the requirements were not verified; run check as a user who can read it"
    )
    return kept, note
