"""Moving a folder to the trash one entry at a time, when Windows refuses to move it whole.

Windows will not rename a folder while a file below it is open (a running
``ruff.exe``, a ``.pyd`` a Python session has loaded), but it will rename that
file itself on the same volume; the holder keeps its handle.  So when the
rename of a whole folder is refused, ``Transaction`` takes this in: each entry
of the folder goes on its own (a subfolder whole, or again entry by entry if
it is refused too), then the emptied folder, each move journalled as its own
step.  Rolling back undoes them newest first: the emptied folder comes back,
then every entry into it, so a folder is never left half moved.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from venv_doctor.apply.trash import VenvPath
    from venv_doctor.read.journal import Move, StepRecord

# What Windows' "access denied" and a busy file become here (EACCES from
# ERROR_ACCESS_DENIED, EBUSY/ETXTBSY elsewhere).  EPERM is left out: it means
# an immutable file or folder, which no order of renames gets past.
REFUSED = {errno.EACCES, errno.EBUSY, errno.ETXTBSY}


class PiecewiseMoves:
    """``_move_out``: a removal that falls back to one entry at a time."""

    if TYPE_CHECKING:  # what the transaction provides

        def _trash(self, target: VenvPath, slot: str) -> None: ...
        def _void(self, record: StepRecord) -> None: ...
        def remove(self, rel: str, *, missing_ok: bool = False) -> bool: ...

    def _move_out(self, target: VenvPath, move: Move) -> None:
        """Do ``move``; a folder whose move is refused goes entry by entry instead.

        The step of the whole folder is then journalled as void (it never
        happened, and ``undo`` does not look for it in the trash); the entries
        and the emptied folder are new steps after it, each to a slot of its own.
        """
        try:
            self._trash(target, move.trash)
        except OSError as exc:
            # An empty folder refused is not about a file in use: no fallback.
            if exc.errno not in REFUSED or not _holds_entries(target.path):
                raise
            self._void(move)
            self._move_entries(target)

    def _move_entries(self, target: VenvPath) -> None:
        for name in sorted(os.listdir(target.path)):
            self.remove(f"{target.rel}/{name}")
        self.remove(target.rel)


def _holds_entries(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode) and bool(os.listdir(path))
    except OSError:
        return False
