"""editable-target-missing: an editable install points at a folder that is gone."""

from __future__ import annotations

from venv_doctor.diagnose._make import finding
from venv_doctor.diagnose.index import Index
from venv_doctor.findings import Finding
from venv_doctor.snapshot import Snapshot


def check(snapshot: Snapshot, index: Index) -> list[Finding]:
    found = []
    seen: set[tuple[str | None, str]] = set()
    for pointer in snapshot.editables:
        if pointer.exists:
            continue
        if pointer.kind == "direct_url":
            dist = index.by_meta.get(pointer.source.rpartition("/")[0])
        else:
            dist = index.owner(pointer.source)
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
                hint="venv-doctor fix --from uv.lock rebuilds it from the project "
                "(or: uv sync --reinstall-package NAME from the project's new place)",
            )
        )
    return found
