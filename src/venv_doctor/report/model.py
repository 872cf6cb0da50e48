"""The result of one ``check``, as the reports see it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from venv_doctor.diagnose.findings import Finding, Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    venv: str
    lockfile: str | None
    quick: bool
    findings: tuple[Finding, ...]
    distributions: int
    files: int
    notes: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return any(f.fails for f in self.findings)

    def counts(self) -> dict[str, int]:
        counter = Counter(f.severity.value for f in self.findings)
        return {severity.value: counter.get(severity.value, 0) for severity in Severity}

    def code_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(f.code for f in self.findings).items()))
