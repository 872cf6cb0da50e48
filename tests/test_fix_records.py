"""RECORDs that are not the one the installer finished, on real venvs made by real uv and pip.

A ``uv sync`` killed while it writes RECORD leaves it empty; one killed before
it writes the launchers leaves the RECORD the wheel shipped, with no launcher
and no INSTALLER.  ``strace`` kills uv at exactly those system calls (fault
injection: SIGKILL on entry of the call, so the call never happens); the same
states are also made by hand from a real install, for machines without strace.
After ``fix``, the venv must equal a fresh ``uv sync --frozen`` of the lock.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.tools import (
    Tools,
    check_json,
    rel,
    run,
    run_check,
    site_packages,
    write_pyproject,
)
from tests.test_fix import (
    assert_healthy,
    assert_in_sync,
    assert_same_state,
    fix_like_fresh_sync,
    fresh_sync_state,
    installed_state,
    run_fix,
)

pytestmark = pytest.mark.slow

PACKAGE = "python-datelike"
META = "python_datelike-1.0.dist-info"
LAUNCHERS = ("datelike", "datelike-gui")


@functools.cache
def strace_works() -> bool:
    """Whether strace is here and may trace a child (ptrace may be forbidden)."""
    found = shutil.which("strace")
    if found is None:
        return False
    proc = subprocess.run(
        [found, "-f", "-qq", "-o", "/dev/null", "true"], capture_output=True, check=False
    )
    return proc.returncode == 0


def killed_uv(tools: Tools, project: Path, *, path: Path, syscalls: str) -> None:
    """``uv sync --frozen`` in ``project``, SIGKILLed on entering the first of
    ``syscalls`` on ``path``."""
    if not strace_works():
        pytest.skip("strace is missing or may not trace here")
    proc = run(
        [
            "strace",
            "-f",
            "-qq",
            "-o",
            "/dev/null",
            "-P",
            path,
            "-e",
            f"trace={syscalls}",
            "-e",
            f"inject={syscalls}:signal=KILL:when=1",
            tools.uv,
            "sync",
            "--frozen",
            "--link-mode",
            "copy",
        ],
        env=tools.environ,
        cwd=project,
        check=False,
    )
    # strace ends itself with the signal that killed uv.
    assert proc.returncode in {-9, 128 + 9}, proc.stdout + proc.stderr


def killed_uv_at_rename(tools: Tools, project: Path, venv: Path, target: Path) -> None:
    """``uv sync --frozen`` into the empty ``venv``, SIGKILLed as it renames onto ``target``."""
    killed_uv_counting(
        tools, project, venv, syscall="rename", at=lambda call: f'"{target}")' in call
    )


def killed_uv_counting(
    tools: Tools,
    project: Path,
    venv: Path,
    *,
    syscall: str,
    at: Callable[[str], bool],
    link_mode: str = "copy",
    reset: Callable[[], None] | None = None,
    after: bool = False,
    last: bool = False,
) -> None:
    """``uv sync --frozen`` into the empty ``venv``, SIGKILLed on entering the call ``at`` picks.

    With ``after``, on entering the call that follows the last one ``at``
    accepts (in the thread making them); with ``last``, on entering that
    last one.

    strace's ``-P`` matches a call's first path only, and not a file whose
    name uv draws at random, so a first sync under strace counts uv's calls
    of ``syscall`` up to the first line ``at`` accepts; the venv is made empty
    again (or as ``reset`` makes it) and the second sync is killed on entering
    that call.  With a warm cache uv makes the same calls in the same order
    each time, as long as it installs one package: more go in parallel.
    """
    if not strace_works():
        pytest.skip("strace is missing or may not trace here")
    argv = [tools.uv, "sync", "--frozen", "--link-mode", link_mode]
    log = project.parent / f"{syscall}.strace"

    # Twice, so that the counted run starts as the killed one will: uv's own
    # cache (the interpreter's probe) written already, the venv empty.
    def start_over() -> None:
        shutil.rmtree(venv)
        tools.make_uv_venv(venv)
        if reset is not None:
            reset()

    for _ in range(2):
        start_over()
        traced = ["strace", "-f", "-qq", "-o", log, "-e", f"trace={syscall}", *argv]
        run(traced, env=tools.environ, cwd=project)
    calls = [line for line in log.read_text().splitlines() if f" {syscall}(" in line]
    # strace counts each thread's calls on its own: count those of the thread making it.
    thread = next(line.split()[0] for line in calls if at(line))
    mine = [line for line in calls if line.split()[0] == thread]
    picked = [i for i, line in enumerate(mine, 1) if at(line)]
    count = picked[-1] + 1 if after else picked[-1] if last else picked[0]
    assert count <= len(mine), "no call follows the last one picked"
    start_over()
    inject = f"inject={syscall}:signal=KILL:when={count}"
    proc = run(
        ["strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={syscall}", "-e", inject, *argv],
        env=tools.environ,
        cwd=project,
        check=False,
    )
    assert proc.returncode in {-9, 128 + 9}, proc.stdout + proc.stderr


def fresh_venv(tools: Tools, project: Path) -> Path:
    """The project, locked and synced once; then its venv made anew, empty."""
    venv = tools.uv_project(project, [PACKAGE])
    shutil.rmtree(venv)
    tools.make_uv_venv(venv)
    return venv


def wheel_record(tools: Tools) -> bytes:
    """The RECORD the python-datelike wheel ships, from the local index."""
    wheel = next(tools.uv_cache.rglob("python_datelike-1.0-py3-none-any.whl"), None)
    if wheel is None:  # uv keeps unpacked wheels: their RECORD is the wheel's
        unpacked = next(
            p for p in tools.uv_cache.glob("archive-v0/*/" + META + "/RECORD") if p.is_file()
        )
        return unpacked.read_bytes()
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(f"{META}/RECORD")


def fix_and_compare(tools: Tools, project: Path, venv: Path, expected: dict[str, object]) -> str:
    fixed = fix_like_fresh_sync(tools, project, venv, expected)
    for name in LAUNCHERS:
        assert tools.run(venv / "bin" / name).stdout.strip() == "datelike 1.0"
    return fixed.stdout


# -- class 1: an empty, unparsable or foreign RECORD ---------------------------------


def test_a_uv_sync_killed_while_writing_record_leaves_it_empty_and_fix_reinstalls(
    tools: Tools, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    venv = fresh_venv(tools, project)
    expected = fresh_sync_state(tools, project, tmp_path)
    record = site_packages(venv) / META / "RECORD"
    killed_uv(tools, project, path=record, syscalls="write")
    assert record.stat().st_size == 0

    checked = check_json(venv)
    assert checked.exit_code == 1
    meta = rel(venv, record.parent)
    found = checked.at("dist-info-incomplete", meta)
    assert (found["severity"], found["package"]) == ("error", PACKAGE)
    assert "is empty" in found["message"]
    assert checked.of("orphan-file") == []

    output = fix_and_compare(tools, project, venv, expected)
    assert f"reinstall {PACKAGE} 1.0 from uv.lock" in output


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(bytes(range(256)) * 4, id="garbage"),
        pytest.param(b"elsewhere/x.py,,\nother-1.0.dist-info/RECORD,,\n", id="other-paths"),
    ],
)
@pytest.mark.parametrize("purge", [pytest.param(False, id="plain"), pytest.param(True, id="purge")])
def test_a_broken_record_is_reinstalled_and_its_code_never_purged(
    tools: Tools, tmp_path: Path, content: bytes, purge: bool
) -> None:
    project = tmp_path / "proj"
    venv = tools.uv_project(project, [PACKAGE])
    expected = fresh_sync_state(tools, project, tmp_path)
    meta = site_packages(venv) / META
    (meta / "RECORD").write_bytes(content)
    (site_packages(venv) / "mine.py").write_text("# a file of my own\n")

    checked = check_json(venv)
    assert checked.exit_code == 1
    assert checked.at("dist-info-incomplete", rel(venv, meta))["package"] == PACKAGE
    # The package's code and launchers are its, not orphans; only mine.py is.
    assert [f["path"] for f in checked.of("orphan-file")] == [
        rel(venv, site_packages(venv) / "mine.py")
    ]

    args = ("--purge-orphans",) if purge else ()
    plan = run_fix(tools, venv, "--dry-run", "--format", "json", *args).report["plan"]
    discarded = [a["path"] for a in plan["actions"] if a["action"] == "discard"]
    assert discarded == ([rel(venv, site_packages(venv) / "mine.py")] if purge else [])
    [remove] = [a for a in plan["actions"] if a["action"] == "remove"]
    assert set(remove["paths"]) == {
        rel(venv, meta),
        rel(venv, site_packages(venv) / "datelike"),
        *(f"bin/{name}" for name in LAUNCHERS),
    }

    fixed = run_fix(tools, venv, "--from", str(project / "uv.lock"), *args)
    assert fixed.exit_code == (0 if purge else 1), fixed.stdout + fixed.stderr
    (site_packages(venv) / "mine.py").unlink(missing_ok=True)
    assert_healthy(venv)
    assert_in_sync(tools, project)
    assert_same_state(installed_state(venv), expected)


def test_an_empty_record_without_a_lockfile_is_reinstalled_at_its_version(
    tools: Tools, tmp_path: Path
) -> None:
    venv = tools.make_uv_venv(tmp_path / "venv")
    tools.uv_pip_install(venv, f"{PACKAGE}==1.0", "rufflike")
    before = installed_state(venv)
    (site_packages(venv) / META / "RECORD").write_bytes(b"")
    assert check_json(venv).at("dist-info-incomplete", rel(venv, site_packages(venv) / META))

    fixed = run_fix(tools, venv)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert f"reinstall {PACKAGE} 1.0 (as installed)" in fixed.stdout
    assert_healthy(venv)
    assert_same_state(installed_state(venv), before)


# -- class 9: the wheel's own RECORD, no launcher, no INSTALLER -----------------------


def made_half_installed(tools: Tools, venv: Path) -> None:
    """The state a sync killed before the launchers leaves, made from a whole install."""
    meta = site_packages(venv) / META
    for name in ("INSTALLER", "REQUESTED", "direct_url.json", "uv_cache.json"):
        (meta / name).unlink(missing_ok=True)
    for name in LAUNCHERS:
        (venv / "bin" / name).unlink()
    (meta / "RECORD").write_bytes(wheel_record(tools))


@pytest.mark.parametrize(
    "how", [pytest.param("killed", id="killed"), pytest.param("made", id="made")]
)
def test_a_uv_sync_killed_before_the_launchers_is_found_and_reinstalled(
    tools: Tools, tmp_path: Path, how: str
) -> None:
    project = tmp_path / "proj"
    if how == "killed":
        venv = fresh_venv(tools, project)
        # uv creates the scripts folder (it is there already) right before the launchers.
        killed_uv(tools, project, path=venv / "bin", syscalls="mkdir,mkdirat")
    else:
        venv = tools.uv_project(project, [PACKAGE])
        made_half_installed(tools, venv)
    expected = fresh_sync_state(tools, project, tmp_path)
    meta = site_packages(venv) / META
    assert not (meta / "INSTALLER").exists()
    assert not any((venv / "bin" / name).exists() for name in LAUNCHERS)
    assert (meta / "RECORD").read_bytes() == wheel_record(tools)
    # uv itself sees nothing to do: the oracle is a fresh sync.
    assert_in_sync(tools, project)

    checked = check_json(venv)
    assert checked.exit_code == 1
    found = checked.at("dist-info-incomplete", rel(venv, meta))
    assert "lists no launcher for datelike, datelike-gui" in found["message"]
    assert [f["code"] for f in checked.failing()] == ["dist-info-incomplete"]

    output = fix_and_compare(tools, project, venv, expected)
    assert f"reinstall {PACKAGE} 1.0 from uv.lock" in output


def test_a_launcher_written_before_record_goes_with_the_reinstall(
    tools: Tools, tmp_path: Path
) -> None:
    # Killed after the launchers and INSTALLER, before RECORD: all there, RECORD the wheel's.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, [PACKAGE])
    expected = fresh_sync_state(tools, project, tmp_path)
    (site_packages(venv) / META / "RECORD").write_bytes(wheel_record(tools))

    checked = check_json(venv)
    # The launchers are there, but no RECORD lists them: the distribution's, not orphans.
    assert [f["code"] for f in checked.failing()] == ["dist-info-incomplete"]
    assert "does not list the INSTALLER" not in checked.failing()[0]["message"]
    plan = run_fix(tools, venv, "--dry-run", "--format", "json").report["plan"]
    [remove] = [a for a in plan["actions"] if a["action"] == "remove"]
    assert {f"bin/{name}" for name in LAUNCHERS} <= set(remove["paths"])
    fix_and_compare(tools, project, venv, expected)


def test_pip_stopped_before_the_launchers_without_a_lockfile(tools: Tools, tmp_path: Path) -> None:
    venv = tools.make_pip_venv(tmp_path / "venv", f"{PACKAGE}==1.0")
    made_half_installed(tools, venv)
    checked = check_json(venv)
    assert [f["code"] for f in checked.failing()] == ["dist-info-incomplete"]

    fixed = run_fix(tools, venv)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert_healthy(venv)
    for name in LAUNCHERS:
        assert tools.run(venv / "bin" / name).stdout.strip() == "datelike 1.0"


def test_what_the_locked_wheel_writes_is_never_purged_as_an_orphan(
    tools: Tools, tmp_path: Path
) -> None:
    # pytestlike's wheel has no top_level.txt: only the wheel says _pytestlike/ is its.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["pytestlike"])
    expected = fresh_sync_state(tools, project, tmp_path)
    sp = site_packages(venv)
    (sp / "pytestlike-1.0.dist-info" / "RECORD").write_bytes(b"")
    (sp / "_pytestlike" / "stale.py").write_text("# left by an older version\n")

    lock = str(project / "uv.lock")
    # Before the wheel is at hand, nothing says _pytestlike/ is pytestlike's ...
    preview = run_fix(
        tools, venv, "--from", lock, "--purge-orphans", "--dry-run", "--format", "json"
    )
    discarded = [a["path"] for a in preview.report["plan"]["actions"] if a["action"] == "discard"]
    assert discarded == [rel(venv, sp / "_pytestlike")]

    # ... its wheel does: only the file it does not write goes as an orphan.
    fixed = run_fix(tools, venv, "--from", lock, "--purge-orphans")
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert (
        f"{rel(venv, sp / '_pytestlike')}/ is left for the install" in fixed.stdout + fixed.stderr
    )
    assert not (sp / "_pytestlike" / "stale.py").exists()
    trashed = {p.name for p in (venv / ".venv-doctor" / "trash").rglob("*") if p.is_file()}
    assert "stale.py" in trashed
    assert_healthy(venv)
    assert_in_sync(tools, project)
    assert_same_state(installed_state(venv), expected)


# -- killed between the installer's own files ------------------------------------------


@pytest.mark.parametrize(
    ("renaming", "says"),
    [
        # REQUESTED written, INSTALLER's temporary file not renamed yet.
        pytest.param("INSTALLER", "does not list the REQUESTED beside it", id="installer"),
        # The first of uv's own files: only its temporary file is there.
        pytest.param("REQUESTED", "holds uv's temporary file .tmp", id="requested"),
    ],
)
def test_a_uv_sync_killed_among_its_own_metadata_files_is_reinstalled(
    tools: Tools, tmp_path: Path, renaming: str, says: str
) -> None:
    # deplow declares no script, so no missing launcher gives these states away:
    # uv writes REQUESTED and INSTALLER each through a temporary file renamed
    # into place, then RECORD; killed at one of those renames, the dist-info
    # holds the wheel's own RECORD, which lists none of uv's files.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["deplow"])
    expected = fresh_sync_state(tools, project, tmp_path)
    meta = site_packages(venv) / "deplow-1.0.dist-info"
    killed_uv_at_rename(tools, project, venv, meta / renaming)
    left = {p.name for p in meta.iterdir()}
    assert not {renaming, "INSTALLER"} & left
    assert [name for name in left if name.startswith(".tmp")]
    assert b"REQUESTED" not in (meta / "RECORD").read_bytes()
    assert_in_sync(tools, project)  # uv sees nothing to do

    checked = check_json(venv)
    assert checked.exit_code == 1
    found = checked.at("dist-info-incomplete", rel(venv, meta))
    assert says in found["message"]

    fixed = run_fix(tools, venv, "--from", str(project / "uv.lock"))
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert "reinstall deplow 1.0 from uv.lock" in fixed.stdout
    assert_healthy(venv)
    assert_in_sync(tools, project)
    assert_same_state(installed_state(venv), expected)


def test_a_uv_sync_killed_before_its_own_metadata_files_is_reinstalled(
    tools: Tools, tmp_path: Path
) -> None:
    # Killed as it creates the temporary file for REQUESTED: the dist-info holds
    # the wheel's files and RECORD and nothing of uv's, like an install made with
    # --no-installer-metadata, while uv wrote INSTALLER for the others here.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["deplow", "bumpy"], link_mode="hardlink")
    expected = fresh_sync_state(tools, project, tmp_path)
    meta = site_packages(venv) / "deplow-1.0.dist-info"
    prefix = f'"{meta}/.tmp'
    killed_uv_counting(
        tools,
        project,
        venv,
        syscall="openat",
        at=lambda call: prefix in call and "O_CREAT" in call,
        link_mode="hardlink",
        # bumpy installed first, so that the killed sync installs deplow alone.
        reset=lambda: tools.run_uv(
            "pip",
            "install",
            "--python",
            venv / "bin" / "python",
            "--link-mode",
            "hardlink",
            "bumpy==2.0",
        ),
    )
    assert {p.name for p in meta.iterdir()} == {"METADATA", "RECORD", "WHEEL"}
    assert (site_packages(venv) / "bumpy-2.0.dist-info" / "INSTALLER").exists()
    assert_in_sync(tools, project)  # uv sees nothing to do

    checked = check_json(venv)
    assert checked.exit_code == 1
    found = checked.at("dist-info-incomplete", rel(venv, meta))
    assert "uv wrote one for the others it installed here" in found["message"]

    fixed = run_fix(tools, venv, "--from", str(project / "uv.lock"))
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert "reinstall deplow 1.0 from uv.lock" in fixed.stdout
    assert_healthy(venv)
    assert_in_sync(tools, project)
    assert_same_state(installed_state(venv), expected)


def test_files_uv_linked_for_an_install_it_did_not_finish_are_its_leftovers(
    tools: Tools, tmp_path: Path
) -> None:
    # uv links a wheel's top-level entries in the order it reads them from the
    # unpacked wheel; killed after deplow/ and before deplow's metadata folder
    # (seen in the kill suite), deplow/__init__.py, a hard link into uv's cache,
    # belongs to no distribution.  Here the order may put the metadata folder
    # first, so the state is made from a whole hardlink install, its metadata
    # folder taken away.  The lock the user goes back to does not want deplow:
    # nothing installs over it, it must go as uv's leftover, not stay as a
    # person's orphan.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["deplow"], link_mode="hardlink")
    site = site_packages(venv)
    shutil.rmtree(site / "deplow-1.0.dist-info")
    assert (site / "deplow" / "__init__.py").stat().st_nlink > 1
    write_pyproject(project, ["bumpy"])
    tools.run_uv("lock", cwd=project)
    expected = fresh_sync_state(tools, project, tmp_path)

    # check finds uv's cache where uv does: UV_CACHE_DIR, as the user's uv has it.
    checked = run_check(venv, "--format", "json", env=tools.environ, cwd=project)
    assert checked.exit_code == 1
    found = checked.at("stash-leftover", rel(venv, site / "deplow"))
    assert "hard links into uv's cache" in found["message"]
    assert "an install or an uninstall it did not finish" in found["message"]
    assert not checked.of("orphan-file")

    fix_like_fresh_sync(tools, project, venv, expected)


def test_files_uv_copied_for_an_install_it_did_not_finish_are_its_leftovers(
    tools: Tools, tmp_path: Path
) -> None:
    # uv in copy mode copies each file of the unpacked wheel into a temporary
    # folder beside its place and renames it there (uv-fs ``link.rs``:
    # ``atomic_copy_overwrite``), one top-level entry after the other, the
    # metadata folder among them.  Killed as it goes on after _pytestlike/,
    # its copies belong to no distribution and link to nothing: only their
    # bytes, those of the unpacked wheel in uv's cache, say where they come
    # from.  The lock the user goes back to does not want pytestlike.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["pytestlike"])
    site = site_packages(venv)
    killed_uv_counting(
        tools,
        project,
        venv,
        syscall="rename",
        at=lambda call: "/site-packages/_pytestlike/" in call,
        after=True,
    )
    assert (site / "_pytestlike" / "runner.py").stat().st_nlink == 1
    if any(site.glob("pytestlike-*.dist-info")):
        pytest.skip("uv's unpacked wheel lists its metadata folder before _pytestlike/ here")
    write_pyproject(project, ["deplow"])
    tools.run_uv("lock", cwd=project)
    expected = fresh_sync_state(tools, project, tmp_path)

    checked = run_check(venv, "--format", "json", env=tools.environ, cwd=project)
    assert checked.exit_code == 1
    found = checked.at("stash-leftover", rel(venv, site / "_pytestlike"))
    assert "copies of the files of an unpacked wheel in uv's cache" in found["message"]
    assert "pytestlike-1.0" in found["message"]
    # pytestlike/ holds only uv's temporary folder: an empty package folder.
    assert rel(venv, site / "_pytestlike") not in {f["path"] for f in checked.of("orphan-file")}

    fix_like_fresh_sync(tools, project, venv, expected)


def test_a_copy_uv_was_still_renaming_into_place_goes_with_the_files_it_copied(
    tools: Tools, tmp_path: Path
) -> None:
    # Killed on renaming the last file of _pytestlike/ into place: the files
    # before it are copies of uv's unpacked wheel, the last one still has its
    # temporary name.  The whole folder is uv's leftover, the temporary file
    # with it (a kill trial found the folder left as a person's orphan).
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["pytestlike"])
    site = site_packages(venv)
    killed_uv_counting(
        tools,
        project,
        venv,
        syscall="rename",
        at=lambda call: "/site-packages/_pytestlike/.tmp" in call,
        last=True,
    )
    left = sorted(path.name for path in (site / "_pytestlike").iterdir())
    if len(left) != 2 or any(site.glob("pytestlike-*.dist-info")):
        pytest.skip(f"uv copied _pytestlike/ otherwise here: {left}")
    assert left[0].startswith(".tmp")
    write_pyproject(project, ["deplow"])
    tools.run_uv("lock", cwd=project)
    expected = fresh_sync_state(tools, project, tmp_path)

    checked = run_check(venv, "--format", "json", env=tools.environ, cwd=project)
    found = checked.at("stash-leftover", rel(venv, site / "_pytestlike"))
    assert "copies of the files of an unpacked wheel in uv's cache" in found["message"]
    assert not checked.of("orphan-file")

    fix_like_fresh_sync(tools, project, venv, expected)


def test_a_copy_a_person_changed_is_not_uvs_leftover(tools: Tools, tmp_path: Path) -> None:
    # The same copies, one of them edited since: no longer uv's bytes, a person's.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["pytestlike"])
    site = site_packages(venv)
    shutil.rmtree(next(site.glob("pytestlike-*.dist-info")))
    with (site / "_pytestlike" / "runner.py").open("a") as edited:
        edited.write("# mine\n")
    checked = run_check(venv, "--format", "json", "--no-lock", env=tools.environ)
    edited = rel(venv, site / "_pytestlike")
    assert edited not in {f["path"] for f in checked.of("stash-leftover")}
    assert edited in {f["path"] for f in checked.of("orphan-file")}
    # pytestlike/, untouched, is still the copy uv made.
    assert rel(venv, site / "pytestlike") in {f["path"] for f in checked.of("stash-leftover")}


def test_a_file_a_person_put_there_is_not_uvs_leftover(tools: Tools, tmp_path: Path) -> None:
    # The same folder copied in by hand, where uv links what it installs (bumpy
    # here): no link into uv's cache, a person's.
    project = tmp_path / "proj"
    venv = tools.uv_project(project, ["deplow", "bumpy"], link_mode="hardlink")
    site = site_packages(venv)
    shutil.rmtree(site / "deplow-1.0.dist-info")
    data = (site / "deplow" / "__init__.py").read_bytes()
    (site / "deplow" / "__init__.py").unlink()
    (site / "deplow" / "__init__.py").write_bytes(data)
    checked = run_check(venv, "--format", "json", "--no-lock", env=tools.environ)
    assert [f["code"] for f in checked.failing()] == ["orphan-file"]
