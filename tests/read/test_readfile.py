"""Comparing two files byte for byte without following links or blocking."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from venv_doctor.read.readfile import same_bytes


def test_the_same_bytes_across_several_blocks(tmp_path: Path) -> None:
    data = os.urandom(10_000)
    (tmp_path / "a").write_bytes(data)
    (tmp_path / "b").write_bytes(data)
    assert same_bytes(str(tmp_path / "a"), str(tmp_path / "b"), block=4096)


@pytest.mark.parametrize("other", [b"x" * 9_999 + b"y", b"x" * 9_999, b""])
def test_other_bytes_or_another_size(tmp_path: Path, other: bytes) -> None:
    (tmp_path / "a").write_bytes(b"x" * 10_000)
    (tmp_path / "b").write_bytes(other)
    assert not same_bytes(str(tmp_path / "a"), str(tmp_path / "b"), block=4096)


def test_a_link_a_fifo_or_nothing_is_never_the_same(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"data")
    (tmp_path / "link").symlink_to(tmp_path / "a")
    os.mkfifo(tmp_path / "fifo")
    a = str(tmp_path / "a")
    assert not same_bytes(a, str(tmp_path / "link"))
    assert not same_bytes(str(tmp_path / "link"), a)
    assert not same_bytes(a, str(tmp_path / "fifo"))  # and does not block
    assert not same_bytes(a, str(tmp_path / "missing"))
    assert not same_bytes(str(tmp_path / "missing"), a)
