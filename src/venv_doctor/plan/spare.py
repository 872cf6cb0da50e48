"""Once the wheels are at hand: orphan purges that are an install's to replace."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from venv_doctor.plan.actions import Action, DiscardPath, Plan
from venv_doctor.plan.make import PURGE_REASON
from venv_doctor.read.records import is_bytecode
from venv_doctor.read.snapshot import DIR, Snapshot


def spare_wheel_files(plan: Plan, snapshot: Snapshot, written: Iterable[str]) -> Plan:
    """``plan`` without orphan purges of what its installs will write themselves.

    ``written`` are the venv-relative paths the plan's wheels install.  A
    purged file among them is left for its install to replace; a purged folder
    holding some of them shrinks to its other files (the remnants).  Known
    only once the wheels are at hand: the files of the wheel the lock names
    are the distribution's, never an orphan's.
    """
    files = frozenset(written)
    folders = {parent for path in files for parent in _parents(path)}
    actions: list[Action] = []
    notes = list(plan.notes)
    for action in plan.actions:
        if not (isinstance(action, DiscardPath) and action.reason == PURGE_REASON):
            actions.append(action)
        elif action.path in files:
            notes.append(f"{action.path} is left for the install that writes it to replace")
        elif action.path in folders:
            notes.append(f"{action.path}/ is left for the install that writes into it")
            prefix = action.path + "/"
            actions.extend(
                DiscardPath(path=rel, reason=action.reason)
                for rel, entry in snapshot.tree.items()
                if rel.startswith(prefix)
                and entry.kind != DIR
                and rel not in files
                and not is_bytecode(rel)
            )
        else:
            actions.append(action)
    return dataclasses.replace(plan, actions=tuple(actions), notes=tuple(notes))


def _parents(path: str) -> Iterable[str]:
    parent = path.rpartition("/")[0]
    while parent:
        yield parent
        parent = parent.rpartition("/")[0]
