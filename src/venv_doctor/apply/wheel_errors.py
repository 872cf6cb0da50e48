"""Why a wheel could not be had: each error names the package, the file or URL, and what next.

All of them exit with status 2 (``VenvDoctorError``'s default).  ``package``
is the distribution's label (``name version``); ``location`` the file path or
URL the error is about, when there is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from venv_doctor.errors import VenvDoctorError


class WheelError(VenvDoctorError):
    """A wheel for one distribution could not be found, downloaded, verified or built."""

    def __init__(
        self,
        message: str,
        *,
        package: str,
        location: str | None = None,
        hint: str | None = None,
        path: Path | None = None,
    ) -> None:
        super().__init__(message, hint=hint, path=path)
        self.package = package
        self.location = location


class HashMismatchError(WheelError):
    """A file's digest is not the one the lock (or the index) promised."""

    def __init__(
        self, *, package: str, location: str, algorithm: str, expected: str, actual: str, kept: bool
    ) -> None:
        fate = "" if kept else " (the download was deleted)"
        super().__init__(
            f"{package}: {location} has {algorithm} {actual}, but {expected} was expected{fate}",
            package=package,
            location=location,
            hint=(
                "the file changed after it was locked: remove it and fetch it again, "
                "or if the new file is trusted, lock again (uv lock)"
            ),
        )
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual


class NoCompatibleWheelError(WheelError):
    """No wheel on offer fits the target interpreter's tags, and there is nothing to build."""

    def __init__(
        self,
        *,
        package: str,
        where: str,
        found: Sequence[str],
        top_tags: Sequence[str],
        tag_count: int,
    ) -> None:
        shown = ", ".join(found) if found else "no wheels at all"
        best = ", ".join(top_tags)
        super().__init__(
            f"{package}: no wheel from {where} fits this interpreter; found {shown}; "
            f"the interpreter's best tags are {best} ({tag_count} in all)",
            package=package,
            location=where,
            hint=(
                "put a wheel built for this platform in a --find-links folder, "
                "or lock again on this platform (uv lock)"
            ),
        )
        self.found = tuple(found)
        self.top_tags = tuple(top_tags)


class WheelNotFoundError(WheelError):
    """Nowhere that was looked at has the file: a missing path, an index without the version."""


class DownloadError(WheelError):
    """An HTTP request failed: an error status, a timeout, a refused connection."""

    def __init__(
        self, message: str, *, package: str, url: str, reason: str, hint: str | None = None
    ) -> None:
        super().__init__(message, package=package, location=url, hint=hint)
        self.reason = reason


class IndexPageError(WheelError):
    """An index answered with a project page that cannot be read."""


class CacheWriteError(WheelError):
    """The download cache could not be written (disk full, no permission)."""


class BuildError(WheelError):
    """A PEP 517/660 build, or getting its sources (git clone, sdist unpack), failed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Missing:
    """One wheel an offline run could not find, and the places that were looked at."""

    package: str
    filename: str | None
    looked: tuple[str, ...]

    def describe(self) -> str:
        what = f"{self.package} ({self.filename})" if self.filename else self.package
        return f"{what}, looked in {', '.join(self.looked)}" if self.looked else what


class OfflineError(WheelError):
    """``--offline`` and some wheels are nowhere local: lists every one of them."""

    def __init__(self, missing: Sequence[Missing]) -> None:
        count = len(missing)
        noun = "wheel" if count == 1 else "wheels"
        listed = "; ".join(item.describe() for item in missing)
        super().__init__(
            f"offline, and {count} {noun} could not be found without the network: {listed}",
            package=", ".join(item.package for item in missing),
            hint=(
                "run again without --offline to download them, "
                "or put them in a folder and pass --find-links DIR"
            ),
        )
        self.missing = tuple(missing)
