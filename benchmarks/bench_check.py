"""Time ``venv-doctor check`` on a big real venv against ``pip check`` and ``sha256sum``.

    python benchmarks/bench_check.py [--venv DIR] [--rounds N] [--venv-doctor CMD]

The first run builds the venv (torch CPU plus the scipy and jupyter stacks pinned
in ``benchmarks/requirements.txt``, >= 30,000 RECORD files, >= 1 GB) in
``~/.cache/venv-doctor-bench/big-venv`` and re-uses it afterwards.  It is rebuilt
when ``requirements.txt`` changes or with ``--rebuild``.  See benchmarks/README.md.

Every command runs once untimed (warm page cache), then ``--rounds`` times,
interleaved; the table shows best and median wall time and the goals are judged
on the median.  POSIX only (``xargs``, ``sha256sum``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
DEFAULT_VENV = _CACHE / "venv-doctor-bench" / "big-venv"
# torch==2.13.0+cpu is not on PyPI: it comes from a folder holding the CPU wheel.
DEFAULT_FIND_LINKS = [p for p in ("/opt/wheels",) if Path(p).is_dir()]

MIN_RECORD_FILES = 30_000
MIN_BYTES = 1_000_000_000
GOAL_QUICK = 1.0  # check --quick / pip check
GOAL_FULL = 0.30  # a first check (no digest cache) / xargs -P2 sha256sum
GOAL_WARM = 1.3  # check right after check (digest cache warm) / check --quick
GOAL_RSS_MIB = 150


# -- the venv -------------------------------------------------------------------


def find_site_packages(venv: Path) -> Path:
    """The venv's site-packages folder (POSIX or Windows layout)."""
    found = sorted(venv.glob("lib/python*/site-packages")) or sorted(venv.glob("Lib/site-packages"))
    if not found:
        raise SystemExit(f"error: no site-packages under {venv}")
    return found[0]


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def requirements_stamp() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def stamp_path(venv: Path) -> Path:
    # Beside the venv, not inside it: the venv must hold only what the installer wrote.
    return venv.with_name(venv.name + ".stamp")


def find_uv() -> str | None:
    for cand in (shutil.which("uv"), Path(sys.executable).with_name("uv")):
        if cand and Path(cand).is_file():
            return str(cand)
    return None


