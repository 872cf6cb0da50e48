"""RECORDs that are not the one an installer finished, on small hand-made venvs.

The same states made by real uv (an empty RECORD, a sync killed before the
launchers) are in test_check_broken.py and test_fix_records.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fakevenv import SITE, FakeVenv
from venv_doctor.diagnose.claims import claimed_paths
from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.index import Index

ENTRY_POINTS = b"[console_scripts]\ndemo = demo:main\n"
LAUNCHER = b"import demo\ndemo.main()\n"  # a launcher without a shebang to check


def codes(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return sorted((f.code, f.package or "", f.path or "") for f in findings)


@pytest.fixture
def venv(tmp_path: Path) -> FakeVenv:
    return FakeVenv(tmp_path / "venv")


def demo(venv: FakeVenv, **meta: bytes) -> str:
    """demo 1.0 with a package, a top-level module, a launcher; RECORD lists all."""
    files = {
        "demo/__init__.py": b"def main(): pass\n",
        "demo/sub/m.py": b"M = 1\n",
        "demo_speedups.py": b"",
        "../../../bin/demo": LAUNCHER,
    }
    return venv.install(
        "demo",
        "1.0",
        files,
        meta_files={"entry_points.txt": ENTRY_POINTS, "INSTALLER": b"uv", **meta},
    )


def test_a_healthy_install_with_launchers_and_installer_is_quiet(venv):
    demo(venv)
    assert venv.check() == []


@pytest.mark.parametrize(
    ("record", "what"),
    [
        pytest.param(b"", "is empty", id="empty"),
        pytest.param(b"\n\r\n", "is empty", id="blank-lines"),
        pytest.param(b"\xff\xfe\x00garbage\n\x89PNG\r\n", "cannot be parsed", id="garbage"),
        pytest.param(
            b"other/x.py,,\nother-1.0.dist-info/RECORD,,\n",
            "lists none of the dist-info's own files",
            id="only-other-paths",
        ),
    ],
)
def test_a_broken_record_makes_the_dist_incomplete_and_its_files_no_orphans(venv, record, what):
    meta = demo(venv)
    (venv.root / meta / "RECORD").write_bytes(record)
    # record-malformed and file-missing say what the bad rows say; demo_speedups.py
    # is named after nothing the dist-info says (see the next tests).
    found = [f for f in venv.check() if f.code not in {"record-malformed", "file-missing"}]
    assert codes(found) == [
        ("dist-info-incomplete", "demo", meta),
        ("orphan-file", "", f"{SITE}/demo_speedups.py"),
    ]
    assert f"the RECORD of demo-1.0.dist-info {what}:" in found[0].message
    assert "demo==1.0" in (found[0].hint or "")


def test_a_broken_record_claims_what_top_level_txt_names(venv):
    meta = venv.install(
        "python-datelike",
        "1.0",
        {"datelike/__init__.py": b"", "_datelike_c.cpython-311-x86_64-linux-gnu.so": b"\0"},
        meta_files={"top_level.txt": b"_datelike_c\ndatelike\n"},
    )
    (venv.site / "unrelated").mkdir()
    (venv.site / "unrelated" / "x.py").write_text("")
    (venv.root / meta / "RECORD").write_bytes(b"")
    snapshot = venv.snapshot()
    assert claimed_paths(snapshot, Index.build(snapshot)) == {
        f"{SITE}/datelike": meta,
        f"{SITE}/_datelike_c.cpython-311-x86_64-linux-gnu.so": meta,
    }
    assert codes(venv.check()) == [
        ("dist-info-incomplete", "python-datelike", meta),
        ("orphan-file", "", f"{SITE}/unrelated"),
    ]


def test_without_top_level_txt_a_broken_record_claims_its_own_name(venv):
    meta = demo(venv)
    (venv.root / meta / "RECORD").write_bytes(b"")
    snapshot = venv.snapshot()
    assert claimed_paths(snapshot, Index.build(snapshot)) == {
        f"{SITE}/demo": meta,
        "bin/demo": meta,
    }
    # demo_speedups.py is named after nothing the dist-info says: still an orphan.
    assert codes(venv.check()) == [
        ("dist-info-incomplete", "demo", meta),
        ("orphan-file", "", f"{SITE}/demo_speedups.py"),
    ]


def test_a_folder_another_record_shares_is_claimed_whole(venv):
    venv.install("nsa", "1.0", {"ns/a.py": b"a"})
    meta = venv.install("ns", "1.0", {"ns/__init__.py": b"", "ns/b.py": b"b"})
    (venv.root / meta / "RECORD").write_bytes(b"")
    assert codes(venv.check()) == [("dist-info-incomplete", "ns", meta)]


def test_a_missing_record_claims_nothing(venv):
    # What an uninstall stopped halfway leaves: the files left are remnants.
    meta = demo(venv)
    (venv.root / meta / "RECORD").unlink()
    found = venv.check()
    assert codes(found) == [
        ("dist-info-incomplete", "demo", meta),
        ("orphan-file", "", "bin/demo"),
        ("orphan-file", "", f"{SITE}/demo"),
        ("orphan-file", "", f"{SITE}/demo_speedups.py"),
    ]
    assert "has no RECORD" in found[0].message


def write_wheel_record(venv: FakeVenv, meta: str) -> None:
    """Put back the RECORD the wheel shipped: no launcher, no INSTALLER."""
    record = venv.root / meta / "RECORD"
    rows = record.read_text().splitlines()
    record.write_text(
        "".join(
            row + "\n"
            for row in rows
            if not row.startswith(("../../../bin/", f"{meta.rpartition('/')[2]}/INSTALLER"))
        )
    )


def test_the_wheels_own_record_with_no_launcher_is_an_unfinished_install(venv):
    meta = demo(venv)
    write_wheel_record(venv, meta)
    (venv.root / meta / "INSTALLER").unlink()
    (venv.scripts / "demo").unlink()
    found = venv.check()
    assert codes(found) == [("dist-info-incomplete", "demo", meta)]
    assert "lists no launcher for demo, which entry_points.txt declares" in found[0].message
    assert "the RECORD the wheel shipped" in found[0].message


def test_a_launcher_written_but_not_yet_recorded_is_the_dists_not_an_orphan(venv):
    meta = demo(venv)
    write_wheel_record(venv, meta)
    (venv.root / meta / "INSTALLER").unlink()
    assert codes(venv.check()) == [("dist-info-incomplete", "demo", meta)]


def test_an_installer_file_the_record_does_not_list(venv):
    meta = venv.install("plain", "1.0", {"plain/__init__.py": b""})
    (venv.root / meta / "INSTALLER").write_bytes(b"uv")
    found = venv.check()
    assert codes(found) == [("dist-info-incomplete", "plain", meta)]
    assert "does not list the INSTALLER beside it" in found[0].message


def test_no_installer_file_at_all_is_no_sign(venv):
    # uv pip install --no-installer-metadata and python -m installer write none.
    venv.install(
        "plain",
        "1.0",
        {"plain/__init__.py": b"", "../../../bin/plain": LAUNCHER},
        meta_files={"entry_points.txt": b"[gui_scripts]\nplain = plain:main\n"},
    )
    assert venv.check() == []


def test_a_record_still_listing_the_wheels_data_folder(venv):
    meta = venv.install(
        "withdata", "1.0", {"withdata/__init__.py": b"", "withdata-1.0.data/scripts/tool": b"x"}
    )
    found = venv.check()
    assert codes(found) == [("dist-info-incomplete", "withdata", meta)]
    assert "still lists the wheel's withdata-1.0.data/ folder" in found[0].message


def test_gui_scripts_are_launchers_too(venv):
    meta = venv.install(
        "gui",
        "1.0",
        {"gui/__init__.py": b""},
        meta_files={"entry_points.txt": b"[gui_scripts]\ngui-app = gui:main\n"},
    )
    found = venv.check()
    assert codes(found) == [("dist-info-incomplete", "gui", meta)]
    assert "no launcher for gui-app" in found[0].message


def test_other_entry_point_groups_need_no_launcher(venv):
    venv.install(
        "plugin",
        "1.0",
        {"plugin/__init__.py": b""},
        meta_files={
            "entry_points.txt": b"[pytest11]\nplugin = plugin\n[Console_Scripts]\nx = y:z\n"
        },
    )
    assert venv.check() == []


@pytest.mark.parametrize(
    ("declared", "written"),
    [
        pytest.param(("pip", "pip3", "pip3.9"), ("pip", "pip3", "pip3.11"), id="pip-default"),
        pytest.param(("pip", "pip3"), ("pip3", "pip3.11"), id="ensurepip-without-default-pip"),
        pytest.param(("pip", "pip3", "pip3.10"), ("pip3.11",), id="ensurepip-altinstall"),
        pytest.param(
            ("easy_install", "easy_install-3.6"),
            ("easy_install", "easy_install-3.11"),
            id="old-setuptools",
        ),
    ],
)
def test_pips_own_versioned_launchers_are_its_to_name(venv, declared, written):
    body = "".join(f"{name} = pip._internal.cli.main:main\n" for name in declared)
    files = {"pip/__init__.py": b""}
    files.update({f"../../../bin/{name}": LAUNCHER for name in written})
    venv.install(
        "pip", "24.0", files, meta_files={"entry_points.txt": f"[console_scripts]\n{body}".encode()}
    )
    assert venv.check() == []


def test_windows_launchers_are_exe_files(tmp_path):
    venv = FakeVenv(tmp_path / "venv", windows=True)
    venv.install(
        "demo",
        "1.0",
        {"demo/__init__.py": b"", "../../Scripts/demo.exe": b"MZ"},
        meta_files={"entry_points.txt": ENTRY_POINTS},
    )
    assert [f.code for f in venv.check() if f.code == "dist-info-incomplete"] == []
