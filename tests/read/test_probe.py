"""The probe: the target interpreter's markers and tags, or derived ones when it cannot run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.tags import Tag, sys_tags

from venv_doctor.read.layout import read_layout
from venv_doctor.read.probe import derive_probe, probe_interpreter, start_probe

OTHER_PYTHONS = sorted(Path("/root/.pyenv/versions").glob("3.*/bin/python3"))


def _venv(path: Path, python: str = sys.executable) -> Path:
    subprocess.run([python, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


@pytest.mark.slow
def test_tags_and_markers_equal_packaging_inside_the_interpreter(tmp_path: Path) -> None:
    probe = probe_interpreter(read_layout(_venv(tmp_path / "venv")))
    assert not probe.derived
    assert list(probe.tags) == list(sys_tags())
    assert dict(probe.markers) == dict(default_environment())
    assert str(tmp_path / "venv" / "lib") in " ".join(probe.sys_path)


@pytest.mark.slow
@pytest.mark.parametrize("python", [pytest.param(p, id=p.parts[-3]) for p in OTHER_PYTHONS[:3]])
def test_other_versions_answer_without_packaging(tmp_path: Path, python: Path) -> None:
    probe = probe_interpreter(read_layout(_venv(tmp_path / "venv", str(python))))
    assert not probe.derived, probe.reason
    version = python.parts[-3].split(".")
    nodot = version[0] + version[1]
    assert probe.tags[0].interpreter == f"cp{nodot}"
    assert Tag("py3", "none", "any") in probe.tags


@pytest.mark.slow
def test_a_gone_interpreter_is_derived_from_pyvenv_cfg(tmp_path: Path) -> None:
    venv = _venv(tmp_path / "venv")
    real = probe_interpreter(read_layout(venv))
    for link in (venv / "bin").glob("python*"):
        link.unlink()
    probe = probe_interpreter(read_layout(venv))
    assert probe.derived
    assert probe.reason is not None
    assert "does not exist" in probe.reason
    assert probe.tags == real.tags
    assert probe.markers["python_full_version"] == real.markers["python_full_version"]


def test_a_windows_venv_is_derived_on_posix(tmp_path: Path) -> None:
    root = tmp_path / "winvenv"
    (root / "Scripts").mkdir(parents=True)
    (root / "Lib" / "site-packages").mkdir(parents=True)
    (root / "pyvenv.cfg").write_text("home = C:\\Python312\nversion_info = 3.12.4\n")
    layout = read_layout(root)
    probe = (
        derive_probe(layout, reason="test")
        if sys.platform == "win32"
        else probe_interpreter(layout)
    )
    assert probe.derived
    assert probe.markers["sys_platform"] == "win32"
    assert probe.markers["python_full_version"] == "3.12.4"
    assert probe.tags[0] == Tag("cp312", "cp312", "win_amd64")


@pytest.mark.slow
def test_a_started_probe_answers_later_and_a_cancelled_one_leaves_no_process(
    tmp_path: Path,
) -> None:
    layout = read_layout(_venv(tmp_path / "venv"))
    pending = start_probe(layout)
    assert pending.result() == probe_interpreter(layout)
    pending.cancel()  # after the answer: nothing left to stop

    hung = tmp_path / "hung"
    hung.mkdir()
    (hung / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).parent}\n")
    (hung / "bin").mkdir()
    python = hung / "bin" / "python"
    python.write_text("#!/bin/sh\nexec sleep 60\n")
    python.chmod(0o755)
    hung_layout = read_layout(hung)
    slow = start_probe(hung_layout, timeout=30)
    slow.cancel()
    assert slow.result().derived  # answers at once: the interpreter was stopped
    gone = start_probe(hung_layout, timeout=0.5).result()
    assert gone.derived
    assert gone.reason == f"{python} did not answer within 0.5s"