def run_checked(cmd: list[str]) -> None:
    print("$", shlex.join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def build_venv(venv: Path, python: str, installer: str, find_links: list[str]) -> None:
    """Create the venv in place (scripts' shebangs name their final path), install the
    pinned set, then write the stamp that marks the venv complete."""
    shutil.rmtree(venv, ignore_errors=True)
    stamp_path(venv).unlink(missing_ok=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    links = [arg for d in find_links for arg in ("--find-links", d)]
    if installer == "uv":
        uv = find_uv()
        if uv is None:
            raise SystemExit("error: uv not found; pass --installer pip")
        run_checked([uv, "venv", "--python", python, str(venv)])
        # copy: the venv does not share inodes with uv's cache; bytecode: like a used venv.
        run_checked(
            [
                uv,
                "pip",
                "install",
                "--python",
                str(venv_python(venv)),
                "--link-mode",
                "copy",
                "--compile-bytecode",
                "-r",
                str(REQUIREMENTS),
                *links,
            ]
        )
    else:
        run_checked([python, "-m", "venv", str(venv)])
        run_checked(
            [
                str(venv_python(venv)),
                "-m",
                "pip",
                "install",
                "--no-input",
                "-r",
                str(REQUIREMENTS),
                *links,
            ]
        )
    stamp_path(venv).write_text(requirements_stamp() + "\n")


def ensure_venv(args: argparse.Namespace) -> None:
    """Build the venv unless a complete one is there.

    The stamp beside the venv marks it complete and records which requirements.txt
    built it: a changed file rebuilds it.  A venv given with --venv and no stamp was
    not built here and is used as it is.
    """
    venv: Path = args.venv
    stamp = stamp_path(venv)
    if venv_python(venv).exists() and not args.rebuild:
        if stamp.exists() and stamp.read_text().strip() == requirements_stamp():
            print(f"re-using {venv}")
            return
        if not stamp.exists() and args.venv_given:
            print(f"using {venv} as it is (not built by this script)")
            return
        print(f"{venv} is incomplete or {REQUIREMENTS.name} changed: rebuilding")
    print(f"building {venv} (a few minutes, once)")
    build_venv(venv, args.python, args.installer, args.find_links)


@dataclass
class VenvCounts:
    dists: int = 0
    record_rows: int = 0
    files: list[str] = field(default_factory=list)  # RECORD-listed regular files on disk
    bytes: int = 0
    missing: int = 0
    all_files: int = 0  # every non-directory entry in the venv, .pyc included
    all_bytes: int = 0


def count_venv(venv: Path) -> VenvCounts:
    """Count RECORD rows and the bytes of the files they list; walk the whole venv too."""
    site = find_site_packages(venv)
    c = VenvCounts()
    seen: set[str] = set()
    for record in sorted(site.glob("*.dist-info/RECORD")):
        c.dists += 1
        with record.open(newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                if not row or not row[0]:
                    continue
                c.record_rows += 1
                path = os.path.normpath(os.path.join(site, row[0]))
                if path in seen:
                    continue
                seen.add(path)
                try:
                    st = os.lstat(path)
                except FileNotFoundError:
                    c.missing += 1
                    continue
                if not os.path.islink(path):
                    c.files.append(path)
                    c.bytes += st.st_size
    for root, _dirs, names in os.walk(venv):
        for name in names:
            c.all_files += 1
            c.all_bytes += os.lstat(os.path.join(root, name)).st_size
    return c


# -- timing ---------------------------------------------------------------------

# Peak RSS is measured in a dedicated run started from a bare interpreter: a child's
# ru_maxrss also counts the memory of the process it was forked from before its exec,
# and this script is larger than the commands it measures.
_RSS_HELPER = """
import os, resource, sys
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ)
_, status = os.waitpid(pid, 0)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
os.write(2, b"\\nmaxrss=%d\\n" % rss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


@dataclass
class Bench:
    label: str
    cmd: list[str]
    ok_codes: tuple[int, ...] = (0,)
    stdin: str | None = None
    _cpu_seen: ClassVar[float] = 0.0
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_kib: int = 0

    def run(self, *, measure_rss: bool = False) -> None:
        """Run once; record wall time and CPU time, or only peak RSS with measure_rss."""
        cmd = (
            [sys.executable, "-I", "-S", "-c", _RSS_HELPER, *self.cmd] if measure_rss else self.cmd
        )
        stdin = open(self.stdin, "rb") if self.stdin else subprocess.DEVNULL  # noqa: SIM115
        try:
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                cmd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            _, err = proc.communicate()
            elapsed = time.perf_counter() - t0
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        finally:
            if self.stdin:
                stdin.close()  # type: ignore[union-attr]
        if proc.returncode not in self.ok_codes:
            sys.stderr.write(err.decode(errors="replace"))
            raise SystemExit(
                f"error: {self.label} exited {proc.returncode}: {shlex.join(self.cmd)}"
            )
        if measure_rss:
            self.rss_kib = int(err.rsplit(b"maxrss=", 1)[1])
            return
        self.times.append(elapsed)
        # RUSAGE_CHILDREN sums over every child reaped so far: keep the difference.
        cpu = usage.ru_utime + usage.ru_stime
        self.cpu.append(cpu - Bench._cpu_seen)
        Bench._cpu_seen = cpu

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def venv_doctor_command(spec: str | None) -> list[str] | None:
    """``--venv-doctor`` split like a shell, else venv-doctor on PATH, else -m venv_doctor."""
    if spec:
        return shlex.split(spec)
    for cand in (shutil.which("venv-doctor"), Path(sys.executable).with_name("venv-doctor")):
        if cand and Path(cand).is_file():
            return [str(cand)]
    if importlib.util.find_spec("venv_doctor") is not None:
        return [sys.executable, "-m", "venv_doctor"]
    return None


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()} ({sys.executable})"
    )


def ratio_row(label: str, num: Bench | None, den: Bench, goal: float) -> list[str]:
    if num is None:
        return [label, "-", f"<= {goal:.2f}x", "not run"]
    ratio = num.median / den.median
    return [label, f"{ratio:.2f}x", f"<= {goal:.2f}x", "PASS" if ratio <= goal else "FAIL"]


def floor_row(label: str, floor: Bench | None, den: Bench, goal: float) -> list[str] | None:
    """A floor's ratio beside the goal it bounds: not judged, it tells whether the goal can hold."""
    if floor is None:
        return None
    ratio = floor.median / den.median
    return [label, f"{ratio:.2f}x", f"<= {goal:.2f}x", "below" if ratio <= goal else "above"]


def print_table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths], *rows]:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )


