"""The results of ``check``, ``fix`` and ``scan``, as the reports see them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from venv_doctor.diagnose.findings import Finding, Severity

if TYPE_CHECKING:
    from venv_doctor.apply.recovery import RecoveryReport
    from venv_doctor.plan.actions import Plan


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    venv: str
    lockfile: str | None
    quick: bool
    findings: tuple[Finding, ...]
    distributions: int
    files: int
    # Digests of files read and hashed, and taken over unread (from the digest
    # cache, or in fix from the check before); both 0 for a quick check.
    hashed: int = 0
    reused: int = 0
    notes: tuple[str, ...] = ()
    found_by: str = ""  # why this venv (text output only): "from $VIRTUAL_ENV", ...
    # What ``fix`` would do about the findings: "fix" acts, "purge" acts only with
    # --purge-orphans (on ``purged`` paths), "none" can do nothing about them.
    repair: str = "fix"
    purged: int = 0
    # The installer's own command that rebuilds the venv, for a uv tool's or pipx's
    # venv (``tool-venv-broken`` names it); None for any other venv.
    tool_command: str | None = None

    @property
    def failed(self) -> bool:
        return any(f.fails for f in self.findings)

    def counts(self) -> dict[str, int]:
        counter = Counter(f.severity.value for f in self.findings)
        return {severity.value: counter.get(severity.value, 0) for severity in Severity}

    def code_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(f.code for f in self.findings).items()))


@dataclass(frozen=True, slots=True, kw_only=True)
class FixResult:
    """What ``fix`` found, planned and did, and the check after it."""

    before: CheckResult
    plan: Plan
    recovered: RecoveryReport | None = None
    transaction: str | None = None
    after: CheckResult | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def healthy(self) -> bool:
        final = self.after or self.before
        return not final.failed


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanRow:
    """The outcome of checking one venv: a result, or why it could not be checked."""

    venv: str
    result: CheckResult | None = None
    error: str | None = None

    @property
    def worst(self) -> str:
        if self.error is not None:
            return "unchecked"
        assert self.result is not None  # noqa: S101 - one of the two is always set
        counts = self.result.counts()
        for severity in ("error", "warning", "info"):
            if counts[severity]:
                return severity
        return "ok"

    @property
    def problems(self) -> int:
        if self.result is None:
            return 0
        return sum(1 for finding in self.result.findings if finding.fails)
