"""The one path check, trash slots, and trash list/clean."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from venv_doctor.apply import (
    Transaction,
    TransactionError,
    UndoError,
    UnsafePathError,
    VenvLock,
    clean_trash,
    list_trash,
    undo,
    venv_path,
)
from venv_doctor.apply.trash import TrashSlots


@pytest.fixture
def root(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    (venv / "lib" / "site-packages").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    os.symlink("lib", venv / "lib64")
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, venv / "lib" / "escape")
    return venv


@pytest.mark.parametrize(
    ("rel", "why"),
    [
        pytest.param("/etc/passwd", "not a relative path", id="absolute"),
        pytest.param("../x", "outside the venv", id="dotdot"),
        pytest.param("lib/../../x", "outside the venv", id="dotdot-inside"),
        pytest.param(".", "outside the venv", id="root"),
        pytest.param("lib/escape/file", "resolves outside", id="through-a-link"),
        pytest.param(".venv-doctor/trash/x", "belongs to venv-doctor", id="own-folder"),
        pytest.param(".lock", "belongs to venv-doctor or uv", id="uv-lock"),
        pytest.param("lib/\0x", "not a relative path", id="nul"),
    ],
)
def test_unsafe_paths_are_refused(root: Path, rel: str, why: str) -> None:
    with pytest.raises(UnsafePathError, match=why):
        venv_path(root, rel)


def test_safe_paths(root: Path) -> None:
    assert venv_path(root, "lib/./site-packages//x.py").rel == "lib/site-packages/x.py"
    # The last component is never followed: a link pointing outside is itself in the venv.
    assert venv_path(root, "lib/escape").path == str(root / "lib" / "escape")
    assert venv_path(root, "lib64/site-packages/a").rel == "lib64/site-packages/a"


def test_under_keeps_a_wheel_in_its_scheme(root: Path) -> None:
    assert venv_path(root, "lib/site-packages/a/b", under="lib/site-packages").rel
    with pytest.raises(UnsafePathError, match="outside lib/site-packages"):
        venv_path(root, "lib/site-packages/../../bin/evil", under="lib/site-packages")


def test_trash_slots_never_collide() -> None:
    slots = TrashSlots("T")
    assert slots.take("lib/a/b.py", 1) == "T/lib/a/b.py"
    assert slots.take("lib/a", 2) == "T/.venv-doctor/2/lib/a"  # holds the first slot
    assert slots.take("lib/a/b.py", 3) == "T/.venv-doctor/3/lib/a/b.py"  # same path again
    assert slots.take("lib/a/b.py/c", 4) == "T/.venv-doctor/4/lib/a/b.py/c"  # inside a file
    assert slots.take("lib/c.py", 5) == "T/lib/c.py"


def fail_in(txn: Transaction, rel: str) -> None:
    with txn:
        txn.create(rel, data=b"x")
        raise ZeroDivisionError


def test_list_and_clean(root: Path) -> None:
    site = "lib/site-packages"
    (root / site / "old.py").write_bytes(b"old")
    with VenvLock(root) as lock:
        with Transaction(lock, description="first") as txn:
            txn.replace(f"{site}/old.py", data=b"new")
        first = txn.id
        txn = Transaction(lock, description="failed")
        with pytest.raises(TransactionError, match="ZeroDivisionError"):
            fail_in(txn, f"{site}/other.py")
        failed = txn.id
        with Transaction(lock, description="second") as txn:
            txn.remove(f"{site}/old.py")
        second = txn.id
        entries = {entry.txn: entry for entry in list_trash(root)}
        assert entries[first].description == "first"
        assert (entries[first].state, entries[first].files, entries[first].size) == (
            "committed",
            1,
            3,
        )
        assert failed not in entries  # it wrote a file and moved nothing: no trash
        assert entries[second].files == 1

        later = datetime.now(timezone.utc) + timedelta(days=1)
        report = clean_trash(lock, keep_last=1, now=later)
        assert report.removed == (first,)
        assert report.freed == 3
        assert report.errors == ()
        assert {entry.txn for entry in list_trash(root)} == {second}
        journals = sorted(p.name for p in (root / ".venv-doctor" / "journal").iterdir())
        assert journals == [f"{first}.jsonl", f"{second}.jsonl"]

        report = clean_trash(lock, older_than=timedelta(days=2))
        assert report.removed == ()
        clean_trash(lock)
        assert list_trash(root) == ()
        with pytest.raises(UndoError, match="trash was cleaned"):
            undo(root, lock=lock)
    # What the last transaction left stays as it is.
    assert not (root / site / "old.py").exists()
