"""What ``fix`` asks for (a ``WantedDist`` or a ``Pin``) and gets (a ``LocalWheel``), and the
defaults of where wheels come from; ``obtain`` finds them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from venv_doctor.lockfiles.wanted import WantedDist
from venv_doctor.read.digest_cache import cache_dir
from venv_doctor.read.installed import NormalizedName

DEFAULT_INDEX_URL = "https://pypi.org/simple"
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalWheel:
    """A wheel file ready to install: where it is, its verified sha256, what it is.

    ``origin`` says where it came from, for reports: ``lock path``,
    ``find-links``, ``cache``, a URL, or ``built from …``.  ``path`` stays
    valid after the call: it is a file the lock or ``--find-links`` names,
    or a file in the download cache.
    """

    path: Path
    sha256: str
    filename: str
    name: NormalizedName
    version: str
    origin: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Pin:
    """A distribution wanted at an exact version without a lockfile: an installed one."""

    name: NormalizedName
    version: str

    @classmethod
    def of(cls, name: str, version: str) -> Pin:
        return cls(name=NormalizedName(canonicalize_name(name)), version=version)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


WheelRequest = WantedDist | Pin


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchOptions:
    """Where wheels may come from.

    ``index_url`` ``None`` means: the lock's own registry, else
    ``UV_DEFAULT_INDEX``, ``UV_INDEX_URL``, ``PIP_INDEX_URL``, else PyPI.
    ``cache_dir`` ``None`` means ``VENV_DOCTOR_CACHE_DIR``, else the user
    cache folder (platformdirs).  ``timeout`` is per network operation, in
    seconds.
    """

    find_links: Sequence[Path] = ()
    index_url: str | None = None
    offline: bool = False
    cache_dir: Path | None = None
    timeout: float = DEFAULT_TIMEOUT


def default_index_url(environ: Mapping[str, str]) -> str:
    """The index used when neither the options nor the lock name one."""
    for key in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"):
        value = environ.get(key, "").strip()
        if value:
            return value
    return DEFAULT_INDEX_URL


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """``VENV_DOCTOR_CACHE_DIR``, else the platform's user cache folder for venv-doctor."""
    return cache_dir(environ)
