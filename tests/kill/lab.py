"""The session's lock states, their fresh syncs, and a bench per installer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.kill.scenarios import (
    PROJECT,
    Bench,
    Installer,
    LockState,
    PipTemplate,
    Twin,
    pip_template,
)
from tests.support.tools import Tools


@dataclass(slots=True, kw_only=True)
class Lab:
    """The project's lock states and their fresh syncs, and a bench per installer."""

    tools: Tools
    root: Path
    states: dict[str, LockState]
    twins: dict[str, Twin]
    cache: Path  # venv-doctor's own wheel cache
    log: Path | None
    benches: dict[str, Bench] = field(default_factory=dict)
    template: PipTemplate | None = None

    @property
    def project(self) -> Path:
        """The one project folder every installer works in, one trial after another."""
        return self.root / "bench" / PROJECT

    def bench(self, installer: Installer) -> Bench:
        """The bench of ``installer``, timed the first time it is asked for."""
        if installer.id not in self.benches:
            if not self.project.is_dir():
                self.project.mkdir(parents=True)
                self.states["old"].put(self.project)
            if installer.maker == "pip" and self.template is None:
                self.template = pip_template(self.tools, self.project, self.states["old"])
            bench = Bench(
                installer=installer,
                tools=self.tools,
                project=self.project,
                old=self.states["old"],
                new=self.states["new"],
                template=self.template if installer.maker == "pip" else None,
            )
            bench.measure()
            self.benches[installer.id] = bench
        return self.benches[installer.id]

    def record(self, entry: dict[str, Any]) -> None:
        """Append ``entry`` to the ``--kill-log`` file, if one was asked for."""
        if self.log is not None:
            with self.log.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")
