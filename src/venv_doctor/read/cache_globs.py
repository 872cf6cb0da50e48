"""The glob cache keys of a local project, and which files they select: pure functions.

uv groups its glob keys (crates/uv-cache-info/src/glob.rs ``split_glob``,
``cluster_globs``), walks each group's base folder with the ``globwalk``
crate (0.9), which reads each pattern as one line of a gitignore file with
the meaning turned round (``ignore`` 0.4, ``gitignore.rs`` ``add_line`` and
``overrides.rs`` ``matched``) and turns each line into a regular expression
(``globset`` 0.4, ``glob.rs``).  What that means for a person writing
``cache-keys``:

- a pattern with no ``/`` matches at any depth (``*.toml`` is ``**/*.toml``);
  a lone ``*`` is the top level only;
- a pattern is re-anchored below the first folder of its group that holds a
  pattern, so whether ``dir/*.txt`` recurses depends on the other globs;
- ``!`` excludes, the last matching line wins, a trailing ``/`` is folders
  only; ``*`` and ``?`` never match ``/``, ``**`` only as a whole component.

Only the walk itself (in ``cache_info``) touches the disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Characters that make a file key a glob (cache_info.rs), and those that make
# a path component "glob-like" when splitting (glob.rs ``is_glob_like``): a
# key holding only "]" or "}" is a plain file name.
GLOB_CHARS = frozenset("*?[{")
_GLOB_LIKE = frozenset("*{}?[]")

# Rust's ``Path::components`` kinds, in the order Rust sorts them.
_ROOT, _CUR, _PARENT, _NORMAL = 1, 2, 3, 4
Component = tuple[int, str]


class GlobError(ValueError):
    """A pattern uv cannot parse (an unclosed ``[`` or ``{``, a dangling ``\\``)."""


def is_glob(key: str) -> bool:
    """Whether uv treats a file cache key as a glob."""
    return any(char in GLOB_CHARS for char in key)


# -- grouping (glob.rs) -------------------------------------------------------------------


def _components(path: str) -> list[Component]:
    """Rust's ``Path::components`` on POSIX: empty parts and inner ``.`` are dropped."""
    found: list[Component] = []
    if path.startswith("/"):
        found.append((_ROOT, "/"))
    for index, part in enumerate(path.split("/")):
        if part == "" or (part == "." and (index > 0 or path.startswith("/"))):
            continue
        kind = _CUR if part == "." else _PARENT if part == ".." else _NORMAL
        found.append((kind, part))
    return found


def _join(parts: list[Component]) -> str:
    text = ""
    for kind, part in parts:
        if kind == _ROOT:
            text = "/"
        elif text in {"", "/"}:
            text += part
        else:
            text += "/" + part
    return text


def split_glob(pattern: str) -> tuple[str, str]:
    """A glob as (base folder without glob characters, the pattern below it).

    The last component always goes to the pattern: ``requirements/*.txt`` is
    (``requirements``, ``*.txt``) and ``a/b.txt`` is (``a``, ``b.txt``).
    """
    base: list[Component] = []
    rest: list[Component] = []
    globbing = False
    last: Component | None = None
    for part in _components(pattern):
        if last is not None and last[0] != _CUR:
            (rest if globbing else base).append(last)
        if not globbing:
            globbing = part[0] == _NORMAL and any(c in _GLOB_LIKE for c in part[1])
        last = part
    if last is not None:
        (rest if globbing or last[0] == _NORMAL else base).append(last)
    return _join(base), _join(rest)


@dataclass
class _Node:
    patterns: list[str] = field(default_factory=list)
    children: dict[Component, _Node] = field(default_factory=dict)

    def sorted_children(self) -> list[tuple[Component, _Node]]:
        # Rust keeps the children in a BTreeMap: by kind, then by name bytes.
        return sorted(
            self.children.items(), key=lambda item: (item[0][0], item[0][1].encode("utf-8"))
        )


def _pattern_join(prefix: str, pattern: str) -> str:
    if not prefix or pattern.startswith("/"):
        return pattern
    return prefix + "/" + pattern if pattern else prefix


def cluster_globs(patterns: list[str]) -> list[tuple[str, list[str]]]:
    """Group globs so that each folder is walked once: (base folder, patterns below it).

    The first folder (from the top) that holds a pattern becomes a group's
    base; every pattern further down through plain names is rewritten
    relative to it, after the folder's own patterns.
    """
    root = _Node()
    for pattern in patterns:
        base, rest = split_glob(pattern)
        node = root
        for part in _components(base):
            node = node.children.setdefault(part, _Node())
        node.patterns.append(rest)
    groups: list[tuple[str, list[str]]] = []

    def collect(node: _Node, prefix: str, group: list[Component], found: list[str]) -> None:
        found.extend(_pattern_join(prefix, pattern) for pattern in node.patterns)
        for part, child in node.sorted_children():
            if part[0] == _NORMAL:
                collect(child, _pattern_join(prefix, part[1]), [*group, part], found)
            else:
                start(child, [*group, part])

    def start(node: _Node, prefix: list[Component]) -> None:
        if not node.patterns:
            for part, child in node.sorted_children():
                start(child, [*prefix, part])
            return
        found: list[str] = []
        collect(node, "", prefix, found)
        groups.append((_join(prefix), found))

    start(root, [])
    return groups


# -- which files a group selects (globwalk, ignore, globset) -----------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    regex: re.Pattern[str]
    selects: bool
    folders_only: bool


class Selector:
    """The patterns of one group, as ``globwalk`` applies them to paths below its base."""

    def __init__(self, patterns: list[str]) -> None:
        self._lines: list[_Line] = []
        for pattern in patterns:
            # globwalk: a lone "*" would match at any depth; it means the top level.
            line = _gitignore_line("/*" if pattern == "*" else pattern)
            if line is not None:
                self._lines.append(line)
        self._selecting = any(line.selects for line in self._lines)

    def matched(self, rel: str, *, is_dir: bool) -> bool | None:
        """True: selected; False: excluded (a folder is not entered); None: no line matches."""
        if not self._lines:
            return None
        for line in reversed(self._lines):
            if line.folders_only and not is_dir:
                continue
            if line.regex.match(rel):
                return line.selects
        if self._selecting and not is_dir:
            return False
        return None


def _gitignore_line(line: str) -> _Line | None:
    """One gitignore line (ignore's ``GitignoreBuilder::add_line``); ``None`` for none."""
    if line.startswith("#"):
        return None
    if not line.endswith("\\ "):
        line = line.rstrip()
    if not line:
        return None
    selects, anchored, folders_only = True, False, False
    if line.startswith(("\\!", "\\#")):
        line = line[1:]
        anchored = line.startswith("/")
    else:
        if line.startswith("!"):
            selects, line = False, line[1:]
        if line.startswith("/"):
            anchored, line = True, line[1:]
    if line.endswith("/"):
        folders_only, line = True, line[:-1]
        line = line.removesuffix("\\")
    if not anchored and "/" not in line and not (line.startswith("**/") or line == "**"):
        line = "**/" + line
    if line.endswith("/**"):
        line += "/*"
    return _Line(
        regex=re.compile(glob_regex(line), re.DOTALL),
        selects=selects,
        folders_only=folders_only,
    )


# -- globset: one glob as a regular expression --------------------------------------------

# Tokens: ("lit", char), ("any",), ("star",), ("prefix",) for a leading "**/",
# ("suffix",) for a trailing "/**", ("middle",) for "/**/", ("class", negated,
# ranges), ("alt", branches).
_Token = tuple[object, ...]


class _Parser:
    """globset's parser with ``literal_separator`` and ``backslash_escape`` on."""

    def __init__(self, glob: str) -> None:
        self.glob = glob
        self.chars = list(glob)
        self.index = 0
        self.prev: str | None = None
        self.cur: str | None = None
        self.branches: list[list[_Token]] = [[]]
        self.alternates: list[int] = []

    def bump(self) -> str | None:
        self.prev = self.cur
        self.cur = self.chars[self.index] if self.index < len(self.chars) else None
        if self.cur is not None:
            self.index += 1
        return self.cur

    def peek(self) -> str | None:
        return self.chars[self.index] if self.index < len(self.chars) else None

    def push(self, *tokens: _Token) -> None:
        self.branches[-1].extend(tokens)

    def parse(self) -> list[_Token]:
        while (char := self.bump()) is not None:
            if char == "?":
                self.push(("any",))
            elif char == "*":
                self.star()
            elif char == "[":
                self.push(self.char_class())
            elif char == "{":
                self.alternates.append(len(self.branches))
                self.branches.append([])
            elif char == "}":
                if not self.alternates:
                    raise GlobError(f"{self.glob!r}: a `}}` closes no `{{`")
                start = self.alternates.pop()
                alternatives = self.branches[start:]
                del self.branches[start:]
                self.push(("alt", alternatives))
            elif char == "," and self.alternates:
                self.branches.append([])
            elif char == "\\":
                escaped = self.bump()
                if escaped is None:
                    raise GlobError(f"{self.glob!r} ends in a lone `\\`")
                self.push(("lit", escaped))
            else:
                self.push(("lit", char))
        if len(self.branches) > 1:
            raise GlobError(f"{self.glob!r}: a `{{` is never closed")
        return self.branches[0]

    def star(self) -> None:
        before = self.prev
        if self.peek() != "*":
            self.push(("star",))
            return
        self.bump()
        if not self.branches[-1]:
            if self.peek() not in {None, "/"}:
                self.push(("star",), ("star",))
            else:
                self.push(("prefix",))
                self.bump()
            return
        if before != "/" and (len(self.branches) <= 1 or before not in {",", "{"}):
            self.push(("star",), ("star",))
            return
        after = self.peek()
        if after is None or (after in {",", "}"} and len(self.branches) >= 2):
            suffix = True
        elif after == "/":
            self.bump()
            suffix = False
        else:
            self.push(("star",), ("star",))
            return
        last = self.branches[-1].pop()
        if last[0] in {"prefix", "suffix"}:
            self.push(last)
        else:
            self.push(("suffix",) if suffix else ("middle",))

    def char_class(self) -> _Token:
        negated = self.peek() in {"!", "^"}
        if negated:
            self.bump()
        ranges: list[list[str]] = []
        first, in_range = True, False
        while True:
            char = self.bump()
            if char is None:
                raise GlobError(f"{self.glob!r}: a `[` is never closed")
            if char == "]" and not first:
                break
            if char == "-" and not first and not in_range:
                in_range = True
            elif in_range:
                ranges[-1][1] = char
                if ranges[-1][1] < ranges[-1][0]:
                    raise GlobError(f"{self.glob!r}: the range {ranges[-1]} runs backwards")
                in_range = False
            else:
                ranges.append([char, char])
            first = False
        if in_range:  # a "-" last in the class is itself
            ranges.append(["-", "-"])
        return ("class", negated, ranges)


def _regex(tokens: list[_Token]) -> str:
    out: list[str] = []
    for token in tokens:
        kind = token[0]
        if kind == "lit":
            out.append(re.escape(str(token[1])))
        elif kind == "any":
            out.append("[^/]")
        elif kind == "star":
            out.append("[^/]*")
        elif kind == "prefix":
            out.append("(?:/?|.*/)")
        elif kind == "suffix":
            out.append("/.*")
        elif kind == "middle":
            out.append("(?:/|/.*/)")
        elif kind == "class":
            ranges: list[list[str]] = token[2]  # type: ignore[assignment]
            body = "".join(
                re.escape(low) if low == high else f"{re.escape(low)}-{re.escape(high)}"
                for low, high in ranges
            )
            out.append(f"[{'^' if token[1] else ''}{body}]")
        else:
            branches: list[list[_Token]] = token[1]  # type: ignore[assignment]
            parts = [part for part in map(_regex, branches) if part]
            if parts:  # globset drops an alternation whose branches are all empty
                out.append("(?:" + "|".join(parts) + ")")
    return "".join(out)


def glob_regex(glob: str) -> str:
    """globset's regular expression for ``glob``, in Python's syntax (anchored both ends)."""
    tokens = _Parser(glob).parse()
    # \Z, not $: Python's $ also matches before a final newline, Rust's does not.
    if tokens == [("prefix",)]:
        return "^.*\\Z"
    return "^" + _regex(tokens) + "\\Z"
