"""Installed distributions whose own requirements are not met, with or without a lockfile.

Pure, like ``pip check`` and ``uv pip check``: every ``Requires-Dist`` whose
marker holds for the target interpreter must name an installed distribution
whose version is in range.  Extras count: when ``a`` requires ``b[x]``, the
requirements ``b`` declares for extra ``x`` must be met too.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping, Sequence

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venv_doctor.diagnose.findings import CODES, Finding
from venv_doctor.read.installed import InstalledDist

_CODE = "dependency-unsatisfied"

# A requirement for one extra only, ``name ; extra == "x"``: three quarters of
# the Requires-Dist lines of a big venv.  Without an extra its marker never
# holds, so it is not parsed for that (parsing costs 20 us a line).
_FOR_AN_EXTRA = re.compile(r"""[^;]*;\s*extra\s*==\s*(['"])[A-Za-z][A-Za-z0-9._-]*\1\s*""")


class _Requirements:
    """Requires-Dist lines, each parsed once, on first use."""

    def __init__(self) -> None:
        self._parsed: dict[str, Requirement | None] = {}

    def of(self, lines: Sequence[str], extra: str) -> list[Requirement]:
        """The parsed ``lines`` whose marker may hold with ``extra`` ("": none)."""
        found = []
        for line in lines:
            if not extra and _FOR_AN_EXTRA.fullmatch(line):
                continue
            req = self._parse(line)
            if req is not None:
                found.append(req)
        return found

    def _parse(self, line: str) -> Requirement | None:
        if line not in self._parsed:
            try:
                self._parsed[line] = Requirement(line)
            except InvalidRequirement:
                # An unparsable line is reported by the metadata checks, not here.
                self._parsed[line] = None
        return self._parsed[line]


def _applies(req: Requirement, env: Mapping[str, str], extra: str) -> bool:
    if req.marker is None:
        return extra == ""
    return req.marker.evaluate({**env, "extra": extra})


def _version(dist: InstalledDist) -> Version | None:
    try:
        return Version(dist.version) if dist.version else None
    except InvalidVersion:
        return None


def dependency_findings(
    dists: Sequence[InstalledDist], markers_env: Mapping[str, str]
) -> list[Finding]:
    """One ``dependency-unsatisfied`` finding per requirement that is missing or out of range."""
    by_name: dict[str, list[InstalledDist]] = {}
    for dist in dists:
        by_name.setdefault(dist.name, []).append(dist)
    requirements = _Requirements()
    # Work through (dist, extra) pairs: "" for each dist's own requirements, then
    # every extra some other installed requirement asks of it.
    queue: deque[tuple[InstalledDist, str]] = deque((dist, "") for dist in dists)
    seen = {(id(dist), "") for dist in dists}
    found: list[Finding] = []
    while queue:
        dist, extra = queue.popleft()
        for req in requirements.of(dist.requires_dist, extra):
            if not _applies(req, markers_env, extra):
                continue
            name = str(canonicalize_name(req.name))
            targets = by_name.get(name, [])
            problem = _problem(dist, req, targets, extra)
            if problem is not None:
                found.append(problem)
            for target in targets:
                for wanted_extra in req.extras:
                    key = (id(target), str(canonicalize_name(wanted_extra)))
                    if key not in seen:
                        seen.add(key)
                        queue.append((target, key[1]))
    return found


def _problem(
    dist: InstalledDist, req: Requirement, targets: Sequence[InstalledDist], extra: str
) -> Finding | None:
    via = f" (for its extra {extra!r})" if extra else ""
    if not targets:
        message = f"{dist.label} requires {req}{via}, which is not installed"
    else:
        versions = [_version(target) for target in targets]
        if any(v is not None and req.specifier.contains(v, prereleases=True) for v in versions):
            return None
        if all(v is None for v in versions):
            return None  # versions unknown: dist-info-incomplete says why
        shown = ", ".join(t.version or "?" for t in targets)
        message = f"{dist.label} requires {req}{via}, but {targets[0].name} {shown} is installed"
    return Finding(
        code=_CODE,
        severity=CODES[_CODE].severity,
        package=dist.name,
        version=dist.version,
        path=dist.meta_dir,
        message=message,
        hint="install a version in range: uv sync (projects) or uv pip install "
        f"'{req.name}{req.specifier}'",
    )
