"""uv tool and pipx venvs against what their installer recorded. Pure.

Such a venv is what ``uv-receipt.toml`` or ``pipx_metadata.json`` says it is:
the tool's own package as asked for (version range, extras), and each
``--with`` or injected package.  A venv that lost that file, or no longer
holds what it names, is one its installer no longer lists or cannot upgrade;
the installer's own command rebuilds it (``ManagedVenv.command``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venv_doctor.diagnose.findings import CODES, Finding
from venv_doctor.read.installed import InstalledDist
from venv_doctor.read.managed import MISSING, UV_TOOL, ManagedVenv, ToolRequirement

CODE = "tool-venv-broken"


def tool_findings(
    managed: ManagedVenv, dists: Sequence[InstalledDist], environment: Mapping[str, str]
) -> list[Finding]:
    """One finding per way the venv differs from its installer's record; none when it matches.

    ``environment`` holds the target's marker values: a requirement whose
    marker does not hold there is not wanted.
    """
    by_name: dict[str, list[InstalledDist]] = {}
    for dist in dists:
        by_name.setdefault(dist.name, []).append(dist)
    main = next(iter(by_name.get(managed.main_name, ())), None)
    if managed.problem is not None:
        return [_found(managed, main, _lost_record(managed, main))]
    found: list[Finding] = []
    for index, want in enumerate(managed.wants):
        if not _holds(want.marker, environment, ""):
            continue
        role = "" if index == 0 else "--with, " if managed.manager == UV_TOOL else "injected, "
        wanted = f"{managed.title} wants {want.text} ({role}{managed.record})"
        targets = by_name.get(want.name, [])
        if not targets:
            found.append(_found(managed, main, f"{wanted}, which is not installed"))
            continue
        if not _in_range(want.specifier, targets):
            shown = ", ".join(target.version or "?" for target in targets)
            found.append(
                _found(managed, main, f"{wanted}, but {targets[0].name} {shown} is installed")
            )
            continue
        found += [
            _found(managed, main, f"{wanted}: {problem}")
            for problem in _extras_unmet(want, targets[0], by_name, environment)
        ]
    return found


def _lost_record(managed: ManagedVenv, main: InstalledDist | None) -> str:
    if managed.problem == MISSING:
        what = f"{managed.title} has lost its {managed.record}"
    else:
        what = f"the {managed.record} of {managed.title} cannot be read ({managed.problem})"
    if managed.manager == UV_TOOL:
        effect = "uv no longer counts it as installed (uv tool list calls it malformed)"
    else:
        effect = "pipx can no longer tell what it installed here"
    still = (
        f"{main.label} is still installed here"
        if main is not None
        else f"{managed.main_name} itself is not installed any more"
    )
    return f"{what}: {effect}; {still}"


def _found(managed: ManagedVenv, main: InstalledDist | None, message: str) -> Finding:
    hint = (
        f"{managed.command} rebuilds it as its {managed.record} says"
        if managed.problem is None
        else f"{managed.command} rebuilds it"
    )
    if managed.unkept:
        hint += f" (pass the {', '.join(managed.unkept)} of {managed.record} again)"
    hint += f"; {managed.remove_command} removes it instead"
    # Under the tool's own package, also when that package is gone.
    return Finding(
        code=CODE,
        severity=CODES[CODE].severity,
        package=main.name if main is not None else managed.main_name,
        version=main.version if main is not None else None,
        path=managed.record,
        message=message,
        hint=hint,
    )


def _holds(marker: str | None, environment: Mapping[str, str], extra: str) -> bool:
    if not marker:
        return True
    try:
        return Marker(marker).evaluate({**environment, "extra": extra})
    except InvalidMarker:
        return True  # unknown: the requirement counts


def _in_range(specifier: str, targets: Sequence[InstalledDist]) -> bool:
    if not specifier:
        return True
    try:
        wanted = SpecifierSet(specifier)
    except InvalidSpecifier:
        return True
    for target in targets:
        try:
            if target.version is None or wanted.contains(Version(target.version), prereleases=True):
                return True
        except InvalidVersion:
            return True  # versions unknown: dist-info-incomplete says why
    return False


def _extras_unmet(
    want: ToolRequirement,
    dist: InstalledDist,
    by_name: Mapping[str, Sequence[InstalledDist]],
    environment: Mapping[str, str],
) -> list[str]:
    """What each extra the tool was installed with needs of its package, and is not there.

    Only the lines an extra adds: the package's own requirements are
    ``dependency-unsatisfied``'s.
    """
    problems: list[str] = []
    for extra in want.extras:
        normal = str(canonicalize_name(extra))
        for line in dist.requires_dist:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            marker = str(req.marker) if req.marker else None
            if (
                not marker
                or _holds(marker, environment, "")
                or not _holds(marker, environment, normal)
            ):
                continue
            needed = f"its extra {extra} needs {req.name}{req.specifier}"
            targets = by_name.get(str(canonicalize_name(req.name)), [])
            if not targets:
                problems.append(f"{needed}, which is not installed")
            elif not _in_range(str(req.specifier), targets):
                shown = ", ".join(target.version or "?" for target in targets)
                problems.append(f"{needed}, but {targets[0].name} {shown} is installed")
    return problems