def report(
    benches: list[Bench],
    pip_check: Bench,
    quick: Bench | None,
    sha: Bench,
    full: Bench | None,
    warm: Bench | None = None,
    floors: tuple[Bench, Bench, Bench] | None = None,
) -> list[list[str]]:
    """Print the timings and the goals; return the goal rows.

    With ``floors`` (``floor_cmd.py quick``, with ``--fork``, and ``full``), their ratios to
    the same baselines follow, under the goals: "above" says that plain
    Python cannot meet the goal on this machine.
    """
    print()
    print_table(
        [
            [
                b.label,
                f"{b.best:.3f} s",
                f"{b.median:.3f} s",
                f"{statistics.median(b.cpu):.3f} s",
                f"{b.rss_kib / 1024:.0f} MiB",
            ]
            for b in benches
        ],
        ["command", "best", "median", "CPU (median)", "peak RSS"],
    )
    print()
    ran = quick is not None and full is not None
    rss = max((b.rss_kib for b in (quick, full, warm) if b), default=0) / 1024
    goal_rows = [
        ratio_row("check --quick / pip check", quick, pip_check, GOAL_QUICK),
        ratio_row("first check / xargs -P2 sha256sum", full, sha, GOAL_FULL),
        [
            "venv-doctor peak RSS",
            f"{rss:.0f} MiB" if ran else "-",
            f"<= {GOAL_RSS_MIB} MiB",
            ("PASS" if rss <= GOAL_RSS_MIB else "FAIL") if ran else "not run",
        ],
    ]
    if warm is not None and quick is not None:
        goal_rows.insert(2, ratio_row("check after check / check --quick", warm, quick, GOAL_WARM))
    print_table(goal_rows, ["goal (median wall time)", "measured", "goal", "result"])
    if floors is not None:
        rows = [
            floor_row("floor quick pass / pip check", floors[0], pip_check, GOAL_QUICK),
            floor_row("floor quick, walk forked / pip check", floors[1], pip_check, GOAL_QUICK),
            floor_row("floor first check / xargs -P2 sha256sum", floors[2], sha, GOAL_FULL),
        ]
        print()
        print_table(
            [row for row in rows if row is not None],
            ["floor (floor_cmd.py, median)", "measured", "goal", "floor is"],
        )
    return goal_rows


def write_json(
    path: Path,
    venv: Path,
    counts: VenvCounts,
    rounds: int,
    benches: list[Bench],
    goal_rows: list[list[str]],
) -> None:
    path.write_text(
        json.dumps(
            {
                "machine": machine_description(),
                "venv": str(venv),
                "counts": {
                    "distributions": counts.dists,
                    "record_rows": counts.record_rows,
                    "files": len(counts.files),
                    "bytes": counts.bytes,
                    "missing": counts.missing,
                    "all_files": counts.all_files,
                    "all_bytes": counts.all_bytes,
                },
                "rounds": rounds,
                "results": [
                    {
                        "label": b.label,
                        "cmd": b.cmd,
                        "times": b.times,
                        "cpu": b.cpu,
                        "peak_rss_kib": b.rss_kib,
                    }
                    for b in benches
                ],
                "goals": goal_rows,
            },
            indent=2,
        )
        + "\n"
    )


def venv_doctor_benches(vd: list[str], venv: Path) -> tuple[Bench, Bench, Bench | None]:
    """``check --quick``, a first full check, and a full check right after a full check."""
    base = [*vd, "check", "--format", "json", str(venv)]
    quick = Bench("venv-doctor check --quick", [*base, "--quick"], ok_codes=(0, 1))
    # A first check hashes every file: --no-cache where there is a digest cache
    # (an older venv-doctor hashes everything anyway).
    helped = subprocess.run([*vd, "check", "--help"], capture_output=True, text=True, check=False)
    cached = "--no-cache" in helped.stdout
    full = Bench("venv-doctor check (first)", [*base, "--no-cache"] if cached else base, (0, 1))
    # The digest cache is filled in the warm-up round and stays valid: each
    # round is then a full check right after a full check.
    warm = Bench("venv-doctor check (after check)", base, ok_codes=(0, 1)) if cached else None
    return quick, full, warm


