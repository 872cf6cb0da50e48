"""A project's git commit and tags, read from ``.git`` as uv reads them (no git needed).

Mirrors crates/uv-cache-info/src/git_info.rs (``Commit``, ``Tags``) and
``find_git_repository_root`` (crates/uv-fs/src/path.rs): the repository is
the nearest folder up the project's path holding ``.git`` (a folder, or a
``gitdir:`` file for worktrees and submodules, whose ``commondir`` holds the
shared refs).  A commit is exactly 40 hex characters, so a SHA-256
repository never has one.  Any failure means no value (``None``).
"""

from __future__ import annotations

import os
import stat
import string

from venv_doctor.read.readfile import read_regular

_HEX = frozenset(string.hexdigits)


class _GitError(Exception):
    pass


def _commit(text: str) -> str:
    if len(text) != 40 or not _HEX.issuperset(text):
        raise _GitError(f"{text!r} is not a commit")
    return text


def _read(path: str) -> str | None:
    """A file's text; ``None`` when it does not exist."""
    try:
        return read_regular(path).decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise _GitError(str(exc)) from exc


def _git_dirs(project: str) -> tuple[str, str]:
    """The repository's git folder and its common folder (the same but in a linked worktree)."""
    folder = project
    while not os.path.exists(os.path.join(folder, ".git")):
        parent = os.path.dirname(folder)
        if parent == folder:
            raise _GitError("not in a git repository")
        folder = parent
    dot_git = os.path.join(folder, ".git")
    if os.path.isdir(dot_git):
        git_dir = dot_git
    else:
        text = _read(dot_git) if os.path.isfile(dot_git) else None
        if text is None or not text.startswith("gitdir:"):
            raise _GitError(f"{dot_git} names no git folder")
        git_dir = os.path.join(folder, text.removeprefix("gitdir:").strip())
    common = _read(os.path.join(git_dir, "commondir"))
    return git_dir, git_dir if common is None else os.path.join(git_dir, common.strip())


def _loose_ref(path: str) -> str | None:
    text = _read(path)
    return None if text is None else _commit(text.strip())


def _packed_refs(common: str) -> dict[str, str]:
    text = _read(os.path.join(common, "packed-refs"))
    refs: dict[str, str] = {}
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "^")):
            continue  # comments, and the commits annotated tags point at
        commit, sep, name = line.partition(" ")
        if not sep:
            raise _GitError(f"packed-refs line {line!r}")
        refs[name] = _commit(commit)
    return refs


def git_commit(project: str) -> str | None:
    """The commit HEAD names, through loose and packed refs; ``None`` when there is none."""
    try:
        git_dir, common = _git_dirs(project)
        head = _read(os.path.join(git_dir, "HEAD"))
        tokens = (head or "").split()
        if not tokens:
            return None
        if len(tokens) == 1:  # a detached HEAD
            return _commit(tokens[0])
        ref = tokens[1]  # "ref: refs/heads/main"
        for folder in (git_dir, common):
            found = _loose_ref(os.path.join(folder, ref))
            if found is not None:
                return found
        return _packed_refs(common).get(ref)
    except _GitError:
        return None


def git_tags(project: str) -> dict[str, str] | None:
    """Every tag and the object it names (an annotated tag's own object, not its commit).

    Loose tags override packed ones; ``None`` when any of them cannot be read.
    """
    try:
        _git_dir, common = _git_dirs(project)
        tags = {
            name.removeprefix("refs/tags/"): commit
            for name, commit in _packed_refs(common).items()
            if name.startswith("refs/tags/")
        }
        folder = os.path.join(common, "refs", "tags")
        for where, _dirs, files in os.walk(folder):
            for name in files:
                path = os.path.join(where, name)
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue  # a link or anything else is no tag to uv
                found = _loose_ref(path)
                if found is not None:
                    tags[os.path.relpath(path, folder).replace(os.sep, "/")] = found
    except (_GitError, OSError):
        return None
    return tags
