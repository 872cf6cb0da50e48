"""The digest cache: a full check takes over the digests of unchanged files, and nothing else.

Each test checks a real uv venv, waits until every file is older than the
racy window (``RACY_NS``, git's racy rule), and changes the venv or the
cache the way a person or a program would.  Every test has its own cache
folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixing import venv_doctor
from tests.support.tools import Tools, check_json, clean_environ, rel, site_packages
from venv_doctor.read.digest_cache import RACY_NS, DigestCache

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "venv-doctor-cache"
    monkeypatch.setenv("VENV_DOCTOR_CACHE_DIR", str(folder))
    return folder


def settle() -> None:
    """Wait until every file made so far is older than the racy window."""
    time.sleep(RACY_NS / 1e9 + 0.2)


def summary(venv: Path, *args: str) -> dict[str, Any]:
    result = check_json(venv, *args)
    assert result.report is not None, result.stdout + result.stderr
    return {**result.report["summary"], "exit": result.exit_code, "found": result.report}


def findings(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["code"], f["path"]) for f in data["found"]["findings"]}


def make_venv(tools: Tools, where: Path, *, link_mode: str = "copy") -> Path:
    venv = tools.make_uv_venv(where)
    tools.uv_pip_install(venv, "polarslike==1.2.0", "deptop", link_mode=link_mode)
    return venv


def cache_file(venv: Path) -> Path:
    return DigestCache.open(os.environ, str(venv)).path


def rewrite_in_place(path: Path) -> None:
    """Other bytes of the same length, written into the file, its mtime put back."""
    before = path.stat()
    data = path.read_bytes()
    with path.open("r+b") as handle:
        handle.write(bytes(255 - byte for byte in data[:8]))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )


def test_a_second_check_reuses_every_digest_and_no_cache_hashes_all(
    tools: Tools, tmp_path: Path, cache: Path
) -> None:
    venv = make_venv(tools, tmp_path / "venv")
    settle()
    first = summary(venv)
    assert first["digests_hashed"] > 0
    assert first["digests_reused"] == 0
    assert cache_file(venv).is_file()
    assert not list(venv.rglob("digests-v1"))  # nothing inside the venv (check_json proves more)

    second = summary(venv)
    assert second["digests_reused"] == first["digests_hashed"]
    assert second["digests_hashed"] == 0
    assert (second["exit"], findings(second)) == (first["exit"], findings(first))

    written = cache_file(venv).stat()
    uncached = summary(venv, "--no-cache")
    assert (uncached["digests_hashed"], uncached["digests_reused"]) == (first["digests_hashed"], 0)
    after = cache_file(venv).stat()
    assert (after.st_ino, after.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)

    text = check_json(venv).stdout  # JSON; the text report says it too
    assert json.loads(text)["summary"]["digests_reused"] == first["digests_hashed"]
    plain = venv_doctor(tools, "check", venv, cache=cache)
    assert f"0 files hashed, {first['digests_hashed']} digests reused" in plain.stdout


def test_a_file_rewritten_with_its_size_and_mtime_put_back_is_caught(
    tools: Tools, tmp_path: Path
) -> None:
    venv = make_venv(tools, tmp_path / "venv")
    settle()
    first = summary(venv)
    target = site_packages(venv) / "polarslike" / "frame.py"
    rewrite_in_place(target)  # its ctime moved: no program can set that back

    again = summary(venv)
    assert ("file-modified", rel(venv, target)) in findings(again)
    assert again["digests_hashed"] == 1
    assert again["digests_reused"] == first["digests_hashed"] - 1


def test_a_file_replaced_by_another_of_the_same_size_and_mtime_is_caught(
    tools: Tools, tmp_path: Path
) -> None:
    venv = make_venv(tools, tmp_path / "venv")
    settle()
    summary(venv)
    target = site_packages(venv) / "polarslike" / "io" / "csv.py"
    before = target.stat()
    other = target.with_name("csv.py.new")
    other.write_bytes(b"#" * before.st_size)
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(other, target)

    again = summary(venv)
    assert ("file-modified", rel(venv, target)) in findings(again)
    assert again["digests_hashed"] == 1


def test_a_hard_link_changed_through_its_other_name_is_caught(tools: Tools, tmp_path: Path) -> None:
    # A uv cache of the test's own: one of its files is changed in place.
    own = tools.with_uv_cache(tmp_path / "uv-cache")
    venv = make_venv(own, tmp_path / "venv", link_mode="hardlink")
    target = site_packages(venv) / "polarslike" / "frame.py"
    inode = target.stat()
    assert inode.st_nlink > 1
    (other,) = (
        path
        for path in (tmp_path / "uv-cache").rglob("frame.py")
        if path.stat().st_ino == inode.st_ino
    )
    settle()
    summary(venv)

    rewrite_in_place(other)

    again = summary(venv)
    assert ("file-modified", rel(venv, target)) in findings(again)
    assert again["digests_hashed"] >= 1


def _another_version(venv: Path) -> None:
    """Write the cache as another version of venv-doctor would."""
    script = (
        "import sys, venv_doctor; venv_doctor.__version__ = '0.0.0.dev0'; "
        "from venv_doctor.cli import cli; "
        "cli.main(args=['check', '--format', 'json', sys.argv[1]], prog_name='venv-doctor')"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(venv)],
        env=clean_environ(),
        capture_output=True,
        check=False,
    )


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _link_elsewhere(path: Path) -> None:
    elsewhere = path.parent.parent / "elsewhere.bin"
    shutil.move(path, elsewhere)  # a valid cache, for this venv, but through a link
    path.symlink_to(elsewhere)


def _not_mine(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    os.chown(path, 12345, 12345)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(_garbage, id="garbage"),
        pytest.param(_truncated, id="truncated"),
        pytest.param(_empty, id="empty"),
        pytest.param(_link_elsewhere, id="symlink"),
        pytest.param(_not_mine, id="another-user"),
    ],
)
def test_a_cache_not_to_trust_is_ignored_then_written_anew(
    tools: Tools, tmp_path: Path, spoil: Callable[[Path], None]
) -> None:
    venv = make_venv(tools, tmp_path / "venv")
    settle()
    first = summary(venv)
    path = cache_file(venv)
    spoil(path)
    target = site_packages(venv) / "polarslike" / "frame.py"
    rewrite_in_place(target)

    ignored = summary(venv)
    assert ignored["digests_reused"] == 0
    assert ignored["digests_hashed"] == first["digests_hashed"]
    assert ("file-modified", rel(venv, target)) in findings(ignored)

    assert path.is_file()
    assert not path.is_symlink()
    settle()
    trusted = summary(venv)  # the file changed just before the last check is hashed again
    assert (trusted["digests_hashed"], trusted["digests_reused"]) == (
        1,
        first["digests_hashed"] - 1,
    )


def test_a_cache_written_by_another_version_is_ignored(tools: Tools, tmp_path: Path) -> None:
    venv = make_venv(tools, tmp_path / "venv")
    settle()
    _another_version(venv)
    assert cache_file(venv).is_file()
    rewrite_in_place(site_packages(venv) / "polarslike" / "frame.py")

    ignored = summary(venv)
    assert ignored["digests_reused"] == 0
    assert ("file-modified", f"{rel(venv, site_packages(venv))}/polarslike/frame.py") in findings(
        ignored
    )


def test_a_cache_written_for_another_venv_is_ignored(tools: Tools, tmp_path: Path) -> None:
    old = make_venv(tools, tmp_path / "old")
    settle()
    first = summary(old)
    # The venv moves (its files keep their inodes and times); a copy of the
    # old venv's cache file lands under the new venv's name.
    new = tmp_path / "new"
    os.rename(old, new)
    shutil.copy(cache_file(old), cache_file(new))

    moved = summary(new)
    assert moved["digests_reused"] == 0
    assert moved["digests_hashed"] == first["digests_hashed"]


def test_two_checks_at_once_both_finish_and_leave_a_whole_cache(
    tools: Tools, tmp_path: Path
) -> None:
    venv = make_venv(tools, tmp_path / "venv")
    target = site_packages(venv) / "polarslike" / "frame.py"
    target.write_bytes(b"# changed\n")
    settle()
    argv = [sys.executable, "-m", "venv_doctor", "check", "--format", "json", str(venv)]
    runs = [
        subprocess.Popen(argv, env=clean_environ(), stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    reports = [json.loads(run.communicate(timeout=120)[0]) for run in runs]
    assert {run.returncode for run in runs} == {1}
    for report in reports:
        # Each check may see another reading a file of the venv at that moment
        # (file-in-use, information): not what this test is about.
        assert {
            (f["code"], f["path"]) for f in report["findings"] if f["code"] != "file-in-use"
        } == {("file-modified", rel(venv, target))}

    # A check that began after another had finished took its digests over.
    (total,) = {r["summary"]["digests_hashed"] + r["summary"]["digests_reused"] for r in reports}
    after = summary(venv)
    assert (after["digests_hashed"], after["digests_reused"]) == (0, total)
    assert ("file-modified", rel(venv, target)) in findings(after)


def test_scan_full_reads_and_updates_the_cache(tools: Tools, tmp_path: Path, cache: Path) -> None:
    venv = make_venv(tools, tmp_path / "venvs" / "one")
    settle()
    runs = [
        venv_doctor(tools, "scan", "--full", "--format", "json", venv.parent, cache=cache)
        for _ in range(2)
    ]
    first, second = (json.loads(run.stdout)["report"]["summary"] for run in runs)
    assert (first["digests_hashed"], first["digests_reused"]) == (first["digests_hashed"], 0)
    assert (second["digests_hashed"], second["digests_reused"]) == (0, first["digests_hashed"])
    uncached = venv_doctor(
        tools, "scan", "--full", "--no-cache", "--format", "json", venv.parent, cache=cache
    )
    assert json.loads(uncached.stdout)["report"]["summary"]["digests_reused"] == 0


def test_fix_reuses_the_cache_before_and_hashes_only_what_it_wrote_after(
    tools: Tools, tmp_path: Path, cache: Path
) -> None:
    from tests.test_fix import assert_in_sync, run_fix

    project = tmp_path / "project"
    venv = tools.uv_project(project, ["polarslike==1.2.0", "deptop"])
    settle()
    first = summary(venv)
    (site_packages(venv) / "polarslike" / "frame.py").unlink()

    fixed = run_fix(
        tools, venv, "--from", str(project / "uv.lock"), "--format", "json", cache=cache
    )
    report = json.loads(fixed.stdout)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    before, after = report["before"]["summary"], report["after"]["summary"]
    assert (before["digests_hashed"], before["digests_reused"]) == (0, first["digests_hashed"] - 1)
    # frame.py alone was put back (the rest of polarslike is intact): it alone is hashed.
    assert [a["restore"] for a in report["plan"]["actions"]] == [
        [f"{rel(venv, site_packages(venv))}/polarslike/frame.py"]
    ]
    assert after["digests_hashed"] == 1
    assert after["digests_reused"] == first["digests_hashed"] - 1
    assert_in_sync(tools, project)
