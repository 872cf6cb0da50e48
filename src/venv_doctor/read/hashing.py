"""Hashing the files RECORDs list, on this thread and helper threads (for ``scan``).

hashlib releases the GIL only on buffers over 2 KiB, ``os.open``/``os.read``
on every call: two threads that both hash small files spend their time
handing the GIL to each other, while a thread that hashes big files hardly
needs it.  So helper threads take the big files, biggest first, from one
shared list, and the scanning thread hashes every small file alone, then
helps with the big files left.  On the benchmark venv (2 cores) that takes
0.52 s where fixed shares balanced by bytes took 0.93 s.  More threads than
cores only add contention.

The helpers start on the big files as soon as the RECORDs are read, before
the walk and the ``stat`` of every listed file (a fifth of a second of work
on a big venv that would otherwise hold them up).  Those files are chosen by
their RECORD size and opened one folder at a time from the venv root, never
through a link, never blocking; a digest counts only for a file the check
then hashes anyway, in the same algorithm.
"""

from __future__ import annotations

import base64
import bisect
import errno
import hashlib
import os
import stat
import sys
import threading
from collections.abc import Callable, Mapping

from venv_doctor.read.installed import Unreadable

Job = tuple[str, str, int]  # venv-relative path, hash algorithm, size

# Files at most this large are read in one call; larger ones in chunks.
_WHOLE_READ = 4 * 1024 * 1024
_CHUNK = 1024 * 1024
# Files this large and more are hashed by helper threads.
BIG_FILE = 64 * 1024
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)
# While helpers hash, the scanning thread runs Python for long stretches
# (parsing, walking, diagnosing).  A helper needs the GIL for a moment after
# each 1 MiB it reads and hashes, and with the default switch interval (5 ms)
# waits up to that long for it: 0.1 ms keeps the helpers busy (30 ms less on
# the benchmark venv).
_SWITCH_INTERVAL = 0.0001
# Without O_NOFOLLOW and dir_fd (Windows) nothing is opened before its stat.
EARLY = hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY") and os.open in os.supports_dir_fd


def available(algo: str) -> bool:
    return algo in hashlib.algorithms_available


