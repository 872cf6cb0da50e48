"""Names on a case-insensitive file system: Windows, macOS, a ``chattr +F`` folder of ext4.

There ``Foo/Bar.py`` and ``foo/bar.py`` are one file, and a RECORD may name a
file in another case than the disk does: an installer that writes
``caseshared/lower.py`` where another made ``CaseShared/`` first puts the file
in ``CaseShared/``, and a metadata folder renamed to ``Bumpy-1.0.dist-info``
is still the one its RECORD calls ``bumpy-1.0.dist-info``.  Each RECORD row
is then given the disk's spelling, so that every later comparison (missing,
orphan, the dist-info's own files) compares one name with itself.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Mapping

from venv_doctor.read.snapshot import Entry, OwnedFile


def fold(name: str) -> str:
    """The key under which a case-insensitive folder finds ``name`` (as ext4's casefold does)."""
    return unicodedata.normalize("NFD", name).casefold()


def case_insensitive(folder: str, names: Iterable[str]) -> bool:
    """Whether ``folder`` finds its entries ``names`` whatever their case.

    The first name that has a case is looked up again with its case swapped:
    the same file means a case-insensitive folder.  Without such a name there
    is nothing to compare, and the folder counts as case-sensitive.
    """
    for name in names:
        swapped = name.swapcase()
        if swapped == name:
            continue
        try:
            given = os.lstat(os.path.join(folder, name))
            other = os.lstat(os.path.join(folder, swapped))
        except OSError:
            return False
        return os.path.samestat(given, other)
    return False


def match_case(
    owned: Mapping[str, tuple[OwnedFile, ...]], tree: Mapping[str, Entry]
) -> dict[str, tuple[OwnedFile, ...]]:
    """``owned`` with each venv path the ``tree`` spells in another case given its spelling.

    For a case-insensitive venv only.  A path whose file is gone keeps the
    disk's spelling of the folders it lies in, where the file would be.
    """
    folded: dict[str, str] | None = None
    result: dict[str, tuple[OwnedFile, ...]] = {}
    for meta_dir, files in owned.items():
        spelled: list[OwnedFile] | None = None
        for i, owned_file in enumerate(files):
            rel = owned_file.rel
            if rel is None or rel in tree:
                continue
            if folded is None:
                folded = {fold(path): path for path in tree}
            disk = _disk_spelling(rel, tree, folded)
            if disk != rel:
                if spelled is None:
                    spelled = list(files)
                spelled[i] = owned_file._replace(rel=disk)
        result[meta_dir] = files if spelled is None else tuple(spelled)
    return result


def _disk_spelling(rel: str, tree: Mapping[str, Entry], folded: Mapping[str, str]) -> str:
    """``rel`` as the tree spells it, or as it spells the deepest folder above it."""
    cut = len(rel)
    while cut > 0:
        head = rel[:cut]
        if head in tree:
            return rel  # spelled as on disk down to here
        found = folded.get(fold(head))
        if found is not None:
            return found + rel[cut:]
        cut = rel.rfind("/", 0, cut)
    return rel
