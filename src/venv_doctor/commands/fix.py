"""``fix`` from start to end: recover, check, plan, fetch, apply, check again.

The venv's lock is held from the first read to the last check, so uv and
venv-doctor never change one venv at once.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from packaging.tags import Tag

from venv_doctor.apply.execute import BaseInterpreter, execute
from venv_doctor.apply.lock import VenvLock
from venv_doctor.apply.owner import Owner, refuse_foreign, writes_for_another_owner
from venv_doctor.apply.recovery import RecoveryReport, recover
from venv_doctor.apply.steps import StepHook
from venv_doctor.apply.transaction import Transaction
from venv_doctor.apply.wheel_errors import WheelError
from venv_doctor.commands.check import Checked, LockOptions, run_check
from venv_doctor.commands.python_move import plan_python_move
from venv_doctor.diagnose.interpreter import repoints
from venv_doctor.diagnose.lock import preserved_packages
from venv_doctor.errors import VenvDoctorError
from venv_doctor.lockfiles.wanted import WantedSet
from venv_doctor.plan.actions import InstallDist, MovePython, Plan, PlanOptions, Repoint
from venv_doctor.plan.leftovers import needs_wheel_contents
from venv_doctor.plan.make import make_plan
from venv_doctor.plan.spare import spare_wheel_files
from venv_doctor.read.journal import JSONValue
from venv_doctor.read.layout import VenvLayout, read_layout
from venv_doctor.read.managed import UV_TOOL, read_managed
from venv_doctor.read.snapshot import Snapshot
from venv_doctor.report.model import CheckResult, FixResult


class WheelGetter(Protocol):
    """Finds (downloads, builds) and verifies the wheels install actions need.

    Called once with every install action of the plan and the target's tags,
    best first; returns the wheel file for each package.
    """

    def __call__(
        self, actions: Sequence[InstallDist], tags: Sequence[Tag], /
    ) -> dict[str, Path]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class FixOptions:
    dry_run: bool = False
    purge_orphans: bool = False
    python: Path | None = None
    # --python X.Y: a pythonX.Y looked for on PATH (another X.Y than the venv's moves it).
    python_version: str | None = None
    # Which finding codes the check after the change reports (the plan acts on all).
    select: str | None = None
    ignore: str | None = None
    # Take digests of unchanged files from the digest cache, and update it.
    cache: bool = False


class InterpreterNotFoundError(VenvDoctorError):
    """No base interpreter of the venv's version could be found to re-point it to."""


class ToolVenvError(VenvDoctorError):
    """A uv tool's or pipx's venv that its own installer rebuilds, not ``fix``."""


