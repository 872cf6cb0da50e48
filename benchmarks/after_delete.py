"""How long creating files takes after a mass deletion on the file system of a folder.

    python benchmarks/after_delete.py [--folder DIR] [--files N] [--size BYTES]

``bench_project.py`` recreates the venv (``rm -rf .venv``) right before each
``fix``.  On a file system mounted with ``discard`` (or otherwise busy after
freeing many blocks) creating files and folders may then be much slower for
a while; a fix that writes files pays for it, one that links them does not.
This makes ``N`` files (200 folders), syncs, waits, times creating 228 small
files (polars' count), deletes the ``N`` files and times the same again at
moments after the deletion; then 228 hard links.  Writes only into a scratch
folder in ``--folder``, removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from bench_project import DEFAULT_PROJECT

CREATED = 228  # the files of polars the benchmark's fix once wrote anew


def create(folder: Path) -> float:
    """Milliseconds to create ``CREATED`` files of 2,000 bytes in the new ``folder``."""
    folder.mkdir()
    start = time.perf_counter()
    for i in range(CREATED):
        fd = os.open(folder / f"f{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"x" * 2000)
        finally:
            os.close(fd)
    return (time.perf_counter() - start) * 1000


def link(folder: Path, source: Path) -> float:
    """Milliseconds to make ``CREATED`` hard links to ``source`` in the new ``folder``."""
    folder.mkdir()
    start = time.perf_counter()
    for i in range(CREATED):
        os.link(source, folder / f"l{i}")
    return (time.perf_counter() - start) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folder", type=Path, default=DEFAULT_PROJECT.parent)
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--size", type=int, default=8192)
    args = ap.parse_args()
    scratch = args.folder / "after-delete-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        big = scratch / "big"
        per_folder = max(1, args.files // 200)
        for d in range(200):
            (big / f"d{d}").mkdir(parents=True)
            for f in range(per_folder):
                (big / f"d{d}" / f"f{f}").write_bytes(b"x" * args.size)
        os.sync()
        time.sleep(6)
        print(f"{os.getloadavg()=}")
        print(f"create {CREATED} files, before the deletion: {create(scratch / 'c0'):7.1f} ms")
        start = time.perf_counter()
        shutil.rmtree(big)
        deleted = (time.perf_counter() - start) * 1000
        print(f"delete {200 * per_folder} files of {args.size} bytes: {deleted:7.0f} ms")
        waited = 0.0
        for n, wait in enumerate((0, 1, 2, 3, 6)):
            time.sleep(wait)
            waited += wait
            took = create(scratch / f"c{n + 1}")
            print(f"create {CREATED} files, {waited:4.0f} s after it: {took:7.1f} ms")
        source = scratch / "c0" / "f0"
        print(f"{CREATED} hard links, then: {link(scratch / 'links', source):7.1f} ms")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
