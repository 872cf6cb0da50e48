"""Damaged and hostile input: check reports what it can and never crashes or writes.

Running as root, ``chmod 000`` does not make a file unreadable, so files that
cannot be read are made with a FIFO (opening one for reading blocks forever
unless the reader checks what it opens) or a folder where a file belongs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.tools import Tools, check_json, rel, site_packages

pytestmark = pytest.mark.slow

# A FIFO nobody writes to: a check that opens it hangs and hits this timeout.
HANG_TIMEOUT = 20


@pytest.fixture
def venv(tools: Tools, tmp_path: Path) -> Path:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, "deplow", "polarslike", "rufflike")
    return venv


def _record(venv: Path) -> Path:
    return site_packages(venv) / "deplow-1.0.dist-info" / "RECORD"


def _swap(path: Path, make: Callable[[Path], object]) -> None:
    path.unlink()
    make(path)


# -- RECORD ----------------------------------------------------------------------

BAD_ROWS = [
    pytest.param(b"deplow/caf\xe9.py,,\n", id="non-utf8-path"),
    pytest.param(b"deplow/a.py,sha256=abc\n", id="two-fields"),
    pytest.param(b"deplow/a.py,sha256=abc,12,extra\n", id="four-fields"),
    pytest.param(b"deplow/a.py,,twelve\n", id="size-not-a-number"),
    pytest.param(b"deplow/a.py,nohash,12\n", id="hash-without-algorithm"),
    pytest.param(b",,\n", id="empty-path"),
    pytest.param(b'"deplow/a.py,,\n', id="unclosed-quote"),
    pytest.param(b"deplow/a\x00.py,,\n", id="nul-byte"),
]


@pytest.mark.parametrize("bad_row", BAD_ROWS)
def test_malformed_record_rows(venv: Path, bad_row: bytes) -> None:
    record = _record(venv)
    good = record.read_bytes()
    # The bad row first: the rows after it must still be checked.
    _swap(record, lambda p: p.write_bytes(bad_row + good))
    (site_packages(venv) / "deplow" / "__init__.py").unlink()

    result = check_json(venv)
    assert result.exit_code == 1
    malformed = result.of("record-malformed")
    assert malformed, result.stdout
    assert {f["package"] for f in malformed} == {"deplow"}
    assert {f["path"] for f in malformed} == {rel(venv, record)}
    assert {f["severity"] for f in malformed} == {"warning"}
    assert result.at("file-missing", rel(venv, site_packages(venv) / "deplow" / "__init__.py"))


def test_record_not_utf8_at_all(venv: Path) -> None:
    record = _record(venv)
    text = record.read_text(encoding="utf-8")
    _swap(record, lambda p: p.write_bytes(text.encode("utf-16")))

    result = check_json(venv)
    assert result.exit_code == 1
    found = result.of("record-malformed") + result.of("unreadable")
    assert found, result.stdout
    assert {f["package"] for f in found} == {"deplow"}


# -- files that cannot be read ---------------------------------------------------


@pytest.mark.parametrize("name", [pytest.param("RECORD"), pytest.param("METADATA")])
def test_metadata_file_is_a_fifo(venv: Path, name: str) -> None:
    path = site_packages(venv) / "deplow-1.0.dist-info" / name
    _swap(path, os.mkfifo)

    result = check_json(venv, timeout=HANG_TIMEOUT)
    assert result.exit_code == 1
    unreadable = result.at("unreadable", rel(venv, path))
    assert unreadable["severity"] == "warning"


def test_record_is_a_folder(venv: Path) -> None:
    record = _record(venv)
    _swap(record, Path.mkdir)

    result = check_json(venv)
    assert result.exit_code == 1
    about = [
        f for f in result.failing() if f["path"] in {rel(venv, record), rel(venv, record.parent)}
    ]
    assert about, result.stdout


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(os.mkfifo, id="fifo"),
        pytest.param(Path.mkdir, id="folder"),
        pytest.param(lambda p: os.symlink(p.name, p), id="symlink-to-itself"),
        pytest.param(lambda p: os.symlink("nowhere", p), id="dangling-symlink"),
    ],
)
def test_installed_file_replaced(venv: Path, make: Callable[[Path], object]) -> None:
    target = site_packages(venv) / "polarslike" / "frame.py"
    _swap(target, make)

    for args in ((), ("--quick",)):
        result = check_json(venv, *args, timeout=HANG_TIMEOUT)
        assert result.exit_code == 1
        about = [f for f in result.failing() if f["path"] == rel(venv, target)]
        assert about, result.stdout
        assert {f["package"] for f in about} == {"polarslike"}


# -- symlinks ----------------------------------------------------------------------


def test_symlink_loops_in_site_packages(venv: Path) -> None:
    sp = site_packages(venv)
    os.symlink("loop-b", sp / "loop-a")
    os.symlink("loop-a", sp / "loop-b")
    # A folder link back up: following it would recurse for ever.
    os.symlink("..", sp / "polarslike" / "io" / "up")

    result = check_json(venv, timeout=HANG_TIMEOUT)
    assert result.exit_code == 1
    paths = {f["path"] for f in result.failing()}
    assert rel(venv, sp / "loop-a") in paths or rel(venv, sp / "loop-b") in paths
    # Only the links are wrong: the real files are all found where RECORD says.
    assert result.of("file-missing") == []


def test_symlinks_out_of_the_venv_are_not_followed(venv: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "pkg").mkdir(parents=True)
    os.mkfifo(outside / "pkg" / "__init__.py")
    os.mkfifo(outside / "trap.py")
    sp = site_packages(venv)
    os.symlink(outside / "pkg", sp / "linked_pkg")
    target = sp / "polarslike" / "frame.py"
    _swap(target, lambda p: os.symlink(outside / "trap.py", p))

    for args in ((), ("--quick",)):
        result = check_json(venv, *args, watch=[outside], timeout=HANG_TIMEOUT)
        assert result.exit_code == 1
        assert [f for f in result.failing() if f["path"] == rel(venv, target)], result.stdout
        assert [f for f in result.failing() if f["path"] == rel(venv, sp / "linked_pkg")]
        # Nothing below the link is reported: it was not walked.
        assert not [
            f
            for f in result.findings
            if (f["path"] or "").startswith(rel(venv, sp / "linked_pkg") + "/")
        ]


def test_site_packages_is_a_symlink_loop(venv: Path) -> None:
    sp = site_packages(venv)
    renamed = sp.with_name("site-packages.real")
    sp.rename(renamed)
    os.symlink("site-packages", sp)

    result = check_json(venv, timeout=HANG_TIMEOUT)
    assert result.exit_code in {1, 2}
    assert (result.stdout + result.stderr).strip()


def test_many_orphan_files_are_one_finding_per_folder(venv: Path) -> None:
    sp = site_packages(venv)
    for sub in range(20):
        folder = sp / "vendored" / f"mod{sub}"
        folder.mkdir(parents=True)
        for index in range(100):
            (folder / f"f{index}.py").write_text("")
    (venv / "bin" / "stray-tool").write_text("#!/bin/sh\n")

    result = check_json(venv)
    assert result.exit_code == 1
    orphans = result.of("orphan-file")
    assert sorted(f["path"] for f in orphans) == sorted(
        [rel(venv, sp / "vendored"), "bin/stray-tool"]
    )


EMPTY_SHA256 = "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"


def test_a_site_packages_of_100_000_files(venv: Path) -> None:
    # A RECORD that lists them all, and as many files nobody owns.
    sp = site_packages(venv)
    meta = sp / "deplow-1.0.dist-info"
    rows = [(meta / "RECORD").read_text(encoding="utf-8")]
    for owner, count in (("bulk", 50_000), ("stray", 50_000)):
        for sub in range(100):
            folder = sp / owner / f"m{sub}"
            folder.mkdir(parents=True)
            for index in range(count // 100):
                os.close(os.open(folder / f"f{index}.py", os.O_CREAT | os.O_WRONLY, 0o644))
                if owner == "bulk":
                    rows.append(f"bulk/m{sub}/f{index}.py,{EMPTY_SHA256},0\n")
    (meta / "RECORD").write_text("".join(rows), encoding="utf-8")

    for args in (["--quick"], []):
        result = check_json(venv, *args)
        assert result.exit_code == 1
        assert [f["path"] for f in result.findings] == [rel(venv, sp / "stray")]
        assert result.findings[0]["code"] == "orphan-file"
        assert "50000 files" in result.findings[0]["message"]
