from __future__ import annotations

import pytest

from venv_doctor.words import counted


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        pytest.param(1, "file", "1 file", id="one"),
        pytest.param(0, "file", "0 files", id="none"),
        pytest.param(2, "shared file", "2 shared files", id="two-words"),
        pytest.param(1, "entry", "1 entry", id="one-irregular"),
        pytest.param(3, "entry", "3 entries", id="irregular"),
        pytest.param(3, "info", "3 info", id="uncountable"),
    ],
)
def test_counted(count: int, noun: str, expected: str) -> None:
    assert counted(count, noun) == expected
