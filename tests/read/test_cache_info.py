"""uv's cache info as data: the bytes uv writes, what its serde reads, its cache keys and globs.

The expected bytes are files uv 0.13.9 wrote; how the keys and globs select
files against real uv is in ``tests/test_freshness.py``.
"""

from __future__ import annotations

import re

import pytest

from venv_doctor.read.cache_globs import GlobError, Selector, cluster_globs, glob_regex, split_glob
from venv_doctor.read.cache_info import CacheInfo, InvalidCacheInfoError, parse_cache_info
from venv_doctor.read.cache_keys import (
    DEFAULT_KEYS,
    CacheKeyError,
    DirKey,
    EnvKey,
    FileKey,
    GitKey,
    parse_cache_keys,
)

# Written by uv 0.13.9: a default project; "src/" and a missing folder; env keys; git keys;
# a file system without birth times (the inode of src).
UV_WROTE = [
    '{"timestamp":{"secs_since_epoch":1796409104,"nanos_since_epoch":636665685},"commit":null,'
    '"tags":null,"env":{},"directories":{"src":{"secs_since_epoch":1796409104,'
    '"nanos_since_epoch":636665685}}}',
    '{"timestamp":{"secs_since_epoch":1796409105,"nanos_since_epoch":60319697},"commit":null,'
    '"tags":null,"env":{},"directories":{"missing":null,"src/":{"secs_since_epoch":1796409105,'
    '"nanos_since_epoch":51819379}}}',
    '{"timestamp":{"secs_since_epoch":1796409106,"nanos_since_epoch":261942778},"commit":null,'
    '"tags":null,"env":{"VD_CI_ENV":"1","VD_CI_UNSET":null},"directories":{}}',
    '{"timestamp":{"secs_since_epoch":1796409108,"nanos_since_epoch":44361945},'
    '"commit":"048e349bab103763eeef335b3a309f7f954a0e26","tags":{"rel/v0.1.1":'
    '"25a4a82c9ad283d831987f7e2c245c293398bd29","v0.1.0":"048e349bab103763eeef335b3a309f7f954a0e26"}'
    ',"env":{},"directories":{}}',
    '{"timestamp":{"secs_since_epoch":1796409114,"nanos_since_epoch":0},"commit":null,'
    '"tags":null,"env":{},"directories":{"src":82}}',
]


@pytest.mark.parametrize("text", [pytest.param(t, id=f"uv-{i}") for i, t in enumerate(UV_WROTE)])
def test_what_uv_wrote_reads_back_and_writes_the_same_bytes(text: str) -> None:
    assert parse_cache_info(text).to_json() == text.encode()


def test_parsed_fields() -> None:
    info = parse_cache_info(UV_WROTE[1])
    assert info.timestamp == (1796409105, 60319697)
    assert info.directories == (("missing", None), ("src/", (1796409105, 51819379)))
    assert parse_cache_info(UV_WROTE[4]).directories == (("src", 82),)
    assert parse_cache_info(UV_WROTE[2]).env == (("VD_CI_ENV", "1"), ("VD_CI_UNSET", None))


def test_empty_info() -> None:
    assert CacheInfo().empty
    assert not parse_cache_info(UV_WROTE[0]).empty
    assert CacheInfo().to_json() == (
        b'{"timestamp":null,"commit":null,"tags":null,"env":{},"directories":{}}'
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            '{\n  "directories": {"src": {"nanos_since_epoch": 636665685, '
            '"secs_since_epoch": 1796409104}},\n  "timestamp": [1796409104, 636665685]\n}',
            id="pretty-reordered-pair",
        ),
        pytest.param(
            '{"timestamp":{"secs_since_epoch":1796409103,"nanos_since_epoch":1636665685},'
            '"directories":{"src":{"secs_since_epoch":1796409104,"nanos_since_epoch":636665685}},'
            '"later":1}',
            id="nanos-carry-unknown-field",
        ),
    ],
)
def test_serde_reads_the_same_info_in_other_forms(text: str) -> None:
    assert parse_cache_info(text) == parse_cache_info(UV_WROTE[0])


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param('{"timestamp":{"secs_since_epoch":17', id="cut-short"),
        pytest.param("[]", id="not-an-object"),
        pytest.param('{"env":null}', id="env-null"),
        pytest.param('{"commit":1}', id="commit-number"),
        pytest.param('{"timestamp":{"secs_since_epoch":1}}', id="half-a-time"),
        pytest.param('{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":2,"x":3}}', id="x"),
        pytest.param('{"timestamp":[-1,0]}', id="negative"),
        pytest.param('{"directories":{"src":1.5}}', id="float-inode"),
        pytest.param('{"directories":{"src":true}}', id="bool-inode"),
        pytest.param('{"commit":null,"commit":null}', id="field-twice"),
        pytest.param('{"timestamp":NaN}', id="nan"),
    ],
)
def test_what_uv_cannot_read(text: str) -> None:
    with pytest.raises(InvalidCacheInfoError):
        parse_cache_info(text)


