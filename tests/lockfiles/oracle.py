"""Lock the fixture projects with real uv against a local index, and sync them.

Every fixture project in ``fixtures/lockfiles/`` is copied to a temporary
folder, given the in-tree build backend, and locked with ``uv lock`` against
an index on 127.0.0.1 serving the wheels below (built at test time).  Locking
at test time, rather than committing locks, keeps the fixtures valid for the
uv that runs the tests and needs no fixed port.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from tests.support.tools import Tools, run
from tests.support.wheels import WheelSpec, build_wheel
from venv_doctor.read.installed import InstalledDist, read_distributions

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lockfiles"
BACKEND = FIXTURES / "_backend" / "vd_build.py"


def _spec(name: str, version: str, *requires: str, tag: str = "py3-none-any") -> WheelSpec:
    module = name.replace("-", "_")
    return WheelSpec(
        name=name,
        version=version,
        files={f"{module}/__init__.py": f"VERSION = {version!r}\n"},
        requires=requires,
        tag=tag,
    )


INDEX_WHEELS: tuple[WheelSpec, ...] = (
    _spec("alpha", "1.0", "beta>=1"),
    _spec("beta", "1.0"),
    _spec("beta", "2.0"),
    _spec("gamma", "1.0"),
    _spec("winonly", "1.0"),
    _spec("linuxdep", "1.0"),
    _spec("oldpy", "1.0"),
    _spec("newpy", "1.0"),
    _spec("clickish", "1.0"),
    _spec("speedy", "1.0", "turbo; extra == 'extra1'"),
    _spec("turbo", "1.0"),
    _spec("testy", "1.0", "alpha"),
    _spec("docsy", "1.0"),
    _spec("linty", "1.0"),
    _spec("bumpy", "1.0"),
    _spec("bumpy", "2.0"),
    _spec("native", "1.0", tag="py3-none-manylinux_2_17_x86_64"),
    _spec("native", "1.0", tag="py3-none-win_amd64"),
    _spec("native", "1.0", tag="py3-none-macosx_11_0_arm64"),
    _spec("native", "1.0", tag="py3-none-any"),
    # Stand-ins for what `uv venv --seed` installs, so seeding needs no network.
    _spec("pip", "99.0"),
    _spec("setuptools", "99.0"),
    _spec("wheel", "99.0"),
)

# Wheels that live inside a fixture project rather than on the index.
PROJECT_WHEELS: dict[str, tuple[WheelSpec, ...]] = {
    "localpaths": (_spec("localwheel", "1.0", "gamma"),),
}


def build_index_wheels(folder: Path) -> Path:
    for spec in INDEX_WHEELS:
        build_wheel(spec, folder)
    return folder


def prepare_project(case: str, dest: Path) -> Path:
    """Copy fixture ``case`` to ``dest`` with the build backend and its wheels in place."""
    shutil.copytree(FIXTURES / case, dest)
    for pyproject in dest.rglob("pyproject.toml"):
        if "vd_build" in pyproject.read_text(encoding="utf-8"):
            backend = pyproject.parent / "_backend"
            backend.mkdir(exist_ok=True)
            shutil.copy(BACKEND, backend / "vd_build.py")
    for spec in PROJECT_WHEELS.get(case, ()):
        build_wheel(spec, dest / "wheels")
    return dest


def lock(tools: Tools, project: Path, python: Path) -> Path:
    tools.run_uv("lock", "--python", python, cwd=project)
    return project / "uv.lock"


def sync(
    tools: Tools,
    project: Path,
    venv: Path,
    flags: Sequence[str],
    python: Path,
    *,
    seed: bool = False,
) -> None:
    """``uv sync --frozen flags`` into a fresh venv at ``venv``."""
    if seed:
        tools.run_uv("venv", "--seed", "--python", python, venv)
    env = tools.environ | {"UV_PROJECT_ENVIRONMENT": str(venv)}
    run(
        [tools.uv, "sync", "--frozen", "--python", str(python), "--link-mode", "copy", *flags],
        env=env,
        cwd=project,
    )


def installed(venv: Path) -> list[InstalledDist]:
    (site,) = (venv / "lib").glob("python*/site-packages")
    rel = site.relative_to(venv).as_posix()
    return read_distributions(site, rel, [entry.name for entry in site.iterdir()])
