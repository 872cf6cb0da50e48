"""``fix --python`` with another Python than the venv's: the plan of a move in place.

The new interpreter is probed once, for its markers and tags; the lockfile
(if any) is read again for it, and ``plan.python_move`` says what to carry,
what goes to the trash and what is installed anew.
"""

from __future__ import annotations

from pathlib import Path

from packaging.tags import Tag

from venv_doctor.apply.execute import BaseInterpreter
from venv_doctor.commands.check import Checked, LockOptions, resolve_lockfile
from venv_doctor.diagnose.lock import preserved_packages
from venv_doctor.errors import VenvDoctorError
from venv_doctor.plan.actions import Plan
from venv_doctor.plan.python_move import MoveTo, plan_move
from venv_doctor.read.probe import probe_interpreter


class MoveError(VenvDoctorError):
    """A venv that ``fix`` cannot move to another Python in place."""


def plan_python_move(
    checked: Checked,
    base: BaseInterpreter,
    *,
    lock: LockOptions,
    cwd: Path,
    purge_orphans: bool,
) -> tuple[Plan, tuple[Tag, ...]]:
    """The plan that moves the checked venv to ``base``, and the tags its wheels must fit."""
    layout = checked.layout
    to = MoveTo(python=base.executable, version=base.version, free_threaded=base.free_threaded)
    if layout.windows or not checked.snapshot.site_rels:
        raise MoveError(
            f"{layout.root} has no lib/pythonX.Y/site-packages to move: "
            "venv-doctor moves POSIX venvs only",
            hint=f"recreate it: uv venv --python {to.series} && uv sync",
            path=layout.root,
        )
    managed = checked.managed
    if managed is not None:
        raise MoveError(
            f"{layout.root} is a {managed.manager} venv: its installer moves it to another "
            "Python, and puts the tool's commands back on PATH; nothing was changed",
            hint=f"{managed.command} --python {to.series}",
            path=layout.root,
        )
    probe = probe_interpreter(layout, interpreter=Path(base.executable))
    if probe.derived:
        raise MoveError(
            f"{base.executable} could not be asked for its wheel tags ({probe.reason})",
            path=Path(base.executable),
        )
    wanted = None
    lockfile = resolve_lockfile(layout, lock, cwd)
    if lockfile is not None:
        from venv_doctor.lockfiles import Selection, load_wanted

        wanted = load_wanted(lockfile, probe=probe, selection=lock.selection or Selection())
    plan = plan_move(
        checked.snapshot,
        checked.result.findings,
        wanted,
        to,
        keep=preserved_packages(layout.cfg),
        purge_orphans=purge_orphans,
    )
    return plan, probe.tags
