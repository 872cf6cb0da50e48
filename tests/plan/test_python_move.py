"""The plan of a move to another Python, on hand-made venvs: what is carried, what goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plan.test_plan import lock
from tests.support.fakevenv import SITE, FakeVenv
from venv_doctor.diagnose.run import diagnose
from venv_doctor.lockfiles.wanted import WantedSet
from venv_doctor.plan.actions import InstallDist, MovePython, Plan, RemoveDist, RewriteFile
from venv_doctor.plan.python_move import MoveTo, plan_move

NEW_SITE = "lib/python3.12/site-packages"
TO = MoveTo(python="/opt/python3.12/bin/python3.12", version="3.12.1")


@pytest.fixture
def venv(tmp_path: Path) -> FakeVenv:
    return FakeVenv(tmp_path / "proj" / ".venv")


def move(
    venv: FakeVenv,
    wanted: WantedSet | None = None,
    *,
    keep: frozenset[str] = frozenset(),
    purge: bool = False,
) -> Plan:
    snapshot = venv.snapshot()
    return plan_move(snapshot, diagnose(snapshot), wanted, TO, keep=keep, purge_orphans=purge)


def the_move(plan: Plan) -> MovePython:
    (found,) = [a for a in plan.actions if isinstance(a, MovePython)]
    return found


def installs(plan: Plan) -> dict[str, str | None]:
    return {a.package: a.version for a in plan.actions if isinstance(a, InstallDist)}


def test_without_a_lock_every_distribution_is_installed_again_at_its_version(venv):
    venv.install("demo", "1.0", {"demo/__init__.py": b"x"})
    venv.install("other", "2.5", {"other.py": b"y"})
    plan = move(venv)
    assert installs(plan) == {"demo": "1.0", "other": "2.5"}
    action = the_move(plan)
    assert (action.old_version, action.new_version) == ("3.11", "3.12")
    assert action.old_libs == ("lib/python3.11",)
    assert action.new_site == NEW_SITE
    assert action.carried == ()
    assert "moves the venv from Python 3.11 to 3.12: reinstalls 2 distributions" in plan.notes[0]


def test_with_a_lock_what_it_wants_for_the_new_python_and_the_rest_goes(venv, tmp_path):
    venv.install("demo", "1.0", {"demo/__init__.py": b"x"})
    venv.install(
        "tomlilike",
        "2.0",
        {"tomlilike/__init__.py": b"x"},
        entry_points_txt=b"[console_scripts]\ntomli = tomlilike:main\n",
    )
    (venv.scripts / "tomli").write_text("#!/x/bin/python\n")
    plan = move(venv, lock(tmp_path, demo="1.1", newdep="3.0"))
    assert installs(plan) == {"demo": "1.1", "newdep": "3.0"}
    (gone,) = [a for a in plan.actions if isinstance(a, RemoveDist)]
    assert gone.package == "tomlilike"
    assert "not wanted by uv.lock for Python 3.12" in gone.reason


def test_files_no_distribution_owns_move_along_unless_purged(venv):
    venv.install("demo", "1.0", {"demo/__init__.py": b"x"})
    (venv.site / "mine.pth").write_text("/somewhere\n")
    (venv.site / "demo" / "notes.txt").write_text("mine too\n")
    (venv.site / "__pycache__").mkdir()
    (venv.site / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    carried = dict(the_move(move(venv)).carried)
    assert carried == {
        f"{SITE}/demo/notes.txt": f"{NEW_SITE}/demo/notes.txt",
        f"{SITE}/mine.pth": f"{NEW_SITE}/mine.pth",
    }
    assert the_move(move(venv, purge=True)).carried == ()


def test_a_pure_seed_package_the_lock_does_not_list_is_carried_a_compiled_one_is_not(
    venv, tmp_path
):
    venv.install("pip", "25.0", {"pip/__init__.py": b"x"})
    venv.install("setuptools", "80.0", {"setuptools/_speedups.cpython-311.so": b"\x7fELF"})
    plan = move(venv, lock(tmp_path, demo="1.0"), keep=frozenset({"pip", "setuptools"}))
    assert installs(plan) == {"demo": "1.0", "setuptools": "80.0"}
    carried = [old for old, _new in the_move(plan).carried]
    assert f"{SITE}/pip/__init__.py" in carried
    assert f"{SITE}/pip-25.0.dist-info/RECORD" in carried
    assert not any("setuptools" in old for old in carried)


def test_a_script_of_yours_naming_the_old_python_gets_the_new_one(venv):
    script = venv.scripts / "mine"
    script.write_text(f"#!{venv.root}/bin/python3.11\nprint(1)\n")
    (venv.scripts / "other").write_text(f"#!{venv.root}/bin/python\nprint(1)\n")
    rewrites = [a for a in move(venv).actions if isinstance(a, RewriteFile)]
    assert [(a.path, a.replacements) for a in rewrites] == [
        ("bin/mine", ((f"{venv.root}/bin/python3.11", f"{venv.root}/bin/python3.12"),))
    ]
