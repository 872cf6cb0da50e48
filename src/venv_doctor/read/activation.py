"""The venv folder an activate script names, read from its text.

``python -m venv``, uv and virtualenv write the venv's absolute path into most
of their activate scripts, each in its shell's quoting.  These parsers return
that path as the shell would see it; ``None`` when the script finds its venv
by its own location (``activate.ps1``, uv's ``activate.xsh``,
``activate_this.py``) or names none.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator

# Activate scripts that may name the venv's path, by lower-case name.
_KINDS = {
    "activate": "sh",
    "activate.bat": "bat",
    "activate.csh": "csh",
    "activate.fish": "fish",
    "activate.nu": "nu",
    "activate.xsh": "xsh",
    "activate.ps1": "ps1",
}

# sh: VIRTUAL_ENV=..., export VIRTUAL_ENV=..., VIRTUAL_ENV=$(cygpath ...) on Windows.
_SH = re.compile(r"^[ \t]*(?:export[ \t]+)?VIRTUAL_ENV=(.*)$", re.M)
_CYGPATH = re.compile(r"^\$\(cygpath(?:[ \t]+-\w+)*[ \t]+(.+)\)$")
# csh: setenv VIRTUAL_ENV ... (venv, older virtualenv), set _virtualenv_dir='...' (virtualenv
# 21.15.11+, whose setenv then names that variable); fish: set -gx VIRTUAL_ENV ...
_CSH = re.compile(
    r"^[ \t]*(?:setenv[ \t]+VIRTUAL_ENV[ \t]+|set[ \t]+_virtualenv_dir[ \t]*=[ \t]*)(.*)$", re.M
)
_FISH = re.compile(r"^[ \t]*set(?:[ \t]+-\w+)*[ \t]+VIRTUAL_ENV[ \t]+(.*)$", re.M)
# nushell: let virtual_env = '...' (virtualenv: r#'...'#), const virtual_env = ... (uv).
_NU = re.compile(r"^[ \t]*(?:let|const)[ \t]+virtual_env[ \t]*=[ \t]*(.*)$", re.M)
_NU_RAW = re.compile(r"^r(#+)'(.*)'\1$")
# cmd: set "VIRTUAL_ENV=..." (venv), set VIRTUAL_ENV=... (older venv),
#      for %%i in ("...") do @set "VIRTUAL_ENV=%%~fi" (uv, virtualenv).
_BAT = re.compile(
    r"""^[ \t]*@?(?:
        set[ \t]+"VIRTUAL_ENV=(?P<quoted>[^"]*)"
      | set[ \t]+VIRTUAL_ENV=(?P<bare>[^"\r\n]*?)
      | for[ \t]+%%\w[ \t]+in[ \t]+\("(?P<for>[^"]*)"\)[ \t]+do[ \t]+@?set[ \t]+"VIRTUAL_ENV=%%~f\w"
    )[ \t]*\r?$""",
    re.M | re.I | re.X,
)
# PowerShell: $env:VIRTUAL_ENV = '...' (older virtualenv; venv's computes it).
_PS1 = re.compile(r"^[ \t]*\$env:VIRTUAL_ENV[ \t]*=[ \t]*(.*?)[ \t]*\r?$", re.M | re.I)
# xonsh: self.embedded_virtual_env = '...' (virtualenv), $VIRTUAL_ENV = r"..." (older).
_XSH = re.compile(
    r"^[ \t]*(?:self\.embedded_virtual_env|\$VIRTUAL_ENV)[ \t]*=[ \t]*(.*?)[ \t]*\r?$", re.M
)


def is_activate_script(name: str) -> bool:
    """Whether a scripts-folder entry is an activate script that may name the venv's path."""
    return name.lower() in _KINDS


def venv_of_activate_script(name: str, text: str) -> str | None:
    """The venv folder the activate script ``name`` sets as ``VIRTUAL_ENV``, unquoted.

    The first assignment of a literal path counts; assignments of a computed
    value (``"$CURRENT_ENV"``, ``%%~dp0``, ``realpath(__file__)``) are passed over.
    """
    kind = _KINDS.get(name.lower())
    if kind is None:
        return None
    for value in _values(kind, text):
        if value:
            return value
    return None


def _values(kind: str, text: str) -> Iterator[str | None]:
    if kind == "bat":
        for match in _BAT.finditer(text):
            value = next(group for group in match.groups() if group is not None)
            yield None if "%" in value else value
        return
    pattern, parse = _PARSERS[kind]
    for match in pattern.finditer(text):
        yield parse(match.group(1).strip())


def _sh(value: str) -> str | None:
    cygpath = _CYGPATH.match(value)
    if cygpath is not None:
        value = cygpath.group(1).strip()
    return _word(value, double_escapes='$`"\\', single_escapes="")


def _csh(value: str) -> str | None:
    return _word(value, double_escapes="", single_escapes="")


def _fish(value: str) -> str | None:
    return _word(value, double_escapes='$"\\', single_escapes="'\\", double_expands="$")


def _nu(value: str) -> str | None:
    raw = _NU_RAW.match(value)
    if raw is not None:
        return raw.group(2)
    if not value.startswith(("'", '"')):
        return None  # (path self | path dirname): uv's relocatable venvs
    # uv quotes for nushell as for sh: adjacent quoted parts make one path.
    return _word(value, double_escapes='"\\', single_escapes="", double_expands="")


def _ps1(value: str) -> str | None:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if len(value) >= 2 and value[0] == value[-1] == '"' and not re.search(r'[$`"]', value[1:-1]):
        return value[1:-1]
    return None


def _xsh(value: str) -> str | None:
    try:
        node = ast.parse(value, mode="eval").body
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    # virtualenv 21.15.11+: self._fs_path('/path/to/venv', required=True)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "_fs_path"
        and node.args
    ):
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


_PARSERS: dict[str, tuple[re.Pattern[str], Callable[[str], str | None]]] = {
    "sh": (_SH, _sh),
    "csh": (_CSH, _csh),
    "fish": (_FISH, _fish),
    "nu": (_NU, _nu),
    "ps1": (_PS1, _ps1),
    "xsh": (_XSH, _xsh),
}


def _word(
    text: str, *, double_escapes: str, single_escapes: str, double_expands: str = "$`"
) -> str | None:
    """One shell word of literal text: quoted and bare parts joined, up to a blank or ``;``.

    ``None`` when the word expands something (``$``, a backquote or a command
    in parentheses, unquoted; ``double_expands`` within double quotes) or its
    quotes are not closed.
    """
    out: list[str] = []
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        if char in " \t;\r":
            break
        if char in "'\"":
            escapes = single_escapes if char == "'" else double_escapes
            expands = "" if char == "'" else double_expands
            i += 1
            while True:
                if i >= end:
                    return None  # unclosed quote
                inner = text[i]
                if inner == char:
                    break
                if inner == "\\" and i + 1 < end and text[i + 1] in escapes:
                    out.append(text[i + 1])
                    i += 2
                    continue
                if inner in expands:
                    return None
                out.append(inner)
                i += 1
            i += 1
        elif char == "\\":
            if i + 1 >= end:
                return None
            out.append(text[i + 1])
            i += 2
        elif char in _BARE_SPECIAL:
            return None
        else:
            out.append(char)
            i += 1
    return "".join(out) or None


# Unquoted, these expand or are syntax in every shell whose activate script is read.
_BARE_SPECIAL = frozenset("$`(){}|&<>*?[")
