"""Re-run the shell sessions shown in the docs and write their real output back.

Run from the repository root (needs uv, git and the network; some pages need
root on a file system where ``chattr +i`` works):

    python docs/_tools/transcript.py docs/tutorial.md docs/how-to/*.md

A page takes part when it holds the line ``<!-- transcript -->``.  Its
``console`` code blocks are run top to bottom in one bash session: every line
starting with ``$ `` is a command, and whatever follows it up to the next
command is replaced by what the command prints now (stdout and stderr, in the
order they were written).  A comment line ``<!-- $ command -->`` outside the
code blocks is run too, but its output is not shown: it prepares what the page
takes for granted (a clone of venv-doctor, say).

Each page runs in a fresh folder ``<sandbox>/home/user`` that is ``$HOME``,
with its own ``~/.local/bin`` first on ``PATH`` and its own uv cache.  As root,
a mount namespace puts that folder at ``/home/user`` itself.
``$VENV_DOCTOR_REPO`` names this repository: clone it (only committed work is
cloned) and ``uv tool install`` the clone.  Without a mount namespace the sandbox
prefix is cut from the output, so paths read ``/home/user/...``
all the same.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
MARKER = "<!-- transcript -->"
HIDDEN = re.compile(r"^<!-- \$ (.+) -->$")
FENCE = "```"


class Shell:
    """One bash process; each command's output and status, read up to a marker line."""

    def __init__(self, home: Path, env: dict[str, str], argv: list[str]) -> None:
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=home,
            env=env,
            text=True,
            bufsize=1,
        )
        self.mark = f"__transcript_{uuid.uuid4().hex}__"

    def run(self, command: str) -> tuple[str, int]:
        stdin, stdout = self.process.stdin, self.process.stdout
        if stdin is None or stdout is None:
            raise RuntimeError("the shell has no pipes")
        # The printf completes a last line without a newline; `(exit $s)` gives the next
        # command the status of this one, so a shown `echo $?` tells the truth.
        stdin.write(
            f"{{ {command}\n}} </dev/null 2>&1\n"
            f"__s=$?; printf '\\n{self.mark} %s\\n' \"$__s\"; (exit $__s)\n"
        )
        stdin.flush()
        lines: list[str] = []
        for line in stdout:
            if line.startswith(self.mark):
                return "".join(lines)[:-1], int(line.split()[1])
            lines.append(line)
        raise RuntimeError(f"bash exited while running: {command}")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def _environment(root: Path, home: Path) -> dict[str, str]:
    tools = root / "opt" / "bin"
    tools.mkdir(parents=True)
    for name in ("uv", "uvx"):
        found = shutil.which(name)
        if found is None:
            raise SystemExit(f"{name} is not on PATH")
        (tools / name).symlink_to(found)
    keep = ("LANG", "LC_ALL", "TERM", "SSL_CERT_FILE", "PIP_CERT", "UV_INDEX_URL")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(
        HOME=str(home),
        USER="user",
        PATH=os.pathsep.join([str(home / ".local" / "bin"), str(tools), "/usr/bin", "/bin"]),
        UV_PYTHON_PREFERENCE="only-system",
        UV_NO_PROGRESS="1",
        COLUMNS="200",
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        VENV_DOCTOR_REPO=str(REPO),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="user",
        GIT_AUTHOR_EMAIL="user@example.com",
        GIT_COMMITTER_NAME="user",
        GIT_COMMITTER_EMAIL="user@example.com",
    )
    return env


def _normalize(text: str, replacements: list[tuple[str, str]]) -> str:
    for old, new in replacements:
        text = text.replace(old, new)
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def _commands(lines: list[str]) -> Iterator[tuple[int, str, bool]]:
    """(line index, command, shown) for every command of a page, in order."""
    inside = False
    for index, line in enumerate(lines):
        if line.startswith(FENCE):
            inside = line.strip() == FENCE + "console" if not inside else False
            continue
        if inside and line.startswith("$ "):
            yield index, line[2:], True
        elif not inside and (hidden := HIDDEN.match(line.strip())):
            yield index, hidden[1], False


def _bash(root: Path) -> tuple[Path, list[str]]:
    """Where $HOME is, and the shell to run: in a mount namespace where it is /home/user.

    Real paths keep the output exact (rich sizes its tables by them); where a
    mount namespace is not allowed, the sandbox prefix is cut from the output.
    """
    bash = ["bash", "--noprofile", "--norc"]
    probe = ["unshare", "-m", "sh", "-c", f"mount --bind {root / 'home'} /home"]
    if (
        shutil.which("unshare")
        and subprocess.run(probe, capture_output=True, check=False).returncode == 0
    ):
        script = (
            f'mount --bind "{root / "home"}" /home && cd /home/user && exec bash --noprofile --norc'
        )
        return Path("/home/user"), ["unshare", "-m", "sh", "-c", script]
    return root / "home" / "user", bash


def render_page(text: str, *, sandbox: Path, log: bool) -> str:
    """The page with every shown command's output replaced by a fresh run."""
    lines = text.split("\n")
    root = Path(tempfile.mkdtemp(prefix="page-", dir=sandbox))
    (root / "home" / "user").mkdir(parents=True)
    home, argv = _bash(root)
    shell = Shell(root / "home" / "user", _environment(root, home), argv)
    replacements = [(str(root), "")]
    outputs: dict[int, str] = {}
    try:
        for index, command, shown in _commands(lines):
            output, status = shell.run(command)
            if log:
                sys.stderr.write(f"[{status}] {command}\n")
            if not shown and status != 0:
                raise RuntimeError(f"hidden command failed ({status}): {command}\n{output}")
            if shown:
                outputs[index] = _normalize(output, replacements)
    finally:
        shell.close()
        subprocess.run(["chattr", "-R", "-i", str(root)], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)
    result: list[str] = []
    skipping = False
    for index, line in enumerate(lines):
        if index in outputs:
            result.append(line)
            if outputs[index]:
                result.extend(outputs[index].split("\n"))
            skipping = True
            continue
        if skipping and (line.startswith("$ ") or line.startswith(FENCE)):
            skipping = False
        if not skipping:
            result.append(line)
    return "\n".join(result)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument("-q", "--quiet", action="store_true", help="do not log each command")
    args = parser.parse_args(argv)
    sandbox = Path(tempfile.mkdtemp(prefix="vd-transcript-"))
    try:
        for page in args.pages:
            text = page.read_text(encoding="utf-8")
            if MARKER not in text:
                continue
            sys.stderr.write(f"== {page}\n")
            page.write_text(
                render_page(text, sandbox=sandbox, log=not args.quiet),
                encoding="utf-8",
            )
    finally:
        subprocess.run(["chattr", "-R", "-i", str(sandbox)], capture_output=True, check=False)
        shutil.rmtree(sandbox, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
