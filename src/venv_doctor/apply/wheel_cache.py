"""venv-doctor's own download cache: complete, verified files only.

Files live at ``wheels-v1/<hex[:2]>/<hex>/<filename>``, content-addressed,
so a lock's hash finds its file without the network.  Two small reference
folders find files by other keys: ``names-v1/<name>/<version>/<hex>`` (a
distribution fetched without a lock) and ``built-v1/<key>/<hex>`` (a wheel
built from an sdist or a git commit).  New files are written to ``tmp/``
and moved to their address only once complete and verified; on any failure
the partial file is deleted.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from venv_doctor.apply.digests import CHUNK_SIZE, file_digests
from venv_doctor.apply.wheel_errors import CacheWriteError

# Partial files older than this belong to a run that was killed: safe to delete.
_STALE_SECONDS = 24 * 3600

CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by venv-doctor.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def _is_hex_sha256(value: str) -> bool:
    return len(value) == 64 and all(char in "0123456789abcdef" for char in value)


class WheelCache:
    """venv-doctor's own cache of verified files, content-addressed by sha256."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"

    # -- reading

    def get(self, sha256: str) -> Path | None:
        """The cached file with this sha256, re-hashed; a damaged entry is dropped."""
        sha256 = sha256.lower()
        if not _is_hex_sha256(sha256):
            return None
        folder = self.root / "wheels-v1" / sha256[:2] / sha256
        try:
            names = [entry for entry in os.listdir(folder) if not entry.startswith(".")]
        except OSError:
            return None
        for name in names:
            path = folder / name
            try:
                actual = file_digests(path)["sha256"]
            except OSError:
                continue
            if actual == sha256:
                return path
            # Damaged on disk (or by hand): it must never be handed out again.
            with contextlib.suppress(OSError):
                path.unlink()
        return None

    def _refs(self, folder: Path) -> list[Path]:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return []
        found = []
        for name in names:
            path = self.get(name) if _is_hex_sha256(name) else None
            if path is not None:
                found.append(path)
        return found

    def find(self, name: str, version: str) -> list[Path]:
        """Cached files recorded for the distribution ``name`` at ``version``."""
        return self._refs(self.root / "names-v1" / name / _safe(version))

    def built(self, key: str) -> list[Path]:
        """Cached wheels built from the source ``key`` identifies (an sdist hash, a commit)."""
        return self._refs(self.root / "built-v1" / _key_folder(key))

    # -- writing

    def _prepare(self) -> None:
        self._tmp.mkdir(parents=True, exist_ok=True)
        tag = self.root / "CACHEDIR.TAG"
        if not tag.exists():
            with contextlib.suppress(OSError):
                tag.write_text(CACHEDIR_TAG, encoding="utf-8")
        self._clean_stale()

    def _clean_stale(self) -> None:
        cutoff = time.time() - _STALE_SECONDS
        with contextlib.suppress(OSError), os.scandir(self._tmp) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        if entry.is_dir(follow_symlinks=False):
                            shutil.rmtree(entry.path, ignore_errors=True)
                        else:
                            os.unlink(entry.path)

    @contextlib.contextmanager
    def partial(self, *, package: str, filename: str) -> Iterator[tuple[Path, IO[bytes]]]:
        """A new temporary file inside the cache, deleted unless moved in with ``put``."""
        try:
            self._prepare()
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, kept on success
                dir=self._tmp, prefix="partial-", suffix=".part", delete=False
            )
        except OSError as exc:
            raise self.write_error(exc, package=package, filename=filename) from exc
        path = Path(handle.name)
        try:
            try:
                yield path, handle
            finally:
                handle.close()
        except OSError as exc:
            with contextlib.suppress(OSError):
                path.unlink()
            if exc.errno in {errno.ENOSPC, errno.EDQUOT}:
                raise self.write_error(exc, package=package, filename=filename) from exc
            raise
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise

    def put(self, partial: Path, *, sha256: str, filename: str, package: str) -> Path:
        """Move a complete, verified ``partial`` file to its content address."""
        folder = self.root / "wheels-v1" / sha256[:2] / sha256
        target = folder / filename
        try:
            folder.mkdir(parents=True, exist_ok=True)
            os.replace(partial, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                partial.unlink()
            raise self.write_error(exc, package=package, filename=filename) from exc
        return target

    def add(self, source: Path, *, sha256: str, package: str) -> Path:
        """Copy a verified file (a built wheel) into the cache; returns its cached path."""
        existing = self.get(sha256)
        if existing is not None and existing.name == source.name:
            return existing
        with self.partial(package=package, filename=source.name) as (path, handle):
            try:
                with open(source, "rb") as reader:
                    shutil.copyfileobj(reader, handle, CHUNK_SIZE)
                handle.flush()
            except OSError as exc:
                raise self.write_error(exc, package=package, filename=source.name) from exc
        return self.put(path, sha256=sha256, filename=source.name, package=package)

    def _ref(self, folder: Path, sha256: str) -> None:
        # A reference is only a speed-up: failing to write one is not an error.
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / sha256).touch()

    def remember(self, name: str, version: str, sha256: str) -> None:
        """Record that the cached file ``sha256`` is a file of ``name`` ``version``."""
        self._ref(self.root / "names-v1" / name / _safe(version), sha256)

    def remember_built(self, key: str, sha256: str) -> None:
        """Record that the cached wheel ``sha256`` was built from the source ``key``."""
        self._ref(self.root / "built-v1" / _key_folder(key), sha256)

    def write_error(self, exc: OSError, *, package: str, filename: str) -> CacheWriteError:
        if exc.errno in {errno.ENOSPC, errno.EDQUOT}:
            return CacheWriteError(
                f"{package}: no space left on the device while writing {filename} "
                f"to the download cache {self.root}; the partial file was deleted",
                package=package,
                location=str(self.root),
                path=self.root,
                hint=(
                    "free some space, or set VENV_DOCTOR_CACHE_DIR to a folder on a disk "
                    "with room, then run the command again"
                ),
            )
        reason = exc.strerror or str(exc)
        return CacheWriteError(
            f"{package}: cannot write {filename} to the download cache {self.root}: {reason}",
            package=package,
            location=str(self.root),
            path=self.root,
            hint="make the folder writable, or set VENV_DOCTOR_CACHE_DIR to another folder",
        )


def _safe(part: str) -> str:
    # Versions may hold '+' and '!' (fine in file names) but never a separator.
    return part.replace("/", "_").replace("\\", "_")


def _key_folder(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
