"""Time ``venv-doctor fix`` on a uv project against recreating its venv with uv.

    python benchmarks/bench_project.py [--project DIR] [--rounds N] [--venv-doctor CMD]

The project depends on scipy, pandas, polars, scikit-learn and jupyterlab
(pinned in ``PINS``; about 17,500 files in 101 distributions), locked once
against PyPI and synced with ``--link-mode hardlink``, in
``~/.cache/venv-doctor-bench/ds-project``.  One round, with warm caches,
after one untimed warm-up round:

1. ``rm -rf .venv && uv sync --frozen`` (timed: what people do today);
2. ``DAMAGED`` deleted, ``venv-doctor check`` (untimed: the user looks
   first), then ``venv-doctor fix --from uv.lock`` (timed);
3. ``DAMAGED`` deleted, ``venv-doctor fix --from uv.lock --no-cache``
   (timed: the first fix ever, no digest cache);
4. ``DAMAGED`` deleted, ``uv sync --frozen --reinstall-package polars``
   (timed, for reference).

Every fix must exit 0 and leave ``uv sync --frozen --check`` clean.  Before
step 2, the script waits until the venv uv just made is older than the
digest cache's racy window (a digest of a file changed less than two
seconds before is never kept).  See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_check import find_uv, machine_description, print_table, venv_doctor_command

_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
DEFAULT_PROJECT = _CACHE / "venv-doctor-bench" / "ds-project"
PINS = (
    "scipy==1.17.1",
    "pandas==3.1.1",
    "polars==2.1.0",
    "scikit-learn==1.9.1",
    "jupyterlab==4.6.6",
)
DAMAGED = "polars/exceptions.py"
RACY_WAIT = 2.5  # seconds: more than venv-doctor's racy window (read/digest_cache.py)
# (label, goal): fix / recreate
GOALS = {"fix after check": 0.75, "fix, no digest cache": 1.5}


def pyproject_text() -> str:
    deps = "".join(f'    "{pin}",\n' for pin in PINS)
    return (
        '[project]\nname = "venv-doctor-bench-ds"\nversion = "0"\n'
        f'requires-python = "==3.11.*"\ndependencies = [\n{deps}]\n\n'
        "[tool.uv]\npackage = false\n"
        "environments = [\"sys_platform == 'linux' and platform_machine == 'x86_64'\"]\n"
    )


@dataclass
class Bench:
    project: Path
    uv: str
    vd: list[str]
    env: dict[str, str]
    times: dict[str, list[float]] = field(default_factory=dict)
    # A venv-doctor without a digest cache (an older checkout) hashes everything anyway.
    knows_no_cache: bool = True

    @property
    def venv(self) -> Path:
        return self.project / ".venv"

    def sync(self, *extra: str) -> list[str]:
        return [self.uv, "sync", "--frozen", "--offline", "--link-mode", "hardlink", "-q", *extra]

    def run(self, cmd: list[str] | str, *, label: str | None, ok: tuple[int, ...] = (0,)) -> float:
        start = time.perf_counter()
        proc = subprocess.run(
            cmd,
            cwd=self.project,
            env=self.env,
            shell=isinstance(cmd, str),
            capture_output=True,
            check=False,
        )
        elapsed = time.perf_counter() - start
        if proc.returncode not in ok:
            sys.stderr.write(proc.stdout.decode(errors="replace")[-3000:])
            sys.stderr.write(proc.stderr.decode(errors="replace")[-3000:])
            shown = cmd if isinstance(cmd, str) else shlex.join(cmd)
            raise SystemExit(f"error: exited {proc.returncode}: {shown}")
        if label is not None:
            self.times.setdefault(label, []).append(elapsed)
        return elapsed

    def damage(self) -> None:
        (site,) = self.venv.glob("lib/python*/site-packages")
        (site / DAMAGED).unlink()
        os.sync()  # fix's syncfs at commit must not pay for anything before it

    def fixed(self) -> None:
        """uv must find the venv in sync; the trash is emptied (untimed)."""
        self.run(self.sync("--check"), label=None)
        self.run([*self.vd, "trash", "clean", str(self.venv)], label=None)

    def one_round(self, *, warm: bool) -> None:
        def label(name: str) -> str | None:
            return None if warm else name

        # The warm-up may download the wheel into venv-doctor's cache.
        offline = [] if warm else ["--offline"]
        fix = [*self.vd, "fix", "--from", "uv.lock", *offline, str(self.venv)]
        os.sync()
        self.run(f"rm -rf .venv && {shlex.join(self.sync())}", label=label("recreate"))
        time.sleep(RACY_WAIT)
        self.damage()
        self.run([*self.vd, "check", str(self.venv)], label=label("check"), ok=(1,))
        self.run(fix, label=label("fix after check"))
        self.fixed()
        self.damage()
        no_cache = [*fix, "--no-cache"] if self.knows_no_cache else fix
        self.run(no_cache, label=label("fix, no digest cache"))
        self.fixed()
        self.damage()
        self.run(self.sync("--reinstall-package", "polars"), label=label("reinstall polars"))


def ensure_project(project: Path, uv: str) -> None:
    text = pyproject_text()
    pyproject = project / "pyproject.toml"
    if pyproject.is_file() and pyproject.read_text() == text and (project / "uv.lock").is_file():
        print(f"re-using {project}")
        return
    print(f"locking {project} (once, from PyPI)")
    project.mkdir(parents=True, exist_ok=True)
    pyproject.write_text(text)
    subprocess.run([uv, "lock", "--python", "3.11"], cwd=project, check=True)
    subprocess.run([uv, "sync", "--frozen", "--link-mode", "hardlink"], cwd=project, check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--project", type=Path, default=DEFAULT_PROJECT)
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds (default: 5)")
    ap.add_argument("--venv-doctor", metavar="CMD", help="command that runs venv-doctor")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    args = ap.parse_args(argv)
    project: Path = args.project.expanduser().absolute()
    uv = find_uv()
    if uv is None:
        raise SystemExit("error: uv not found")
    ensure_project(project, uv)
    env = dict(os.environ)
    env.setdefault("VENV_DOCTOR_CACHE_DIR", str(project.with_name("venv-doctor-cache")))
    env["UV_NO_PROGRESS"] = "1"
    vd = venv_doctor_command(args.venv_doctor)
    if vd is None:
        raise SystemExit("error: venv-doctor not found; pass --venv-doctor CMD")
    bench = Bench(project=project, uv=uv, vd=vd, env=env)
    helped = subprocess.run(
        [*bench.vd, "fix", "--help"], capture_output=True, text=True, env=env, check=False
    )
    bench.knows_no_cache = "--no-cache" in helped.stdout
    files = sum(1 for _ in bench.venv.rglob("*") if _.is_file())
    print(f"machine: {machine_description()}")
    print(f"project: {project} ({files} files in .venv)")
    print(f"venv-doctor: {shlex.join(bench.vd)}")
    print(f"load before: {os.getloadavg()}")
    print(f"warm-up, then {args.rounds} rounds ...", flush=True)
    for round_ in range(args.rounds + 1):
        bench.one_round(warm=round_ == 0)
    print(f"load after: {os.getloadavg()}\n")
    rows = [
        [label, f"{min(t):.3f} s", f"{statistics.median(t):.3f} s"]
        for label, t in bench.times.items()
    ]
    print_table(rows, ["command", "best", "median"])
    recreate = statistics.median(bench.times["recreate"])
    goal_rows = []
    for label, goal in GOALS.items():
        ratio = statistics.median(bench.times[label]) / recreate
        verdict = "PASS" if ratio <= goal else "FAIL"
        goal_rows.append([f"{label} / recreate", f"{ratio:.2f}x", f"<= {goal:.2f}x", verdict])
    print()
    print_table(goal_rows, ["goal", "measured", "goal", "result"])
    if args.json:
        data = {"machine": machine_description(), "times": bench.times, "goals": goal_rows}
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 1 if any(row[3] == "FAIL" for row in goal_rows) else 0


if __name__ == "__main__":
    sys.exit(main())
