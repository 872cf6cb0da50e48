"""``check`` from start to end: locate, read, probe, diagnose, filter."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from venv_doctor.commands.config import load_settings
from venv_doctor.diagnose.blind import without_guesses
from venv_doctor.diagnose.findings import Finding, filter_findings, parse_code_list, sort_key
from venv_doctor.diagnose.index import Index
from venv_doctor.diagnose.interpreter import changed, foreign_builds, repoints
from venv_doctor.diagnose.leftovers import with_lock
from venv_doctor.diagnose.run import Diagnosis
from venv_doctor.read.installed import InstalledDist
from venv_doctor.read.layout import VenvLayout, find_venv_why, read_layout
from venv_doctor.read.managed import ManagedVenv, read_managed
from venv_doctor.read.probe import Probe, start_probe
from venv_doctor.read.snapshot import Snapshot
from venv_doctor.read.walk import HashProgress, Reading, read_venv
from venv_doctor.report.model import CheckResult

if TYPE_CHECKING:
    # The lockfile readers (packaging.pylock, packaging.markers, TOML) are
    # imported only when there is a lockfile to read.
    from venv_doctor.lockfiles import OpenedLockfile, Selection, WantedSet
    from venv_doctor.read.digest_cache import DigestCache


@dataclass(frozen=True, slots=True, kw_only=True)
class LockOptions:
    """Which lockfile to compare against, and which parts of it (``uv sync``'s flags).

    ``selection`` ``None`` is plain ``uv sync``.
    """

    path: Path | None = None
    disabled: bool = False
    selection: Selection | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Checked:
    """Everything one check produced, for ``check`` to report and ``fix`` to plan from."""

    layout: VenvLayout
    snapshot: Snapshot
    wanted: WantedSet | None
    probe: Probe
    result: CheckResult
    managed: ManagedVenv | None = None  # a uv tool's or pipx's venv, and what it was made from
    # The digest cache as this check left it (a check after a change updates it).
    digests: DigestCache | None = None
    # The checks' lookups over ``snapshot``, which a plan made from it takes over.
    index: Index | None = None


def locate(
    path: Path | None, *, venv_option: Path | None, environ: Mapping[str, str], cwd: Path
) -> VenvLayout:
    found, why = find_venv_why(path, venv_option=venv_option, environ=environ, cwd=cwd)
    return dataclasses.replace(read_layout(found), found_by=why)


def resolve_lockfile(layout: VenvLayout, options: LockOptions, cwd: Path) -> Path | None:
    """``--from FILE``, else the project's own lockfile beside the venv, unless ``--no-lock``."""
    if options.path is not None:
        return cwd / options.path
    if options.disabled:
        return None
    project = layout.root.parent
    if not _may_hold_lockfile(project):
        return None
    from venv_doctor.lockfiles import find_lockfile

    return find_lockfile(project)


def _may_hold_lockfile(folder: Path) -> bool:
    """Whether ``folder`` has a file named like a lockfile (``find_lockfile`` decides which)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return True  # let find_lockfile see for itself
    return any(
        name == "uv.lock" or (name.startswith("pylock.") and name.endswith(".toml"))
        for name in names
    )


def _runs(probe: Probe) -> str | None:
    """The full version the probe ran (``3.13.0t`` free-threaded); ``None`` if it could not run."""
    if probe.derived:
        return None
    return probe.python_version + ("t" if probe.free_threaded else "")


def _fails(findings: Sequence[Finding]) -> bool:
    return any(finding.fails for finding in findings)


def _repair(
    snapshot: Snapshot, findings: Sequence[Finding], wanted: WantedSet | None, index: Index
) -> tuple[str, int]:
    """What ``fix`` would do about ``findings``, so that the next command shown acts.

    ``("fix", 0)`` when its plan acts, ``("purge", n)`` when only ``--purge-orphans``
    makes it act (on ``n`` paths), ``("none", 0)`` when fix could do nothing.
    """
    if any(repoints(finding) for finding in findings):
        return "fix", 0  # fix looks for a base interpreter of its own, on PATH
    from venv_doctor.diagnose.lock import preserved_packages
    from venv_doctor.plan.actions import PlanOptions
    from venv_doctor.plan.make import make_plan

    keep = preserved_packages(snapshot.layout.cfg) if wanted is not None else frozenset()
    if not make_plan(snapshot, findings, wanted, PlanOptions(keep=keep), index=index).empty:
        return "fix", 0
    purging = PlanOptions(purge_orphans=True, keep=keep)
    purge = make_plan(snapshot, findings, wanted, purging, index=index)
    if not purge.empty:
        return "purge", len(purge.actions)
    return "none", 0


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Keep the cyclic garbage collector off while a check runs.

    A check builds hundreds of thousands of small objects (tree entries,
    RECORD rows, paths) and no cycles: on a big venv the collector would run
    over a thousand times for nothing.  Reference counting still frees
    everything as usual.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _beside_the_files(
    layout: VenvLayout,
    dists: Sequence[InstalledDist],
    probe: Probe,
    wanted: WantedSet | None,
    *,
    quick: bool,
    environ: Mapping[str, str],
    managed: ManagedVenv | None = None,
) -> list[Finding]:
    """Findings about processes, the lockfile, uv's freshness, requirements, a tool's receipt.

    None of them needs file content.
    """
    from venv_doctor.diagnose.freshness import freshness_findings, watched_sources
    from venv_doctor.diagnose.requirements import dependency_findings
    from venv_doctor.read.freshness import read_cache_records

    findings: list[Finding] = []
    if not quick:
        from venv_doctor.diagnose.inuse import in_use_findings
        from venv_doctor.read.holders import find_users

        # After the probe has ended: only other processes are named.
        findings += in_use_findings(layout, find_users(str(layout.root), skip_pids=[os.getpid()]))
    if wanted is not None:
        from venv_doctor.diagnose.lock import lock_findings, preserved_packages

        findings += lock_findings(wanted, dists, keep=preserved_packages(layout.cfg))
    # Which local projects uv would rebuild, compared in the environment uv would run in.
    sources = watched_sources(wanted, dists) if wanted is not None else {}
    records = read_cache_records(str(layout.root), dists, sources, environ)
    findings += freshness_findings(records, dists)
    findings += dependency_findings(dists, probe.environment)
    if managed is not None:
        from venv_doctor.diagnose.tools import tool_findings

        findings += tool_findings(managed, dists, probe.environment)
    return findings


def _read(
    layout: VenvLayout,
    *,
    quick: bool,
    environ: Mapping[str, str],
    stamps: bool,
    earlier: Snapshot | None,
    touched: Collection[str] | None,
    digests: DigestCache | None,
    kept: DigestCache | None,
) -> tuple[Reading, DigestCache | None]:
    """The venv read whole, or (after a change, see ``run_check``) where the change touched it.

    ``kept`` is the digest cache the check of ``earlier`` kept; returns the
    reading and the digest cache to save after it.
    """
    if earlier is not None and touched is not None and not quick:
        from venv_doctor.read.refresh import reread

        cache = kept if digests is not None and kept is not None else digests
        patched = reread(layout, earlier, touched, environ=environ, digests=cache)
        if patched is not None:
            return patched, cache
    return read_venv(
        layout,
        hashes=not quick,
        environ=environ,
        stamps=stamps,
        earlier=earlier,
        digests=digests,
    ), digests


class _Answered:
    """A probe already made, in the place of one running (``PendingProbe``)."""

    def __init__(self, probe: Probe) -> None:
        self._probe = probe

    def result(self) -> Probe:
        return self._probe

    def cancel(self) -> None:
        """Nothing runs."""


def _open_lockfile(lockfile: Path, lock: LockOptions) -> OpenedLockfile:
    from venv_doctor.lockfiles import Selection, open_lockfile

    return open_lockfile(lockfile, lock.selection or Selection())


def run_check(
    layout: VenvLayout,
    *,
    quick: bool,
    select: str | None,
    ignore: str | None,
    lock: LockOptions,
    environ: Mapping[str, str],
    cwd: Path,
    progress: HashProgress | None = None,
    stamps: bool = False,
    earlier: Snapshot | None = None,
    touched: Collection[str] | None = None,
    kept: DigestCache | None = None,
    cache: bool = False,
    wanted: WantedSet | None = None,
    next_step: bool = True,
    probe: Probe | None = None,
) -> Checked:
    """Check one venv and return its findings, filtered as asked.

    A full check also names the running processes that use files of the venv
    (``file-in-use``); ``progress`` is told how hashing goes.  With ``stamps``
    the snapshot keeps what a later check needs to take over the digests of
    files unchanged since; that later check gets it as ``earlier``.  With
    ``touched`` too (every venv path a change made since has touched, under
    the lock held since ``earlier``), only those are read again
    (``read.refresh``), and ``kept``, the digest cache of the check of
    ``earlier`` (``Checked.digests``), is updated for them.  A ``probe``
    given (the check before a change that did not touch the interpreter) is
    taken instead of running the interpreter again.
    """
    selected = parse_code_list(select)
    ignored = parse_code_list(ignore)
    settings = load_settings(layout.root.parent)
    lockfile = resolve_lockfile(layout, lock, cwd) if wanted is None else None
    managed = read_managed(layout.root, environ)
    # The one time the target's interpreter runs (markers and tags): it starts
    # now and answers while the venv is read.
    pending = start_probe(layout) if probe is None else _Answered(probe)
    try:
        with _no_cycle_collection():
            # Read before the venv: a lockfile that cannot be read stops the
            # check.  What it selects for this venv is known once the probe answers.
            opened = _open_lockfile(lockfile, lock) if lockfile is not None else None
            digests = None
            if cache and not quick:
                from venv_doctor.read.digest_cache import DigestCache

                # After a fix, the check before knows every digest the cache held.
                digests = DigestCache.open(environ, str(layout.root), read=earlier is None)
            reading, digests = _read(
                layout,
                quick=quick,
                environ=environ,
                stamps=stamps,
                earlier=earlier,
                touched=touched,
                digests=digests,
                kept=kept,
            )
            try:
                probe = pending.result()
                wanted = opened.select(probe) if opened is not None else wanted
                # What needs no digest is found while helper threads hash.
                later = _beside_the_files(
                    layout,
                    reading.dists,
                    probe,
                    wanted,
                    quick=quick,
                    environ=environ,
                    managed=managed,
                )
                diagnosis = Diagnosis(reading.unhashed)
                snapshot = reading.finish(progress)
            finally:
                reading.close()
            findings: list[Finding] = diagnosis.finish(snapshot) + later
            other_python = changed(snapshot, runs=_runs(probe), interpreter=probe.interpreter)
            findings += other_python
            if not other_python and not probe.derived:
                # What the interpreter runs on, from its probe; with another
                # Python every compiled distribution is replaced anyway.
                findings += foreign_builds(
                    snapshot,
                    tags=probe.tags,
                    markers=probe.markers,
                    interpreter=probe.interpreter,
                )
            if wanted is not None:
                findings = with_lock(findings, wanted)
            if digests is not None:
                digests.save()
    finally:
        pending.cancel()
    findings, blind = without_guesses(findings, snapshot)
    findings = [f for f in findings if settings.keeps(f)]
    findings = filter_findings(
        findings, select=selected or settings.select, ignore=ignored | settings.ignore
    )
    notes = list(wanted.notes) if wanted is not None else []
    if blind is not None:
        notes.append(blind)
    if probe.derived:
        notes.append(
            f"could not run {probe.interpreter} ({probe.reason}); markers and tags were "
            "derived from pyvenv.cfg and this platform"
        )
    repair, purged = "fix", 0
    if next_step and _fails(findings):
        repair, purged = _repair(snapshot, findings, wanted, diagnosis.index)
    result = CheckResult(
        repair=repair,
        purged=purged,
        venv=str(layout.root),
        lockfile=str(wanted.lockfile) if wanted is not None else None,
        quick=quick,
        findings=tuple(sorted(findings, key=sort_key)),
        distributions=len(snapshot.dists),
        files=sum(len(files) for files in snapshot.owned.values()),
        hashed=len(snapshot.hashes) - snapshot.reused,
        reused=snapshot.reused,
        notes=tuple(notes),
        found_by=layout.found_by,
        tool_command=managed.command if managed is not None else None,
    )
    return Checked(
        layout=layout,
        snapshot=snapshot,
        wanted=wanted,
        probe=probe,
        result=result,
        managed=managed,
        digests=digests,
        index=diagnosis.index,
    )
