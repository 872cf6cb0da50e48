"""One exception root for everything that stops venv-doctor from going on.

Findings are data; an exception means the command cannot continue.  Each error
knows the exit code it maps to and, where there is one, the next thing to try.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class VenvDoctorError(Exception):
    """Root of every error venv-doctor reports to a user instead of a traceback."""

    exit_code: int = EXIT_ERROR

    def __init__(self, message: str, *, hint: str | None = None, path: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = path

    def __str__(self) -> str:
        return self.message


class VenvNotFoundError(VenvDoctorError):
    """No virtual environment could be found where the user pointed or where we looked."""


class InvalidVenvError(VenvDoctorError):
    """A folder was named as a venv but does not look like one."""


class UsageError(VenvDoctorError):
    """Options that do not fit together or name unknown things (such as a finding code)."""


class LockfileError(VenvDoctorError):
    """A lockfile or requirements file that cannot be read or is not understood.

    The message names the file and the line or dotted field concerned.
    """
