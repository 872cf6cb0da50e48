"""What the operating system gives a test by itself, and what a stand-in gives elsewhere.

One test body serves every platform: it asks for files that cannot be
deleted (``held_files``) and gets the operating system's own rule where
there is one.

- **Windows**: a file another process has open cannot be deleted or renamed
  (Python opens files without ``FILE_SHARE_DELETE``), and neither can the
  folder that holds it: ``OpenFiles`` keeps each file open until ``release``.
  This is the real "file in use" of a running ``ruff.exe`` or a language
  server, and it runs only on the hosted Windows runners
  (``.github/workflows/tests.yml``).
- **Linux and macOS**: nothing holds a file that way, so ``chattr +i``
  (``tests.support.tools.ImmutableFiles``, root on ext4) stands in: the file
  cannot be deleted or renamed, but the folder holding it can be renamed,
  which Windows refuses.  Where that difference matters, a FUSE file system
  with Windows' rules is the stand-in to use instead.

Both have the same interface: call with paths, then ``release()``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

from tests.support.tools import ImmutableFiles

WINDOWS = sys.platform == "win32"


class HeldFiles(Protocol):
    def __call__(self, *paths: Path) -> None: ...

    def release(self) -> None: ...


class OpenFiles:
    """Files held open, as a running program holds them: on Windows they cannot be deleted."""

    def __init__(self) -> None:
        self._open: list[BinaryIO] = []

    def __call__(self, *paths: Path) -> None:
        for path in paths:
            if not os.path.isfile(path):
                raise ValueError(f"only files are held open here: {path}")
            self._open.append(open(path, "rb"))  # noqa: SIM115 - held until release()

    def release(self) -> None:
        for handle in self._open:
            handle.close()
        self._open.clear()


def held_files(search: Sequence[Path] = ()) -> HeldFiles:
    """Files that cannot be deleted until ``release()``: Windows' own rule, else ``chattr +i``.

    ``search`` is where ``chattr -i`` looks for a file a tool has moved since.
    """
    if WINDOWS:
        return OpenFiles()
    return ImmutableFiles(search)
