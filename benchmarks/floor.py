"""How fast can plain Python stat and hash the files of a venv on this machine?

Measures the floor that ``venv-doctor check`` (full and ``--quick``) can hope for:
the same work done with nothing but the standard library, several ways, so the
implementation can pick the cheapest one.  Run it on the benchmark venv:

    python benchmarks/floor.py [--venv DIR] [--rounds N]

Every experiment runs once untimed (warm page cache), then N timed rounds; the
best round is printed.  Peak RSS is that of this whole script, printed at the end.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import marshal
import os
import queue
import re
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import DEFAULT_VENV, find_site_packages
from floor_cmd import walk_names

CHUNK = 1 << 20


def read_records(site: str) -> list[tuple[str, bytes]]:
    """(dist-info name, raw RECORD bytes) for every dist-info in ``site``."""
    out = []
    for name in sorted(os.listdir(site)):
        if name.endswith(".dist-info"):
            try:
                with open(os.path.join(site, name, "RECORD"), "rb") as f:
                    out.append((name, f.read()))
            except FileNotFoundError:
                pass
    return out


def parse_csv(records: list[tuple[str, bytes]]) -> list[list[str]]:
    rows = []
    for _, data in records:
        rows.extend(r for r in csv.reader(io.StringIO(data.decode())) if r)
    return rows


def parse_split(records: list[tuple[str, bytes]]) -> list[list[str]]:
    """str.split fast path; csv only for the rare line holding a quote."""
    rows = []
    for _, data in records:
        text = data.decode()
        if '"' in text:
            rows.extend(r for r in csv.reader(io.StringIO(text)) if r)
            continue
        rows.extend(line.rsplit(",", 2) for line in text.splitlines() if line)
    return rows


def record_files(site: str, rows: list[list[str]]) -> list[tuple[str, int, bytes | None]]:
    """(absolute path, RECORD size, expected sha256 digest) of listed files that exist."""
    out = []
    for row in rows:
        path = os.path.normpath(os.path.join(site, row[0]))
        if not os.path.isfile(path):
            continue
        digest = None
        if len(row) > 1 and row[1].startswith("sha256="):
            b64 = row[1][7:]
            digest = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        size = int(row[2]) if len(row) > 2 and row[2] else -1
        out.append((path, size, digest))
    return out


# -- stat ---------------------------------------------------------------------


def walk_scandir(top: str) -> int:
    """Recursive os.scandir, is_dir() from d_type: no stat call per entry."""
    n = 0
    stack = [top]
    while stack:
        with os.scandir(stack.pop()) as it:
            for e in it:
                n += 1
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
    return n


def walk_scandir_lstat(top: str) -> int:
    """Same walk, plus entry.stat(follow_symlinks=False) on each entry (one lstat)."""
    n = 0
    stack = [top]
    while stack:
        with os.scandir(stack.pop()) as it:
            for e in it:
                n += e.stat(follow_symlinks=False).st_size >= 0
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
    return n


def walk_oswalk(top: str) -> int:
    return sum(len(d) + len(f) for _, d, f in os.walk(top))


def lstat_abs(files: list[str]) -> int:
    lstat = os.lstat
    return sum(lstat(p).st_size for p in files)


def lstat_dirfd(site: str, rel: list[str]) -> int:
    """os.lstat relative to an open site-packages fd: shorter path walks in the kernel."""
    fd = os.open(site, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return sum(os.stat(p, dir_fd=fd, follow_symlinks=False).st_size for p in rel)
    finally:
        os.close(fd)


def lstat_threads(files: list[str], n: int) -> int:
    """Split the lstat calls over n threads (os.stat releases the GIL)."""
    total = [0] * n

    def work(i: int) -> None:
        total[i] = sum(os.lstat(p).st_size for p in files[i::n])

    ts = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(total)


# -- hash ---------------------------------------------------------------------


def h_read_all(path: str, size: int) -> bytes:  # noqa: ARG001
    """open().read() the whole file, one sha256 call.  RSS grows with the biggest file."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).digest()


def h_file_digest(path: str, size: int) -> bytes:  # noqa: ARG001
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").digest()


_local = threading.local()


def h_readinto(path: str, size: int) -> bytes:  # noqa: ARG001
    """os.open + os.readv into a reused per-thread buffer: no allocation per file."""
    try:
        buf, view = _local.buf
    except AttributeError:
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        _local.buf = buf, view
    fd = os.open(path, os.O_RDONLY)
    try:
        h = hashlib.sha256()
        while n := os.readv(fd, [buf]):
            h.update(view[:n])
        return h.digest()
    finally:
        os.close(fd)


