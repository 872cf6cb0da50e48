"""Real venvs, wheels and one real plan for the transaction tests.

The plan is what ``fix`` does to reinstall: remove one distribution by its
RECORD (files, then the folders left empty), install another wheel through
the transaction destination, replace a file in place of a third, add a
link and a folder.  ``run_plan`` is shared by the in-process tests and by
``plan_runner`` (the child the SIGKILL test kills).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import stat
from pathlib import Path

from installer.records import parse_record_file

from tests.support.tools import BASE_PYTHON, clean_environ, find_uv, run
from tests.support.wheels import WheelSpec, build_wheel
from venv_doctor.apply import StepHook, Transaction, VenvLock
from venv_doctor.apply.destination import install_wheel
from venv_doctor.read.layout import read_layout

ALPHA = WheelSpec(
    name="alpha",
    version="1.0",
    files={
        "alpha/__init__.py": "VALUE = 'alpha'\n",
        "alpha/sub/__init__.py": "",
        "alpha/sub/data.bin": bytes(range(256)) * 64,
    },
    console_scripts={"alpha-cli": "alpha:main"},
)
GAMMA = WheelSpec(name="gamma", version="1.0", files={"gamma.py": "G = 1\n"})
BETA = WheelSpec(
    name="beta",
    version="2.0",
    files={"beta/__init__.py": "VALUE = 'beta'\n", "beta/tool.py": "def main():\n    pass\n"},
    console_scripts={"beta-cli": "beta.tool:main"},
    scripts={"beta-raw": "#!python\nprint('raw')\n"},
)


def uv_environ(cache: Path) -> dict[str, str]:
    env = clean_environ()
    env.update(
        {
            "UV_CACHE_DIR": str(cache),
            "UV_NO_CONFIG": "1",
            "UV_OFFLINE": "1",
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_NO_PROGRESS": "1",
        }
    )
    return env


def make_venv(path: Path, wheels: list[Path], *, cache: Path, link_mode: str = "copy") -> Path:
    """``uv venv`` at ``path``, then ``uv pip install`` the wheel files (no network)."""
    env = uv_environ(cache)
    uv = find_uv()
    run([uv, "venv", "--python", BASE_PYTHON, path], env=env)
    if wheels:
        python = path / "bin" / "python"
        run([uv, "pip", "install", "--python", python, "--link-mode", link_mode, *wheels], env=env)
    return path


def build_wheels(folder: Path) -> dict[str, Path]:
    return {spec.name: build_wheel(spec, folder) for spec in (ALPHA, BETA, GAMMA)}


def copy_venv(template: Path, target: Path) -> Path:
    """A copy of a venv (links kept as links, modes and times kept)."""
    shutil.copytree(template, target, symlinks=True)
    return target


def site_rel(venv: Path) -> str:
    layout = read_layout(venv)
    assert layout.purelib is not None
    return layout.relative(layout.purelib)


def run_plan(lock: VenvLock, beta_wheel: Path, *, on_step: StepHook | None = None) -> str:
    """Apply the plan of the module docstring in one transaction; return its id."""
    venv = lock.root
    site = site_rel(venv)
    record_text = (venv / site / ALPHA.dist_info / "RECORD").read_text(encoding="utf-8")
    rows = parse_record_file(record_text.splitlines())
    with Transaction(
        lock, description="reinstall", plan={"remove": "alpha"}, on_step=on_step
    ) as txn:
        files = [posixpath.normpath(posixpath.join(site, path)) for path, _, _ in rows]
        txn.remove_all(files)
        folders: set[str] = set()
        for rel in files:
            parent = posixpath.dirname(rel)
            while parent not in {site, ""} and parent.startswith(site):
                folders.add(parent)
                parent = posixpath.dirname(parent)
        for folder in sorted(folders, key=len, reverse=True):
            if not os.listdir(venv / folder):
                txn.remove(folder)
        install_wheel(txn, beta_wheel, layout=read_layout(venv), additional_metadata={})
        txn.replace(f"{site}/gamma.py", data=b"G = 2\n")
        txn.symlink(f"{site}/beta-link", "beta")
        txn.mkdir(f"{site}/empty/nested")
        return txn.id


def tree(root: Path) -> dict[str, tuple[object, ...]]:
    """Everything about the tree at ``root`` a change could touch, but ``.venv-doctor/``.

    Per entry: type, permission bits; for files size, sha256, mtime and
    inode (a file put back is the same file, not a copy); for links the
    target.  Folder times are left out: adding and removing entries moves them.
    """
    entries: dict[str, tuple[object, ...]] = {}
    for folder, dirs, files in os.walk(root):
        if folder == str(root):
            dirs[:] = [name for name in dirs if name != ".venv-doctor"]
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            rel = os.path.relpath(path, root)
            mode = stat.S_IMODE(info.st_mode)
            if stat.S_ISLNK(info.st_mode):
                entries[rel] = ("link", os.readlink(path), info.st_mtime_ns, info.st_ino)
            elif stat.S_ISDIR(info.st_mode):
                entries[rel] = ("dir", mode)
            else:
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
                entries[rel] = ("file", mode, info.st_size, digest, info.st_mtime_ns, info.st_ino)
    return entries


def assert_same_tree(before: dict[str, tuple[object, ...]], after_root: Path) -> None:
    after = tree(after_root)
    if before == after:
        return
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    raise AssertionError(f"tree changed: added {added}, removed {removed}, changed {changed}")


def without_inodes(entries: dict[str, tuple[object, ...]]) -> dict[str, tuple[object, ...]]:
    """The tree with file identity dropped: for comparing two copies of a venv."""
    return {
        rel: value[:-2] if value[0] == "file" else value[:2] if value[0] == "link" else value
        for rel, value in entries.items()
    }