def run_fix(
    layout: VenvLayout,
    *,
    lock: LockOptions,
    options: FixOptions,
    environ: Mapping[str, str],
    cwd: Path,
    get_wheel: WheelGetter,
    on_step: StepHook | None = None,
    progress: Callable[[str], None] | None = None,
    on_plan: Callable[[Plan, RecoveryReport | None], None] | None = None,
    on_checked: Callable[[Checked], None] | None = None,
) -> FixResult:
    """Repair the venv at ``layout``; with ``dry_run``, only say how.

    ``on_plan`` hears the plan (and what recovery rolled back first) as soon
    as it is made, before any wheel is fetched or anything changes;
    ``on_checked`` hears each full check, snapshot and all: the one before,
    then (when the fix changed something) the one after.
    """
    hear = on_checked or _unheard
    if not options.dry_run:
        refuse_foreign(layout.root, f"venv-doctor fix {shlex.quote(str(layout.root))} ...")
    if read_managed(layout.root, environ) is not None:
        # Refused before the lock, whose file would be the one change made.
        _refuse_broken_tool(
            run_check(
                layout,
                quick=True,
                select=None,
                ignore=None,
                lock=lock,
                environ=environ,
                cwd=cwd,
            )
        )
    with VenvLock(layout.root) as held:
        recovered = recover(layout.root, lock=held)
        checked = run_check(
            layout,
            quick=False,
            select=None,
            ignore=None,
            lock=lock,
            environ=environ,
            cwd=cwd,
            stamps=True,
            cache=options.cache,
            next_step=False,
        )
        hear(checked)
        _refuse_broken_tool(checked)
        wanted = checked.wanted
        keep = preserved_packages(layout.cfg) if wanted is not None else frozenset()
        base = _base_interpreter(layout, options, checked.result, environ)
        tags = checked.probe.tags
        moving = base is not None and layout.version is not None and moves(layout, base)
        if moving:
            assert base is not None  # noqa: S101 - for mypy: moving says so
            # Another Python: everything is installed anew for it, its own tags and markers.
            plan, tags = plan_python_move(
                checked, base, lock=lock, cwd=cwd, purge_orphans=options.purge_orphans
            )
            wheels = None
            if options.dry_run:
                plan = _try_wheels(plan, tags, get_wheel)
        else:
            plan, wheels = _plan(checked, wanted, base, keep, options, get_wheel)
        owner = writes_for_another_owner(layout.root)
        if owner is not None:
            plan = dataclasses.replace(plan, notes=(*plan.notes, _for_owner(owner)))
        result = FixResult(before=checked.result, plan=plan, recovered=recovered)
        if on_plan is not None:
            on_plan(plan, recovered)
        if options.dry_run or plan.empty:
            return result
        # Everything that may need the network or a build happens before the
        # first change: a wheel that cannot be had leaves the venv untouched.
        if wheels is None:
            installs = [action for action in plan.actions if isinstance(action, InstallDist)]
            wheels = get_wheel(installs, tags) if installs else {}
            if options.purge_orphans and wheels and not moving:
                shown = len(plan.notes)
                plan = _spare(plan, checked.snapshot, wheels, layout)
                if progress is not None:  # the plan shown before the wheels were at hand purged it
                    for note in plan.notes[shown:]:
                        progress(note)
        with Transaction(
            held, description=_describe(plan), plan=_plan_summary(plan), on_step=on_step
        ) as txn:
            execute(
                plan,
                txn,
                snapshot=checked.snapshot,
                wheels=wheels,
                base=base,
                progress=progress,
                environ=environ,
            )
            txn.commit()
        # Read the venv again: a re-pointed venv has another pyvenv.cfg.  The
        # lock is still held, so what the transaction did not touch is as the
        # first check read it: only what it touched is read again.  The
        # lockfile is read again only for another interpreter's markers.
        repointed = any(isinstance(action, (Repoint, MovePython)) for action in plan.actions)
        after = run_check(
            read_layout(layout.root),
            quick=False,
            select=options.select,
            ignore=options.ignore,
            lock=lock,
            environ=environ,
            cwd=cwd,
            earlier=checked.snapshot,
            touched=None if repointed else txn.touched,
            kept=checked.digests,
            cache=options.cache,
            wanted=None if repointed else wanted,
            next_step=False,
            # The same interpreter unless the plan re-pointed the venv.
            probe=None if repointed else checked.probe,
        )
        hear(after)
        return FixResult(
            before=checked.result,
            plan=plan,
            recovered=recovered,
            transaction=txn.id,
            after=after.result,
        )


def _unheard(checked: Checked) -> None:
    """No one listens to the checks."""


def _plan(
    checked: Checked,
    wanted: WantedSet | None,
    base: BaseInterpreter | None,
    keep: frozenset[str],
    options: FixOptions,
    get_wheel: WheelGetter,
) -> tuple[Plan, dict[str, Path] | None]:
    """The plan, and the wheels when they had to be got to make it.

    When the plan installs something and leaves unowned files, what the
    wheels install into decides which of those files are remnants of what
    they install: the wheels are got first (for a dry run too, so that it
    shows what a fix does) and the plan is made again.
    """
    layout = checked.snapshot.layout
    plan_options = PlanOptions(
        purge_orphans=options.purge_orphans,
        python=base.executable if base else None,
        keep=keep,
    )
    findings = checked.result.findings
    plan = make_plan(checked.snapshot, findings, wanted, plan_options, index=checked.index)
    if not needs_wheel_contents(plan):
        return plan, None
    installs = [action for action in plan.actions if isinstance(action, InstallDist)]
    try:
        wheels = get_wheel(installs, checked.probe.tags)
    except WheelError as error:
        if not options.dry_run:
            raise
        return dataclasses.replace(plan, notes=(*plan.notes, _no_wheels(error))), None
    from venv_doctor.apply.destination import site_folders

    into = {package: site_folders(path) for package, path in wheels.items()}
    plan = make_plan(
        checked.snapshot, findings, wanted, plan_options, installs_into=into, index=checked.index
    )
    if options.purge_orphans:
        plan = _spare(plan, checked.snapshot, wheels, layout)
    return plan, wheels