def h_osread_small_only(path: str, size: int) -> bytes:
    """os.read with the size from RECORD when it is small, else chunks: one read syscall."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if size < CHUNK:
            return hashlib.sha256(os.read(fd, size + 1)).digest()
        h = hashlib.sha256()
        while data := os.read(fd, CHUNK):
            h.update(data)
        return h.digest()
    finally:
        os.close(fd)


def h_read_twice(path: str, size: int) -> bytes:
    """hashlib.new; os.read(size+1) up to 4 MiB, then os.read(1 MiB) until empty: one
    more syscall per file than needed."""
    fd = os.open(path, os.O_RDONLY)
    try:
        h = hashlib.new("sha256")
        data = os.read(fd, size + 1 if size <= 4 * CHUNK else CHUNK)
        while data:
            h.update(data)
            data = os.read(fd, CHUNK)
        return h.digest()
    finally:
        os.close(fd)


def open_read_only(path: str, size: int) -> bytes:
    """I/O alone, no hashing: the syscall part of the cost."""
    fd = os.open(path, os.O_RDONLY)
    try:
        while os.read(fd, CHUNK if size >= CHUNK else size + 1):
            if size < CHUNK:
                break
        return b""
    finally:
        os.close(fd)


def hash_all(files: list[tuple[str, int, bytes | None]], fn: Callable[[str, int], bytes]) -> int:
    return sum(digest is not None and fn(path, size) != digest for path, size, digest in files)


def hash_threads(
    files: list[tuple[str, int, bytes | None]], fn: Callable[[str, int], bytes], n: int
) -> int:
    """n threads pulling from one queue, biggest files first (longest-job-first balance)."""
    q: queue.SimpleQueue[tuple[str, int, bytes | None] | None] = queue.SimpleQueue()
    for item in sorted(files, key=lambda x: -x[1]):
        q.put(item)
    for _ in range(n):
        q.put(None)
    bad = [0] * n

    def work(i: int) -> None:
        while (item := q.get()) is not None:
            path, size, digest = item
            bad[i] += digest is not None and fn(path, size) != digest

    ts = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(bad)


def hash_static_shares(
    files: list[tuple[str, int, bytes | None]], fn: Callable[[str, int], bytes], n: int
) -> int:
    """Files dealt biggest first to the least loaded of n fixed shares, one thread each."""
    shares: list[list[tuple[str, int, bytes | None]]] = [[] for _ in range(n)]
    load = [0] * n
    for item in sorted(files, key=lambda x: -x[1]):
        i = load.index(min(load))
        shares[i].append(item)
        load[i] += item[1] + 4096
    bad = [0] * n

    def work(i: int) -> None:
        bad[i] = sum(d is not None and fn(p, s) != d for p, s, d in shares[i])

    ts = [threading.Thread(target=work, args=(i,)) for i in range(1, n)]
    for t in ts:
        t.start()
    work(0)
    for t in ts:
        t.join()
    return sum(bad)


def hash_split_big_small(
    files: list[tuple[str, int, bytes | None]], fn: Callable[[str, int], bytes]
) -> int:
    """One helper thread hashes the big files (GIL released) while the main thread
    does the many small ones, then helps with whatever big files are left."""
    big = sorted((f for f in files if f[1] >= 65536), key=lambda x: -x[1])
    small = [f for f in files if f[1] < 65536]
    lock = threading.Lock()
    bad = [0, 0]

    def take_big() -> tuple[str, int, bytes | None] | None:
        with lock:
            return big.pop(0) if big else None

    def worker() -> None:
        while (item := take_big()) is not None:
            bad[0] += item[2] is not None and fn(item[0], item[1]) != item[2]

    t = threading.Thread(target=worker)
    t.start()
    for path, size, digest in small:
        bad[1] += digest is not None and fn(path, size) != digest
    worker()
    t.join()
    return sum(bad)


def hash_fork(
    files: list[tuple[str, int, bytes | None]], fn: Callable[[str, int], bytes], n: int
) -> int:
    """n forked processes, files dealt out biggest first to the least loaded one."""
    parts: list[list[tuple[str, int, bytes | None]]] = [[] for _ in range(n)]
    load = [0] * n
    for item in sorted(files, key=lambda x: -x[1]):
        i = load.index(min(load))
        parts[i].append(item)
        load[i] += item[1] + 8192  # a per-file cost, in bytes-equivalent
    pids = []
    for part in parts[1:]:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            os.close(r)
            bad = sum(d is not None and fn(p, s) != d for p, s, d in part)
            os.write(w, str(bad).encode())
            os._exit(0)
        os.close(w)
        pids.append((pid, r))
    bad = sum(d is not None and fn(p, s) != d for p, s, d in parts[0])
    for pid, r in pids:
        bad += int(os.read(r, 64) or b"0")
        os.close(r)
        os.waitpid(pid, 0)
    return bad


# -- a whole --quick pass, as lean as it gets -----------------------------------


def _record_rows(text: str) -> Iterable[list[str]]:
    if '"' in text:
        return csv.reader(io.StringIO(text))
    return (line.rsplit(",", 2) for line in text.splitlines())


def quick_model(venv: str, *, fork: bool = False) -> tuple[int, int, int, int]:
    """What ``check --quick`` must do at least, the cheapest way found above.

    Walk site-packages and bin by d_type only (no stat), never entering __pycache__;
    parse every RECORD with the split fast path; turn RECORD paths into venv-relative
    ones by concatenation unless they hold './', '//' or a backslash (normpath then); lstat each
    listed file relative to a venv fd and compare its size; orphans are the walked
    files no RECORD lists.  With ``fork``, a child process walks (and sends the names
    back with marshal) while this one parses and stats.
    Returns (entries walked, rows, size mismatches, orphans).
    """
    site = os.path.relpath(find_site_packages(Path(venv)), venv)
    if fork:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            with os.fdopen(w, "wb") as out:
                out.write(marshal.dumps(list(walk_names(venv, [site, "bin"]))))
            os._exit(0)
        os.close(w)
    else:
        walked = walk_names(venv, [site, "bin"])
    owned: set[str] = set()
    rows = bad = 0
    root_fd = os.open(venv, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in os.listdir(os.path.join(venv, site)):
            if not name.endswith(".dist-info"):
                continue
            with open(os.path.join(venv, site, name, "RECORD"), "rb") as f:
                text = f.read().decode("utf-8", "surrogateescape")
            for fields in _record_rows(text):
                if len(fields) != 3:
                    continue
                path, _, size = fields
                rows += 1
                if path[0] == "/" or "./" in path or "//" in path or "\\" in path:
                    rel = os.path.normpath(os.path.join(site, path))
                else:
                    rel = f"{site}/{path}"
                owned.add(rel)
                try:
                    st = os.stat(rel, dir_fd=root_fd, follow_symlinks=False)
                except OSError:
                    bad += 1
                    continue
                bad += bool(size) and st.st_size != int(size)
    finally:
        os.close(root_fd)
    if fork:
        with os.fdopen(r, "rb") as inp:
            walked = set(marshal.loads(inp.read()))  # noqa: S302 -- our own child wrote it
        os.waitpid(pid, 0)
    orphans = {p.split("/", 4)[3] if p.startswith(site) else p for p in walked - owned}
    return len(walked), rows, bad, len(orphans)


# -- driver -------------------------------------------------------------------


def best_of(rounds: int, fn: Callable[[], object]) -> tuple[float, object]:
    result = fn()  # warm-up, untimed
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-hash", action="store_true", help="only the stat/parse experiments")
    args = ap.parse_args(argv)
    venv = str(args.venv.resolve())
    site = str(find_site_packages(args.venv))

    def show(label: str, secs: float, result: object) -> None:
        print(f"  {label:<58} {secs * 1000:9.1f} ms   ({result})", flush=True)

    print(f"venv {venv}\nsite-packages {site}")
    print("read + parse RECORD files")
    t, records = best_of(args.rounds, lambda: read_records(site))
    show("read all RECORD bytes", t, f"{len(records)} files")
    t, rows = best_of(args.rounds, lambda: parse_csv(records))
    show("csv.reader", t, f"{len(rows)} rows")
    t, rows2 = best_of(args.rounds, lambda: parse_split(records))
    show("str.split fast path (csv if a quote)", t, f"{len(rows2)} rows")
    paths_experiments(rows, args.rounds, show)
    t, files = best_of(args.rounds, lambda: record_files(site, rows))
    show("normpath + isfile + b64decode per row", t, f"{len(files)} files")
    paths = [p for p, _, _ in files]
    rel = [os.path.relpath(p, site) for p in paths]

    print("walk / stat")
    t, n = best_of(args.rounds, lambda: walk_scandir(venv))
    show("walk venv: os.scandir, d_type only", t, f"{n} entries")
    t, n = best_of(args.rounds, lambda: walk_scandir_lstat(venv))
    show("walk venv: os.scandir + entry.stat() (lstat)", t, f"{n} entries")
    t, n = best_of(args.rounds, lambda: walk_oswalk(venv))
    show("walk venv: os.walk", t, f"{n} entries")
    t, n = best_of(args.rounds, lambda: lstat_abs(paths))
    show("os.lstat(absolute path) of every RECORD file", t, f"{n} bytes")
    t, n = best_of(args.rounds, lambda: lstat_dirfd(site, rel))
    show("os.stat(rel, dir_fd=site, follow_symlinks=False)", t, f"{n} bytes")
    t, n = best_of(args.rounds, lambda: lstat_threads(paths, 2))
    show("os.lstat, 2 threads", t, f"{n} bytes")

    print("a whole --quick pass")
    t, n = best_of(args.rounds, lambda: quick_model(venv))
    show("walk (d_type) + parse + lstat listed + orphans", t, f"{n}")
    t, n = best_of(args.rounds, lambda: quick_model(venv, fork=True))
    show("same, a forked child walks while the parent stats", t, f"{n}")
    startup_experiments(args.rounds, show)

    if not args.skip_hash:
        hash_experiments(files, args.rounds, show)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this script: {peak:.0f} MiB")
    if not args.skip_hash:
        # Last: it holds the biggest file in memory at once.
        t, n = best_of(args.rounds, lambda: hash_all(files, h_read_all))
        show("1 thread: open().read() + sha256 (RSS = biggest file)", t, f"{n} bad")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS after it: {peak:.0f} MiB")
    return 0


def startup_experiments(rounds: int, show: Callable[[str, float, object], None]) -> None:
    for code in (
        "pass",
        "import click",
        "import packaging.utils",
        "import packaging.pylock",
        "import rich.console",
    ):
        t, _ = best_of(
            rounds, lambda code=code: subprocess.run([sys.executable, "-c", code], check=False)
        )
        show(f"startup: python -c '{code}'", t, "")


def paths_experiments(
    rows: list[list[str]], rounds: int, show: Callable[[str, float, object], None]
) -> None:
    """Three ways to turn RECORD paths into venv-relative ones."""
    base = "lib/python3.x/site-packages"
    slow = re.compile(r"(?:^|/)\.\.?(?:/|$)|//|\\\\|^/")
    norm, join = os.path.normpath, os.path.join

    def cheap(p: str) -> str:
        if "./" in p or "//" in p or "\\" in p or p.endswith(".") or p[:1] == "/":
            return norm(join(base, p))
        return f"{base}/{p}"

    t, n = best_of(rounds, lambda: len([norm(join(base, r[0])) for r in rows]))
    show("venv path: normpath(join()) per row", t, n)
    t, n = best_of(rounds, lambda: len([cheap(r[0]) for r in rows]))
    show("venv path: concatenate; normpath if './', '//', '\\' (str in)", t, n)
    t, n = best_of(
        rounds,
        lambda: len(
            [norm(join(base, r[0])) if slow.search(r[0]) else f"{base}/{r[0]}" for r in rows]
        ),
    )
    show("venv path: concatenate; normpath if a regex matches", t, n)
    assert [cheap(r[0]) for r in rows] == [norm(join(base, r[0])) for r in rows]


def hash_experiments(
    files: list[tuple[str, int, bytes | None]],
    rounds: int,
    show: Callable[[str, float, object], None],
) -> None:
    total = sum(s for _, s, _ in files)
    print(f"hash {len(files)} files, {total / 1e6:.0f} MB")
    small = [f for f in files if f[1] < 4096]
    t, n = best_of(rounds, lambda: hash_all(small, h_osread_small_only))
    show(f"small files only (<4 KiB, {len(small)}): os.read + sha256", t, f"{n} bad")
    t, n = best_of(rounds, lambda: hash_all(small, open_read_only))
    show("small files only: os.open/os.read/os.close, no hash", t, "")
    t, n = best_of(rounds, lambda: hash_all(small, h_file_digest))
    show("small files only: open() + hashlib.file_digest", t, f"{n} bad")
    experiments: list[tuple[str, Callable[[], object]]] = [
        ("1 thread: open() + hashlib.file_digest", lambda: hash_all(files, h_file_digest)),
        (
            "1 thread: os.read(size+1) small, 1 MiB chunks big",
            lambda: hash_all(files, h_osread_small_only),
        ),
        ("1 thread: os.readv into reused 1 MiB buffer", lambda: hash_all(files, h_readinto)),
        (
            "2 threads, static byte-balanced shares: read twice",
            lambda: hash_static_shares(files, h_read_twice, 2),
        ),
        (
            "2 threads, static byte-balanced shares: os.read once",
            lambda: hash_static_shares(files, h_osread_small_only, 2),
        ),
        (
            "2 threads, queue biggest first: os.read",
            lambda: hash_threads(files, h_osread_small_only, 2),
        ),
        (
            "2 threads, queue biggest first: readv reused buffer",
            lambda: hash_threads(files, h_readinto, 2),
        ),
        (
            "2 threads: helper on big files, main on small: os.read",
            lambda: hash_split_big_small(files, h_osread_small_only),
        ),
        (
            "3 threads, queue biggest first: os.read",
            lambda: hash_threads(files, h_osread_small_only, 3),
        ),
        (
            "2 processes (fork), balanced by bytes: os.read",
            lambda: hash_fork(files, h_osread_small_only, 2),
        ),
    ]
    for label, fn in experiments:
        t, n = best_of(rounds, fn)
        show(label, t, f"{n} bad")


if __name__ == "__main__":
    sys.exit(main())