class Hasher:
    """Hashes the files of one venv; ``add`` early, then ``finish``, or ``stop``."""

    def __init__(self, root: str, workers: int | None) -> None:
        self._root = root
        self._helpers = (workers or min(4, os.cpu_count() or 1)) - 1
        self._shared: list[Job] = []  # sorted by size, popped from the end
        self._threads: list[threading.Thread] = []
        self._early: dict[str, str] = {}  # rel -> algorithm, of the jobs handed out early
        self._done: dict[str, tuple[str, str]] = {}  # rel -> (algorithm, digest)
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._counted: Mapping[str, Job] = {}
        self._progress: Callable[[int], None] | None = None
        self._interval: float | None = None  # the switch interval to restore

    def add(self, early: list[Job]) -> None:
        """Hand ``early`` (big files not ``stat``-ed yet) to helper threads, biggest first.

        Called once per RECORD as it is read; a path handed out before keeps
        its first job.
        """
        if not EARLY or self._helpers < 1:
            return
        with self._lock:
            # Under the lock: bisect calls the key, a Python function, between
            # looking at items, and a helper popping meanwhile would leave it
            # looking past the end (IndexError).
            for job in early:
                if job[0] not in self._early:
                    self._early[job[0]] = job[1]
                    bisect.insort(self._shared, job, key=_size)
        self._spawn()

    def finish(
        self,
        jobs: Mapping[str, Job],
        progress: Callable[[int], None] | None,
        unreadable: list[Unreadable],
    ) -> dict[str, str]:
        """The digest of each of ``jobs`` (files whose size matches their RECORD).

        A file that cannot be read goes to ``unreadable``; ``progress`` is told
        the bytes of each job as it is hashed.
        """
        small = [job for job in jobs.values() if job[2] < BIG_FILE]
        small.reverse()  # popped from the end: hashed in RECORD order
        late = sorted(
            (job for job in jobs.values() if job[2] >= BIG_FILE and job[0] not in self._early),
            key=_size,
        )
        with self._lock:
            self._shared[:0] = late
        self._spawn()
        with self._lock:
            self._counted, self._progress = jobs, progress
            credit = sum(
                jobs[rel][2] for rel, (algo, _) in self._done.items() if _same(jobs.get(rel), algo)
            )
        if progress is not None and credit:
            progress(credit)
        results: dict[str, str] = {}
        try:
            self._hash_each(small.pop, results, progress, unreadable)
            self._hash_shared()
        finally:
            self.stop()
        if self._errors:
            raise self._errors[0]
        rest = []
        for rel, job in jobs.items():
            if rel in results:
                continue
            done = self._done.get(rel)
            if done is not None and done[0] == job[1]:
                results[rel] = done[1]
            else:  # failed early, or a link: opened as the check does otherwise
                rest.append(job)
        rest.reverse()
        self._hash_each(rest.pop, results, progress, unreadable)
        return results

    def stop(self) -> None:
        """Let the helpers end after their current file, and wait for them."""
        with self._lock:
            self._shared.clear()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        if self._interval is not None:
            sys.setswitchinterval(self._interval)
            self._interval = None

    def _spawn(self) -> None:
        alive = sum(thread.is_alive() for thread in self._threads)
        wanted = min(self._helpers - alive, len(self._shared))
        if wanted > 0 and self._interval is None:
            self._interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._interval, _SWITCH_INTERVAL))
        for _ in range(wanted):
            thread = threading.Thread(target=self._helper, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _helper(self) -> None:
        try:
            self._hash_shared()
        except BaseException as exc:  # re-raised by the scanning thread
            self._errors.append(exc)

    def _take_shared(self) -> Job:
        """The biggest job left in the shared list; ``IndexError`` when none is."""
        with self._lock:
            return self._shared.pop()

    def _hash_shared(self) -> None:
        take, done, lock = self._take_shared, self._done, self._lock
        opener = _Opener(self._root)
        try:
            while True:
                try:
                    rel, algo, size = take()
                except IndexError:
                    return
                try:
                    digest = _digest(opener.open(rel), algo, size)
                except OSError:
                    continue  # hashed again, and reported, if the check needs it
                with lock:
                    done[rel] = (algo, digest)
                    if self._progress is not None and _same(self._counted.get(rel), algo):
                        self._progress(size)
        finally:
            opener.close()

    def _hash_each(
        self,
        take: Callable[[], Job],
        results: dict[str, str],
        progress: Callable[[int], None] | None,
        unreadable: list[Unreadable],
    ) -> None:
        root = self._root
        while True:
            try:
                rel, algo, size = take()
            except IndexError:
                return
            try:
                results[rel] = _digest(os.open(f"{root}/{rel}", _OPEN_FLAGS), algo, size)
            except OSError as exc:
                unreadable.append(Unreadable(path=rel, reason=exc.strerror or str(exc)))
            if progress is not None:
                progress(size)


def _size(job: Job) -> int:
    return job[2]


def _same(job: Job | None, algo: str) -> bool:
    """Whether ``job`` wants the digest in ``algo`` (a digest in another is no use)."""
    return job is not None and job[1] == algo


class _Opener:
    """Opens venv-relative files one folder at a time from the venv root, never through a link.

    The file is opened without blocking (a FIFO put there) and must be a
    regular file.  Folders stay open for the next file, up to a limit.
    """

    _KEEP = 256
    _DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    _FILE_FLAGS = _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)

    def __init__(self, root: str) -> None:
        self._root = root
        self._dirs: dict[str, int] = {}

    def open(self, rel: str) -> int:
        if not EARLY:  # only files already stat-ed come here
            return os.open(f"{self._root}/{rel}", _OPEN_FLAGS)
        parent, _, name = rel.rpartition("/")
        fd = os.open(name, self._FILE_FLAGS, dir_fd=self._folder(parent))
        try:
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
        except OSError:
            os.close(fd)
            raise
        if regular:
            return fd
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", rel)

    def _folder(self, rel: str) -> int:
        fd = self._dirs.get(rel)
        if fd is None:
            if len(self._dirs) >= self._KEEP:
                self.close()
            if not rel:
                fd = os.open(self._root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            else:
                parent, _, name = rel.rpartition("/")
                fd = os.open(name, self._DIR_FLAGS, dir_fd=self._folder(parent))
            self._dirs[rel] = fd
        return fd

    def close(self) -> None:
        for fd in self._dirs.values():
            os.close(fd)
        self._dirs.clear()


def _digest(fd: int, algo: str, size: int) -> str:
    """The urlsafe base64 digest (no padding) of the open file ``fd``, of about ``size`` bytes.

    Closes ``fd``.  Files up to 4 MiB are read in one call; bigger ones in
    1 MiB chunks, so memory stays flat whatever the file.  ``size`` only
    sizes the reads.
    """
    try:
        if size <= _WHOLE_READ:
            # Asking one byte more than expected shows a file that grew; only
            # then, or when fewer bytes came back, is a second read needed.
            data = os.read(fd, size + 1)
            # hashlib.sha256(data) rather than hashlib.new + update: one call
            # and no name lookup, which adds up over tens of thousands of files.
            hasher = hashlib.sha256(data) if algo == "sha256" else hashlib.new(algo, data)
            if len(data) != size:
                while chunk := os.read(fd, _CHUNK):
                    hasher.update(chunk)
        else:
            hasher = hashlib.sha256() if algo == "sha256" else hashlib.new(algo)
            while chunk := os.read(fd, _CHUNK):
                hasher.update(chunk)
    finally:
        os.close(fd)
    return base64.urlsafe_b64encode(hasher.digest()).rstrip(b"=").decode("ascii")