def _spare(plan: Plan, snapshot: Snapshot, wheels: Mapping[str, Path], layout: VenvLayout) -> Plan:
    """``plan`` without purges of what its wheels will write themselves (``spare_wheel_files``)."""
    from venv_doctor.apply.destination import wheel_paths

    written = [path for wheel in wheels.values() for path in wheel_paths(wheel, layout=layout)]
    return spare_wheel_files(plan, snapshot, written)


def _try_wheels(plan: Plan, tags: Sequence[Tag], get_wheel: WheelGetter) -> Plan:
    """For a dry run of a move: the plan, with a note if a wheel it installs cannot be had.

    A move installs everything anew, so a dry run says whether it would go through.
    """
    installs = [action for action in plan.actions if isinstance(action, InstallDist)]
    try:
        get_wheel(installs, tags)
    except WheelError as error:
        note = f"the move would stop before changing anything: {error.message}"
        return dataclasses.replace(plan, notes=(*plan.notes, note))
    return plan


def _no_wheels(error: WheelError) -> str:
    return (
        f"the wheels to install could not be had ({error.message}): a fix would stop there, "
        "and which unowned files in their folders are remnants of them is not known yet"
    )


def _for_owner(owner: Owner) -> str:
    return (
        f"venv-doctor runs as root on a venv that belongs to {owner.shown}: what it writes "
        "gets the owner and group of the folder it lands in, so that they can still change it"
    )


def _refuse_broken_tool(checked: Checked) -> None:
    """Stop when a uv tool's or pipx's venv no longer matches its installer's record.

    Its installer rebuilds it from that record and puts the tool's commands
    back on PATH, outside the venv; ``fix`` could do neither.  A venv whose
    own ``fix`` was interrupted is rolled back first (under the lock), then
    looked at again.
    """
    managed = checked.managed
    codes = {finding.code for finding in checked.result.findings}
    if managed is None or "fix-interrupted" in codes:
        return
    broken = [f for f in checked.result.findings if f.code == "tool-venv-broken"]
    if not broken:
        return
    manager = "uv" if managed.manager == UV_TOOL else "pipx"
    raise ToolVenvError(
        f"{broken[0].message}. venv-doctor fix leaves a {managed.manager} venv to {manager}, "
        "which rebuilds it and the tool's commands on PATH: nothing was changed",
        hint=f"{managed.command} (or {managed.remove_command} to remove it)",
        path=Path(managed.root),
    )


def _describe(plan: Plan) -> str:
    count = len(plan.actions)
    where = f" to match {Path(plan.lockfile).name}" if plan.lockfile else ""
    move = next((a for a in plan.actions if isinstance(a, MovePython)), None)
    if move is not None:
        where = f" moving to Python {move.new_version}{where}"
    return f"fix{where}: {count} action{'s' if count != 1 else ''}"


def _plan_summary(plan: Plan) -> JSONValue:
    from venv_doctor.report.plan import action_line

    return [action_line(action) for action in plan.actions]


def _base_interpreter(
    layout: VenvLayout,
    options: FixOptions,
    before: CheckResult,
    environ: Mapping[str, str],
) -> BaseInterpreter | None:
    """The interpreter to re-point or move the venv to, if any.

    A Python the user names (``--python PATH`` or ``--python X.Y``) is
    checked whether or not it is needed: a wrong one is refused before
    anything else happens.  One of another X.Y (or ABI) than the venv's is
    a move, whatever else is wrong.  Otherwise a base interpreter is looked
    for only when the venv's own is gone or runs another Python.
    """
    chosen: BaseInterpreter | None = None
    if options.python is not None:
        chosen = _given_python(options.python)
    elif options.python_version is not None:
        chosen = _python_by_version(options.python_version, environ)
        if chosen is None:
            raise InterpreterNotFoundError(
                f"no Python {options.python_version} on PATH (looked for "
                f"python{options.python_version} outside any venv)",
                hint=f"install Python {options.python_version}, or pass its path with --python",
            )
    if chosen is not None and layout.version is not None and moves(layout, chosen):
        return chosen
    if not any(repoints(f) for f in before.findings):
        return None
    if chosen is not None:
        return chosen
    if layout.version is None:
        return None
    # A free-threaded venv (lib/python3.13t) needs a free-threaded python3.13t.
    free_threaded = any(site.parent.name.endswith("t") for site in layout.site_packages)
    return _python_by_version(layout.version + ("t" if free_threaded else ""), environ)


