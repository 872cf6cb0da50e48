"""editable-target-missing: an editable install points at a folder that is gone."""

from __future__ import annotations

from venv_doctor.diagnose._make import finding
from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.index import Index
from venv_doctor.read.installed import InstalledDist
from venv_doctor.read.snapshot import EditablePointer, Snapshot


def check(snapshot: Snapshot, index: Index) -> list[Finding]:
    missing: list[tuple[InstalledDist | None, EditablePointer]] = []
    for pointer in snapshot.editables:
        if pointer.exists:
            continue
        if pointer.kind == "direct_url":
            dist = index.by_meta.get(pointer.source.rpartition("/")[0])
        else:
            dist = index.owner(pointer.source)
        missing.append((dist, pointer))
    # One install, one finding: the pointer Python follows on import (a .pth,
    # a finder) is the one that matters; direct_url.json (the project folder,
    # not its src/) is reported only when the install has no such pointer.
    imported = {dist.meta_dir for dist, pointer in missing if dist and pointer.kind != "direct_url"}
    found = []
    seen: set[tuple[str | None, str]] = set()
    for dist, pointer in missing:
        if dist is not None and pointer.kind == "direct_url" and dist.meta_dir in imported:
            continue
        key = (dist.name if dist else pointer.source, pointer.target.rstrip("/\\"))
        if key in seen:
            continue
        seen.add(key)
        what = (
            f"{dist.label} is installed in editable mode from" if dist else f"{pointer.source} adds"
        )
        found.append(
            finding(
                "editable-target-missing",
                f"{what} {pointer.target}, which does not exist (moved or deleted?)",
                dist=dist,
                path=pointer.source,
                hint="venv-doctor fix rebuilds it from the project; so does uv sync "
                f"--reinstall-package {dist.display_name if dist else 'NAME'} "
                "in the project's new place",
            )
        )
    return found
