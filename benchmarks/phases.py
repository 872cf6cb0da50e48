"""Where one venv-doctor command spends its time, phase by phase, in process.

    python benchmarks/phases.py [--rounds N] -- fix --from uv.lock --offline .venv

Runs the command line in this process ``N`` times (best of them is shown)
with a timer around each of the functions below, looked up by name: those a
version does not have are left out, so that two checkouts can be compared
(``/path/to/other/.venv/bin/python benchmarks/phases.py ...``).  Phases
nest: a check's rows are part of its ``run_check`` row.  Each round runs
``--before CMD`` first (untimed) when given, to damage the venv again.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import io
import shlex
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

# (module, attribute, label); a dotted attribute is a method of a class.
PHASES = [
    ("venv_doctor.commands.fix", "recover", "recover: earlier transactions"),
    ("venv_doctor.commands.fix", "run_check", "check (before, then after)"),
    ("venv_doctor.lockfiles", "load_wanted", "  read the lockfile"),
    ("venv_doctor.lockfiles", "open_lockfile", "  read the lockfile (parse)"),
    ("venv_doctor.lockfiles", "OpenedLockfile.select", "  select from the lockfile"),
    ("venv_doctor.read.probe", "PendingProbe.result", "  wait for the interpreter's probe"),
    ("venv_doctor.read.digest_cache", "DigestCache.open", "  read the digest cache"),
    ("venv_doctor.commands.check", "read_venv", "  read RECORDs, walk, stat"),
    ("venv_doctor.read.refresh", "reread", "  read again what the change touched"),
    ("venv_doctor.commands.check", "_beside_the_files", "  in use, lock, requirements"),
    ("venv_doctor.read.holders", "find_users", "    processes using the venv (psutil)"),
    ("venv_doctor.read.walk", "Reading.finish", "  hash what is left"),
    ("venv_doctor.diagnose.run", "Diagnosis.finish", "  checks that read digests"),
    ("venv_doctor.read.digest_cache", "DigestCache.save", "  write the digest cache"),
    ("venv_doctor.commands.check", "_repair", "  what fix would do (next command)"),
    ("venv_doctor.commands.fix", "_plan", "plan"),
    ("venv_doctor.apply.wheelsource", "obtain_wheels", "find the wheels"),
    ("venv_doctor.commands.fix", "execute", "transaction: install, remove"),
    ("venv_doctor.apply.transaction", "Transaction.commit", "transaction: commit (flush)"),
]


def _wrap(totals: dict[str, list[float]], label: str, func: Any) -> Any:
    @functools.wraps(func)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            totals[label].append(time.perf_counter() - start)

    return timed


def install(totals: dict[str, list[float]]) -> list[str]:
    """Put a timer around every phase this checkout has; returns their labels."""
    found = []
    for module_name, attr, label in PHASES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        owner: Any = module
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, name):
            continue
        setattr(owner, name, _wrap(totals, label, getattr(owner, name)))
        found.append(label)
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--before", metavar="CMD", help="shell command run (untimed) before each round")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    argv = args.command[1:] if args.command[:1] == ["--"] else args.command

    # Every module a phase lives in is imported here, before the rounds: the
    # rounds time the work alone.  (python -X importtime tells the imports.)
    start = time.perf_counter()
    import venv_doctor.cli

    totals: dict[str, list[float]] = defaultdict(list)
    labels = install(totals)
    imported = time.perf_counter() - start
    rounds: list[dict[str, float]] = []
    calls: list[dict[str, list[float]]] = []
    for _ in range(args.rounds):
        if args.before:
            subprocess.run(args.before, shell=True, check=True)  # noqa: S602 - the user's own command
        totals.clear()
        begin = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            venv_doctor.cli.cli.main(args=argv, prog_name="venv-doctor")
        whole = time.perf_counter() - begin
        rounds.append({"whole": whole, **{k: sum(v) for k, v in totals.items()}})
        calls.append({k: list(v) for k, v in totals.items()})
    index = min(range(len(rounds)), key=lambda i: rounds[i]["whole"])
    best, each = rounds[index], calls[index]
    print(f"venv-doctor {shlex.join(argv)}  (best of {args.rounds})")
    print(f"{'imports (the cli, every phase module)':45} {imported * 1000:8.0f} ms")
    for label in labels:
        if label in best:
            parts = " + ".join(f"{t * 1000:.0f}" for t in each[label])
            print(f"{label:45} {best[label] * 1000:8.0f} ms   ({parts})")
    print(f"{'whole command, in process':45} {best['whole'] * 1000:8.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
