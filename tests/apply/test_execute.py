"""Carrying out a plan: what ``execute`` checks on disk again before it moves a folder."""

from __future__ import annotations

from pathlib import Path

from tests.support.fakevenv import SITE, FakeVenv
from tests.support.wheels import WheelSpec, build_wheel
from venv_doctor.apply import Transaction, VenvLock, undo
from venv_doctor.apply.destination import site_folders
from venv_doctor.apply.execute import execute
from venv_doctor.plan.actions import DiscardPath, Plan
from venv_doctor.read.snapshot import Snapshot


def run(venv: FakeVenv, snapshot: Snapshot, *actions: DiscardPath) -> None:
    with VenvLock(venv.root) as lock, Transaction(lock, description="test") as txn:
        execute(Plan(actions=actions), txn, snapshot=snapshot, wheels={})


def test_an_empty_folder_goes_only_if_it_is_still_empty(tmp_path: Path) -> None:
    venv = FakeVenv(tmp_path / "venv")
    for name in ("still", "filled"):
        (venv.site / name / "sub" / "__pycache__").mkdir(parents=True)
        (venv.site / name / "sub" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")
    (venv.site / "linked").mkdir()
    snapshot = venv.snapshot()
    # Since the plan was made: a file in one folder, a link in another.
    (venv.site / "filled" / "sub" / "new.py").write_text("")
    (venv.site / "linked" / "to").symlink_to(venv.site / "still")
    reason = "holds no files"
    run(
        venv,
        snapshot,
        *(DiscardPath(path=f"{SITE}/{n}", reason=reason, empty=True) for n in ("still", "filled")),
        DiscardPath(path=f"{SITE}/linked", reason=reason, empty=True),
        DiscardPath(path=f"{SITE}/gone", reason=reason, empty=True),
    )
    assert not (venv.site / "still").exists()
    assert (venv.site / "filled" / "sub" / "new.py").is_file()
    assert (venv.site / "linked" / "to").is_symlink()

    with VenvLock(venv.root) as lock:
        undo(venv.root, lock=lock)
    assert (venv.site / "still" / "sub" / "__pycache__" / "m.cpython-311.pyc").is_file()


def test_the_folders_a_wheel_installs_into(tmp_path: Path) -> None:
    spec = WheelSpec(
        name="demo",
        version="1.0",
        files={"demo/__init__.py": "", "demo/sub/deep/x.py": "", "top.py": "", "ns/part/a.py": ""},
        scripts={"tool": "#!python\n"},
        data={"share/demo/a.txt": "a"},
    )
    assert site_folders(build_wheel(spec, tmp_path)) == {
        "demo",
        "demo/sub",
        "demo/sub/deep",
        "ns",
        "ns/part",
    }
