"""One real project in two lock states, and the installer commands that move between them.

The old lock wants heavylib 1.0 (about 400 modules), clikit 1.0 (two console
scripts), rufflike and polarslike; the new one upgrades heavylib to 2.0 (40
modules gone, 40 new, every other file changed, and a new dependency,
deplow), upgrades clikit to 2.0 (one launcher gone, one new), keeps rufflike
and drops polarslike for pytestlike.  Both locks are made by real uv against
the local index; the packages are in ``fixtures/packages.toml``.

A ``Bench`` is the project folder one installer works in: ``reset`` brings
its venv to the old lock (a real ``uv sync --frozen``, or a copy of a venv
that pip filled at this very place), ``argv`` is the command under test.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.kill.compare import Snapshot, differences, owned_paths, snapshot, without
from tests.kill.killing import Killed, kill_at, time_run
from tests.support.tools import BASE_PYTHON, Tools, write_pyproject

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the suite runs on 3.10 too
    import tomli as tomllib

OLD_DEPS = ("heavylib==1.0", "clikit==1.0", "rufflike", "polarslike")
NEW_DEPS = ("heavylib==2.0", "clikit==2.0", "rufflike", "pytestlike")
PROJECT = "app"


@dataclass(frozen=True, slots=True, kw_only=True)
class LockState:
    """``pyproject.toml`` and ``uv.lock`` of the project at one moment of its history."""

    name: str
    pyproject: bytes
    lock: bytes

    @property
    def pins(self) -> tuple[str, ...]:
        """``name==version`` of every locked package but the project itself."""
        data = tomllib.loads(self.lock.decode("utf-8"))
        return tuple(
            f"{package['name']}=={package['version']}"
            for package in data["package"]
            if "registry" in package["source"]
        )

    def put(self, project: Path) -> None:
        """Make this the project's state, as ``git checkout`` of both files would."""
        (project / "pyproject.toml").write_bytes(self.pyproject)
        (project / "uv.lock").write_bytes(self.lock)


def lock_states(tools: Tools, folder: Path) -> dict[str, LockState]:
    """``old`` and ``new``: the project locked by real uv against the local index."""
    states = {}
    for name, deps in (("old", OLD_DEPS), ("new", NEW_DEPS)):
        root = folder / name
        root.mkdir(parents=True)
        write_pyproject(root, deps, name=PROJECT)
        tools.run_uv("lock", "--python", BASE_PYTHON, cwd=root)
        states[name] = LockState(
            name=name,
            pyproject=(root / "pyproject.toml").read_bytes(),
            lock=(root / "uv.lock").read_bytes(),
        )
    return states


def dropped(old: LockState, new: LockState) -> tuple[str, ...]:
    """Names the old lock pins at a version the new one does not: what an upgrade uninstalls."""
    return tuple(pin.split("==")[0] for pin in old.pins if pin not in new.pins)


@dataclass(frozen=True, slots=True, kw_only=True)
class Twin:
    """A fresh ``uv sync --frozen`` of one lock state, read once."""

    state: str
    entries: Snapshot
    pip_entries: Snapshot
    scaffold: frozenset[str]


