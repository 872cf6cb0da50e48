"""A venv folder with the shape ``python -m venv`` leaves, filled by hand.

For fast tests of pure code; real venvs broken by real tools are in
``tools.py``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
from pathlib import Path

from venv_doctor.diagnose.findings import Finding
from venv_doctor.diagnose.run import diagnose
from venv_doctor.read.layout import read_layout
from venv_doctor.read.snapshot import Snapshot
from venv_doctor.read.walk import take_snapshot

SITE = "lib/python3.11/site-packages"


def digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


class FakeVenv:
    """A venv folder with the shape python -m venv leaves, filled by hand."""

    def __init__(self, root: Path, *, windows: bool = False) -> None:
        self.root = root
        self.windows = windows
        self.site = root / ("Lib/site-packages" if windows else SITE)
        self.scripts = root / ("Scripts" if windows else "bin")
        self.site.mkdir(parents=True)
        self.scripts.mkdir()
        home = "C:\\Python311" if windows else "/root/.pyenv/versions/3.11.7/bin"
        if not windows:
            python = Path(os.path.realpath(sys.executable))
            (self.scripts / "python").symlink_to(python)
            home = str(python.parent)
        (root / "pyvenv.cfg").write_text(f"home = {home}\nversion_info = 3.11.7\n")

    def install(
        self,
        name: str,
        version: str,
        files: dict[str, bytes],
        *,
        meta_files: dict[str, bytes] | None = None,
        **extra: bytes,
    ) -> str:
        """Install ``files`` (site-packages relative) with a dist-info whose RECORD lists all.

        ``meta_files`` adds dist-info files by name (``entry_points.txt``);
        ``extra`` too, with ``_`` in a keyword standing for ``.``.
        """
        meta = f"{name}-{version}.dist-info"
        rows = []
        for rel, data in files.items():
            target = self.site / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            rows.append(f"{rel},sha256={digest(data)},{len(data)}")
        written = {
            "METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n".encode()
        }
        written.update({k.replace("_", "."): v for k, v in extra.items()})
        written.update(meta_files or {})
        (self.site / meta).mkdir()
        for fname, data in written.items():
            (self.site / meta / fname).write_bytes(data)
            rows.append(f"{meta}/{fname},sha256={digest(data)},{len(data)}")
        rows.append(f"{meta}/RECORD,,")
        (self.site / meta / "RECORD").write_text("\n".join(rows) + "\n")
        return f"{SITE}/{meta}" if not self.windows else f"Lib/site-packages/{meta}"

    def snapshot(self, *, hashes: bool = True, environ: dict[str, str] | None = None) -> Snapshot:
        return take_snapshot(read_layout(self.root), hashes=hashes, environ=environ or {})

    def check(self, *, hashes: bool = True, environ: dict[str, str] | None = None) -> list[Finding]:
        return diagnose(self.snapshot(hashes=hashes, environ=environ))
