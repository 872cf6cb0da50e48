import pytest

from venv_doctor.read.shebang import (
    interpreter_of_exe,
    interpreter_of_script,
    without_interpreter_flags,
)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        pytest.param(b"#!/p/.venv/bin/python\nimport x\n", "/p/.venv/bin/python", id="plain"),
        pytest.param(b"#!/p/.venv/bin/python3.11 -E\n", "/p/.venv/bin/python3.11", id="args"),
        pytest.param(
            b"#!/bin/sh\n'''exec' '/a b/.venv/bin/python' \"$0\" \"$@\"\n' '''\n",
            "/a b/.venv/bin/python",
            id="installer-trampoline",
        ),
        pytest.param(
            b"#!/bin/sh\n'''exec' /long/.venv/bin/python \"$0\" \"$@\"\n' '''\n",
            "/long/.venv/bin/python",
            id="distlib-trampoline",
        ),
        pytest.param(
            b'#!/bin/sh\n\'\'\'exec\' "$(dirname -- "$(realpath -- "$0")")"/\'python\' "$0" "$@"\n',
            None,
            id="uv-relocatable",
        ),
        pytest.param(b"#!/usr/bin/env python3\n", None, id="env"),
        pytest.param(b"#!/bin/bash\necho hi\n", None, id="shell-script"),
        pytest.param(b"\x7fELF\x02\x01", None, id="binary"),
        pytest.param(b"#!/usr/bin/perl\n", None, id="not-python"),
    ],
)
def test_interpreter_of_script(head, expected):
    assert interpreter_of_script(head) == expected


def test_interpreter_of_exe_reads_the_appended_shebang():
    tail = b"MZ...stub...#!C:\\proj\\.venv\\Scripts\\python.exe\r\nPK\x03\x04zipdata"
    assert interpreter_of_exe(tail) == "C:\\proj\\.venv\\Scripts\\python.exe"
    quoted = b'MZ#!"C:\\a b\\.venv\\Scripts\\python.exe"\nPK\x03\x04'
    assert interpreter_of_exe(quoted) == "C:\\a b\\.venv\\Scripts\\python.exe"
    assert interpreter_of_exe(b"MZ no zip here") is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # pip, as pipx runs it
        pytest.param(
            b"#!/v/bin/python -E\nimport sys\n", b"#!/v/bin/python\nimport sys\n", id="pipx"
        ),
        pytest.param(b"#! /v/bin/python3.11 -E -s\r\nx", b"#! /v/bin/python3.11\r\nx", id="crlf"),
        pytest.param(b'#!"/a b/python.exe" -E\nx', b'#!"/a b/python.exe"\nx', id="quoted"),
        pytest.param(b"#!/v/bin/python\nx", None, id="no-flags"),
        pytest.param(b"#!/v/bin/python  \nx", None, id="trailing-blanks"),
        pytest.param(b"#!/v/bin/python script.py\n", None, id="argument"),
        pytest.param(b"#!/usr/bin/env python -E\n", None, id="env"),
        pytest.param(b"#!/bin/sh -e\n", None, id="shell"),
        pytest.param(b"\x7fELF\x02\x01", None, id="binary"),
    ],
)
def test_without_interpreter_flags(data, expected):
    assert without_interpreter_flags(data) == expected
