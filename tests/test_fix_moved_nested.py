"""``fix`` on a uv project moved below or above its old place, as when a repo becomes a monorepo.

``/w/app`` -> ``/w/app/services/app`` (and back): the old place is a prefix of
the new one, or the new of the old, so a rewrite that ran over text already
naming the new place would name ``/w/app/services/app/services/app/.venv``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.tools import Tools, check_json, run, site_packages
from tests.test_fix import assert_healthy, assert_in_sync, content_digest, run_fix

pytestmark = pytest.mark.slow

NESTED = Path("services") / "app"


def _make_project(tools: Tools, project: Path, maker: str) -> Path:
    """A uv project synced into a venv made by ``maker`` (uv sync keeps a venv it can use)."""
    (project / "src" / "app").mkdir(parents=True)
    (project / "src" / "app" / "__init__.py").write_text("VALUE = 1\n")
    venv = project / ".venv"
    if maker == "venv":
        tools.make_pip_venv(venv)
    elif maker == "virtualenv":
        tools.make_virtualenv(venv)
    tools.uv_project(project, ["rufflike"], package=True)
    return venv


def _move(old: Path, new: Path, scratch: Path) -> None:
    """``mv old new`` where one holds the other, through a scratch place, as a person does."""
    old.rename(scratch)
    if new.is_relative_to(old):
        new.parent.mkdir(parents=True)
    else:
        # the folders left between the new place and the old one are empty now
        shutil.rmtree(new)
    scratch.rename(new)


def _activate_scripts(venv: Path) -> dict[str, str]:
    return {
        path.name: path.read_text(encoding="utf-8")
        for path in sorted((venv / "bin").iterdir())
        if path.name.startswith("activate")
    }


@pytest.mark.parametrize(
    "maker",
    [
        pytest.param("venv", id="python-m-venv"),
        pytest.param("uv", id="uv"),
        pytest.param("virtualenv", id="virtualenv"),
    ],
)
@pytest.mark.parametrize("direction", [pytest.param("below"), pytest.param("above")])
def test_fix_a_project_moved_below_or_above_its_old_place(
    tools: Tools, tmp_path: Path, maker: str, direction: str
) -> None:
    top = tmp_path / "w" / "app"
    old, new = (top, top / NESTED) if direction == "below" else (top / NESTED, top)
    old_venv, new_venv = old / ".venv", new / ".venv"
    _make_project(tools, old, maker)
    named = {
        name: text.count(str(old_venv))
        for name, text in _activate_scripts(old_venv).items()
        if str(old_venv) in text
    }
    assert "activate" in named
    launcher = "rufflike-py"
    assert (old_venv / "bin" / launcher).read_text().startswith(f"#!{old_venv}/bin/python")
    _move(old, new, tmp_path / "scratch")
    assert check_json(new_venv).of("script-stale-shebang")

    fixed = run_fix(tools, new)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert_healthy(new_venv)
    assert_in_sync(tools, new)

    # Every place that named the old venv names the new one, once: no path doubled.
    doubled = str(new / NESTED) if direction == "below" else str(old / NESTED)
    scripts = _activate_scripts(new_venv)
    for name, count in named.items():
        assert scripts[name].count(str(new_venv)) == count, name
        assert str(old_venv) not in scripts[name].replace(str(new_venv), ""), name
        assert doubled not in scripts[name], name
    text = (new_venv / "bin" / launcher).read_text()
    assert text.startswith(f"#!{new_venv}/bin/python\n")
    assert text.count(str(new_venv)) == 1
    pth = (site_packages(new_venv) / "app.pth").read_text()
    assert pth.strip() == str(new / "src")

    # What a person does next works: activate, run a launcher, import the project.
    env = tools.environ
    shell = '. "$1/bin/activate" && echo "$VIRTUAL_ENV" && command -v python'
    activated = run(["bash", "-c", shell, "-", new_venv], env=env)
    assert activated.stdout.split() == [str(new_venv), str(new_venv / "bin" / "python")]
    run([new_venv / "bin" / launcher], env=env)
    imported = tools.run(new_venv / "bin" / "python", "-c", "import app; print(app.__file__)")
    assert imported.stdout.strip() == str(new / "src" / "app" / "__init__.py")

    # A second fix has nothing to do and changes nothing.
    before = content_digest(new_venv)
    again = run_fix(tools, new)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "Nothing to do" in again.stdout
    assert content_digest(new_venv) == before
