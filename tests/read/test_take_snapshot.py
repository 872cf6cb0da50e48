"""How the scan reads a venv: what it stats, what it skips, and how it hashes."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.fakevenv import SITE, FakeVenv, digest
from venv_doctor.diagnose.run import diagnose
from venv_doctor.read.digest_cache import RACY_NS
from venv_doctor.read.layout import read_layout
from venv_doctor.read.snapshot import DIR, FILE, OTHER, Snapshot
from venv_doctor.read.walk import read_venv, take_snapshot


@pytest.fixture
def venv(tmp_path: Path) -> FakeVenv:
    return FakeVenv(tmp_path / "venv")


def test_listed_files_carry_size_and_inode_unlisted_ones_their_kind(venv):
    venv.install("demo", "1.0", {"demo/__init__.py": b"x = 1\n"})
    (venv.site / "demo" / "notes.txt").write_bytes(b"by hand")
    os.mkfifo(venv.site / "demo" / "pipe")
    tree = venv.snapshot(hashes=False).tree
    listed = tree[f"{SITE}/demo/__init__.py"]
    st = os.lstat(venv.site / "demo" / "__init__.py")
    assert (listed.kind, listed.size, listed.ino, listed.nlink) == (FILE, 6, st.st_ino, 1)
    assert tree[f"{SITE}/demo/notes.txt"].kind == FILE
    assert tree[f"{SITE}/demo/pipe"].kind == OTHER
    assert tree[f"{SITE}/demo"].kind == DIR


def test_bytecode_folders_are_listed_not_entered_unless_a_record_lists_them(venv):
    venv.install("demo", "1.0", {"demo/__init__.py": b"x = 1\n"})
    cache = venv.site / "demo" / "__pycache__"
    cache.mkdir()
    (cache / "__init__.cpython-311.pyc").write_bytes(b"pyc")
    # pip lists bytecode in RECORD: those files are stat-ed all the same.
    venv.install("piplike", "1.0", {"piplike/__pycache__/m.cpython-311.pyc": b"12345"})
    snapshot = venv.snapshot(hashes=False)
    assert snapshot.tree[f"{SITE}/demo/__pycache__"].kind == DIR
    assert f"{SITE}/demo/__pycache__/__init__.cpython-311.pyc" not in snapshot.tree
    listed = snapshot.tree[f"{SITE}/piplike/__pycache__/m.cpython-311.pyc"]
    assert (listed.kind, listed.size) == (FILE, 5)
    assert venv.check() == []


@pytest.mark.parametrize("stash", ["~olars", "polars/~o", ".tmpAbC123"])
def test_a_stash_counts_the_bytecode_it_holds(venv, stash):
    venv.install("polars", "1.0", {"polars/__init__.py": b""})
    folder = venv.site / stash
    (folder / "__pycache__").mkdir(parents=True)
    (folder / "a.py").write_bytes(b"a")
    (folder / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"pyc")
    (found,) = venv.check()
    assert found.code == "stash-leftover"
    assert found.path == f"{SITE}/{stash}"
    assert "(2 files)" in found.message or "folder with 2 files" in found.message


def _sizes_venv(venv: FakeVenv) -> dict[str, bytes]:
    files = {
        "big/empty.bin": b"",
        "big/small.bin": b"s" * 100,
        "big/edge.bin": b"e" * (64 * 1024 - 1),
        "big/helper.bin": b"h" * (64 * 1024),
        "big/whole.bin": os.urandom(4 * 1024 * 1024),
        "big/chunked.bin": os.urandom(4 * 1024 * 1024 + 1),
    }
    files.update({f"big/many/{i}.py": str(i).encode() * (i * 997 % 9000) for i in range(60)})
    venv.install("big", "1.0", files)
    return files


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_every_size_is_hashed_alike_by_any_number_of_threads(venv, workers):
    files = _sizes_venv(venv)
    layout = read_layout(venv.root)
    snapshot = take_snapshot(layout, hashes=True, environ={}, workers=workers)
    for rel, data in files.items():
        assert snapshot.hashes[f"{SITE}/{rel}"] == digest(data), rel


@pytest.mark.parametrize("rel", ["big/small.bin", "big/helper.bin", "big/chunked.bin"])
def test_a_same_size_edit_is_found_in_small_and_big_files(venv, rel):
    files = _sizes_venv(venv)
    path = venv.site / rel
    data = bytearray(files[rel])
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    found = venv.check()
    assert [(f.code, f.path) for f in found] == [("file-modified", f"{SITE}/{rel}")]
    assert "another sha256 hash" in found[0].message


def test_unreadable_files_are_reported_while_the_others_are_hashed(venv):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    files = _sizes_venv(venv)
    for rel in ("big/small.bin", "big/chunked.bin"):
        (venv.site / rel).chmod(0)
    snapshot = venv.snapshot()
    assert sorted(item.path for item in snapshot.unreadable) == [
        f"{SITE}/big/chunked.bin",
        f"{SITE}/big/small.bin",
    ]
    assert snapshot.hashes[f"{SITE}/big/whole.bin"] == digest(files["big/whole.bin"])


class _Recorded:
    """A hash progress that keeps what it is told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def start(self, total: int) -> None:
        self.events.append(("start", total))

    def advance(self, size: int) -> None:
        self.events.append(("advance", size))

    def stop(self) -> None:
        self.events.append(("stop", 0))


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_is_told_the_bytes_to_hash_then_each_file_hashed(venv, workers):
    files = _sizes_venv(venv)
    progress = _Recorded()
    take_snapshot(
        read_layout(venv.root), hashes=True, environ={}, workers=workers, progress=progress
    )
    kind, total = progress.events[0]
    assert kind == "start"
    assert progress.events[-1] == ("stop", 0)
    advanced = [size for kind, size in progress.events[1:-1] if kind == "advance"]
    assert sum(advanced) == total
    # The package's files and its dist-info's (METADATA, ...): every hashed file once.
    assert sum(map(len, files.values())) < total < sum(map(len, files.values())) + 4096
    assert all(size >= 0 for size in advanced)