def fresh_sync(tools: Tools, state: LockState, folder: Path) -> Twin:
    """Sync ``state`` into a new venv under ``folder`` and read it."""
    project = folder / PROJECT
    project.mkdir(parents=True)
    state.put(project)
    tools.run_uv("sync", "--frozen", "--python", BASE_PYTHON, "--link-mode", "copy", cwd=project)
    venv = project / ".venv"
    entries = snapshot(venv)
    return Twin(
        state=state.name,
        entries=entries,
        pip_entries=snapshot(venv, made_by_pip=True),
        scaffold=frozenset(entries.keys() - owned_paths(venv)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Installer:
    """A command that moves a venv from the old lock state towards the new one."""

    id: str
    maker: str  # "uv": the old state is a `uv sync`; "pip": `python -m venv` and pip
    link_mode: str = "copy"  # how uv links files in, for the old state and the command
    command: str  # "sync", "uv-install", "uv-uninstall", "pip-install", "pip-uninstall"

    def argv(self, tools: Tools, venv: Path, old: LockState, new: LockState) -> list[str]:
        python = os.fspath(venv / "bin" / "python")
        match self.command:
            case "sync":
                return [tools.uv, "sync", "--frozen", "--link-mode", self.link_mode]
            case "uv-install":
                mode = ["--link-mode", self.link_mode]
                return [tools.uv, "pip", "install", "--python", python, *mode, *new.pins]
            case "uv-uninstall":
                return [tools.uv, "pip", "uninstall", "--python", python, *dropped(old, new)]
            case "pip-install":
                return [python, "-m", "pip", "install", "--upgrade", *new.pins]
            case "pip-uninstall":
                return [python, "-m", "pip", "uninstall", "-y", *dropped(old, new)]
        raise ValueError(self.command)


INSTALLERS = (
    Installer(id="uv-sync-copy", maker="uv", link_mode="copy", command="sync"),
    Installer(id="uv-sync-hardlink", maker="uv", link_mode="hardlink", command="sync"),
    Installer(id="uv-pip-install-copy", maker="uv", link_mode="copy", command="uv-install"),
    Installer(id="uv-pip-install-hardlink", maker="uv", link_mode="hardlink", command="uv-install"),
    Installer(id="uv-pip-uninstall-copy", maker="uv", link_mode="copy", command="uv-uninstall"),
    Installer(
        id="uv-pip-uninstall-hardlink", maker="uv", link_mode="hardlink", command="uv-uninstall"
    ),
    Installer(id="pip-install-upgrade", maker="pip", command="pip-install"),
    Installer(id="pip-uninstall", maker="pip", command="pip-uninstall"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PipTemplate:
    """A venv of the old lock state made by ``python -m venv`` and pip, kept aside for copies.

    It was made at the very place the copies go, so that the paths written
    into its launchers and ``pyvenv.cfg`` are theirs.
    """

    path: Path
    scaffold: frozenset[str]  # what `python -m venv` made, before pip installed anything


def pip_template(tools: Tools, project: Path, old: LockState) -> PipTemplate:
    """Make the old state's venv in ``project`` with ``python -m venv`` and pip; keep it aside."""
    venv = project / ".venv"
    shutil.rmtree(venv, ignore_errors=True)  # what another installer's trial left
    tools.run(BASE_PYTHON, "-m", "venv", venv)
    scaffold = frozenset(snapshot(venv))
    tools.pip_install(venv, *old.pins)
    kept = project.parent / "pip-made-old-state"
    venv.rename(kept)
    return PipTemplate(path=kept, scaffold=scaffold)


@dataclass(slots=True, kw_only=True)
class Bench:
    """The project folder an installer is killed in, again and again."""

    installer: Installer
    tools: Tools
    project: Path
    old: LockState
    new: LockState
    template: PipTemplate | None = None  # for the installers whose users made the venv with pip
    duration: float = 0.0  # seconds the command takes here, left alone
    start: Snapshot = field(default_factory=dict)  # the venv before the command
    finish: Snapshot = field(default_factory=dict)  # the venv after it, left alone

    @property
    def venv(self) -> Path:
        return self.project / ".venv"

    @property
    def made_by_pip(self) -> bool:
        return self.template is not None

    def reset(self) -> None:
        """The venv as the old lock wants it, made the way this installer's users make it."""
        shutil.rmtree(self.venv, ignore_errors=True)
        self.old.put(self.project)
        if self.template is not None:
            shutil.copytree(self.template.path, self.venv, symlinks=True)
            return
        link = ("--link-mode", self.installer.link_mode)
        self.tools.run_uv("sync", "--frozen", "--python", BASE_PYTHON, *link, cwd=self.project)

    def argv(self) -> list[str]:
        """The command under test; for ``uv sync`` the project is first put in the new state."""
        if self.installer.command == "sync":
            self.new.put(self.project)
        return self.installer.argv(self.tools, self.venv, self.old, self.new)

    @property
    def log(self) -> Path:
        return self.project.parent / "installer.log"

    def measure(self, runs: int = 3) -> None:
        """Time the command from the old state: the fastest of ``runs`` (the first warms caches)."""
        spans = []
        for run in range(runs):
            self.reset()
            if run == 0:
                self.start = snapshot(self.venv)
            spans.append(
                time_run(self.argv(), env=self.tools.environ, cwd=self.project, log=self.log)
            )
            if run == 0:
                self.finish = snapshot(self.venv)
        self.duration = min(spans)

    def kill(self, moment: float) -> Killed:
        """Reset the venv to the old state, start the command, SIGKILL it at ``moment``."""
        self.reset()
        return kill_at(self.argv(), moment, env=self.tools.environ, cwd=self.project, log=self.log)

    def landing(self, killed: Killed) -> str:
        """Where in the command's work the kill landed, told from the venv it left."""
        if not killed.alive:
            return "after it ended"
        now = snapshot(self.venv)
        if now == self.start:
            return "before its first change"
        if now == self.finish:
            return "after its last change"
        return "midway"

    def differences(self, twin: Twin) -> list[str]:
        """What the venv holds otherwise than the fresh sync ``twin`` (see ``compare``)."""
        if self.template is None:
            return differences(snapshot(self.venv), twin.entries)
        scaffold = self.template.scaffold | twin.scaffold
        return differences(
            without(snapshot(self.venv, made_by_pip=True), scaffold),
            without(twin.pip_entries, scaffold),
        )


def describe(argv: Sequence[str]) -> str:
    """A command as one line a person can paste (paths kept, for reproduction)."""
    return " ".join(argv)
