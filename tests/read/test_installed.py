"""Reading a metadata folder: entry_points.txt and top_level.txt."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fakevenv import SITE, FakeVenv
from venv_doctor.read.installed import parse_entry_scripts, read_distribution


@pytest.mark.parametrize(
    ("text", "names"),
    [
        pytest.param(
            "[console_scripts]\nDemo = demo:main\ndemo-cli=demo.cli:run [extra]\n"
            "[gui_scripts]\ndemo-gui = demo.gui:main\n",
            ("Demo", "demo-cli", "demo-gui"),
            id="both-groups-case-kept",
        ),
        pytest.param(
            "[console_scripts]\nweird:name = demo:main\n", ("weird:name",), id="only-equals-splits"
        ),
        pytest.param("[pytest11]\nplugin = demo.plugin\n", (), id="other-groups"),
        pytest.param("[Console_Scripts]\nx = y:z\n", (), id="group-names-case-sensitive"),
        pytest.param("not an ini file\n[", (), id="unparsable"),
        pytest.param("[console_scripts]\nx = a:b\nx = a:c\n", ("x",), id="duplicate-key"),
        pytest.param("", (), id="empty"),
    ],
)
def test_entry_scripts(text: str, names: tuple[str, ...]) -> None:
    assert parse_entry_scripts(text) == names


def test_top_level_txt_is_read_only_when_record_cannot_say_what_is_installed(
    tmp_path: Path,
) -> None:
    venv = FakeVenv(tmp_path / "venv")
    meta = venv.install(
        "python-datelike",
        "1.0",
        {"datelike/__init__.py": b""},
        meta_files={
            "top_level.txt": b"datelike\n",
            "entry_points.txt": b"[gui_scripts]\nd = x:y\n",
        },
    )
    name = meta.rpartition("/")[2]
    healthy = read_distribution(str(venv.site), SITE, name)
    assert (healthy.top_level, healthy.entry_scripts) == ((), ("d",))
    (venv.root / meta / "RECORD").write_text("datelike/__init__.py,,\n")
    broken = read_distribution(str(venv.site), SITE, name)
    assert (broken.top_level, broken.entry_scripts) == (("datelike",), ("d",))
