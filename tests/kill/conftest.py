"""Fixtures of the kill-the-installer suite: the two lock states, their fresh syncs, benches.

Everything here is made once per session and shared by the tests of every
installer and story; uv gets a cache and the installers a temp folder of
their own, so that what a killed uv or pip leaves there reaches no other test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kill.lab import Lab
from tests.kill.scenarios import fresh_sync, lock_states
from tests.support.tools import Tools


@pytest.fixture(scope="session")
def kill_lab(
    tmp_path_factory: pytest.TempPathFactory, tools: Tools, pytestconfig: pytest.Config
) -> Lab:
    root = tmp_path_factory.mktemp("kill")
    own = tools.with_uv_cache(root / "uv-cache").with_tmp(root / "tmp")
    states = lock_states(own, root / "locks")
    twins = {name: fresh_sync(own, state, root / "fresh" / name) for name, state in states.items()}
    log = pytestconfig.getoption("--kill-log")
    return Lab(
        tools=own,
        root=root,
        states=states,
        twins=twins,
        cache=root / "venv-doctor-cache",
        log=None if log is None else Path(log).resolve(),
    )


@pytest.fixture(scope="session")
def kill_seeds(pytestconfig: pytest.Config) -> list[int]:
    """The seeds of the trials to run: 1..N for ``--kill-trials N``, or the one ``--kill-seed``."""
    seed = pytestconfig.getoption("--kill-seed")
    if seed is not None:
        return [seed]
    trials: int = pytestconfig.getoption("--kill-trials")
    return list(range(1, trials + 1))
