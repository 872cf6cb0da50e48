from __future__ import annotations

import os

import pytest

from venv_doctor.words import counted, printable, quoted


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


def _undecodable(data: bytes) -> str:
    return os.fsdecode(data)  # what a file name that is not UTF-8 reads as


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("plain", "plain", id="ascii"),
        pytest.param("café …", "café …", id="utf8-kept"),
        pytest.param(_undecodable(b"bad\xffname\xfe.py"), "bad\\xffname\\xfe.py", id="bytes"),
        pytest.param("\ud800x", "\\ud800x", id="other-surrogate"),
    ],
)
def test_printable(text: str, expected: str) -> None:
    shown = printable(text)
    assert shown == expected
    shown.encode("utf-8")  # never raises


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a.py,,", "'a.py,,'", id="plain"),
        pytest.param("tab\there", "'tab\\there'", id="repr-escapes-kept"),
        pytest.param(_undecodable(b"gone\xfe.py"), "'gone\\xfe.py'", id="byte-spelt-as-elsewhere"),
        pytest.param("back\\udcfe", "'back\\\\udcfe'", id="a-backslash-is-no-escape"),
        pytest.param("x\\" + _undecodable(b"\xfe"), "'x\\\\\\xfe'", id="backslash-then-byte"),
    ],
)
def test_quoted_then_printable(text: str, expected: str) -> None:
    assert printable(quoted(text)) == expected
