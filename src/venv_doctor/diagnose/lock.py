"""Drift between a lockfile's wanted set and what is installed.

Pure: a ``WantedSet`` and the installed distributions in, findings out.  The
comparison is the one ``uv sync`` makes when it decides what to install,
reinstall and remove: the name must be there, at the locked version, from
the locked source (registry, editable, local path, URL, git commit), and
nothing else may be installed (sync is exact), except the seed packages of a
venv made with ``uv venv --seed``, which uv leaves alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venv_doctor.diagnose.findings import CODES, Finding
from venv_doctor.lockfiles.wanted import Source, WantedDist, WantedSet
from venv_doctor.read.installed import InstalledDist

# What `uv venv --seed` installs and `uv sync` then keeps (pyvenv.cfg: seed = true).
SEED_PACKAGES = frozenset({"pip", "setuptools", "wheel"})


def preserved_packages(cfg: Mapping[str, str] | None) -> frozenset[str]:
    """Names ``uv sync`` never removes from this venv: its seed packages.

    uv keeps pip, setuptools and wheel in a venv it seeded (``seed = true``)
    and in any venv it did not create (no ``uv`` key: ``python -m venv`` and
    virtualenv seed them): ``uv sync -v`` says "Preserving seed package".  The
    same names are kept with a requirements file or pylock.toml, as pip-sync
    keeps them: ``pip freeze`` leaves them out, and removing pip would leave
    ``python -m pip`` broken.  A lockfile that lists them still sets their version.
    """
    if cfg is None:
        return frozenset()
    if "uv" not in cfg or cfg.get("seed", "").strip().lower() == "true":
        return SEED_PACKAGES
    return frozenset()


def sync_command(wanted: WantedSet) -> str:
    """The command that makes the venv match ``wanted`` with the tool that wrote it."""
    if wanted.kind == "uv.lock":
        return "uv sync --frozen"
    return f"uv pip sync {wanted.lockfile.name}"


def _hint(wanted: WantedSet) -> str:
    return (
        f"venv-doctor fix --from {wanted.lockfile.name} repairs it; so does {sync_command(wanted)}"
    )


def _finding(
    code: str, dist: InstalledDist | None, wanted: WantedDist | None, message: str, hint: str
) -> Finding:
    name = dist.name if dist is not None else wanted.name if wanted is not None else None
    version = dist.version if dist is not None else wanted.version if wanted is not None else None
    return Finding(
        code=code,
        severity=CODES[code].severity,
        package=name,
        version=version,
        path=dist.meta_dir if dist is not None else None,
        message=message,
        hint=hint,
    )


def lock_findings(
    wanted: WantedSet,
    dists: Sequence[InstalledDist],
    *,
    keep: Iterable[str] = (),
) -> list[Finding]:
    """Every way the installed ``dists`` differ from ``wanted``.

    ``lock-missing``, ``lock-version-mismatch``, ``lock-source-mismatch`` and
    ``lock-extraneous``.  ``keep`` names distributions never reported as
    extraneous (``preserved_packages(layout.cfg)`` for a uv.lock).
    """
    keep_names = {str(canonicalize_name(name)) for name in keep}
    by_name: dict[str, list[InstalledDist]] = {}
    for dist in dists:
        by_name.setdefault(dist.name, []).append(dist)
    hint = _hint(wanted)
    found: list[Finding] = []
    for want_name, want in sorted(wanted.dists.items()):
        installed = by_name.get(want_name, [])
        if not installed:
            found.append(
                _finding(
                    "lock-missing",
                    None,
                    want,
                    f"{want.label} is in {wanted.lockfile.name} ({want.source.describe()}) "
                    "but not installed",
                    hint,
                )
            )
            continue
        for dist in installed:
            found.extend(_compare(want, dist, wanted, hint))
    for name, installed in sorted(by_name.items()):
        if name in wanted.dists or name in keep_names:
            continue
        found.extend(
            _finding(
                "lock-extraneous",
                dist,
                None,
                f"{dist.label} is installed but {wanted.lockfile.name} does not want it here",
                hint,
            )
            for dist in installed
        )
    return found


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _compare(want: WantedDist, dist: InstalledDist, wanted: WantedSet, hint: str) -> list[Finding]:
    lockname = wanted.lockfile.name
    if (
        want.version is not None
        and dist.version is not None
        and not _same_version(want.version, dist.version)
    ):
        return [
            _finding(
                "lock-version-mismatch",
                dist,
                want,
                f"{dist.name} {dist.version} is installed but {lockname} wants {want.version}",
                hint,
            )
        ]
    problem = source_problem(want.source, dist.direct_url)
    if problem is None and want.requires_dist is not None and dist.has_metadata:
        problem = _stale_metadata(want.requires_dist, dist.requires_dist)
    if problem is None:
        return []
    return [
        _finding(
            "lock-source-mismatch",
            dist,
            want,
            f"{dist.label}: {problem} ({lockname} wants {want.source.describe()})",
            hint,
        )
    ]


def _url_path(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    return unquote(parts.path).rstrip("/")


def _same_repo(a: str | None, b: str | None) -> bool:
    def norm(url: str | None) -> str:
        text = (url or "").removeprefix("git+").split("#", 1)[0].rstrip("/").lower()
        return text.removesuffix(".git")

    return norm(a) == norm(b)


def _installed_as(direct_url: Mapping[str, Any] | None) -> str:
    if not direct_url:
        return "installed from an index"
    if isinstance(direct_url.get("dir_info"), Mapping):
        editable = direct_url["dir_info"].get("editable") is True
        kind = "editable" if editable else "a local folder"
        return f"installed as {kind} {direct_url.get('url')}"
    if isinstance(direct_url.get("vcs_info"), Mapping):
        return f"installed from {direct_url['vcs_info'].get('vcs', 'vcs')} {direct_url.get('url')}"
    return f"installed from {direct_url.get('url')}"


def source_problem(source: Source, direct_url: Mapping[str, Any] | None) -> str | None:
    """Why an install recorded by ``direct_url`` (PEP 610) is not from ``source``.

    ``None`` when it is from there.
    """
    if source.kind in {"unknown", "virtual"}:
        return None
    if source.kind == "registry":
        return _installed_as(direct_url) if direct_url else None
    if not direct_url:
        return _installed_as(direct_url)
    check = _CHECKS.get(source.kind, _check_url)
    return check(source, direct_url)


def _check_dir(source: Source, direct_url: Mapping[str, Any]) -> str | None:
    dir_info = direct_url.get("dir_info")
    if not isinstance(dir_info, Mapping):
        return _installed_as(direct_url)
    editable = dir_info.get("editable") is True
    same_path = source.path is None or _url_path(str(direct_url.get("url", ""))) == (
        source.path.rstrip("/")
    )
    if editable != (source.kind == "editable") or not same_path:
        return _installed_as(direct_url)
    return None


def _check_git(source: Source, direct_url: Mapping[str, Any]) -> str | None:
    vcs_info = direct_url.get("vcs_info")
    if not isinstance(vcs_info, Mapping) or not _same_repo(
        str(direct_url.get("url", "")), source.url
    ):
        return _installed_as(direct_url)
    commit = vcs_info.get("commit_id")
    if source.commit and commit != source.commit:
        return f"installed from git commit {commit}"
    return None


def _check_path(source: Source, direct_url: Mapping[str, Any]) -> str | None:
    if _url_path(str(direct_url.get("url", ""))) != (source.path or "").rstrip("/"):
        return _installed_as(direct_url)
    return None


def _check_url(source: Source, direct_url: Mapping[str, Any]) -> str | None:
    url = str(direct_url.get("url", "")).split("#", 1)[0]
    if url != (source.url or "").split("#", 1)[0]:
        return _installed_as(direct_url)
    return None


_CHECKS = {
    "editable": _check_dir,
    "directory": _check_dir,
    "git": _check_git,
    "path": _check_path,
    "url": _check_url,
}


def _requirement_keys(lines: Iterable[str]) -> set[tuple[str, frozenset[str], frozenset[str]]]:
    keys = set()
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        specs = frozenset(str(spec) for spec in SpecifierSet(str(req.specifier)))
        extras = frozenset(str(canonicalize_name(e)) for e in req.extras)
        keys.add((str(canonicalize_name(req.name)), extras, specs))
    return keys


def _stale_metadata(locked: Sequence[str], installed: Sequence[str]) -> str | None:
    # Markers are left out: uv rewrites them (python_version -> python_full_version).
    want, have = _requirement_keys(locked), _requirement_keys(installed)
    if want == have:
        return None
    added = sorted({key[0] for key in want - have})
    removed = sorted({key[0] for key in have - want})
    parts = []
    if added:
        parts.append("the lock adds or changes " + ", ".join(added))
    if removed:
        parts.append("the installed metadata still has " + ", ".join(removed))
    return "installed metadata is stale: " + "; ".join(parts)