def moves(layout: VenvLayout, base: BaseInterpreter) -> bool:
    """Whether pointing the venv at ``base`` is a move to another X.Y or ABI."""
    free_threaded = any(site.parent.name.endswith("t") for site in layout.site_packages)
    same = base.version.startswith(f"{layout.version}.") and base.free_threaded == free_threaded
    return not same


def _python_by_version(series: str, environ: Mapping[str, str]) -> BaseInterpreter | None:
    """The first ``pythonX.Y`` (``pythonX.Yt``) on PATH that is a base interpreter of that X.Y.

    Every one on PATH in turn: the first may be another venv's (an activated
    one), and a venv's interpreter is never a base to point to.
    """
    version = series.removesuffix("t")
    for folder in environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = shutil.which(f"python{series}", path=folder) if folder else None
        found = probe_base(candidate) if candidate else None
        if (
            found is not None
            and found.version.startswith(version + ".")
            and found.free_threaded == series.endswith("t")
        ):
            return found
    return None


def _given_python(python: Path) -> BaseInterpreter:
    if _outside_venvs(str(python)) is None:
        raise InterpreterNotFoundError(
            f"{python} is a virtual environment's interpreter, not a base interpreter",
            hint="pass the Python that venv was made from (the home in its pyvenv.cfg)",
            path=python,
        )
    found = probe_base(str(python))
    if found is None:
        raise InterpreterNotFoundError(
            f"{python} cannot be run as a Python interpreter", path=python
        )
    return found


_PROBE = (
    "import json, sys, sysconfig; print(json.dumps([sys.executable, sys.prefix, sys.base_prefix, "
    "'.'.join(map(str, sys.version_info[:3])), '%s.%s' % sys.version_info[3:], "
    "bool(sysconfig.get_config_var('Py_GIL_DISABLED'))]))"
)


def probe_base(python: str) -> BaseInterpreter | None:
    """Ask a candidate base interpreter where it lives; ``None`` if it is a venv's or broken.

    A link from inside a venv to a base interpreter (what ``python -m venv``
    and uv make) is followed: the base interpreter's real path is what is
    probed and returned, never a path inside another venv.
    """
    chosen = _outside_venvs(python)
    if chosen is None:
        return None
    try:
        proc = subprocess.run(
            [chosen, "-I", "-S", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
        executable, prefix, base_prefix, version, release, free_threaded = json.loads(proc.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    # With -S a venv's interpreter reports its base prefix as its prefix, so
    # the pyvenv.cfg beside what actually ran is the test that counts.
    if os.path.realpath(prefix) != os.path.realpath(base_prefix) or _in_venv(executable):
        return None
    return BaseInterpreter(
        executable=executable,
        home=os.path.dirname(executable),
        prefix=prefix,
        version=version,
        release=release,
        free_threaded=bool(free_threaded),
    )


def _in_venv(python: str) -> bool:
    """Whether ``python`` is a venv's interpreter: a pyvenv.cfg beside it or one folder up.

    The two places the interpreter itself looks for it at start-up.
    """
    folder = os.path.dirname(os.path.abspath(python))
    return any(
        os.path.isfile(os.path.join(where, "pyvenv.cfg"))
        for where in (folder, os.path.dirname(folder))
    )


def _outside_venvs(python: str) -> str | None:
    """``python`` if no venv holds it or a link on the way to it; else its real path.

    ``None`` when the real path is itself a venv's interpreter (a copy, as
    ``venv --copies`` and Windows venvs make).
    """
    real = os.path.realpath(python)
    if _in_venv(real):
        return None
    path, hops = os.path.abspath(python), 0
    while hops < 40:  # a link loop has no real path to run anyway
        if _in_venv(path):
            return real
        if not os.path.islink(path):
            return python
        path = os.path.join(os.path.dirname(path), os.readlink(path))
        hops += 1
    return real
