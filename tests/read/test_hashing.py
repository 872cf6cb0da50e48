"""The hashing threads share one list of big files: adding to it races no helper."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from venv_doctor.read import hashing


@pytest.mark.skipif(not hashing.EARLY, reason="no early hashing on this platform")
def test_a_helper_popping_while_a_record_adds_its_big_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # bisect calls its key, a Python function, between looking at items; a
    # helper that pops then (the switch interval is short while helpers run)
    # must not leave it looking past the end of the list.
    jobs = []
    for i in range(9):
        data = b"x" * (10 * i + 1)
        (tmp_path / f"f{i}").write_bytes(data)
        jobs.append((f"f{i}", "sha256", len(data)))
    hasher = hashing.Hasher(str(tmp_path), workers=2)
    hasher._shared[:] = sorted(jobs[:8], key=lambda job: job[2])  # as add() leaves it
    helper: list[threading.Thread] = []
    calls: list[hashing.Job] = []
    size = hashing._size

    def key(job: hashing.Job) -> int:
        calls.append(job)
        # The first call is for the new job; at the first look at the list a
        # helper takes jobs meanwhile.
        if len(calls) == 2:
            helper.append(threading.Thread(target=hasher._hash_shared))
            helper[0].start()
            helper[0].join(timeout=0.5)
        return size(job)

    monkeypatch.setattr(hashing, "_size", key)
    try:
        hasher.add([jobs[8]])
    finally:
        for thread in helper:
            thread.join()
        hasher.stop()
    assert sorted(hasher._done) == sorted(rel for rel, _algo, _size in jobs)
