"""The names uv and pip give what they write or move aside while they work.

Neither leaves these behind when it finishes; a run that is killed or fails
does.  Each rule mirrors the installer's source, named beside it.  Package
names cannot start with ``~`` or ``.``, and import names cannot hold ``-``,
so none of these names is ever a package of its own.
"""

from __future__ import annotations

import re

# Which installer left a name, and how.
PIP_STASH = "pip-stash"  # a folder pip moved aside while it uninstalls (or any "~" name)
PIP_TEMP = "pip-temp"  # a file pip writes before renaming it, or one of pip's temp folders
UV_TEMP = "uv-temp"  # a file (or folder) uv writes before renaming it into place
UV_DATA = "uv-data"  # a wheel's NAME-VERSION.data folder uv had not emptied yet

# uv writes each file it installs in copy mode, each launcher and each
# metadata file it adds (INSTALLER, REQUESTED, direct_url.json, uv_cache.json)
# to a temporary file in the target folder, then renames it into place
# (uv-fs/src/lib.rs `tempfile_in`, `write_atomic_sync`, `copy_atomic_sync`;
# uv-install-wheel/src/wheel.rs `write_script_entrypoints`,
# `write_installer_metadata`).  To replace an existing file, uv 0.12 makes a
# temporary folder and moves the file out of it (uv-fs/src/link.rs
# `atomic_copy_overwrite`: `tempfile::tempdir_in`).  Both take the default
# name of the `tempfile` crate: ".tmp" and 6 random ASCII letters and digits
# (tempfile src/lib.rs `Builder::default`, `NUM_RAND_CHARS`; src/util.rs
# `tmpname`).
_UV_TEMP = re.compile(r"\.tmp[A-Za-z0-9]{6}")

# uv links a wheel's NAME-VERSION.data folder into site-packages with the
# rest of the wheel, moves its contents to their scheme folders, then
# removes it (uv-install-wheel/src/install.rs `install_wheel`, wheel.rs
# `install_data`).
_UV_DATA = re.compile(r"[^-/]+-[^-/]+\.data")

# pip writes INSTALLER, direct_url.json and RECORD of the metadata folder it
# installs to "<name>XXXXXXXX.tmp" beside them, then renames
# (pip operations/install/wheel.py `_generate_file`, utils/filesystem.py
# `adjacent_tmp_file`: NamedTemporaryFile(prefix=<name>, suffix=".tmp"),
# 8 characters from CPython's tempfile "abcdefghijklmnopqrstuvwxyz0123456789_").
_PIP_META_TEMP = re.compile(r"(?:INSTALLER|RECORD|direct_url\.json)[a-z0-9_]{8}\.tmp")

# pip's other temporary folders, and its stash when it cannot stash beside
# the original: tempfile.mkdtemp(prefix=f"pip-{kind}-") (utils/temp_dir.py
# `TempDirectory._create`).  They live in the temp folder, outside the venv,
# unless TMPDIR points into it.
_PIP_TEMP_DIR = re.compile(r"pip-[a-z]+(?:-[a-z]+)*-[a-z0-9_]{8}")

# pip's stash: a folder it uninstalls is renamed beside itself to "~" plus
# the rest of its name, the first characters replaced by these (utils/temp_dir.py
# `AdjacentTempDirectory.LEADING_CHARS`, `_generate_names`).
_LEADING = frozenset("-~.=%0123456789")
_LONGEST_LEAD = 14  # combinations of up to len(LEADING_CHARS) - 1 characters


def temp_kind(name: str, *, is_dir: bool, at_top: bool = False) -> str | None:
    """Which installer's temporary name ``name`` is (``PIP_STASH`` ...), or ``None``.

    Every such name starts with ``~`` or ``.``, ends with ``.tmp``, or (a
    folder) starts with ``pip-`` or ends with ``.data``: ``read.tree`` tests
    that first.

    ``at_top``: the entry lies directly in site-packages or the scripts
    folder, the only places a wheel's ``.data`` folder or a pip temporary
    folder is taken for one (below, such a name may be a package's own).
    """
    if name.startswith("~"):
        return PIP_STASH
    if _UV_TEMP.fullmatch(name):
        return UV_TEMP
    if not is_dir:
        return PIP_TEMP if _PIP_META_TEMP.fullmatch(name) else None
    if at_top and _PIP_TEMP_DIR.fullmatch(name):
        return PIP_TEMP
    if at_top and _UV_DATA.fullmatch(name):
        return UV_DATA
    return None


def pip_meta_target(name: str) -> str | None:
    """The metadata file a pip temporary file of that name was to become."""
    match = _PIP_META_TEMP.fullmatch(name)
    return name[:-12] if match else None


def is_pip_stash_of(stash: str, original: str) -> bool:
    """Whether pip names the stash of a folder named ``original`` ``stash``.

    pip tries ``~`` plus the original with its first ``i`` characters replaced
    by ``~`` and ``i - 1`` leading characters (``~umpy``, ``~-mpy`` ... for
    ``numpy``), then ``~`` plus leading characters plus the whole original.
    """
    if not stash.startswith("~") or stash == original:
        return False
    body = stash[1:]
    lead = len(body) - len(original)
    if 0 <= lead <= _LONGEST_LEAD and body.endswith(original) and _leading(body[:lead]):
        return True
    if len(stash) != len(original):
        return False
    return any(stash[i:] == original[i:] and _leading(stash[1:i]) for i in range(1, len(original)))


def _leading(text: str) -> bool:
    return all(char in _LEADING for char in text)