def test_non_ascii_and_control_characters_are_written_as_serde_json_writes_them() -> None:
    info = CacheInfo(env=(("NAME", "é\n\x01"),), directories=(("sŕc", None),))
    assert (
        info.to_json()
        == (
            '{"timestamp":null,"commit":null,"tags":null,"env":{"NAME":"é\\n\\u0001"},'
            '"directories":{"sŕc":null}}'
        ).encode()
    )


# -- cache keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(None, id="no-pyproject"),
        pytest.param('[project]\nname = "a"\n', id="no-tool"),
        pytest.param("[tool.ruff]\nline-length = 1\n", id="no-tool-uv"),
        pytest.param("[tool.uv]\npackage = true\n", id="no-cache-keys"),
    ],
)
def test_default_cache_keys(text: str | None) -> None:
    assert parse_cache_keys(text) == DEFAULT_KEYS


def test_cache_keys_replace_the_defaults() -> None:
    text = """
[tool.uv]
cache-keys = [
    "a.txt", { file = "r/*.txt" }, { dir = "src/" }, { env = "X" },
    { git = true }, { git = false }, { git = { tags = true } },
]
"""
    assert parse_cache_keys(text) == (
        FileKey("a.txt"),
        FileKey("r/*.txt"),
        DirKey("src/"),
        EnvKey("X"),
        GitKey(commit=True, tags=False),
        GitKey(commit=False, tags=False),
        GitKey(commit=False, tags=True),
    )
    assert parse_cache_keys("[tool.uv]\ncache-keys = []\n") == ()


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param("[{}]", id="empty-table"),
        pytest.param('[{ file = "a", dir = "b" }]', id="two-fields"),
        pytest.param('[{ x = "a" }]', id="unknown-field"),
        pytest.param("[{ file = 1 }]", id="not-a-string"),
        pytest.param('[{ git = "yes" }]', id="git-string"),
        pytest.param("[{ git = { tag = true } }]", id="git-unknown"),
        pytest.param('"x"', id="not-a-list"),
        pytest.param("[1]", id="number"),
    ],
)
def test_malformed_cache_keys(keys: str) -> None:
    with pytest.raises(CacheKeyError):
        parse_cache_keys(f"[tool.uv]\ncache-keys = {keys}\n")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[tool\n", id="not-toml"),
        pytest.param('tool = "x"\n', id="tool-not-a-table"),
        pytest.param('[tool]\nuv = "x"\n', id="uv-not-a-table"),
    ],
)
def test_pyproject_uv_would_refuse(text: str) -> None:
    with pytest.raises(CacheKeyError):
        parse_cache_keys(text)


# -- globs (vectors of uv's glob.rs tests and globset's rules) ------------------------------


@pytest.mark.parametrize(
    ("pattern", "base", "rest"),
    [
        ("a", "", "a"),
        ("a/b", "a", "b"),
        ("a/b/", "a", "b"),
        ("a/.//b/", "a", "b"),
        ("./a/b/c", "a/b", "c"),
        ("c/d/*", "c/d", "*"),
        ("c/d/*/../*", "c/d", "*/../*"),
        ("a/?b/c", "a", "?b/c"),
        ("/a/b/*", "/a/b", "*"),
        ("../x/*", "../x", "*"),
        ("a/{b,c}/d", "a", "{b,c}/d"),
        ("a/[bc]/d", "a", "[bc]/d"),
        ("*", "", "*"),
        ("*/*", "", "*/*"),
        ("..", "..", ""),
        ("/", "/", ""),
    ],
)
def test_split_glob(pattern: str, base: str, rest: str) -> None:
    assert split_glob(pattern) == (base, rest)


