"""The checks on small hand-made venvs: every branch, in milliseconds.

The same codes are produced from real venvs broken by uv and pip in
test_check_broken.py; these tests pin the details.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fakevenv import SITE, FakeVenv
from venv_doctor.diagnose.findings import Finding


def codes(findings: list[Finding]) -> list[tuple[str, str | None, str | None]]:
    return sorted((f.code, f.package or "", f.path or "") for f in findings)


@pytest.fixture
def venv(tmp_path: Path) -> FakeVenv:
    return FakeVenv(tmp_path / "venv")


def test_healthy(venv):
    venv.install("demo", "1.0", {"demo/__init__.py": b"x = 1\n", "demo/sub/m.py": b""})
    (venv.site / "demo" / "__pycache__").mkdir()
    (venv.site / "demo" / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"pyc")
    for name in ("activate", "activate.fish", "Activate.ps1", "python3"):
        (venv.scripts / name).write_text("")
    (venv.site / "_virtualenv.pth").write_text("import _virtualenv\n")
    (venv.site / "_virtualenv.py").write_text("")
    assert venv.check() == []


def test_missing_and_modified(venv):
    venv.install("demo", "1.0", {"demo/a.py": b"aaaa", "demo/b.py": b"bbbb", "demo/c.py": b"cc"})
    (venv.site / "demo/a.py").unlink()
    (venv.site / "demo/b.py").write_bytes(b"BBBB")  # same size, other hash
    (venv.site / "demo/c.py").write_bytes(b"longer")
    found = venv.check()
    assert codes(found) == [
        ("file-missing", "demo", f"{SITE}/demo/a.py"),
        ("file-modified", "demo", f"{SITE}/demo/b.py"),
        ("file-modified", "demo", f"{SITE}/demo/c.py"),
    ]
    assert "wheels ship RECORD hashes" in found[-1].hint
    # --quick compares sizes only: the same-size edit goes unseen.
    assert [f.path for f in venv.check(hashes=False) if f.code == "file-modified"] == [
        f"{SITE}/demo/c.py"
    ]


@pytest.mark.parametrize(
    "quick", [pytest.param(False, id="hashes"), pytest.param(True, id="quick")]
)
def test_interpreter_flags_added_to_a_shebang_are_not_a_change(venv, quick):
    script = f"#!{venv.scripts}/python\nimport demo\n".encode()
    venv.install("demo", "1.0", {"demo/__init__.py": b"x", "../../../bin/demo": script})
    flagged = script.replace(b"/python\n", b"/python -E\n", 1)
    (venv.scripts / "demo").write_bytes(flagged)
    assert venv.check(hashes=not quick) == []
    (venv.scripts / "demo").write_bytes(flagged.replace(b"import demo", b"import evil"))
    assert codes(venv.check(hashes=not quick)) == [("file-modified", "demo", "bin/demo")]


def test_dangling_symlink_and_loop(venv, tmp_path):
    venv.install("demo", "1.0", {"demo/a.py": b"a", "demo/b.py": b"b"})
    outside = tmp_path / "cache" / "a.py"
    outside.parent.mkdir()
    outside.write_bytes(b"a")
    (venv.site / "demo/a.py").unlink()
    (venv.site / "demo/a.py").symlink_to(outside)
    assert venv.check() == []
    (venv.site / "demo/b.py").unlink()
    (venv.site / "demo/b.py").symlink_to("b.py")
    outside.unlink()
    found = [f for f in venv.check() if f.code == "dangling-symlink"]
    assert [f.path for f in found] == [f"{SITE}/demo/a.py", f"{SITE}/demo/b.py"]
    assert "uv cache clean" in found[0].message
    assert "loop" in found[1].message


def test_incomplete_and_duplicates(venv):
    old = venv.install("demo", "1.0", {"demo/__init__.py": b"old"})
    venv.install("demo", "2.0", {"demo/__init__.py": b"new!"})
    (venv.root / old / "RECORD").unlink()
    empty = venv.site / "gone-3.0.dist-info"
    empty.mkdir()
    found = venv.check()
    assert codes(found) == [
        ("dist-info-incomplete", "demo", f"{SITE}/demo-1.0.dist-info"),
        ("dist-info-incomplete", "gone", f"{SITE}/gone-3.0.dist-info"),
        ("duplicate-distribution", "demo", f"{SITE}/demo-1.0.dist-info"),
    ]
    duplicate = next(f for f in found if f.code == "duplicate-distribution")
    assert "match demo 2.0" in duplicate.message
    assert duplicate.version == "1.0"


def test_orphans_and_stashes(venv):
    venv.install("demo", "1.0", {"demo/__init__.py": b"x"})
    (venv.site / "demo" / "leftover.py").write_text("")
    (venv.site / "polars" / "io").mkdir(parents=True)
    (venv.site / "polars" / "io" / "__pycache__").mkdir()
    (venv.site / "half").mkdir()
    (venv.site / "half" / "x.so").write_bytes(b"\0")
    (venv.site / "~ich").mkdir()
    (venv.site / "~ich" / "f.py").write_text("")
    (venv.site / "demo" / "~ub").mkdir()
    (venv.site / "mine.py").write_text("")
    (venv.scripts / "ruff").write_text("#!/bin/sh\n")
    found = venv.check()
    assert codes(found) == [
        ("orphan-file", "", "bin/ruff"),
        ("orphan-file", "", f"{SITE}/half"),
        ("orphan-file", "", f"{SITE}/mine.py"),
        ("orphan-file", "", f"{SITE}/polars"),
        ("orphan-file", "demo", f"{SITE}/demo"),
        ("stash-leftover", "", f"{SITE}/~ich"),
        ("stash-leftover", "demo", f"{SITE}/demo/~ub"),
    ]
    polars = next(f for f in found if f.path == f"{SITE}/polars")
    assert "namespace package" in polars.message


def test_empty_folders_inside_owned_folders(venv):
    # jaraco/ is a namespace folder two distributions share; context/ lost its
    # files in a removal that stopped halfway and holds bytecode only.
    venv.install("fun", "1.0", {"jaraco/functools/__init__.py": b"f"})
    venv.install("txt", "1.0", {"jaraco/text/__init__.py": b"t", "jaraco/text/data/a.txt": b"a"})
    for folder in ("jaraco/context/__pycache__", "jaraco/context/sub", "jaraco/text/old"):
        (venv.site / folder).mkdir(parents=True)
    (venv.site / "jaraco" / "context" / "__pycache__" / "__init__.cpython-311.pyc").write_text("")
    (venv.site / "jaraco" / "mine").mkdir()
    (venv.site / "jaraco" / "mine" / "notes.txt").write_text("")
    (venv.site / "jaraco" / "~ext").mkdir()
    found = venv.check()
    assert codes(found) == [
        ("orphan-file", "", f"{SITE}/jaraco"),  # mine/notes.txt
        ("orphan-file", "", f"{SITE}/jaraco/context"),  # the outermost, not sub/ or bytecode
        ("orphan-file", "", f"{SITE}/jaraco/text/old"),
        ("stash-leftover", "txt", f"{SITE}/jaraco/~ext"),  # pip's stash of jaraco/text
    ]
    context = next(f for f in found if f.path == f"{SITE}/jaraco/context")
    assert "'import jaraco.context' still succeeds as a namespace package" in context.message
    assert "venv-doctor fix moves it to the trash" in (context.hint or "")
    # A folder where RECORD lists a file is that file, damaged: not an empty package folder.
    (venv.site / "jaraco" / "functools" / "__init__.py").unlink()
    (venv.site / "jaraco" / "functools" / "__init__.py").mkdir()
    about = [f.code for f in venv.check() if f.path == f"{SITE}/jaraco/functools/__init__.py"]
    assert "orphan-file" not in about
    assert about
    # A folder with the package's own files listed below it is the package's, not empty.
    (venv.site / "jaraco" / "text" / "data" / "a.txt").unlink()
    orphans = {f.path for f in venv.check() if f.code == "orphan-file"}
    assert f"{SITE}/jaraco/text/data" not in orphans


def test_unsafe_record_paths_are_never_read(venv, tmp_path):
    meta = venv.install("demo", "1.0", {"demo/__init__.py": b"x"})
    secret = tmp_path / "secret"
    secret.write_text("do not read")
    record = venv.root / meta / "RECORD"
    record.write_text(record.read_text() + "../../../../../secret,sha256=AAAA,11\n/etc/passwd,,\n")
    found = venv.check()
    assert [(f.code, f.path) for f in found] == [
        ("record-unsafe-path", f"{meta}/RECORD"),
        ("record-unsafe-path", f"{meta}/RECORD"),
    ]


def test_linked_folder_leading_out_is_unsafe(venv, tmp_path):
    meta = venv.install("demo", "1.0", {"demo/__init__.py": b"x"})
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "f").write_text("x")
    (venv.root / "share").symlink_to(tmp_path / "elsewhere")
    record = venv.root / meta / "RECORD"
    record.write_text(record.read_text() + "../../../share/f,,\n")
    assert [(f.code, f.path) for f in venv.check()] == [("record-unsafe-path", f"{meta}/RECORD")]


def test_malformed_record(venv):
    meta = venv.install("demo", "1.0", {"demo/__init__.py": b"x"})
    record = venv.root / meta / "RECORD"
    record.write_bytes(record.read_bytes() + b"just-one-field\nbad\xff.py,,\n")
    found = venv.check()
    assert [(f.code, f.path) for f in found] == [("record-malformed", f"{meta}/RECORD")]
    assert "and 1 more" in found[0].message


def test_stale_shebang(venv):
    script = b"#!/old/place/.venv/bin/python\nimport demo\n"
    venv.install(
        "demo",
        "1.0",
        {
            "demo/__init__.py": b"x",
            "../../../bin/demo": script,
            "../../../bin/fresh": f"#!{venv.scripts}/python\n".encode(),
        },
    )
    found = venv.check()
    assert [(f.code, f.path) for f in found] == [("script-stale-shebang", "bin/demo")]
    assert "/old/place/.venv/bin/python" in found[0].message


def test_activate_scripts_naming_another_venv(venv):
    (venv.scripts / "activate").write_text('VIRTUAL_ENV="/old/place/.venv"\nexport VIRTUAL_ENV\n')
    (venv.scripts / "activate.fish").write_text(f"set -gx VIRTUAL_ENV '{venv.root}'\n")
    (venv.scripts / "activate.csh").write_text(f'setenv VIRTUAL_ENV "{venv.root}/"\n')
    (venv.scripts / "activate.ps1").write_text("$env:VIRTUAL_ENV = $VenvDir\n")
    found = venv.check()
    assert codes(found) == [("script-stale-shebang", "", "bin/activate")]
    assert found[0].message.startswith(
        "bin/activate sets VIRTUAL_ENV to /old/place/.venv, not this venv"
    )
    assert found[0].hint


def test_activate_scripts_are_read_only_as_files_of_the_venv(venv, tmp_path):
    elsewhere = tmp_path / "activate"
    elsewhere.write_text('VIRTUAL_ENV="/old/place/.venv"\n')
    (venv.scripts / "activate").symlink_to(elsewhere)
    (venv.scripts / "activate.fish").mkdir()
    (venv.scripts / "sub").mkdir()
    (venv.scripts / "sub" / "activate").write_text('VIRTUAL_ENV="/old/place/.venv"\n')
    assert [f for f in venv.check() if f.code == "script-stale-shebang"] == []


def test_editable_targets(venv, tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    url = (
        b'{"url": "file://'
        + str(tmp_path / "moved").encode()
        + b'", "dir_info": {"editable": true}}'
    )
    venv.install(
        "demo",
        "1.0",
        {
            "__editable__.demo-1.0.pth": f"{tmp_path / 'moved'}\n".encode(),
            "ok.pth": f"{project}\n".encode(),
        },
        direct_url_json=url,
    )
    found = venv.check()
    assert [(f.code, f.package) for f in found] == [("editable-target-missing", "demo")]


def test_interpreter_missing(tmp_path):
    venv = FakeVenv(tmp_path / "venv")
    (venv.root / "pyvenv.cfg").write_text(f"home = {tmp_path / 'gone' / 'bin'}\nversion = 3.11\n")
    (venv.scripts / "python").unlink()
    (venv.scripts / "python").symlink_to(tmp_path / "gone" / "bin" / "python3.11")
    found = venv.check()
    assert [(f.code, f.path) for f in found] == [("interpreter-missing", "pyvenv.cfg")]
    assert "is gone" in found[0].message
    (venv.root / "pyvenv.cfg").unlink()
    assert "pyvenv.cfg is missing" in venv.check()[0].message


def test_windows_venv_read_on_posix(tmp_path):
    venv = FakeVenv(tmp_path / "venv", windows=True)
    launcher = b"MZstub#!C:\\old\\.venv\\Scripts\\python.exe\r\nPK\x03\x04zip"
    venv.install("demo", "1.0", {"demo/__init__.py": b"x", "../../Scripts/demo.exe": launcher})
    (venv.scripts / "python.exe").write_bytes(b"MZ")
    (venv.scripts / "activate.bat").write_text("")
    found = venv.check()
    assert [(f.code, f.path) for f in found] == [("script-stale-shebang", "Scripts/demo.exe")]


def _changed(venv: FakeVenv, runs: str | None) -> list[Finding]:
    from venv_doctor.diagnose.interpreter import changed

    return changed(venv.snapshot(hashes=False), runs=runs, interpreter="bin/python")


def test_interpreter_changed_by_the_probes_answer_or_the_files_name(tmp_path):
    venv = FakeVenv(tmp_path / "venv")  # pyvenv.cfg: version_info = 3.11.7
    assert _changed(venv, "3.11.7") == []
    (found,) = _changed(venv, "3.12.1")
    assert (found.code, found.path, found.severity.value) == (
        "interpreter-changed",
        "bin/python",
        "error",
    )
    assert "Python 3.12.1" in found.message
    assert "Python 3.11.7" in found.message
    (abi,) = _changed(venv, "3.11.7t")
    assert "Python 3.11.7t" in abi.message
    # The interpreter could not run: the name of the file the links end at says.
    other = tmp_path / "other" / "bin" / "python3.12"
    other.parent.mkdir(parents=True)
    other.write_text("")
    (venv.scripts / "python").unlink()
    (venv.scripts / "python").symlink_to(other)
    (by_name,) = _changed(venv, None)
    assert str(other) in by_name.message
    assert "Python 3.12 " in by_name.message
    other.rename(other.with_name("python3.11"))
    (venv.scripts / "python").unlink()
    (venv.scripts / "python").symlink_to(other.with_name("python3.11"))
    assert _changed(venv, None) == []


def test_interpreter_changed_never_doubles_interpreter_missing(tmp_path):
    venv = FakeVenv(tmp_path / "venv")
    (venv.scripts / "python").unlink()
    (venv.scripts / "python").symlink_to(tmp_path / "gone" / "bin" / "python3.12")
    assert [f.code for f in venv.check()] == ["interpreter-missing"]
    assert _changed(venv, None) == []
    assert _changed(venv, "3.12.1") == []


def _foreign(venv: FakeVenv, machine: str = "x86_64") -> list[Finding]:
    from packaging.tags import cpython_tags

    from venv_doctor.diagnose.interpreter import foreign_builds

    platforms = [f"linux_{machine}", f"manylinux_2_17_{machine}", f"manylinux2014_{machine}"]
    platforms += [f"manylinux_2_12_{machine}", f"manylinux2010_{machine}"]
    tags = cpython_tags((3, 11), ["cp311"], platforms)
    markers = {"platform_machine": machine, "platform_system": "Linux"}
    return foreign_builds(
        venv.snapshot(hashes=False), tags=tags, markers=markers, interpreter="bin/python"
    )


def _wheel(*tags: str) -> bytes:
    lines = "".join(f"Tag: {tag}\n" for tag in tags)
    return f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\n{lines}".encode()


@pytest.mark.parametrize(
    ("tags", "foreign"),
    [
        pytest.param(("cp311-cp311-manylinux_2_17_aarch64",), True, id="aarch64-on-x86_64"),
        pytest.param(("cp311-cp311-macosx_11_0_universal2",), True, id="macos-on-linux"),
        pytest.param(("cp311-cp311-win_amd64",), True, id="windows-on-linux"),
        pytest.param(
            ("cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64",), True, id="compressed"
        ),
        pytest.param(("cp311-cp311-manylinux_2_17_x86_64",), False, id="this-platform"),
        pytest.param(("cp39-abi3-manylinux_2_17_x86_64",), False, id="abi3-this-platform"),
        pytest.param(
            ("cp311-cp311-manylinux_2_17_aarch64", "cp311-cp311-manylinux_2_17_x86_64"),
            False,
            id="one-tag-fits",
        ),
        pytest.param(("py3-none-any",), False, id="pure"),
        pytest.param(("cp310-none-any",), False, id="pure-for-another-python"),
        # The platform fits, the Python tag does not: a mislabelled WHEEL file.
        pytest.param(("cp36-cp36m-manylinux2010_x86_64",), False, id="mislabelled"),
        pytest.param(("not a tag",), False, id="unreadable-tag"),
    ],
)
def test_interpreter_changed_for_a_distribution_built_for_another_platform(tmp_path, tags, foreign):
    venv = FakeVenv(tmp_path / "venv")
    meta = venv.install(
        "numpylike", "2.3.5", {"numpylike/_core.so": b"\x7fELF"}, WHEEL=_wheel(*tags)
    )
    found = _foreign(venv)
    if not foreign:
        assert found == []
        return
    (one,) = found
    assert (one.code, one.path, one.package, one.version, one.severity.value) == (
        "interpreter-changed",
        meta,
        "numpylike",
        "2.3.5",
        "error",
    )
    assert "linux x86_64" in one.message
    assert tags[0].split("-")[2].split(".")[0] in one.message


def test_a_distribution_without_a_wheel_file_is_not_foreign(tmp_path):
    venv = FakeVenv(tmp_path / "venv")
    venv.install("demo", "1.0", {"demo/_core.so": b"\x7fELF"})
    assert _foreign(venv, machine="aarch64") == []


def test_foreign_builds_are_not_reported_when_the_interpreter_is_gone(tmp_path):
    venv = FakeVenv(tmp_path / "venv")
    venv.install("demo", "1.0", {"demo/_core.so": b"x"}, WHEEL=_wheel("cp311-cp311-win_amd64"))
    (venv.scripts / "python").unlink()
    (venv.scripts / "python").symlink_to(tmp_path / "gone" / "bin" / "python3.11")
    assert _foreign(venv) == []
