import pytest

from venv_doctor.plan.relocate import record_hash, rewrite_paths, update_record

PAIRS = (("/old/proj/.venv", "/new/p/.venv"), ("/old/proj", "/new/p"))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            b"#!/old/proj/.venv/bin/python\n", b"#!/new/p/.venv/bin/python\n", id="shebang"
        ),
        pytest.param(
            b'VIRTUAL_ENV="/old/proj/.venv"\n', b'VIRTUAL_ENV="/new/p/.venv"\n', id="activate"
        ),
        pytest.param(b"/old/proj/src\n", b"/new/p/src\n", id="pth"),
        pytest.param(b"/old/proj\n", b"/new/p\n", id="exact-line"),
        pytest.param(b"/old/project/x\n", b"/old/project/x\n", id="not-a-boundary"),
        pytest.param(
            b'{"url": "file:///old/proj", "dir_info": {"editable": true}}',
            b'{"url": "file:///new/p", "dir_info": {"editable": true}}',
            id="direct-url",
        ),
    ],
)
def test_rewrite_paths(before, after):
    assert rewrite_paths(before, PAIRS) == after


def test_update_record_keeps_other_rows():
    text = "a.py,sha256=AAA,3\n../../../bin/x,sha256=BBB,10\npkg-1.dist-info/RECORD,,\n"
    new = update_record(text, {"../../../bin/x": (record_hash(b"new"), 3)})
    assert new.splitlines() == [
        "a.py,sha256=AAA,3",
        f"../../../bin/x,{record_hash(b'new')},3",
        "pkg-1.dist-info/RECORD,,",
    ]
