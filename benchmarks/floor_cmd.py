"""The least work a check must do, as a command of its own, for bench_check.py --floors.

    python benchmarks/floor_cmd.py quick VENV    # what check --quick must do at least
    python benchmarks/floor_cmd.py full VENV     # the same, and hash every listed file
    python benchmarks/floor_cmd.py quick VENV --fork   # a child process walks meanwhile

A fresh interpreter, the standard library and ``packaging`` only (no click, no
rich, no venv-doctor), the cheapest way ``floor.py`` found for each step:

- read every ``METADATA`` and check each ``Requires-Dist`` whose marker holds
  against the installed versions, as ``pip check`` does (``packaging``);
- read every ``RECORD`` (``str.split``, ``csv`` only for a quoted line), turn
  its paths into venv-relative ones, ``lstat`` each listed file relative to a
  venv descriptor and compare its size;
- list site-packages and the scripts folder by ``d_type`` (never entering
  ``__pycache__``): the files no RECORD lists are orphans;
- ``full``: hash every listed file whose size matches and compare digests, a
  helper thread taking the big files (biggest first, from the moment the
  RECORDs are read) while the main thread does the rest, then the small files
  (the GIL handed over every 0.1 ms, as venv-doctor's hashing does).

It keeps no entry per file, builds no finding and prints four counts.  Any
check does at least this, so the time it takes is a floor for
``check --quick`` and for a first ``check`` on this machine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

BIG = 65536


# Modules only some runs need are imported where they are used: a floor
# imports nothing it can do without.


def _rows(text: str) -> Iterable[list[str]]:
    if '"' in text:
        import csv
        import io

        return csv.reader(io.StringIO(text))
    return (line.rsplit(",", 2) for line in text.splitlines())


def _headers(text: str) -> tuple[str, str, list[str]]:
    """Name, Version and every Requires-Dist of a METADATA file (its header part)."""
    name = version = ""
    requires = []
    for line in text.split("\n"):
        if not line:
            break  # the body
        key, _, value = line.partition(": ")
        if key == "Requires-Dist":
            requires.append(value)
        elif key == "Name":
            name = value
        elif key == "Version":
            version = value
    return name, version, requires


def broken_requirements(metadata: list[str]) -> int:
    """How many requirements of the installed distributions are missing or of another version."""
    installed: dict[str, Version | None] = {}
    wanted = []
    for text in metadata:
        name, version, requires = _headers(text)
        try:
            installed[canonicalize_name(name)] = Version(version)
        except InvalidVersion:
            installed[canonicalize_name(name)] = None
        wanted.extend(requires)
    bad = 0
    for line in wanted:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            bad += 1
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        have = installed.get(canonicalize_name(req.name), False)
        if have is None:
            continue  # an invalid version: nothing to compare
        bad += have is False or not req.specifier.contains(have, prereleases=True)
    return bad


def walk_names(root: str, tops: list[str]) -> set[str]:
    """Venv-relative paths of every non-folder below ``tops``, by d_type, never in __pycache__."""
    walked: set[str] = set()
    stack = list(tops)
    while stack:
        rel = stack.pop()
        with os.scandir(f"{root}/{rel}") as it:
            for entry in it:
                child = f"{rel}/{entry.name}"
                if not entry.is_dir(follow_symlinks=False):
                    walked.add(child)
                elif entry.name != "__pycache__":
                    stack.append(child)
    return walked


def _digest(root_fd: int, rel: str, size: int) -> bytes:
    import hashlib

    fd = os.open(rel, os.O_RDONLY, dir_fd=root_fd)
    try:
        if size < BIG:
            return hashlib.sha256(os.read(fd, size + 1)).digest()
        with os.fdopen(fd, "rb", closefd=False) as f:
            return hashlib.file_digest(f, "sha256").digest()
    finally:
        os.close(fd)


class _Helper:
    """Hashes big files, biggest first, until none is left (on a thread, and on the main one)."""

    def __init__(self, root_fd: int, big: list[tuple[int, str, bytes]]) -> None:
        import threading

        self.root_fd, self.big, self.bad = root_fd, big, 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.run)

    def take(self) -> tuple[int, str, bytes] | None:
        with self.lock:
            return self.big.pop() if self.big else None

    def run(self) -> None:
        while (job := self.take()) is not None:
            size, rel, want = job
            self.bad += _digest(self.root_fd, rel, size) != want


def _read(root: str, site: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Every METADATA text, and every RECORD row: venv path, hash field, size field."""
    metadata: list[str] = []
    listed: list[tuple[str, str, str]] = []  # rel, sha256 digest (RECORD text), size
    for name in os.listdir(f"{root}/{site}"):
        if not name.endswith(".dist-info"):
            continue
        folder = f"{root}/{site}/{name}"
        with open(f"{folder}/METADATA", encoding="utf-8", errors="surrogateescape") as f:
            metadata.append(f.read())
        with open(f"{folder}/RECORD", encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        for fields in _rows(text):
            if len(fields) != 3:
                continue
            path, digest, size = fields
            if path[0] == "/" or "./" in path or "//" in path or "\\" in path:
                rel = os.path.normpath(f"{site}/{path}")
            else:
                rel = f"{site}/{path}"
            listed.append((rel, digest, size))
    return metadata, listed


def _walk_forked(root: str, tops: list[str]) -> Callable[[], set[str]]:
    """``walk_names`` in a child process, started now; the returned function waits for its names."""
    import marshal

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: walk, send, leave
        os.close(read_end)
        with os.fdopen(write_end, "wb") as out:
            out.write(marshal.dumps(list(walk_names(root, tops))))
        os._exit(0)
    os.close(write_end)

    def names() -> set[str]:
        with os.fdopen(read_end, "rb") as got:
            walked = set(marshal.loads(got.read()))  # noqa: S302 - our own child wrote it
        os.waitpid(pid, 0)
        return walked

    return names


def main(mode: str, venv: str, *, fork: bool = False) -> int:
    root = os.path.abspath(venv)
    (lib,) = (name for name in os.listdir(f"{root}/lib") if name.startswith("python"))
    site = f"lib/{lib}/site-packages"
    root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    # With fork, a child process walks (on the other core) while this one reads and stats.
    walking = _walk_forked(root, [site, "bin"]) if fork else None
    metadata, listed = _read(root, site)
    helper = None
    if mode == "full":
        big = sorted(
            (int(size), rel, _decoded(digest))
            for rel, digest, size in listed
            if size and int(size) >= BIG and digest.startswith("sha256=")
        )
        helper = _Helper(root_fd, big)
        # The helper needs the GIL a moment after each buffer it hashes: the
        # default switch interval (5 ms) would keep it waiting that long.
        sys.setswitchinterval(0.0001)
        helper.thread.start()
    walked = walking() if walking is not None else walk_names(root, [site, "bin"])
    broken = broken_requirements(metadata)
    wrong = 0
    small = []
    for rel, digest, size in listed:
        try:
            st = os.stat(rel, dir_fd=root_fd, follow_symlinks=False)
        except OSError:
            wrong += 1
            continue
        if size and st.st_size != int(size):
            wrong += 1
        elif helper is not None and st.st_size < BIG and digest.startswith("sha256="):
            small.append((rel, st.st_size, digest))
    for rel, size, digest in small:
        wrong += _digest(root_fd, rel, size) != _decoded(digest)
    if helper is not None:
        helper.run()  # the big files left
        helper.thread.join()
        wrong += helper.bad
    orphans = walked.difference(rel for rel, _, _ in listed)
    print(len(listed), wrong, len(orphans), broken)
    os.close(root_fd)
    return 0


def _decoded(digest: str) -> bytes:
    import base64

    value = digest[7:]
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], fork="--fork" in sys.argv[3:]))
