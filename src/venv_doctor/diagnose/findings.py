"""The finding: one thing that is wrong (or worth knowing) about a venv.

Finding codes are a public contract: scripts select and ignore them by name,
and the JSON report carries them.  Every code is registered in ``CODES`` with
its severity and a one-line summary; ``docs/reference/findings.md`` explains
each in full.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Severity(str, enum.Enum):
    """How bad a finding is; ``error`` and ``warning`` make ``check`` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.ERROR: 2, Severity.WARNING: 1, Severity.INFO: 0}


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem found in a venv.

    ``path`` is relative to the venv root (POSIX separators), or absolute when
    the thing it names lies outside the venv.  ``package`` is the PEP 503
    normalized name of the distribution concerned, or ``None``.
    """

    code: str
    severity: Severity
    package: str | None
    version: str | None
    path: str | None
    message: str
    hint: str | None = None
    # How many paths the finding speaks for (``cache-hardlink``: files of one
    # distribution), for summaries that add them up; not part of the JSON.
    count: int = 1

    @property
    def fails(self) -> bool:
        """Whether this finding makes ``check`` exit with status 1."""
        return self.severity is not Severity.INFO


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeInfo:
    code: str
    severity: Severity
    summary: str


def _codes(*infos: CodeInfo) -> dict[str, CodeInfo]:
    return {info.code: info for info in infos}


CODES: dict[str, CodeInfo] = _codes(
    CodeInfo(
        code="file-missing",
        severity=Severity.ERROR,
        summary="A file listed in a distribution's RECORD is not on disk.",
    ),
    CodeInfo(
        code="file-modified",
        severity=Severity.WARNING,
        summary="A file's size or hash differs from its distribution's RECORD.",
    ),
    CodeInfo(
        code="dangling-symlink",
        severity=Severity.ERROR,
        summary="An installed file is a symbolic link to nothing.",
    ),
    CodeInfo(
        code="dist-info-incomplete",
        severity=Severity.ERROR,
        summary="A .dist-info folder is empty, lacks METADATA or RECORD, or its RECORD is not "
        "the one its installer finished.",
    ),
    CodeInfo(
        code="duplicate-distribution",
        severity=Severity.ERROR,
        summary="Two or more installed metadata folders for one distribution name.",
    ),
    CodeInfo(
        code="orphan-file",
        severity=Severity.WARNING,
        summary="Files in site-packages or the scripts folder that no RECORD owns.",
    ),
    CodeInfo(
        code="stash-leftover",
        severity=Severity.WARNING,
        summary="A temporary file or folder, or pip's stash, left by an interrupted install.",
    ),
    CodeInfo(
        code="pip-interrupted",
        severity=Severity.ERROR,
        summary="pip stopped while it replaced or removed a distribution: neither version is "
        "installed.",
    ),
    CodeInfo(
        code="record-unsafe-path",
        severity=Severity.ERROR,
        summary="A RECORD entry resolves to a path outside the venv.",
    ),
    CodeInfo(
        code="script-stale-shebang",
        severity=Severity.ERROR,
        summary="A console script or activate script names a place other than this venv.",
    ),
    CodeInfo(
        code="editable-target-missing",
        severity=Severity.ERROR,
        summary="An editable install points at a folder that does not exist.",
    ),
    CodeInfo(
        code="interpreter-missing",
        severity=Severity.ERROR,
        summary="The venv's base interpreter (pyvenv.cfg home, or the python link) is gone.",
    ),
    CodeInfo(
        code="interpreter-changed",
        severity=Severity.ERROR,
        summary="bin/python runs another Python (X.Y or ABI) than the venv was made for, "
        "or on another platform than a distribution was built for.",
    ),
    CodeInfo(
        code="fix-interrupted",
        severity=Severity.ERROR,
        summary="A venv-doctor fix was interrupted and is half applied.",
    ),
    CodeInfo(
        code="tool-venv-broken",
        severity=Severity.ERROR,
        summary="A uv tool's or pipx's venv lost its receipt, or no longer holds what it names.",
    ),
    CodeInfo(
        code="cache-hardlink",
        severity=Severity.INFO,
        summary="Installed files share inodes with uv's cache; editing one edits every copy.",
    ),
    CodeInfo(
        code="lock-missing",
        severity=Severity.ERROR,
        summary="The lockfile wants a distribution that is not installed.",
    ),
    CodeInfo(
        code="lock-extraneous",
        severity=Severity.WARNING,
        summary="A distribution is installed that the lockfile does not want.",
    ),
    CodeInfo(
        code="lock-version-mismatch",
        severity=Severity.ERROR,
        summary="The installed version differs from the lockfile's.",
    ),
    CodeInfo(
        code="lock-source-mismatch",
        severity=Severity.WARNING,
        summary="The installed distribution comes from another source than the lockfile's.",
    ),
    CodeInfo(
        code="local-project-stale",
        severity=Severity.WARNING,
        summary="uv will rebuild a project installed from a local folder: its source changed.",
    ),
    CodeInfo(
        code="uv-cache-info-invalid",
        severity=Severity.ERROR,
        summary="A dist-info holds a uv_cache.json uv cannot read, so every uv command fails.",
    ),
    CodeInfo(
        code="dependency-unsatisfied",
        severity=Severity.ERROR,
        summary="An installed distribution's requirement is missing or out of range.",
    ),
    CodeInfo(
        code="file-in-use",
        severity=Severity.INFO,
        summary="A running process uses files of the venv (runs, opens or maps them).",
    ),
    CodeInfo(
        code="unreadable",
        severity=Severity.WARNING,
        summary="A file or folder venv-doctor needed to read could not be read.",
    ),
    CodeInfo(
        code="record-malformed",
        severity=Severity.WARNING,
        summary="A RECORD file has rows that cannot be parsed.",
    ),
)


def parse_code_list(value: str | None) -> frozenset[str]:
    """Parse a comma separated ``--select``/``--ignore`` value into known codes.

    ``ALL`` stands for every code.  Unknown codes raise ``UsageError`` so a typo
    does not silently select nothing.
    """
    from venv_doctor.errors import UsageError

    if not value:
        return frozenset()
    codes = {part.strip() for part in value.split(",") if part.strip()}
    if "ALL" in codes:
        return frozenset(CODES)
    unknown = sorted(codes - CODES.keys())
    if unknown:
        raise UsageError(
            f"unknown finding code {', '.join(unknown)}",
            hint=f"known codes: {', '.join(sorted(CODES))}",
        )
    return frozenset(codes)


def filter_findings(
    findings: Iterable[Finding], *, select: frozenset[str], ignore: frozenset[str]
) -> list[Finding]:
    """Keep the findings ``--select`` asks for (all when empty) minus ``--ignore``."""
    return [f for f in findings if (not select or f.code in select) and f.code not in ignore]


def sort_key(finding: Finding) -> tuple[int, str, str, str]:
    return (-finding.severity.rank, finding.package or "", finding.code, finding.path or "")
