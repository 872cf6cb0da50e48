"""Time ``venv-doctor scan`` over a folder of many venvs: first result, and all of them.

    python benchmarks/bench_scan.py [--venvs N] [--broken K] [--rounds R] [--folder DIR]

Makes N venvs with ``uv venv`` (or ``python -m venv --without-pip``) under DIR,
one project folder each, K of them with a stray module in site-packages so that
they have something to report, then runs ``venv-doctor scan DIR --format json``
R times and reports, per round, when the first JSON line arrived and when the
last did.  The first line shows whether scan answers while it is still
searching; the total is the cost per venv (an interpreter probe and a quick
check each, on a pool of worker processes).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_check import find_uv, machine_description


def make_venvs(folder: Path, count: int, broken: int) -> None:
    uv = find_uv()
    for index in range(count):
        venv = folder / f"project-{index:04d}" / ".venv"
        if uv:
            subprocess.run([uv, "venv", "-q", str(venv)], check=True)
        else:
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        if index < broken:
            (site,) = venv.glob("lib/python*/site-packages")
            (site / "stray.py").write_text("# nobody installed me\n")


def one_round(command: list[str]) -> tuple[float, float, int, int]:
    """Seconds to the first line and to the end, lines read, venvs with problems."""
    began = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = None
    lines = problems = 0
    for line in proc.stdout:
        if first is None:
            first = time.perf_counter() - began
        lines += 1
        problems += json.loads(line)["worst"] not in {"ok", "info"}
    proc.wait()
    return first or 0.0, time.perf_counter() - began, lines, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venvs", type=int, default=300, help="how many venvs (default 300)")
    parser.add_argument("--broken", type=int, default=30, help="how many with a stray file")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--folder", type=Path, help="where to make them (default: a temp dir)")
    parser.add_argument(
        "--venv-doctor", default="venv-doctor", help="the command to run (default: venv-doctor)"
    )
    args = parser.parse_args(argv)

    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-scan-"))
    try:
        if not any(folder.glob("project-*")):
            began = time.perf_counter()
            make_venvs(folder, args.venvs, args.broken)
            print(f"made {args.venvs} venvs in {time.perf_counter() - began:.1f} s: {folder}")
        command = [*args.venv_doctor.split(), "scan", str(folder), "--format", "json"]
        firsts, totals = [], []
        for _ in range(args.rounds):
            first, total, lines, problems = one_round(command)
            firsts.append(first)
            totals.append(total)
            print(f"first line {first:.3f} s, {lines} lines in {total:.3f} s, {problems} broken")
        print(
            f"median: first line {statistics.median(firsts):.3f} s, "
            f"all {statistics.median(totals):.3f} s "
            f"({statistics.median(totals) / max(lines, 1) * 1000:.1f} ms per venv)"
        )
        print(machine_description())
    finally:
        if args.folder is None:
            shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
