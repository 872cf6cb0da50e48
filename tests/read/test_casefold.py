"""RECORD rows given the disk's spelling in a case-insensitive venv (pure, in memory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from venv_doctor.read.casefold import case_insensitive, fold, match_case
from venv_doctor.read.records import RecordRow
from venv_doctor.read.snapshot import DIR, FILE, Entry, OwnedFile

SP = "lib/python3.11/site-packages"
_DIR = Entry(DIR, 0, 0, 0, 1)
_FILE = Entry(FILE, 1, 0, 0, 1)


def owned(*rels: str | None) -> tuple[OwnedFile, ...]:
    return tuple(OwnedFile(rel, RecordRow(rel or "/abs", None, None, None)) for rel in rels)


TREE = {
    SP: _DIR,
    f"{SP}/CaseShared": _DIR,
    f"{SP}/CaseShared/upper.py": _FILE,
    f"{SP}/CaseShared/lower.py": _FILE,
    f"{SP}/Bumpy-1.0.dist-info": _DIR,
    f"{SP}/Bumpy-1.0.dist-info/METADATA": _FILE,
}


@pytest.mark.parametrize(
    ("given", "disk"),
    [
        pytest.param(f"{SP}/caseshared/lower.py", f"{SP}/CaseShared/lower.py", id="folder"),
        pytest.param(f"{SP}/CASESHARED/LOWER.PY", f"{SP}/CaseShared/lower.py", id="file"),
        pytest.param(
            f"{SP}/bumpy-1.0.dist-info/METADATA", f"{SP}/Bumpy-1.0.dist-info/METADATA", id="meta"
        ),
        pytest.param(f"{SP}/caseshared/gone.py", f"{SP}/CaseShared/gone.py", id="gone-file"),
        pytest.param(f"{SP}/elsewhere/gone.py", f"{SP}/elsewhere/gone.py", id="gone-folder"),
        pytest.param(f"{SP}/CaseShared/upper.py", f"{SP}/CaseShared/upper.py", id="same"),
        pytest.param("share/man/X.1", "share/man/X.1", id="unwalked"),
    ],
)
def test_a_row_takes_the_disk_spelling(given: str, disk: str) -> None:
    matched = match_case({"m": owned(given)}, TREE)
    assert [f.rel for f in matched["m"]] == [disk]
    assert matched["m"][0].row.path == given  # the RECORD row itself is kept as written


def test_rows_outside_the_venv_and_untouched_records_stay_as_they_are() -> None:
    untouched = owned(f"{SP}/CaseShared/upper.py")
    matched = match_case({"a": owned(None, f"{SP}/caseshared/lower.py"), "b": untouched}, TREE)
    assert [f.rel for f in matched["a"]] == [None, f"{SP}/CaseShared/lower.py"]
    assert matched["b"] is untouched


def test_fold_matches_as_casefold_ext4_does() -> None:
    assert fold("Straße") == fold("STRASSE")
    assert fold("e\u0301") == fold("\u00c9")  # NFD: one letter, two spellings


def test_a_case_sensitive_folder_is_told_apart(tmp_path: Path) -> None:
    # The case-insensitive side runs on a real casefold folder: tests/test_casefold.py.
    (tmp_path / "Foo").write_text("")
    (tmp_path / "FOO").write_text("")
    assert not case_insensitive(str(tmp_path), ["Foo"])
    assert not case_insensitive(str(tmp_path / "none"), ["Foo"])
    assert not case_insensitive(str(tmp_path), ["123", "_"])  # nothing with a case
