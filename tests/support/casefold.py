"""A folder whose names are case-insensitive, as on Windows and macOS.

The real thing first: an ext4 image made with ``mkfs.ext4 -O casefold``,
loop-mounted, with ``chattr +F`` on an empty folder.  That needs root, a loop
device, an mkfs that knows ``casefold`` and a kernel built with Unicode
tables (``/sys/fs/ext4/features/casefold``).  Where the kernel lacks them
but FUSE works, ``tests/support/foldfs.py`` gives the same name matching over
a plain folder.  Neither: the tests that need it are skipped, saying why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_EXT4_FEATURE = "/sys/fs/ext4/features/casefold"
_IMAGE_SIZE = 400 * 1024 * 1024  # sparse: only what the venvs write takes room


@dataclass(frozen=True, slots=True)
class CaseInsensitiveFolder:
    """An empty folder where ``Foo`` and ``foo`` are one name; ``how`` says what makes it so."""

    path: Path
    how: str


def _quiet(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def _ext4_unavailable() -> str | None:
    """Why a casefold ext4 cannot be mounted here, or ``None`` when it can."""
    if os.geteuid() != 0:
        return "mounting an image needs root"
    if not os.path.exists("/dev/loop-control"):
        return "no loop devices (/dev/loop-control)"
    if shutil.which("mkfs.ext4") is None:
        return "mkfs.ext4 is not installed (e2fsprogs)"
    if not os.path.exists(_EXT4_FEATURE):
        return f"the kernel has no ext4 casefold ({_EXT4_FEATURE}: built without CONFIG_UNICODE)"
    return None


def _fuse_unavailable() -> str | None:
    """Why the FUSE stand-in cannot be mounted here, or ``None`` when it can."""
    if sys.platform != "linux":
        return "FUSE stand-in is for Linux"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        return "no usable /dev/fuse"
    if shutil.which("fusermount3") is None and shutil.which("fusermount") is None:
        return "no fusermount (fuse3)"
    try:
        import mfusepy  # type: ignore[import-untyped]  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: the module loads libfuse on import
        return f"mfusepy cannot load libfuse ({exc})"
    return None


@contextlib.contextmanager
def _ext4(tmp: Path) -> Iterator[CaseInsensitiveFolder]:
    image, mountpoint = tmp / "casefold.img", tmp / "mnt"
    mountpoint.mkdir()
    with image.open("wb") as file:
        file.truncate(_IMAGE_SIZE)
    made = _quiet("mkfs.ext4", "-q", "-O", "casefold", str(image))
    if made.returncode != 0:
        raise OSError(f"mkfs.ext4 -O casefold failed: {made.stderr.strip()}")
    mounted = _quiet("mount", "-o", "loop", str(image), str(mountpoint))
    if mounted.returncode != 0:
        raise OSError(f"mount -o loop failed: {mounted.stderr.strip()}")
    try:
        folder = mountpoint / "ci"
        folder.mkdir()
        flagged = _quiet("chattr", "+F", str(folder))
        if flagged.returncode != 0:
            raise OSError(f"chattr +F failed: {flagged.stderr.strip()}")
        yield CaseInsensitiveFolder(folder, "ext4 casefold (loop-mounted image, chattr +F)")
    finally:
        _quiet("umount", str(mountpoint))


@contextlib.contextmanager
def _fuse(tmp: Path) -> Iterator[CaseInsensitiveFolder]:
    backing, mountpoint = tmp / "backing", tmp / "mnt"
    backing.mkdir()
    mountpoint.mkdir()
    log = (tmp / "foldfs.log").open("w")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.foldfs", str(backing), str(mountpoint)],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while not os.path.ismount(mountpoint):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise OSError(f"foldfs did not mount: {(tmp / 'foldfs.log').read_text()}")
            time.sleep(0.05)
        yield CaseInsensitiveFolder(mountpoint, "FUSE foldfs over a plain folder")
    finally:
        unmount = shutil.which("fusermount3") or "fusermount"
        _quiet(unmount, "-u", str(mountpoint))
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextlib.contextmanager
def case_insensitive_folder(tmp: Path) -> Iterator[CaseInsensitiveFolder | str]:
    """A case-insensitive folder below ``tmp``, or why none can be had here."""
    why_not_ext4 = _ext4_unavailable()
    if why_not_ext4 is None:
        with _ext4(tmp) as folder:
            yield folder
        return
    why_not_fuse = _fuse_unavailable()
    if why_not_fuse is None:
        with _fuse(tmp) as folder:
            yield folder
        return
    yield f"no case-insensitive folder: {why_not_ext4}; {why_not_fuse}"
