"""The distribution builds, passes twine's checks, and installs a working command."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import venv_doctor
from tests.support.tools import Tools

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# PyPI refuses a name whose "ultranormalized" form (lower case, no - _ ., l and i as 1,
# o as 0) matches an existing project's: venv-doctor would match venvdoctor.
NAME = "venv-doctor-cli"


def test_wheel_and_sdist_build_check_and_install(tools: Tools, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT],
        check=True,
        capture_output=True,
        text=True,
    )
    wheel = next(dist.glob("*.whl"))
    sdist = next(dist.glob("*.tar.gz"))
    assert wheel.name.startswith("venv_doctor_cli-")
    assert sdist.name.startswith("venv_doctor_cli-")
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", wheel, sdist],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
        assert "venv-doctor=venv_doctor.cli:main" in archive.read(entry_points).decode()

    # A fresh venv gets the wheel alone; its dependencies come from the test
    # environment through a .pth file, so that no index is needed.
    venv = tools.make_uv_venv(tmp_path / "fresh")
    tools.run_uv("pip", "install", "--python", venv / "bin" / "python", "--no-deps", wheel)
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    version = subprocess.run(
        [venv / "bin" / "venv-doctor", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("venv-doctor, version ")
    where = subprocess.run(
        [
            venv / "bin" / "python",
            "-c",
            "import importlib.metadata as m, venv_doctor; "
            f"print(m.version({NAME!r})); print(venv_doctor.__file__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert where[0] == venv_doctor.__version__, where
    assert where[1].startswith(str(site)), where
