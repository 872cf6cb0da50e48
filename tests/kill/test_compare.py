"""What the comparison with a fresh sync counts as the same, and what it shows when not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.kill.compare import differences, launcher, owned_paths, record_rows, snapshot

# The launcher of `clikit = clikit.cli:main` as each installer writes it (uv 0.13.9, pip 23.2.1
# through distlib, installer 0.7 as venv-doctor uses it), with the venv path made a stand-in.
UV = b"""#!/VENV/bin/python
# -*- coding: utf-8 -*-
import sys
from clikit.cli import main
if __name__ == "__main__":
    if sys.argv[0].endswith("-script.pyw"):
        sys.argv[0] = sys.argv[0][:-11]
    elif sys.argv[0].endswith(".exe"):
        sys.argv[0] = sys.argv[0][:-4]
    sys.exit(main())
"""
PIP = b"""#!/VENV/bin/python3.11
# -*- coding: utf-8 -*-
import re
import sys
from clikit.cli import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""
INSTALLER = b"""#!/VENV/bin/python
# -*- coding: utf-8 -*-
import re
import sys
from clikit.cli import main
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(main())
"""


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(UV, id="uv"),
        pytest.param(PIP, id="pip"),
        pytest.param(INSTALLER, id="installer"),
    ],
)
def test_every_installers_launcher_is_the_same_launcher(content: bytes) -> None:
    assert launcher(content) == "launcher /VENV/bin/python clikit.cli:main"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(UV[: len(UV) // 2], id="cut-short"),
        pytest.param(b"", id="empty"),
        pytest.param(UV.replace(b"sys.exit(main())", b"sys.exit(other())"), id="calls-another"),
        pytest.param(UV.replace(b"#!/VENV/bin/python", b"#!/bin/sh"), id="no-python"),
        pytest.param(UV.replace(b"    if sys", b"if sys", 1), id="not-python"),
    ],
)
def test_a_damaged_launcher_is_no_launcher(content: bytes) -> None:
    assert launcher(content) is None


def test_record_rows_keep_what_every_installer_agrees_on() -> None:
    uv = (
        b"../../../bin/clikit,sha256=ahEh,310\n"
        b"clikit-2.0.dist-info/INSTALLER,sha256=5hhM,2\n"
        b"clikit-2.0.dist-info/RECORD,,\n"
        b"clikit-2.0.dist-info/REQUESTED,sha256=47DE,0\n"
        b"clikit/cli.py,sha256=ipGK,36\n"
    )
    pip = (
        b"clikit/cli.py,sha256=ipGK,36\n"
        b"clikit/__pycache__/cli.cpython-311.pyc,,\n"
        b"../../../bin/clikit,sha256=vr5C,227\r\n"
        b"clikit-2.0.dist-info/INSTALLER,sha256=zuuu,4\n"
        b"clikit-2.0.dist-info/RECORD,,\n"
    )
    assert record_rows(uv) == [
        "../../../bin/clikit,,",
        "clikit-2.0.dist-info/INSTALLER,,",
        "clikit-2.0.dist-info/RECORD,,",
        "clikit-2.0.dist-info/REQUESTED,sha256=47DE,0",
        "clikit/cli.py,sha256=ipGK,36",
    ]
    assert record_rows(uv, made_by_pip=True) == record_rows(pip, made_by_pip=True)
    assert record_rows(b"\xff\xfe") is None


def make_venv(root: Path, *, module: bytes = b"A = 1\n") -> Path:
    site = root / "lib" / "python3.11" / "site-packages"
    (site / "demo" / "__pycache__").mkdir(parents=True)
    (site / "demo" / "__init__.py").write_bytes(module)
    (site / "demo" / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(os.urandom(8))
    dist_info = site / "demo-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "INSTALLER").write_text(root.name)
    (dist_info / "RECORD").write_text(
        "demo/__init__.py,sha256=x,6\n../../../bin/demo,sha256=y,12\ndemo-1.0.dist-info/RECORD,,\n"
    )
    (root / "bin").mkdir()
    (root / "bin" / "demo").write_bytes(UV.replace(b"/VENV", os.fsencode(root)))
    (root / "bin" / "demo").chmod(0o755)
    (root / "bin" / "python").symlink_to("/usr/bin/python3")
    (root / "pyvenv.cfg").write_text(f"home = /usr/bin\nprompt = {root}\n")
    for marker in (".lock", "CACHEDIR.TAG", ".gitignore"):
        (root / marker).write_text(marker)
    (root / ".venv-doctor" / "trash").mkdir(parents=True)
    return root


def test_two_venvs_in_different_places_compare_equal(tmp_path: Path) -> None:
    one = snapshot(make_venv(tmp_path / "one"))
    two = snapshot(make_venv(tmp_path / "two"))
    assert one == two
    assert one["bin/demo"] == "exec launcher <VENV>/bin/python clikit.cli:main"
    assert one["bin/python"] == "symlink /usr/bin/python3"
    assert one["pyvenv.cfg"].startswith("file ")
    assert not [path for path in one if "__pycache__" in path or ".venv-doctor" in path]
    assert {".lock", "CACHEDIR.TAG", ".gitignore"}.isdisjoint(one)


def test_differences_name_every_path_and_fold_whole_folders(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "one", module=b"A = 2\n")
    site = venv / "lib" / "python3.11" / "site-packages"
    (site / "~emo").mkdir()
    (site / "~emo" / "a.py").write_text("")
    (site / "~emo" / "b.py").write_text("")
    (venv / "bin" / "demo").chmod(0o644)
    record = site / "demo-1.0.dist-info" / "RECORD"
    record.write_text(record.read_text() + "demo/gone.py,sha256=z,1\n")
    expected = snapshot(make_venv(tmp_path / "two"))
    found = differences(snapshot(venv), expected)
    assert found[0].startswith(
        "~ bin/demo: launcher <VENV>/bin/python clikit.cli:main, wanted exec"
    )
    assert "~ lib/python3.11/site-packages/demo-1.0.dist-info/RECORD: record (4 rows), " in found[1]
    assert found[2] == "    + demo/gone.py,sha256=z,1"
    assert found[3].startswith("~ lib/python3.11/site-packages/demo/__init__.py: file ")
    assert found[4] == "+ lib/python3.11/site-packages/~emo  (dir) and 2 entries under it"
    assert len(found) == 5
    assert differences(expected, expected) == []


def test_owned_paths_are_what_records_list_and_the_folders_above(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    assert owned_paths(venv) == {
        "bin",
        "bin/demo",
        "lib",
        "lib/python3.11",
        "lib/python3.11/site-packages",
        "lib/python3.11/site-packages/demo",
        "lib/python3.11/site-packages/demo/__init__.py",
        "lib/python3.11/site-packages/demo-1.0.dist-info",
        "lib/python3.11/site-packages/demo-1.0.dist-info/RECORD",
    }
