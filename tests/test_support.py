"""The test machinery itself: wheels, the local index, tree digests, chattr."""

from __future__ import annotations

import hashlib
import os
import re
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from installer.records import parse_record_file
from installer.sources import WheelFile

from tests.support.catalogue import load_catalogue
from tests.support.index import LocalIndex
from tests.support.tools import ImmutableFiles, immutable, tree_digest
from tests.support.wheels import WheelSpec, build_wheel, record_hash

SPEC = WheelSpec(
    name="Demo.Pkg",
    version="1.0",
    files={"demo_pkg/__init__.py": "X = 1\n", "demo_pkg/data.bin": b"\x00\xff"},
    scripts={"demo-tool": "#!python\nprint('hi')\n"},
    console_scripts={"demo": "demo_pkg:main"},
    requires=("other>=1",),
)


def test_built_wheel_passes_installer_validation(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path)
    assert wheel.name == "demo_pkg-1.0-py3-none-any.whl"
    with WheelFile.open(wheel) as source:
        source.validate_record()
        assert source.distribution == "demo_pkg"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read("demo_pkg-1.0.dist-info/METADATA").decode()
        entry_points = archive.read("demo_pkg-1.0.dist-info/entry_points.txt").decode()
    assert "demo_pkg-1.0.data/scripts/demo-tool" in names
    assert "Requires-Dist: other>=1" in metadata
    assert "demo = demo_pkg:main" in entry_points


def test_wheels_are_reproducible(tmp_path: Path) -> None:
    first = build_wheel(SPEC, tmp_path / "a").read_bytes()
    assert build_wheel(SPEC, tmp_path / "b").read_bytes() == first


def test_wrong_record_hash_is_wrong_for_that_file_only(tmp_path: Path) -> None:
    spec = WheelSpec(
        name="liar",
        version="1",
        files={"liar.py": "A = 1\n", "honest.py": "B = 2\n"},
        wrong_record_hash=("liar.py",),
    )
    with zipfile.ZipFile(build_wheel(spec, tmp_path)) as archive:
        record = archive.read("liar-1.dist-info/RECORD").decode()
        rows = {row[0]: row for row in parse_record_file(record.splitlines())}
        assert rows["liar.py"][1] != record_hash(archive.read("liar.py"))
        assert rows["honest.py"][1] == record_hash(archive.read("honest.py"))
    with WheelFile.open(tmp_path / spec.filename) as source, pytest.raises(Exception, match="liar"):
        source.validate_record()


def test_catalogue_builds(tmp_path: Path) -> None:
    specs = load_catalogue()
    assert ("bumpy", "1.0") in specs
    assert ("bumpy", "2.0") in specs
    for spec in specs.values():
        wheel = build_wheel(spec, tmp_path)
        if spec.wrong_record_hash:
            continue
        with WheelFile.open(wheel) as source:
            source.validate_record()


def test_catalogue_generates_numbered_files(tmp_path: Path) -> None:
    catalogue = tmp_path / "packages.toml"
    catalogue.write_text(
        """
[[package]]
name = "many"
version = "1"
files = { "many/__init__.py" = "" }

[package.generated."many/m{n}.py"]
start = 8
count = 3
text = "N = '{n}'"
"""
    )
    spec = load_catalogue(catalogue)["many", "1"]
    assert spec.files == {
        "many/m008.py": "N = '008'",
        "many/m009.py": "N = '009'",
        "many/m010.py": "N = '010'",
        "many/__init__.py": "",
    }


def test_local_index_serves_pep503_pages(tmp_path: Path) -> None:
    wheel = build_wheel(SPEC, tmp_path)
    with LocalIndex(tmp_path) as index:
        with urllib.request.urlopen(index.url) as response:
            listing = response.read().decode()
        assert 'href="/simple/demo-pkg/"' in listing
        with urllib.request.urlopen(index.url + "Demo_Pkg/") as response:
            page = response.read().decode()
        match = re.search(r'href="([^"]+)#sha256=([0-9a-f]{64})"', page)
        assert match is not None
        assert match[2] == hashlib.sha256(wheel.read_bytes()).hexdigest()
        with urllib.request.urlopen(index.url.replace("/simple/", match[1])) as response:
            assert response.read() == wheel.read_bytes()
        missing = urllib.request.Request(index.url + "nothing-here/")
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(missing)
        excinfo.value.close()


def test_tree_digest_sees_every_kind_of_write(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x")
    (tmp_path / "sub").mkdir()
    os.symlink("a.py", tmp_path / "link")
    before = tree_digest(tmp_path)
    assert tree_digest(tmp_path) == before

    (tmp_path / "a.py").write_text("y")
    assert tree_digest(tmp_path) != before
    before = tree_digest(tmp_path)
    (tmp_path / "a.py").chmod(0o600)
    assert tree_digest(tmp_path) != before
    before = tree_digest(tmp_path)
    (tmp_path / "sub" / "new").write_text("")
    assert tree_digest(tmp_path) != before
    before = tree_digest(tmp_path)
    (tmp_path / "link").unlink()
    os.symlink("sub", tmp_path / "link")
    assert tree_digest(tmp_path) != before


def test_immutable_is_undone_after_the_folder_moved(tmp_path: Path) -> None:
    folder = tmp_path / "pkg"
    folder.mkdir()
    locked = folder / "locked.so"
    locked.write_bytes(b"x")
    with immutable(locked, search=[tmp_path]):
        with pytest.raises(PermissionError):
            locked.unlink()
        # Renaming the folder works (pip does this when it stashes a package).
        folder.rename(tmp_path / "~kg")
    (tmp_path / "~kg" / "locked.so").unlink()


def test_immutable_files_release_twice_is_harmless(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("")
    files = ImmutableFiles([tmp_path])
    files(target)
    files.release()
    files.release()
    target.unlink()
