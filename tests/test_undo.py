"""``venv-doctor undo``, again and again, on a real uv venv.

Undo goes back, one fix at a time: it reverts the newest fix that no undo has
reverted yet, never an undo.  With nothing left it says which undo reverted
the last fix, changes nothing, and exits with status 2.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.fixing import Run, venv_doctor
from tests.support.tools import Tools, site_packages
from tests.test_fix import assert_in_sync, content_digest

pytestmark = pytest.mark.slow


def _broken_project(tools: Tools, tmp_path: Path) -> Path:
    project = tmp_path / "u"
    venv = tools.uv_project(project, ["rufflike", "polarslike"])
    (site_packages(venv) / "rufflike" / "__main__.py").unlink()
    return project


def _fix(tools: Tools, project: Path, cache: Path) -> str:
    """Run fix; the id of the transaction it applied."""
    done = venv_doctor(tools, "fix", project, cache=cache)
    assert done.exit_code == 0, done.output
    found = re.search(r"Applied as transaction (\S+) ", done.stdout)
    assert found, done.stdout
    return found.group(1)


def _undo(tools: Tools, project: Path, cache: Path) -> tuple[str, str]:
    """Run undo; the ids of the transaction it reverted and of the undo itself."""
    done = venv_doctor(tools, "undo", project, cache=cache)
    assert done.exit_code == 0, done.output
    found = re.fullmatch(r"Reverted (\S+) \(.*\) as transaction (\S+)\.\n", done.stdout)
    assert found, done.stdout
    return found.group(1), found.group(2)


def _journals(venv: Path) -> list[str]:
    return sorted(path.name for path in (venv / ".venv-doctor" / "journal").iterdir())


def _nothing_to_undo(tools: Tools, project: Path, cache: Path, last: str, by: str) -> Run:
    venv = project / ".venv"
    before, journals = content_digest(venv), _journals(venv)
    refused = venv_doctor(tools, "undo", project, cache=cache)
    assert refused.exit_code == 2, refused.output
    assert refused.stdout == ""
    assert refused.stderr.startswith(
        f"error: nothing to undo: {last} (fix to match uv.lock: 1 action) "
        f"was already undone by {by}"
    ), refused.stderr
    assert "hint: undo only goes back; to make the change again, run venv-doctor fix" in (
        refused.stderr
    )
    assert "changed since" not in refused.stderr
    # Nothing changed, not even the journal.
    assert content_digest(venv) == before
    assert _journals(venv) == journals
    return refused


def test_fix_undo_undo(tools: Tools, tmp_path: Path) -> None:
    project = _broken_project(tools, tmp_path)
    venv, cache = project / ".venv", tmp_path / "vd-cache"
    broken = content_digest(venv)

    fixed = _fix(tools, project, cache)
    assert_in_sync(tools, project)
    undone, undo = _undo(tools, project, cache)
    assert undone == fixed
    assert content_digest(venv) == broken

    refused = _nothing_to_undo(tools, project, cache, fixed, undo)
    assert f"was already undone by {undo}\nhint:" in refused.stderr
    assert content_digest(venv) == broken


def test_fix_undo_fix_undo(tools: Tools, tmp_path: Path) -> None:
    project = _broken_project(tools, tmp_path)
    venv, cache = project / ".venv", tmp_path / "vd-cache"
    broken = content_digest(venv)

    first = _fix(tools, project, cache)
    fixed = content_digest(venv)
    assert _undo(tools, project, cache)[0] == first
    assert content_digest(venv) == broken
    second = _fix(tools, project, cache)
    assert content_digest(venv) == fixed
    assert_in_sync(tools, project)
    undone, undo = _undo(tools, project, cache)
    assert undone == second
    assert content_digest(venv) == broken

    refused = _nothing_to_undo(tools, project, cache, second, undo)
    assert f"was already undone by {undo}, as was 1 other change\n" in refused.stderr


def test_undo_after_undo_goes_one_fix_further_back(tools: Tools, tmp_path: Path) -> None:
    project = _broken_project(tools, tmp_path)
    venv, cache = project / ".venv", tmp_path / "vd-cache"
    broken = content_digest(venv)
    first = _fix(tools, project, cache)
    # Broken again, another way, and fixed again.
    polarslike_init = (site_packages(venv) / "polarslike" / "__init__.py").relative_to(venv)
    (venv / polarslike_init).unlink()
    broken_again = content_digest(venv)
    second = _fix(tools, project, cache)
    assert_in_sync(tools, project)

    assert _undo(tools, project, cache)[0] == second
    assert content_digest(venv) == broken_again
    undone, undo = _undo(tools, project, cache)
    assert undone == first
    # As before the first fix, but for the file deleted by hand in between:
    # undo reverts what fix did, nothing else.
    assert content_digest(venv) == {
        rel: entry for rel, entry in broken.items() if rel != f"{polarslike_init}"
    }

    refused = _nothing_to_undo(tools, project, cache, first, undo)
    assert f"was already undone by {undo}, as was 1 other change\n" in refused.stderr
