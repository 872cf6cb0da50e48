"""Transactions on real uv venvs: commit and undo, and a failure at every step rolled back."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.apply.venvs import (
    ALPHA,
    assert_same_tree,
    copy_venv,
    make_venv,
    run_plan,
    site_rel,
    tree,
    uv_environ,
    without_inodes,
)
from tests.support.tools import find_uv, immutable, run
from tests.support.wheels import WheelSpec, build_wheel
from venv_doctor.apply import (
    RecoveryNeededError,
    RollbackError,
    Step,
    Transaction,
    TransactionError,
    UndoError,
    VenvLock,
    recover,
    undo,
)
from venv_doctor.apply.destination import install_wheel
from venv_doctor.apply.steps import Expected
from venv_doctor.read.journal import Undone, read_journals
from venv_doctor.read.layout import read_layout

pytestmark = pytest.mark.slow


def python(venv: Path, code: str) -> str:
    proc = subprocess.run(
        [venv / "bin" / "python", "-c", code], capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def installed(venv: Path, cache: Path) -> list[str]:
    """The distributions uv itself sees installed in ``venv``."""
    uv: list[str | Path] = [find_uv(), "pip", "freeze", "--python", venv / "bin" / "python"]
    lines = run(uv, env=uv_environ(cache)).stdout.splitlines()
    return [line.split()[0].split("==")[0] for line in lines]


def test_plan_commits_and_undo_restores_every_byte(
    venv: Path, wheels: dict[str, Path], uv_cache: Path
) -> None:
    before = tree(venv)
    with VenvLock(venv) as lock:
        run_plan(lock, wheels["beta"])
    assert installed(venv, uv_cache) == ["beta", "gamma"]
    assert python(venv, "import beta, gamma; print(beta.VALUE, gamma.G)") == "beta 2"
    assert (venv / "bin" / "beta-cli").is_file()
    assert not (venv / "bin" / "alpha-cli").exists()
    assert os.readlink(venv / site_rel(venv) / "beta-link") == "beta"

    with VenvLock(venv) as lock:
        report = undo(venv, lock=lock)
        assert report.description == "reinstall"
        assert report.notes == ()
        # The same files came back (same inodes), not copies.
        assert_same_tree(before, venv)
        assert installed(venv, uv_cache) == ["alpha", "gamma"]
        # Undo is never undone in turn: a second undo goes further back, and
        # there is nothing before this plan.  It changes nothing.
        with pytest.raises(UndoError, match=f"was already undone by {report.transaction}$"):
            undo(venv, lock=lock)
        assert_same_tree(before, venv)


def test_a_failure_at_every_step_leaves_the_venv_as_it_was(
    tmp_path: Path, template_venv: Path, wheels: dict[str, Path]
) -> None:
    seen: list[Step] = []
    counted = copy_venv(template_venv, tmp_path / "counted")
    with VenvLock(counted) as lock:
        run_plan(lock, wheels["beta"], on_step=seen.append)
    ops = {step.op for step in seen}
    assert ops == {"move", "create", "replace", "mkdir"}, ops
    assert len(seen) > 20

    for k in range(1, len(seen) + 1):
        venv = copy_venv(template_venv, tmp_path / f"fail-{k}")
        before = tree(venv)

        def fail(step: Step, k: int = k) -> None:
            if step.seq == k and not step.op.startswith("undo"):
                raise OSError(errno.EIO, "injected", step.path)

        with VenvLock(venv) as lock, pytest.raises(TransactionError) as caught:
            run_plan(lock, wheels["beta"], on_step=fail)
        error = caught.value
        assert error.rolled_back
        assert error.step is not None
        assert (error.step.seq, error.step.op) == (k, seen[k - 1].op)
        assert seen[k - 1].path in error.message
        assert "EIO" in error.message
        assert_same_tree(before, venv)
        with VenvLock(venv) as lock:
            assert recover(venv, lock=lock).nothing_to_do


def test_a_rollback_cut_short_is_finished_by_recover(
    tmp_path: Path, template_venv: Path, wheels: dict[str, Path]
) -> None:
    for k, stop_after in ((12, 3), (25, 1), (25, 20)):
        venv = copy_venv(template_venv, tmp_path / f"cut-{k}-{stop_after}")
        before = tree(venv)
        undone: list[int] = []

        def fail(
            step: Step, k: int = k, stop_after: int = stop_after, undone: list[int] = undone
        ) -> None:
            if step.op.startswith("undo"):
                undone.append(step.seq)
                if len(undone) > stop_after:
                    raise OSError(errno.EIO, "rollback interrupted")
            elif step.seq == k:
                raise OSError(errno.EIO, "injected")

        with (
            VenvLock(venv) as lock,
            pytest.raises(RollbackError, match="could not finish rolling back"),
        ):
            run_plan(lock, wheels["beta"], on_step=fail)
        with VenvLock(venv) as lock:
            with pytest.raises(RecoveryNeededError):
                Transaction(lock, description="too early").begin()
            report = recover(venv, lock=lock)
            assert len(report.rolled_back) == 1
            assert recover(venv, lock=lock).nothing_to_do
        assert_same_tree(before, venv)


def test_an_undeletable_file_rolls_back_and_names_who_holds_it(
    venv: Path, wheels: dict[str, Path]
) -> None:
    stuck = venv / site_rel(venv) / "alpha" / "sub" / "data.bin"
    before = tree(venv)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; f = open(sys.argv[1]); sys.stdin.read()", stuck],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        # chattr +i stands in for a running .exe on Windows: it cannot be renamed.
        with immutable(stuck), VenvLock(venv) as lock, pytest.raises(TransactionError) as caught:
            run_plan(lock, wheels["beta"])
    finally:
        holder.communicate(b"")
    error = caught.value
    assert error.rolled_back
    assert "alpha/sub/data.bin" in error.message
    assert error.os_error is not None
    assert error.os_error.errno == errno.EPERM
    assert "EPERM" in error.message
    assert error.hint
    pytest.importorskip("psutil")
    assert holder.pid in {h.pid for h in error.holders}, error.message
    assert f"pid {holder.pid}" in error.message
    assert_same_tree(before, venv)


def apply(venv: Path, description: str, body: Callable[[Transaction, str], None]) -> None:
    """Run ``body(txn, site)`` in a transaction on ``venv``."""
    with VenvLock(venv) as lock, Transaction(lock, description=description) as txn:
        body(txn, site_rel(venv))


def test_an_error_in_the_block_rolls_back(venv: Path) -> None:
    def body(txn: Transaction, site: str) -> None:
        txn.remove(f"{site}/gamma.py")
        txn.create(f"{site}/new/thing.py", data=b"x")
        raise ValueError("bad")

    before = tree(venv)
    with pytest.raises(TransactionError, match="broken plan failed: ValueError: bad") as caught:
        apply(venv, "broken plan", body)
    assert isinstance(caught.value.__cause__, ValueError)
    assert caught.value.rolled_back
    assert_same_tree(before, venv)


def test_keyboard_interrupt_rolls_back_and_goes_on(venv: Path) -> None:
    def body(txn: Transaction, site: str) -> None:
        txn.replace(f"{site}/gamma.py", data=b"G = 3\n")
        raise KeyboardInterrupt

    before = tree(venv)
    with pytest.raises(KeyboardInterrupt):
        apply(venv, "interrupted", body)
    assert_same_tree(before, venv)


def test_a_swallowed_step_failure_still_rolls_back(venv: Path) -> None:
    def body(txn: Transaction, site: str) -> None:
        txn.remove(f"{site}/gamma.py")
        with contextlib.suppress(TransactionError):
            txn.remove(f"{site}/missing.py")

    before = tree(venv)
    with pytest.raises(TransactionError, match=r"could not move .*missing\.py to the trash"):
        apply(venv, "careless", body)
    assert_same_tree(before, venv)


def test_a_link_is_moved_as_a_link_never_followed(tmp_path: Path, venv: Path) -> None:
    site = venv / site_rel(venv)
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me", encoding="utf-8")
    os.symlink(outside, site / "link-out")
    os.symlink(tmp_path, site / "dir-link-out")
    before = tree(venv)

    def body(txn: Transaction, site: str) -> None:
        txn.remove(f"{site}/link-out")
        txn.create(f"{site}/dir-link-out/x", data=b"")

    with pytest.raises(TransactionError, match="resolves outside"):
        apply(venv, "links", body)
    assert_same_tree(before, venv)
    with VenvLock(venv) as lock:
        txn = Transaction(lock, description="links")
        with txn:
            txn.remove(f"{site_rel(venv)}/link-out")
            txn.remove(f"{site_rel(venv)}/dir-link-out")
        trashed = venv / ".venv-doctor" / "trash" / txn.id / site_rel(venv) / "link-out"
        assert os.readlink(trashed) == str(outside)
        assert outside.read_text(encoding="utf-8") == "keep me"
        undo(venv, lock=lock)
    assert_same_tree(before, venv)


def test_a_hard_link_into_uv_cache_is_never_written_through(
    tmp_path: Path, wheels: dict[str, Path]
) -> None:
    cache = tmp_path / "cache"
    venv = make_venv(tmp_path / "venv", [wheels["gamma"]], cache=cache, link_mode="hardlink")
    installed = venv / site_rel(venv) / "gamma.py"
    info = installed.stat()
    assert info.st_nlink > 1, "uv did not hard-link the file from its cache"
    twins = [
        path
        for path in cache.rglob("gamma.py")
        if path.stat().st_ino == info.st_ino and path != installed
    ]
    assert twins
    with VenvLock(venv) as lock, Transaction(lock, description="rewrite") as txn:
        txn.replace(f"{site_rel(venv)}/gamma.py", data=b"G = 99\n")
    assert installed.read_bytes() == b"G = 99\n"
    assert installed.stat().st_nlink == 1
    assert twins[0].read_bytes() == b"G = 1\n"


def test_undo_refuses_to_lose_a_later_change(venv: Path) -> None:
    site = site_rel(venv)
    with VenvLock(venv) as lock:
        with Transaction(lock, description="write") as txn:
            txn.replace(f"{site}/gamma.py", data=b"G = 5\n")
        (venv / site / "gamma.py").unlink()
        (venv / site / "gamma.py").write_bytes(b"G = 'edited by hand'\n")
        with pytest.raises(UndoError, match=f"1 path changed since: {site}/gamma.py"):
            undo(venv, lock=lock)
        report = undo(venv, lock=lock, force=True)
        assert (venv / site / "gamma.py").read_bytes() == b"G = 1\n"
        kept = venv / ".venv-doctor" / "trash" / report.transaction / site / "gamma.py"
        assert kept.read_bytes() == b"G = 'edited by hand'\n"


def test_nothing_to_undo(venv: Path) -> None:
    with VenvLock(venv) as lock, pytest.raises(UndoError, match="no change to undo"):
        undo(venv, lock=lock)


def test_a_stream_failing_with_enospc_rolls_back(venv: Path) -> None:
    class DiskFull(io.BytesIO):
        def read(self, _size: int | None = -1) -> bytes:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def body(txn: Transaction, site: str) -> None:
        txn.remove(f"{site}/{ALPHA.dist_info}")
        txn.replace(f"{site}/gamma.py", stream=DiskFull())

    before = tree(venv)
    with pytest.raises(TransactionError) as caught:
        apply(venv, "copy", body)
    assert "ENOSPC" in caught.value.message
    assert caught.value.hint == "free some disk space and run the command again"
    assert_same_tree(before, venv)
    assert without_inodes(tree(venv)) == without_inodes(before)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs (needs root); skipped where it cannot be mounted."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mount], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", mount], check=False)


def test_a_full_disk_while_copying_a_wheel_rolls_back(
    tmp_path: Path, small_disk: Path, wheels: dict[str, Path], uv_cache: Path
) -> None:
    venv = make_venv(small_disk / "venv", [wheels["alpha"], wheels["gamma"]], cache=uv_cache)
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    big = WheelSpec(
        name="big", version="1.0", files={"big/__init__.py": "", "big/blob.bin": os.urandom(free)}
    )
    wheel = build_wheel(big, tmp_path / "big-wheel")
    before = tree(venv)

    def body(txn: Transaction, site: str) -> None:
        txn.remove(f"{site}/alpha")
        install_wheel(txn, wheel, layout=read_layout(venv))

    with pytest.raises(TransactionError) as caught:
        apply(venv, "install big", body)
    error = caught.value
    assert "big/blob.bin" in error.message
    assert "ENOSPC" in error.message
    assert error.rolled_back
    assert_same_tree(before, venv)


def test_a_failed_undo_is_rolled_back_and_can_be_tried_again(
    venv: Path, wheels: dict[str, Path]
) -> None:
    before = tree(venv)
    with VenvLock(venv) as lock:
        run_plan(lock, wheels["beta"])
        fixed = tree(venv)

        def fail(step: Step) -> None:
            if step.op == "restore" and step.seq > 5:
                raise OSError(errno.EIO, "injected")

        with pytest.raises(TransactionError, match="could not put back"):
            undo(venv, lock=lock, on_step=fail)
        assert_same_tree(fixed, venv)
        undo(venv, lock=lock)
    assert_same_tree(before, venv)


def test_steps_journalled_ahead_and_never_taken_are_void(venv: Path) -> None:
    site = site_rel(venv)
    before = tree(venv)
    with VenvLock(venv) as lock:
        with Transaction(lock, description="batch") as txn:
            rels = [f"{site}/batch/a.py", f"{site}/batch/b.py", f"{site}/gamma.py"]
            with txn.prepared(rels) as journalled:
                # a folder, two creates and one replace, in one fsynced batch
                assert journalled == 4
                txn.create(rels[0], data=b"A = 1\n")
                txn.replace(rels[2], data=b"G = 7\n")
            # b.py was prepared and never written: its step is void.
            txn.create(f"{site}/late.py", data=b"")
        (journal,) = [j for j in read_journals(venv) if j.txn == txn.id]
        steps = {record.seq: record for record in journal.parsed.steps}
        void = {record.seq for record in journal.parsed.records if isinstance(record, Undone)}
        assert [steps[seq].path for seq in sorted(void)] == [rels[1]]
        assert not (venv / rels[1]).exists()
        assert (venv / rels[0]).read_bytes() == b"A = 1\n"
        assert (venv / rels[2]).read_bytes() == b"G = 7\n"
        undo(venv, lock=lock)
    assert_same_tree(before, venv)


def test_a_crash_inside_a_prepared_batch_rolls_back(venv: Path) -> None:
    site = site_rel(venv)
    before = tree(venv)

    def crash(step: Step) -> None:
        if step.op == "create" and step.path.endswith("c.py"):
            raise KeyboardInterrupt

    with VenvLock(venv) as lock:
        txn = Transaction(lock, description="batch", on_step=crash)
        rels = [f"{site}/batch/{name}.py" for name in "abcd"]

        def write_all() -> None:
            with txn, txn.prepared(rels):
                for rel in rels:
                    txn.create(rel, data=b"x")

        with pytest.raises(KeyboardInterrupt):
            write_all()
    assert_same_tree(before, venv)


@pytest.mark.parametrize("holds", ["the wheel's bytes", "other bytes"])
def test_a_file_linked_from_uvs_cache_is_rolled_back_and_the_cache_keeps_it(
    tmp_path: Path, wheels: dict[str, Path], holds: str
) -> None:
    cache = tmp_path / "uv-cache"
    venv = make_venv(tmp_path / "venv", [wheels["alpha"]], cache=cache, link_mode="hardlink")
    (source,) = cache.glob("archive-v*/*/alpha/sub/data.bin")
    content = source.read_bytes()
    digest = hashlib.sha256(content if holds == "the wheel's bytes" else b"other").digest()
    want = Expected(size=len(content), digest=digest, source="a test")
    links = source.stat().st_nlink
    before = tree(venv)

    def body(txn: Transaction, site: str) -> None:
        txn.remove(f"{site}/alpha")
        written = txn.create(
            f"{site}/alpha/sub/data.bin",
            data=content,
            link_from=str(source),
            link_expected=want,
        )
        assert written.digest == hashlib.sha256(content).digest()
        new = os.lstat(venv / written.path)
        linked = (new.st_dev, new.st_ino) == (source.stat().st_dev, source.stat().st_ino)
        assert linked == (holds == "the wheel's bytes")
        assert new.st_nlink == (links + 1 if linked else 1)
        raise ValueError("bad")

    with pytest.raises(TransactionError, match="ValueError: bad"):
        apply(venv, "link and fail", body)
    assert_same_tree(before, venv)
    assert source.stat().st_nlink == links
    assert source.read_bytes() == content
