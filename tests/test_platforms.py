"""``held_files``: one test body for Windows' "file in use" and its stand-in elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.platforms import WINDOWS, held_files
from tests.support.tools import ToolFailedError


def test_a_held_file_cannot_be_deleted_until_released(tmp_path: Path) -> None:
    path = tmp_path / "ruff.exe"
    path.write_bytes(b"MZ")
    files = held_files([tmp_path])
    try:
        files(path)
    except ToolFailedError:
        assert not WINDOWS
        pytest.skip("chattr +i is not allowed here (needs root on ext4 or similar)")
    try:
        with pytest.raises(PermissionError):
            path.unlink()
        with pytest.raises(PermissionError):
            os.rename(path, tmp_path / "moved.exe")
    finally:
        files.release()
    path.unlink()
    assert not path.exists()
