"""The venv lock: the same flock on ``<venv>/.lock`` as uv's, so each waits for the other."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.apply.venvs import site_rel, uv_environ
from tests.support.tools import find_uv
from venv_doctor.apply import LockError, LockTimeoutError, VenvLock
from venv_doctor.apply.lock import waiting_message


def flocks(path: Path) -> list[tuple[int, bool]]:
    """(pid, waiting) for each BSD flock on ``path`` that /proc/locks shows."""
    inode = os.stat(path).st_ino
    found = []
    with open("/proc/locks", encoding="ascii") as handle:
        for line in handle:
            fields = line.split()
            waiting = fields[1] == "->"
            if waiting:
                del fields[1]
            if fields[1] == "FLOCK" and fields[5].rsplit(":", 1)[-1] == str(inode):
                found.append((int(fields[4]), waiting))
    return found


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_lock_file_is_made_as_uv_makes_it(venv: Path) -> None:
    (venv / ".lock").unlink(missing_ok=True)
    old = os.umask(0o077)
    try:
        with VenvLock(venv) as lock:
            assert lock.held
            assert flocks(venv / ".lock") == [(os.getpid(), False)]
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(venv / ".lock").st_mode) == 0o666
    assert sorted(p.name for p in venv.iterdir() if p.name.startswith(".lock")) == [".lock"]
    assert flocks(venv / ".lock") == []


def test_second_lock_in_one_process_is_refused_not_a_deadlock(venv: Path) -> None:
    with VenvLock(venv), pytest.raises(LockError, match="already holds"):
        VenvLock(venv, timeout=1).acquire()
    with VenvLock(venv):  # released properly, so it can be taken again
        pass


@pytest.mark.slow
def test_uv_waits_while_we_hold_the_lock(
    venv: Path, wheels: dict[str, Path], uv_cache: Path
) -> None:
    beta = venv / site_rel(venv) / "beta"
    with VenvLock(venv) as lock:
        proc = subprocess.Popen(
            [find_uv(), "pip", "install", "--python", venv / "bin" / "python", wheels["beta"]],
            env=uv_environ(uv_cache),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            # uv blocks in flock on the very same file: the kernel lists it as a waiter.
            wait_for(lambda: (proc.pid, True) in flocks(lock.path), "uv to wait for the lock")
            time.sleep(0.3)
            assert proc.poll() is None
            assert not beta.exists()
        except BaseException:
            proc.kill()
            raise
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert beta.is_dir()


class _SlowIndex(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(1.0)
        self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def slow_index() -> Iterator[str]:
    """An index that takes a second to say 404: uv holds the venv lock meanwhile."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowIndex)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_we_wait_while_uv_holds_the_lock(venv: Path, uv_cache: Path, slow_index: str) -> None:
    env = uv_environ(uv_cache)
    del env["UV_OFFLINE"]
    args = ["--index-url", slow_index, "--no-cache", "not-there"]
    proc = subprocess.Popen(
        [find_uv(), "pip", "install", "--python", venv / "bin" / "python", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for((venv / ".lock").exists, "uv to create the lock file")
        wait_for(lambda: (proc.pid, False) in flocks(venv / ".lock"), "uv to hold the lock")
        with pytest.raises(LockTimeoutError, match="timed out"):
            VenvLock(venv, timeout=0.2).acquire()
        told: list[str] = []
        with VenvLock(venv, timeout=60, on_wait=told.append, notice_after=0.05) as lock:
            assert flocks(lock.path) == [(os.getpid(), False)]
        assert told == [waiting_message(venv)]
        output, _ = proc.communicate(timeout=60)
        # uv ran to its own end (the index said 404) rather than being cut short.
        assert proc.returncode != 0
        assert "not-there" in output, output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