@pytest.mark.parametrize(
    ("patterns", "groups"),
    [
        (["./*", "a/*", "../foo/*.png"], [("", ["*", "a/*"]), ("../foo", ["*.png"])]),
        (
            ["*", "a/b/*", "a/../c/*.jpg", "a/../c/*.png", "/a/*", "/b/*"],
            [("/a", ["*"]), ("/b", ["*"]), ("", ["*", "a/b/*"]), ("a/../c", ["*.jpg", "*.png"])],
        ),
        (["a/{b,c}/*", "a/d?/*"], [("a", ["{b,c}/*", "d?/*"])]),
        # Patterns below a group's base come after its own, children in name order.
        (["z/*.txt", "b/*.py", "*.md"], [("", ["*.md", "b/*.py", "z/*.txt"])]),
    ],
)
def test_cluster_globs(patterns: list[str], groups: list[tuple[str, list[str]]]) -> None:
    assert sorted(cluster_globs(patterns)) == sorted(groups)


@pytest.mark.parametrize(
    ("glob", "matches", "misses"),
    [
        ("*.txt", ["a.txt"], ["a/b.txt", "a.txt\n"]),
        ("a/?", ["a/b"], ["a/bc", "a//"]),
        ("**/x", ["x", "a/x", "a/b/x"], ["ax"]),
        ("a/**", ["a/b", "a/b/c"], ["a", "ab"]),
        ("a/**/b", ["a/b", "a/x/b", "a/x/y/b"], ["ab"]),
        ("a**b", ["ab", "axxb"], ["a/b"]),
        ("[!a]", ["b", "/"], ["a"]),
        ("[a-c]x", ["bx"], ["dx"]),
        ("[]]", ["]"], ["a"]),
        ("[a-]", ["a", "-"], ["b"]),
        ("{a,b{c,d}}.txt", ["a.txt", "bd.txt"], ["b.txt"]),
        ("\\*", ["*"], ["a"]),
        ("**", ["a", "a/b"], []),
    ],
)
def test_glob_regex(glob: str, matches: list[str], misses: list[str]) -> None:
    regex = re.compile(glob_regex(glob), re.DOTALL)
    assert all(regex.match(path) for path in matches), matches
    assert not any(regex.match(path) for path in misses), misses


@pytest.mark.parametrize("glob", ["[abc", "a{b,c", "a}", "x\\", "[z-a]"])
def test_globs_uv_cannot_parse(glob: str) -> None:
    with pytest.raises(GlobError):
        glob_regex(glob)


def test_selector_reads_patterns_as_gitignore_lines() -> None:
    anywhere = Selector(["*.txt"])  # no "/": any depth
    assert anywhere.matched("x/y/z.txt", is_dir=False) is True
    assert anywhere.matched("x/y/z.md", is_dir=False) is False
    assert anywhere.matched("x", is_dir=True) is None
    top = Selector(["*"])  # globwalk: a lone "*" is the top level only
    assert top.matched("y", is_dir=False) is True
    assert top.matched("x/y", is_dir=False) is False
    inside = Selector(["a/**"])  # the folder's contents, not the folder
    assert inside.matched("a", is_dir=True) is None
    assert inside.matched("a/b/c", is_dir=False) is True
    last_wins = Selector(["data/*.txt", "!data/skip*.txt"])
    assert last_wins.matched("data/keep.txt", is_dir=False) is True
    assert last_wins.matched("data/skip.txt", is_dir=False) is False
    folders = Selector(["build/", "!cache/"])
    assert folders.matched("build", is_dir=False) is False
    assert folders.matched("cache", is_dir=True) is False
    assert Selector(["# a comment", ""]).matched("x", is_dir=False) is None