def test_a_quick_snapshot_tells_progress_nothing(venv):
    _sizes_venv(venv)
    progress = _Recorded()
    take_snapshot(read_layout(venv.root), hashes=False, environ={}, progress=progress)
    assert progress.events == []


def _within(seconds: float, work: Callable[[], object]) -> object:
    """``work()``'s result; fails when it has not returned after ``seconds`` (it hangs)."""
    done: list[object] = []
    thread = threading.Thread(target=lambda: done.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert done, f"still running after {seconds}s"
    return done[0]


@pytest.mark.parametrize("workers", [1, 2])
def test_big_files_hashed_early_are_never_read_through_a_link_or_from_a_fifo(
    venv, tmp_path, workers
):
    big = os.urandom(200_000)
    venv.install(
        "big", "1.0", {"big/inner/a.bin": big, "big/b.bin": big, "big/c.bin": big, "d.bin": big}
    )
    outside = tmp_path / "outside"
    outside.mkdir()
    os.mkfifo(outside / "a.bin")  # no writer: reading it would wait forever
    os.mkfifo(outside / "b.bin")
    inner = venv.site / "big" / "inner"
    for path in inner.iterdir():
        path.unlink()
    inner.rmdir()
    inner.symlink_to(outside)  # a linked folder on the way
    (venv.site / "big" / "b.bin").unlink()
    (venv.site / "big" / "b.bin").symlink_to(outside / "b.bin")  # a linked file
    (venv.site / "big" / "c.bin").unlink()
    os.mkfifo(venv.site / "big" / "c.bin")  # a FIFO where the file was

    found = _within(
        20,
        lambda: diagnose(
            take_snapshot(read_layout(venv.root), hashes=True, environ={}, workers=workers)
        ),
    )

    assert isinstance(found, list)
    codes = {(f.code, f.path) for f in found}
    assert ("record-unsafe-path", f"{SITE}/big-1.0.dist-info/RECORD") in codes
    assert ("file-modified", f"{SITE}/big/b.bin") in codes
    assert ("file-modified", f"{SITE}/big/c.bin") in codes
    assert not [f for f in found if f.path == f"{SITE}/d.bin"]


def _read(venv: FakeVenv, **options: Any) -> tuple[Snapshot, _Recorded]:
    progress = _Recorded()
    reading = read_venv(read_layout(venv.root), hashes=True, environ={}, **options)
    try:
        return reading.finish(progress), progress
    finally:
        reading.close()


def test_a_second_reading_keeps_the_digests_of_files_unchanged_since(venv):
    files = _sizes_venv(venv)
    time.sleep(RACY_NS / 1e9 + 0.1)  # every file last changed before the racy window
    first, _ = _read(venv, stamps=True)
    edited = venv.site / "big" / "helper.bin"
    edited.unlink()
    edited.write_bytes(b"H" * len(files["big/helper.bin"]))  # same size, other bytes

    second, progress = _read(venv, earlier=first)

    assert progress.events[0] == ("start", len(files["big/helper.bin"]))  # only it is read
    assert second.hashes == _read(venv)[0].hashes
    assert second.hashes[f"{SITE}/big/helper.bin"] == digest(b"H" * 64 * 1024)
    assert [f.code for f in diagnose(second)] == ["file-modified"]


def test_files_changed_just_before_the_first_reading_are_read_again(venv):
    files = _sizes_venv(venv)
    first, everything = _read(venv, stamps=True)
    _, progress = _read(venv, earlier=first)
    assert progress.events[0] == everything.events[0]
    assert progress.events[0][1] > sum(map(len, files.values()))


def test_installers_temporary_names_are_noted_outermost_only(venv):
    meta = venv.install("demo", "1.0", {"demo/__init__.py": b""})
    for path in (
        f"{meta}/RECORDvasyrjl3.tmp",
        f"{SITE}/demo/.tmpAbC123",
        f"{SITE}/~emo/.tmpXyZ789",
        f"{SITE}/~emo-0.9.dist-info/METADATA",
        "bin/.tmp9kgftE",
    ):
        (venv.root / path).parent.mkdir(parents=True, exist_ok=True)
        (venv.root / path).write_bytes(b"Name: demo\nVersion: 0.9\n\n")
    snapshot = venv.snapshot(hashes=False)
    assert snapshot.temps == (
        "bin/.tmp9kgftE",
        f"{meta}/RECORDvasyrjl3.tmp",
        f"{SITE}/demo/.tmpAbC123",
        f"{SITE}/~emo",
        f"{SITE}/~emo-0.9.dist-info",
    )
    # The stashed metadata folder is read, but nothing is installed by it.
    assert [d.meta_dir for d in snapshot.dists] == [meta]
    assert [(d.name, d.version) for d in snapshot.stashed] == [("demo", "0.9")]
