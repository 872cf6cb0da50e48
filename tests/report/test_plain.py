"""Reports into a file or a pipe are written without rich, and byte for byte as rich writes them.

``report.plain`` stands in for rich's ``Console`` where rich would style
nothing.  Each test prints the same markup through both and compares.
"""

from __future__ import annotations

import io
import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.errors import MarkupError
from rich.markup import escape

from tests.support.tools import Tools, site_packages
from venv_doctor.report.plain import PlainConsole, needs_rich, plain_text
from venv_doctor.report.plain import escape as plain_escape

# Texts a report may hold: paths, messages and hints with brackets, backslashes,
# emoji codes, control characters, wide characters, escaped bytes.
TEXTS = [
    "",
    "plain words",
    "lib/python3.11/site-packages/pkg/[x].py",
    "a [bold] word that looks like a tag",
    "[/] and [/bold] and [@click] and [#ff0000] and [link=https://example.org]",
    "back\\slash, trailing backslash\\",
    "two \\\\[bold] backslashes",
    "\\[not a tag] and \\[bold]",
    "C:\\Users\\me\\[proj]\\.venv",
    ":thumbs_up: :smile: :warning-emoji:",
    "bell\x07 backspace\x08 vtab\x0b formfeed\x0c return\r end",
    "wide 日本語 and é and ü",
    "bytes spelt \\xff\\xfe (not valid UTF-8)",
    "   spaces around   ",
    "[[double]] ]] [[",
    "[1.2.3] [a-b] [UPPER] [_under]",
]
MARKUP = [
    "{}",
    "[bold]{}[/]",
    "  [bold red]error  [/] [bold]file-missing[/] {}",
    "[dim]note: {}[/]",
    "          [dim]hint: {}[/]",
    "[bold]{}[/bold] tail",
    "  1. {}",
]


def _rich(out: io.StringIO) -> Console:
    # As cli._rich_console makes it for a file or a pipe.
    return Console(
        file=out, highlight=False, emoji=False, no_color=True, color_system=None, soft_wrap=True
    )


def _both(*objects: object, **options: object) -> tuple[str, str]:
    ours, theirs = io.StringIO(), io.StringIO()
    PlainConsole(ours, lambda: _rich(ours)).print(*objects, **options)
    _rich(theirs).print(*objects, **options)
    return ours.getvalue(), theirs.getvalue()


@pytest.mark.parametrize(("template", "text"), list(itertools.product(MARKUP, TEXTS)))
def test_escaped_text_in_report_markup_prints_as_rich_prints_it(template: str, text: str) -> None:
    ours, theirs = _both(template.format(escape(text)), soft_wrap=True)
    assert ours == theirs


def _markup(text: str) -> bool:
    """Whether rich takes ``text`` as markup (a closing tag that closes nothing it rejects)."""
    try:
        _rich(io.StringIO()).print(text)
    except MarkupError:
        return False
    return True


@pytest.mark.parametrize("text", [text for text in TEXTS if _markup(text)])
def test_unescaped_text_prints_as_rich_prints_it(text: str) -> None:
    ours, theirs = _both(text)
    assert ours == theirs


def test_an_empty_line_and_several_objects_print_as_rich_prints_them() -> None:
    assert _both() == ("\n", "\n")
    ours, theirs = _both("[bold]a[/]", "b", sep="-", end="!\n")
    assert ours == theirs == "a-b!\n"


def test_a_tab_goes_to_rich() -> None:
    ours, theirs = _both("col\tumn [bold]x[/]\twide 日本\tend")
    assert ours == theirs
    assert "\t" not in ours  # rich expands tabs


_PIECES = ["", "a", "[b]", "\\", "[bold]", "[/]", "x]", "[a-b]", "[#f]", "[@c]", "\\[x]", "é"]


def test_escape_escapes_as_rich_escapes() -> None:
    for count in (1, 2, 3):
        for pieces in itertools.product(_PIECES, repeat=count):
            text = "".join(pieces)
            assert plain_escape(text) == escape(text), text
    for text in TEXTS:
        assert plain_escape(text) == escape(text), text


def test_plain_text_drops_tags_and_undoes_escapes() -> None:
    assert plain_text("[bold]x[/] \\[y] \\\\[dim]z[/]") == "x [y] \\z"


@pytest.mark.parametrize(
    ("color", "environ", "tty", "styled"),
    [
        ("auto", {}, False, False),
        ("auto", {}, True, True),
        ("always", {}, False, True),
        ("never", {}, True, True),  # a terminal: rich breaks lines at its width
        ("auto", {"FORCE_COLOR": "1"}, False, True),
        ("auto", {"FORCE_COLOR": ""}, True, False),
        ("auto", {"TTY_COMPATIBLE": "1"}, False, True),
        ("auto", {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"}, True, False),
    ],
)
def test_rich_is_used_where_it_would_style_or_break_lines(
    color: str, environ: dict[str, str], tty: bool, styled: bool
) -> None:
    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert needs_rich(Stream(), color, environ) is styled


def test_check_and_fix_into_a_pipe_write_what_rich_writes(tools: Tools, tmp_path: Path) -> None:
    """The real commands on a broken venv, their output into a pipe: without rich, and with
    rich (FORCE_COLOR makes it take the pipe for a terminal; --color never keeps it plain)."""
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    site = site_packages(venv)
    (site / "polarslike" / "__init__.py").unlink()
    (site / "stray [bold] :smile:.py").write_text("x = 1\n")
    base = {k: v for k, v in tools.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    base["VENV_DOCTOR_CACHE_DIR"] = str(tmp_path / "cache")

    def run(*args: str, forced: bool) -> tuple[int, str, str, bool]:
        env = base | {"FORCE_COLOR": "1"} if forced else base
        probe = "import sys, runpy; sys.argv[0] = 'venv-doctor'; "
        probe += "runpy.run_module('venv_doctor', run_name='__main__')"
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", probe, "--color", "never", *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = done.stderr.splitlines()
        imported_rich = any(line.split("|")[-1].strip().startswith("rich") for line in lines)
        stderr = "\n".join(line for line in lines if not line.startswith("import time:"))
        return done.returncode, done.stdout, stderr, imported_rich

    for args in (("check", str(venv)), ("fix", "--dry-run", str(venv))):
        code, out, err, imported = run(*args, forced=False)
        assert not imported, "rich was imported for a pipe"
        *with_rich, imported = run(*args, forced=True)
        assert imported
        assert (code, out, err) == tuple(with_rich)
        assert "stray [bold] :smile:.py" in out
    assert os.path.exists(site / "stray [bold] :smile:.py")
