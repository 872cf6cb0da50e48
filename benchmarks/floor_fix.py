"""The plain work one ``fix`` of ``bench_project.py`` cannot do without, timed without venv-doctor.

    python benchmarks/floor_fix.py [--venv DIR] [--package NAME] [--rounds N]

The fix reinstalls one package (polars): start an interpreter, write the
package's files anew with its old folder moved aside in one rename, flush
them (``syncfs``), and hash what was written.  This times each with the
standard library alone; ``floor.py --skip-hash`` times one plain pass over
the venv, and the libraries a fix imports are timed here too.  Writes only
into a scratch folder beside site-packages, removed at the end.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench_project import DEFAULT_PROJECT

LIBRARIES = "import click, packaging.tags, packaging.markers, packaging.requirements, tomllib"


def timed(label: str, run: Callable[[], float], rounds: int) -> None:
    times = [run() * 1000 for _ in range(rounds)]
    print(f"{label:58} best {min(times):6.1f} ms  median {statistics.median(times):6.1f} ms")


def started(code: str) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    return run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--venv", type=Path, default=DEFAULT_PROJECT / ".venv")
    ap.add_argument("--package", default="polars")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    (site,) = args.venv.glob("lib/python*/site-packages")
    meta = next(site.glob(f"{args.package}-*.dist-info"))
    files: dict[str, bytes] = {}
    for line in (meta / "RECORD").read_text().splitlines():
        rel = line.split(",")[0]
        path = site / rel
        if rel and "__pycache__" not in rel and path.is_file():
            files[rel] = path.read_bytes()
    size = sum(map(len, files.values()))
    print(f"{args.package}: {len(files)} files, {size / 1e6:.1f} MB; {os.getloadavg()=}")
    scratch = site.parent / "floor-fix-scratch"
    libc = ctypes.CDLL(None, use_errno=True)

    def write() -> float:
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        start = time.perf_counter()
        for rel, data in files.items():
            path = scratch / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        os.rename(scratch / args.package, scratch / f"{args.package}-old")  # the folder's move
        fd = os.open(scratch, os.O_RDONLY)
        try:
            libc.syncfs(fd)
        finally:
            os.close(fd)
        return time.perf_counter() - start

    def hashed() -> float:
        start = time.perf_counter()
        for path in scratch.rglob("*"):
            if path.is_file():
                with path.open("rb") as handle:
                    hashlib.file_digest(handle, "sha256")
        return time.perf_counter() - start

    try:
        timed("interpreter start (python -c pass)", started("pass"), args.rounds * 2)
        timed("start and the libraries a fix needs", started(LIBRARIES), args.rounds * 2)
        timed(
            "start, the libraries and rich (the text report)",
            started(LIBRARIES + ", rich.console"),
            args.rounds * 2,
        )
        timed("write the files anew, move the folder aside, syncfs", write, args.rounds)
        timed("hash what was written (sha256, one thread)", hashed, args.rounds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
