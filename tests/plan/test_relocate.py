import random

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


# -- the rewrite as a function of any move -----------------------------------------------------
#
# Texts are built from paths in the contexts the rewritten files hold them (a shebang, shell
# quotes, a .pth line, a file: URL, a PATH list), and the wanted output is built beside them:
# a path at or below the old place moves, every other path stays as it is.

MOVES = [
    pytest.param("/w/app", "/w/app/services/app", id="moved-below"),
    pytest.param("/w/app/services/app", "/w/app", id="moved-above"),
    pytest.param("/w/a", "/w/a/a/a", id="moved-below-same-name"),
    pytest.param("/w/a/a/a", "/w/a", id="moved-above-same-name"),
    pytest.param("/w/app", "/w/app2", id="renamed-to-a-longer-name"),
    pytest.param("/w/app2", "/w/app", id="renamed-to-a-shorter-name"),
    pytest.param("/home/u/app", "/srv/app", id="moved-elsewhere"),
    pytest.param("/w/app/", "/w/app/services/app/", id="trailing-slashes"),
    pytest.param("/w/app", "/w/app/services/app/", id="one-trailing-slash"),
    pytest.param("/w/my app", "/w/my app/x", id="space"),
    pytest.param("C:\\w\\app", "C:\\w\\app\\svc\\app", id="windows-below"),
    pytest.param("C:\\w\\app\\svc\\app", "C:\\w\\app", id="windows-above"),
]

CONTEXTS = [
    ("#!", ""),
    ("'''exec' '", '\' "$0" "$@"'),
    ("VIRTUAL_ENV='", "'"),
    ('VIRTUAL_ENV="', '"'),
    ("VIRTUAL_ENV=", ""),
    ("set -gx VIRTUAL_ENV ", ""),
    ("let virtual_env = r#'", "'#"),
    ('set "VIRTUAL_ENV=', '"\r'),
    ("", ""),
    ('{"url": "file://', '"}'),
    ("PATH=", ":/usr/bin"),
    ("x ", " y"),
]


def _tails(sep: str) -> list[str]:
    tails = ["", "/.venv", "/.venv/bin/python", "/src", "/src/pkg/__init__.py"]
    return [tail.replace("/", sep) for tail in tails]


def _case(old: str, new: str, rng: random.Random) -> tuple[str, str]:
    """A text naming old paths, new paths and look-alikes; and the text after the move."""
    sep = "\\" if "\\" in old else "/"
    old, new = old.rstrip(sep), new.rstrip(sep)
    tails = _tails(sep)
    # A tail that begins with what the move added below the old place would
    # make an old path that is also a new one: such text is taken as new.
    added = new[len(old) :] if new.startswith(old + sep) else None
    tails = [t for t in tails if added is None or not (t + sep).startswith(added + sep)]
    text: list[str] = []
    wanted: list[str] = []
    for _ in range(rng.randint(1, 8)):
        before, after = rng.choice(CONTEXTS)
        tail = rng.choice(tails)
        kind = rng.choice(["old", "new", "longer", "dotted", "inside", "other"])
        if kind == "old":
            path, moved = old + tail, new + tail
        elif kind == "new":
            path = moved = new + tail
        elif kind == "longer":
            path = moved = old + "2" + tail  # /w/app2 is not /w/app
        elif kind == "dotted":
            path = moved = old + ".bak" + tail
        elif kind == "inside":
            # /x/w/app, \\x\\w\\app: the old path as the tail of another one
            path = moved = sep + "x" + (old if sep == "/" else old[2:]) + tail
        else:
            path = moved = sep + "elsewhere" + tail
        text.append(before + path + after)
        wanted.append(before + moved + after)
    return "\n".join(text), "\n".join(wanted)


@pytest.mark.parametrize(("old", "new"), MOVES)
@pytest.mark.parametrize("seed", range(40))
def test_rewrite_moves_every_old_path_once_and_nothing_else(old: str, new: str, seed: int) -> None:
    rng = random.Random(f"{old}|{new}|{seed}")  # noqa: S311 - reproducible cases
    text, wanted = _case(old, new, rng)
    old_venv, new_venv = old.rstrip("/\\") + "/.venv", new.rstrip("/\\") + "/.venv"
    pairs = [(old_venv, new_venv), (old, new)]
    rng.shuffle(pairs)
    once = rewrite_paths(text.encode(), pairs)
    assert once.decode() == wanted
    # Idempotent: the result already names the new place everywhere.
    assert rewrite_paths(once, pairs) == once


@pytest.mark.parametrize(
    ("text", "pairs", "after"),
    [
        pytest.param(
            b"VIRTUAL_ENV='/w/app/.venv'\n",
            (("/w/app/.venv", "/w/app/services/app/.venv"), ("/w/app", "/w/app/services/app")),
            b"VIRTUAL_ENV='/w/app/services/app/.venv'\n",
            id="venv-and-project-pairs-moved-below",
        ),
        pytest.param(
            b"#!/w/app/services/app/.venv/bin/python\n",
            (("/w/app/services/app/.venv", "/w/app/.venv"), ("/w/app/services/app", "/w/app")),
            b"#!/w/app/.venv/bin/python\n",
            id="venv-and-project-pairs-moved-above",
        ),
        pytest.param(b"/w/app\n", (("/", "/w"),), b"/w/app\n", id="root-is-no-prefix"),
        pytest.param(b"/w/app\n", (("/w/app", "/w/app"),), b"/w/app\n", id="same-place"),
        pytest.param(
            b"MAPPING = {'app': '/w/app/src/app'}\n",
            (("/w/app", "/w/app/services/app"),),
            b"MAPPING = {'app': '/w/app/services/app/src/app'}\n",
            id="setuptools-finder",
        ),
        pytest.param(
            b"/w/app/services/app/services/app/x\n",
            (("/w/app/services/app", "/w/app"),),
            b"/w/app/services/app/x\n",
            id="a-path-that-repeats-the-move-moves-once",
        ),
    ],
)
def test_rewrite_cases(text: bytes, pairs: tuple[tuple[str, str], ...], after: bytes) -> None:
    assert rewrite_paths(text, pairs) == after
