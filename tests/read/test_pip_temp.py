"""Tracing files no RECORD lists to a wheel left in pip's temporary download folder."""

from __future__ import annotations

import zipfile
from pathlib import Path

from venv_doctor.read.pip_temp import pip_wheels, written_by_pip

MEMBERS = {"pkg/__init__.py": b"", "pkg/mod.py": b"x = 1\n" * 50}


def _wheel(tmp: Path) -> Path:
    folder = tmp / "pip-unpack-abcd1234"
    folder.mkdir()
    wheel = folder / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in MEMBERS.items():
            archive.writestr(name, data)
        archive.writestr("pkg-1.0.dist-info/METADATA", b"Name: pkg\n")
    return wheel


def _site(tmp: Path, files: dict[str, bytes]) -> Path:
    site = tmp / "site"
    for name, data in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)
    return site


def test_the_wheels_in_pips_folders_of_the_temporary_directory(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path)
    (tmp_path / "pip-unpack-other").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.whl").write_bytes(b"")
    assert pip_wheels({"TMPDIR": str(tmp_path)}) == [str(wheel)]
    assert pip_wheels({"TMPDIR": str(tmp_path / "missing")}) == []


def test_files_pip_wrote_whole_or_in_part(tmp_path: Path) -> None:
    wheel = str(_wheel(tmp_path))
    partial = {"pkg/__init__.py": b"", "pkg/mod.py": MEMBERS["pkg/mod.py"][:7]}
    for files in (MEMBERS, {"pkg/__init__.py": b""}, partial):
        site = _site(tmp_path / str(len(files)) / str(len(files["pkg/__init__.py"])), files)
        found = written_by_pip(str(site), {"site/pkg": list(files)}, [wheel])
        assert found == {"site/pkg": wheel}


def test_other_bytes_another_file_or_no_wheel_are_not_pips(tmp_path: Path) -> None:
    wheel = str(_wheel(tmp_path))
    changed = {"pkg/__init__.py": b"", "pkg/mod.py": b"x = 2\n"}
    longer = {"pkg/__init__.py": b"", "pkg/mod.py": MEMBERS["pkg/mod.py"] + b"#"}
    extra = {**MEMBERS, "pkg/mine.py": b""}
    for i, files in enumerate((changed, longer, extra)):
        site = _site(tmp_path / str(i), files)
        assert written_by_pip(str(site), {"site/pkg": list(files)}, [wheel]) == {}
    (tmp_path / "broken.whl").write_bytes(b"PK\x03\x04 not a zip")
    site = _site(tmp_path / "whole", MEMBERS)
    assert (
        written_by_pip(str(site), {"site/pkg": list(MEMBERS)}, [str(tmp_path / "broken.whl")]) == {}
    )
