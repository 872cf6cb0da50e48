"""Where editable installs point, read from ``.pth`` files and finder modules.

Pure parsers over text: the target venv's code is parsed, never run.
"""

from __future__ import annotations

import ast
import re
from urllib.parse import unquote, urlsplit

_FINDER = re.compile(r"^__editable___.*_finder\.py$")


def is_editable_finder(name: str) -> bool:
    """setuptools' ``__editable___<name>_<ver>_finder.py`` module."""
    return _FINDER.match(name) is not None


def pth_paths(text: str) -> list[str]:
    """The folders a ``.pth`` file adds to ``sys.path``, as site.py reads it.

    Blank lines, comments and ``import`` lines (which site.py executes, and we
    never do) are skipped.
    """
    paths: list[str] = []
    for line in text.splitlines():
        stripped = line.rstrip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith(("import ", "import\t")):
            continue
        paths.append(stripped)
    return paths


def finder_mapping(source: str) -> dict[str, str]:
    """The ``MAPPING`` literal of a setuptools editable finder module.

    Returns an empty mapping when there is none or it is not a literal.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "MAPPING" for t in targets):
            try:
                value = ast.literal_eval(node.value)  # type: ignore[arg-type]
            except (ValueError, TypeError, SyntaxError):
                return {}
            if isinstance(value, dict):
                return {str(k): str(v) for k, v in value.items() if isinstance(v, str)}
    return {}


def file_url_path(url: str) -> str | None:
    """The local path of a ``file://`` URL, or ``None`` for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    path = unquote(parts.path)
    # file:///C:/project on Windows
    if re.match(r"^/[A-Za-z]:/", path):
        path = path[1:]
    return path
