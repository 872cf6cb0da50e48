"""Read each installed project's ``uv_cache.json``, and the cache info of its source now.

Only reads: the venv's dist-info folders and the project folders (or
archives) the lockfile installs from.  ``diagnose.freshness`` compares them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from venv_doctor.read.readfile import read_regular

if TYPE_CHECKING:
    from venv_doctor.read.cache_info import CacheInfo
    from venv_doctor.read.installed import InstalledDist

CACHE_FILE = "uv_cache.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheRecord:
    """One distribution's stored cache info and, for a watched source, the current one.

    ``stored`` is ``None`` when there is no ``uv_cache.json`` or uv cannot
    read it (``invalid`` says why).  ``source`` is the local project folder
    or archive compared against (``None``: not compared); ``current`` is
    its cache info now, ``None`` when it cannot be had (``unknown`` says why,
    or the source is gone or cannot be read as uv reads it).
    """

    meta_dir: str
    stored: CacheInfo | None = None
    invalid: str | None = None
    source: str | None = None
    current: CacheInfo | None = None
    unknown: str | None = None


def read_cache_records(
    root: str,
    dists: Iterable[InstalledDist],
    sources: Mapping[str, str],
    environ: Mapping[str, str],
) -> tuple[CacheRecord, ...]:
    """The record of every distribution that has a ``uv_cache.json`` or is in ``sources``.

    ``sources`` maps a distribution's ``meta_dir`` to the local source uv
    would compare it with; ``environ`` is the environment uv would run in.
    """
    records: list[CacheRecord] = []
    for dist in dists:
        source = sources.get(dist.meta_dir)
        if source is None and CACHE_FILE not in dist.meta_files:
            continue
        stored, invalid = _stored(root, dist)
        current, unknown = (None, None) if source is None else _current(source, environ)
        records.append(
            CacheRecord(
                meta_dir=dist.meta_dir,
                stored=stored,
                invalid=invalid,
                source=source,
                current=current,
                unknown=unknown,
            )
        )
    return tuple(records)


def _stored(root: str, dist: InstalledDist) -> tuple[CacheInfo | None, str | None]:
    from venv_doctor.read.cache_info import InvalidCacheInfoError, parse_cache_info

    if CACHE_FILE not in dist.meta_files:
        return None, None
    try:
        text = read_regular(os.path.join(root, dist.meta_dir, CACHE_FILE)).decode("utf-8")
        return parse_cache_info(text), None
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, exc.strerror or str(exc)
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except InvalidCacheInfoError as exc:
        return None, str(exc)


def _current(source: str, environ: Mapping[str, str]) -> tuple[CacheInfo | None, str | None]:
    from venv_doctor.read.cache_info import (
        CacheInfoUnknownError,
        UnreadableProjectError,
        cache_info,
    )

    try:
        return cache_info(source, environ), None
    except (FileNotFoundError, UnreadableProjectError):
        # A source that is gone has findings of its own; one whose pyproject.toml
        # uv refuses (or this reader cannot parse) makes uv fail before it compares.
        return None, None
    except OSError as exc:
        return None, f"cannot read {source}: {exc.strerror or exc}"
    except CacheInfoUnknownError as exc:
        return None, str(exc)