def floor_benches(venv: Path) -> tuple[Bench, Bench, Bench]:
    """``floor_cmd.py quick`` (alone, and with a child process walking) and ``full``."""
    floor = [sys.executable, "-I", str(HERE / "floor_cmd.py")]
    return (
        Bench("floor: quick pass (plain Python)", [*floor, "quick", str(venv)]),
        Bench("floor: quick pass, walk forked", [*floor, "quick", str(venv), "--fork"]),
        Bench("floor: first check (plain Python)", [*floor, "full", str(venv)]),
    )


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        description="Time venv-doctor check against pip check and xargs -P2 sha256sum."
    )
    ap.add_argument(
        "--venv",
        type=Path,
        help=f"the venv to check, built there if missing (default: {DEFAULT_VENV})",
    )
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds (default: 5)")
    ap.add_argument(
        "--venv-doctor",
        metavar="CMD",
        help="command that runs venv-doctor, e.g. 'venv-doctor' or "
        "'/path/python -m venv_doctor' (default: venv-doctor on PATH, "
        "else this interpreter with -m venv_doctor)",
    )
    ap.add_argument(
        "--no-venv-doctor",
        action="store_true",
        help="time only the baselines (pip check, sha256sum)",
    )
    ap.add_argument(
        "--python",
        default=getattr(sys, "_base_executable", sys.executable),
        help="interpreter for a new venv; the pins are for CPython 3.11 (default: %(default)s)",
    )
    ap.add_argument(
        "--installer",
        choices=["uv", "pip"],
        default="uv" if find_uv() else "pip",
        help="what builds the venv (default: uv when found)",
    )
    ap.add_argument(
        "--find-links",
        action="append",
        metavar="DIR",
        help="folder holding the torch CPU wheel; repeatable "
        f"(default: {' '.join(DEFAULT_FIND_LINKS) or 'none'})",
    )
    ap.add_argument(
        "--torch-wheel",
        type=Path,
        metavar="WHL",
        help="the torch 2.13.0+cpu cp311 wheel file (adds its folder to --find-links)",
    )
    ap.add_argument("--rebuild", action="store_true", help="rebuild the venv first")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    ap.add_argument(
        "--floors",
        action="store_true",
        help="also time floor_cmd.py (the least a check must do, in plain Python), same rounds",
    )
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = _parser()
    args = ap.parse_args(argv)
    args.venv_given = args.venv is not None
    args.venv = (args.venv or DEFAULT_VENV).expanduser().absolute()
    args.find_links = args.find_links or list(DEFAULT_FIND_LINKS)
    if args.torch_wheel:
        args.find_links.append(str(args.torch_wheel.resolve().parent))

    ensure_venv(args)
    venv = args.venv
    counts = count_venv(venv)
    print(f"\nmachine: {machine_description()}")
    print(f"venv:    {venv}")
    print(
        f"  {counts.dists} distributions, {counts.record_rows} RECORD rows, "
        f"{len(counts.files)} listed files on disk ({counts.missing} missing), "
        f"{counts.bytes / 1e9:.2f} GB listed; whole venv {counts.all_files} files, "
        f"{counts.all_bytes / 1e9:.2f} GB"
    )
    if counts.record_rows < MIN_RECORD_FILES or counts.bytes < MIN_BYTES:
        print(
            f"  warning: smaller than the benchmark venv should be "
            f"(>= {MIN_RECORD_FILES} RECORD files, >= {MIN_BYTES / 1e9:.0f} GB)"
        )

    file_list = venv.with_name(venv.name + ".files0")
    file_list.write_bytes(b"".join(os.fsencode(p) + b"\0" for p in counts.files))

    pip_check = Bench("pip check", [str(venv_python(venv)), "-m", "pip", "check"])
    sha = Bench("xargs -P2 sha256sum", ["xargs", "-0", "-P2", "sha256sum"], stdin=str(file_list))
    benches = [pip_check, sha]
    quick = full = warm = None
    # venv-doctor's digest cache goes beside the venv, not into the user's cache.
    os.environ.setdefault("VENV_DOCTOR_CACHE_DIR", str(venv.with_name("venv-doctor-cache")))
    vd = None if args.no_venv_doctor else venv_doctor_command(args.venv_doctor)
    if vd is None and not args.no_venv_doctor:
        print("venv-doctor not found (pass --venv-doctor CMD): timing the baselines only")
    if vd is not None:
        quick, full, warm = venv_doctor_benches(vd, venv)
        benches = [pip_check, quick, sha, full, *([warm] if warm else [])]
        print(f"venv-doctor: {shlex.join(vd)}")

    floors = floor_benches(venv) if args.floors else None
    benches += floors or ()
    print(f"\nwarm-up, then {args.rounds} rounds ...", flush=True)
    for b in benches:
        b.run()
        b.times.clear()
        b.cpu.clear()
    for _ in range(args.rounds):
        for b in benches:
            b.run()
    for b in benches:
        b.run(measure_rss=True)

    goal_rows = report(benches, pip_check, quick, sha, full, warm, floors)
    if args.json:
        write_json(args.json, venv, counts, args.rounds, benches, goal_rows)
    return 1 if any(r[3] == "FAIL" for r in goal_rows) else 0


if __name__ == "__main__":
    sys.exit(main())
