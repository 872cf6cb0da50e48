import pytest

from venv_doctor.read.records import is_bytecode, parse_record, venv_relative, venv_relatives


def test_parse_record_reads_rows_and_keeps_going_after_bad_ones():
    text = (
        "pkg/__init__.py,sha256=AAAA,12\n"
        "pkg/bad.py,sha256,3\n"
        "pkg/short.py,only-two\n"
        "pkg/nosize.py,,\n"
        'pkg/"quoted,name".py,sha256=BBBB,x\n'
        "pkg\\win.py,sha256=CCCC,5\r\n"
        "\n"
        "pkg-1.0.dist-info/RECORD,,\n"
    )
    rows, problems = parse_record(text)
    assert [row.path for row in rows] == [
        "pkg/__init__.py",
        "pkg/nosize.py",
        "pkg/win.py",
        "pkg-1.0.dist-info/RECORD",
    ]
    assert rows[0].hash_algo == "sha256"
    assert rows[0].hash_value == "AAAA"
    assert rows[0].size == 12
    assert rows[1].hash_algo is None
    assert rows[1].size is None
    assert [p.line for p in problems] == [2, 3, 5]
    assert "algo=value" in problems[0].reason
    assert "expected 3 fields" in problems[1].reason


def test_parse_record_flags_undecodable_paths():
    raw = b"ok.py,,\nbad\xff.py,,\n"
    rows, problems = parse_record(raw.decode("utf-8", "surrogateescape"))
    assert [row.path for row in rows] == ["ok.py"]
    assert problems[0].reason == "path is not valid UTF-8"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("pkg/mod.py", "lib/python3.11/site-packages/pkg/mod.py", id="plain"),
        pytest.param("../../../bin/tool", "bin/tool", id="script"),
        pytest.param("../../../share/man/x.1", "share/man/x.1", id="data"),
        pytest.param("../../../../etc/passwd", None, id="escapes"),
        pytest.param("/venv/bin/tool", "bin/tool", id="absolute-inside"),
        pytest.param("/etc/passwd", None, id="absolute-outside"),
        pytest.param("/venvother/x", None, id="absolute-prefix-sibling"),
        pytest.param("pkg/../../../../../x", None, id="dotdot-inside-path"),
    ],
)
def test_venv_relative_posix(path, expected):
    base = "lib/python3.11/site-packages"
    assert venv_relative(path, base, "/venv", windows=False) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("C:\\proj\\.venv\\Scripts\\tool.exe", "Scripts/tool.exe", id="absolute"),
        pytest.param("c:/PROJ/.venv/Scripts/tool.exe", "Scripts/tool.exe", id="case"),
        pytest.param("D:\\elsewhere\\x.dll", None, id="other-drive"),
        pytest.param("..\\..\\Scripts\\tool.exe", "Scripts/tool.exe", id="relative"),
    ],
)
def test_venv_relative_windows(path, expected):
    assert venv_relative(path, "Lib/site-packages", "C:\\proj\\.venv", windows=True) == expected


_TRICKY_PATHS = [
    "pkg/mod.py",
    "pkg/",
    "pkg//mod.py",
    "./pkg/mod.py",
    "pkg/./mod.py",
    "pkg/.",
    "pkg/..",
    ".",
    "..",
    "...",
    "pkg/.hidden",
    "pkg./mod.py",
    "pkg/mod.",
    "../../../bin/tool",
    "pkg/../../../../../x",
    "pkg\\mod.py",
    "..\\..\\Scripts\\tool.exe",
    "/venv/bin/tool",
    "/etc/passwd",
    "C:/proj/.venv/Scripts/tool.exe",
    "C:\\proj\\.venv\\Scripts\\tool.exe",
    "a:b",
    "",
]


@pytest.mark.parametrize(
    ("base", "root", "windows"),
    [
        pytest.param("lib/python3.11/site-packages", "/venv", False, id="posix"),
        pytest.param("Lib/site-packages", "C:\\proj\\.venv", True, id="windows"),
        pytest.param(".", "/venv", False, id="site-is-root"),
        pytest.param("", "/venv", False, id="empty-base"),
        pytest.param("lib/./site-packages/", "/venv", False, id="base-not-normal"),
    ],
)
def test_venv_relatives_agrees_with_venv_relative(base, root, windows):
    expected = [venv_relative(path, base, root, windows=windows) for path in _TRICKY_PATHS]
    assert venv_relatives(_TRICKY_PATHS, base, root, windows=windows) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("pkg/__pycache__/mod.cpython-311.pyc", True),
        ("pkg/mod.pyc", True),
        ("__pycache__/x.cpython-311.pyc", True),
        ("pkg/_vendor/__pycache__", True),
        ("pkg/mod.py", False),
    ],
)
def test_is_bytecode(path, expected):
    assert is_bytecode(path) is expected
