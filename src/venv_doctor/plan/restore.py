"""Which damaged distributions only need some files put back from their wheel.

A distribution whose every problem is a file its RECORD lists that is
missing or modified, in its own package folders, is intact otherwise: its
metadata, RECORD and the rest of its files are what the installer wrote.
Putting back those files from the same wheel gives what a reinstall gives,
file for file, at the cost of those files alone.  Anything else about it (its
metadata, launchers, a wheel's ``.data`` files, unlisted files in its folders,
another source than an index) makes a whole reinstall.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.index import Index
from venv_doctor.plan.actions import InstallDist
from venv_doctor.plan.remove import owned_by, remove_action
from venv_doctor.read.installed import InstalledDist
from venv_doctor.read.records import RecordRow, is_bytecode
from venv_doctor.read.snapshot import DIR, Snapshot

RESTORABLE = frozenset({"file-missing", "file-modified"})


def restorable(
    snapshot: Snapshot, findings: Iterable[Finding], index: Index
) -> dict[str, tuple[str, ...]]:
    """meta_dir -> the venv-relative files to put back, for each distribution that only needs that.

    Every failing finding about the distribution, or about a path in one of
    its top-level folders, must be a ``file-missing`` or ``file-modified`` of
    a file its RECORD lists with a sha256 hash, below its site-packages and
    outside its ``.dist-info`` and ``.data`` folders.
    """
    wanted: dict[str, set[str]] = defaultdict(set)
    others: list[str] = []  # paths of every other failing finding
    for finding in findings:
        if not finding.fails:
            continue
        path = finding.path
        owners = index.owners.get(path, ()) if path is not None else ()
        if finding.code in RESTORABLE and path is not None and len(owners) == 1:
            wanted[owners[0]].add(path)
        elif path is not None:
            others.append(path)
        elif finding.package is not None:
            others.extend(d.meta_dir for d in snapshot.dists if d.name == finding.package)
    found: dict[str, tuple[str, ...]] = {}
    for meta_dir, paths in wanted.items():
        dist = index.by_meta[meta_dir]
        if dist.record is None or dist.direct_url is not None:
            continue
        rows = {rel: row for rel, row in snapshot.owned.get(meta_dir, ()) if rel is not None}
        tops = _tops(rows, dist.site_dir)
        if any(_within(path, meta_dir, tops) for path in others):
            continue
        if all(_puts_back(path, rows, dist.site_dir, meta_dir, snapshot) for path in paths):
            found[meta_dir] = tuple(sorted(paths))
    return found


def _tops(rows: Mapping[str, RecordRow], site_dir: str) -> set[str]:
    """The top-level entries of site-packages the distribution's files are in."""
    prefix = site_dir + "/"
    tops = set()
    for rel in rows:
        if rel.startswith(prefix):
            tops.add(prefix + rel[len(prefix) :].partition("/")[0])
    return tops


def _within(path: str, meta_dir: str, tops: set[str]) -> bool:
    if path == meta_dir or path.startswith(meta_dir + "/"):
        return True
    return any(path == top or path.startswith(top + "/") for top in tops)


def _puts_back(
    path: str, rows: Mapping[str, RecordRow], site_dir: str, meta_dir: str, snapshot: Snapshot
) -> bool:
    row = rows.get(path)
    if row is None or row.hash_algo != "sha256":
        return False
    entry = snapshot.tree.get(path)
    if entry is not None and entry.kind == DIR:  # a folder in the way: a whole reinstall
        return False
    prefix = site_dir + "/"
    if not path.startswith(prefix) or path.startswith(meta_dir + "/") or is_bytecode(path):
        return False
    top = path[len(prefix) :].partition("/")[0]
    return not top.endswith((".data", ".dist-info", ".egg-info"))


def with_fallback(
    snapshot: Snapshot,
    action: InstallDist,
    index: Index,
    staying: Sequence[InstalledDist],
    claimed: set[str],
    claims: Mapping[str, str],
) -> InstallDist:
    """A restore, with what its whole reinstall would move to the trash first."""
    if not action.restore or action.meta_dir is None:
        return action
    dist = index.by_meta[action.meta_dir]
    others = owned_by(snapshot, [d for d in staying if d.meta_dir != dist.meta_dir])
    removal = remove_action(snapshot, dist, others, set(claimed), action.reason, claims)
    return replace(action, fallback=removal.paths)
