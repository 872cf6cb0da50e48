"""RECORD against the disk: file-missing, file-modified, dangling-symlink,
record-unsafe-path, record-malformed, cache-hardlink and unreadable."""

from __future__ import annotations

from venv_doctor.diagnose._make import finding, reinstall_hint
from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.index import Index
from venv_doctor.read.installed import InstalledDist
from venv_doctor.read.records import RecordRow, is_bytecode
from venv_doctor.read.snapshot import (
    DIR,
    FILE,
    LINK,
    OTHER,
    TARGET_DIR,
    TARGET_FILE,
    TARGET_LOOP,
    TARGET_MISSING,
    Snapshot,
)
from venv_doctor.words import counted, quoted

_WRONG_HASH_NOTE = (
    "; some published wheels ship RECORD hashes that do not match their own files: "
    "if this package was just installed, silence it with --ignore file-modified or "
    "per-package-ignores in [tool.venv-doctor]"
)


def check(snapshot: Snapshot, index: Index) -> list[Finding]:
    found: list[Finding] = []
    for dist in snapshot.dists:
        found.extend(_record_rows(snapshot, dist))
        if dist.record_problems:
            first = dist.record_problems[0]
            more = len(dist.record_problems) - 1
            found.append(
                finding(
                    "record-malformed",
                    f"RECORD line {first.line} {first.reason}: {quoted(first.text[:80])}"
                    + (f" (and {more} more bad lines)" if more else ""),
                    dist=dist,
                    path=f"{dist.meta_dir}/RECORD",
                    hint=reinstall_hint(dist),
                )
            )
    found.extend(_cache_links(snapshot, index))
    found.extend(
        finding(
            "unreadable",
            f"could not read {item.path}: {item.reason}",
            path=item.path,
            dist=index.owner(item.path),
        )
        for item in snapshot.unreadable
    )
    return found


def _record_rows(snapshot: Snapshot, dist: InstalledDist) -> list[Finding]:
    files = snapshot.owned.get(dist.meta_dir)
    if not files:
        return []
    found: list[Finding] = []
    record_rel = f"{dist.meta_dir}/RECORD"
    tree, hashes, escaped = snapshot.tree, snapshot.hashes, snapshot.escaped
    for rel, row in files:
        if rel is not None and rel not in escaped:
            # The common case, decided here: a regular file of the listed size
            # and hash (or not hashed), which _row_problem would pass as well.
            entry = tree.get(rel)
            if (
                entry is not None
                and entry.kind == FILE
                and (row.size is None or entry.size == row.size)
                and (row.hash_value is None or hashes.get(rel, row.hash_value) == row.hash_value)
            ):
                continue
        if rel is None or rel in escaped:
            found.append(
                finding(
                    "record-unsafe-path",
                    f"RECORD lists {quoted(row.path)}, which resolves outside the venv; "
                    "it was not read and will never be touched",
                    dist=dist,
                    path=record_rel,
                    hint=reinstall_hint(dist) + ", from a trusted wheel",
                )
            )
        elif rel != record_rel and not is_bytecode(rel):
            problem = _row_problem(snapshot, dist, rel, row)
            if problem is not None:
                found.append(problem)
    return found


def _row_problem(
    snapshot: Snapshot, dist: InstalledDist, rel: str, row: RecordRow
) -> Finding | None:
    entry = snapshot.tree.get(rel)
    if entry is None:
        if rel == f"{dist.meta_dir}/METADATA":
            return None  # reported as dist-info-incomplete
        return finding(
            "file-missing",
            f"{rel} is listed in {dist.label}'s RECORD but is not on disk",
            dist=dist,
            path=rel,
            hint=reinstall_hint(dist),
        )
    if entry.kind == LINK and entry.target in (TARGET_MISSING, TARGET_LOOP):
        what = "a link loop" if entry.target == TARGET_LOOP else "nothing"
        cleaned = "" if entry.target_inside else " (a uv cache entry removed by 'uv cache clean'?)"
        return finding(
            "dangling-symlink",
            f"{rel} is a symbolic link to {what}{cleaned}",
            dist=dist,
            path=rel,
            hint=reinstall_hint(dist, "--link-mode", "copy"),
        )
    if row.hash_value is None and (
        entry.kind == DIR or (entry.kind == LINK and entry.target == TARGET_DIR)
    ):
        return None  # some tools (virtualenv's seeder) list folders in RECORD
    modified = None
    if entry.kind in (DIR, OTHER) or (entry.kind == LINK and entry.target != TARGET_FILE):
        modified = "is not a regular file"
    elif row.size is not None and entry.size != row.size:
        modified = f"has {entry.size} bytes, RECORD says {row.size}"
    elif row.hash_value is not None:
        digest = snapshot.hashes.get(rel)
        if digest is not None and digest != row.hash_value:
            modified = f"has another {row.hash_algo} hash than RECORD says"
    if modified is None or (entry.kind == FILE and _only_flags_added(snapshot, rel, row)):
        return None
    return finding(
        "file-modified",
        f"{rel} {modified}",
        dist=dist,
        path=rel,
        hint=reinstall_hint(dist) + _WRONG_HASH_NOTE,
    )


def _only_flags_added(snapshot: Snapshot, rel: str, row: RecordRow) -> bool:
    """Whether a script differs from RECORD only by flags after its shebang's interpreter.

    pip, as pipx runs it, writes ``#!<venv>/bin/python -E`` but records the
    hash of the script without `` -E``: the file is as installed.
    """
    flagless = snapshot.flagless.get(rel)
    if flagless is None or row.hash_value is None:
        return False
    size, digest = flagless
    return digest == row.hash_value and (row.size is None or size == row.size)


def _cache_links(snapshot: Snapshot, index: Index) -> list[Finding]:
    found = []
    cache = snapshot.cache
    for meta_dir, count in sorted(cache.linked.items()):
        dist = index.by_meta[meta_dir]
        if meta_dir in cache.confirmed:
            where = f"uv's cache ({cache.cache_dir})"
        else:
            where = "other files (another venv or a package cache)"
        found.append(
            finding(
                "cache-hardlink",
                f"{counted(count, 'file')} of {dist.label} "
                f"{'is a hard link' if count == 1 else 'are hard links'} shared with {where}: "
                "editing one in place edits every copy",
                dist=dist,
                path=meta_dir,
                hint="never edit installed files in place: the edit changes every copy",
                count=count,
            )
        )
    return found
