"""The child process the SIGKILL tests kill: ``python -m tests.apply.plan_runner``.

``plan VENV WHEEL SEED``: run the test plan, sleeping a little before each step.
``crash VENV WHEEL STEP``: run it and SIGKILL itself just before step STEP.
``recover VENV SEED``: run ``recover``, sleeping a little before each undo.
Each prints ``ready`` once it holds the venv's lock.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from pathlib import Path

from tests.apply.venvs import run_plan
from venv_doctor.apply import Step, VenvLock, recover


def _say(word: str) -> None:
    sys.stdout.write(word + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> None:
    mode, venv = argv[0], Path(argv[1])
    with VenvLock(venv) as lock:
        _say("ready")
        if mode == "plan":
            rng = random.Random(int(argv[3]))  # noqa: S311 - reproducible delays
            run_plan(lock, Path(argv[2]), on_step=lambda _step: time.sleep(rng.uniform(0, 0.004)))
        elif mode == "crash":
            at = int(argv[3])

            def crash(step: Step) -> None:
                if step.seq == at:
                    os.kill(os.getpid(), signal.SIGKILL)

            run_plan(lock, Path(argv[2]), on_step=crash)
        else:
            rng = random.Random(int(argv[2]))  # noqa: S311 - reproducible delays
            recover(venv, lock=lock, on_step=lambda _step: time.sleep(rng.uniform(0, 0.004)))
    _say("done")


if __name__ == "__main__":
    main(sys.argv[1:])
