"""Build real, valid wheels from plain data at test time.

A ``WheelSpec`` names everything a wheel holds; ``build_wheel`` writes it with
METADATA, WHEEL, entry_points.txt and a RECORD whose hashes and sizes match
the archive (unless the spec asks for a wrong hash, as some published wheels
have).  Archives are deterministic, so the same spec always gives the same
bytes and the same sha256.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name

# Fixed timestamp: identical specs give byte-identical wheels.
_ZIP_DATE = (2020, 2, 2, 0, 0, 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class WheelSpec:
    """Everything that goes into one wheel.

    ``files`` maps paths relative to the wheel root (site-packages once
    installed) to their content.  ``scripts`` go to ``<name>-<ver>.data/scripts/``
    and are installed into the venv's ``bin/`` with their shebang rewritten
    when it is ``#!python``.  ``data`` goes to ``<name>-<ver>.data/data/``,
    installed relative to the venv root (``share/...``).  ``wrong_record_hash``
    lists paths whose RECORD hash is deliberately wrong.
    """

    name: str
    version: str
    files: Mapping[str, bytes | str] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    requires_python: str | None = None
    console_scripts: Mapping[str, str] = field(default_factory=dict)
    gui_scripts: Mapping[str, str] = field(default_factory=dict)
    scripts: Mapping[str, bytes | str] = field(default_factory=dict)
    data: Mapping[str, bytes | str] = field(default_factory=dict)
    tag: str = "py3-none-any"
    # The same wheel, built once more for each of these tags (other platforms).
    also_tags: tuple[str, ...] = ()
    wrong_record_hash: tuple[str, ...] = ()
    summary: str = "A package built for venv-doctor's tests."

    @property
    def distribution(self) -> str:
        """The name as it appears in file names (PEP 427 escaping)."""
        return canonicalize_name(self.name).replace("-", "_")

    @property
    def filename(self) -> str:
        return f"{self.distribution}-{self.version}-{self.tag}.whl"

    @property
    def dist_info(self) -> str:
        return f"{self.distribution}-{self.version}.dist-info"

    @property
    def data_dir(self) -> str:
        return f"{self.distribution}-{self.version}.data"

    @property
    def root_is_purelib(self) -> bool:
        return self.tag.endswith("-none-any")


def record_hash(data: bytes) -> str:
    """The RECORD hash field for ``data``: ``sha256=<urlsafe b64, no padding>``."""
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _as_bytes(content: bytes | str) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def _metadata(spec: WheelSpec) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {spec.name}",
        f"Version: {spec.version}",
        f"Summary: {spec.summary}",
    ]
    if spec.requires_python:
        lines.append(f"Requires-Python: {spec.requires_python}")
    lines.extend(f"Requires-Dist: {req}" for req in spec.requires)
    return "\n".join(lines) + "\n\n"


def _wheel_file(spec: WheelSpec) -> str:
    return (
        "Wheel-Version: 1.0\n"
        "Generator: venv-doctor-tests (0)\n"
        f"Root-Is-Purelib: {'true' if spec.root_is_purelib else 'false'}\n"
        f"Tag: {spec.tag}\n"
    )


def _entry_points(spec: WheelSpec) -> str | None:
    sections = []
    for group, entries in (
        ("console_scripts", spec.console_scripts),
        ("gui_scripts", spec.gui_scripts),
    ):
        if entries:
            body = "".join(f"{key} = {value}\n" for key, value in entries.items())
            sections.append(f"[{group}]\n{body}")
    return "\n".join(sections) if sections else None


def wheel_contents(spec: WheelSpec) -> dict[str, bytes]:
    """Every archive member except RECORD, in the order they are written."""
    members = {path: _as_bytes(content) for path, content in spec.files.items()}
    for script, content in spec.scripts.items():
        members[f"{spec.data_dir}/scripts/{script}"] = _as_bytes(content)
    for path, content in spec.data.items():
        members[f"{spec.data_dir}/data/{path}"] = _as_bytes(content)
    members[f"{spec.dist_info}/METADATA"] = _metadata(spec).encode("utf-8")
    members[f"{spec.dist_info}/WHEEL"] = _wheel_file(spec).encode("utf-8")
    entry_points = _entry_points(spec)
    if entry_points is not None:
        members[f"{spec.dist_info}/entry_points.txt"] = entry_points.encode("utf-8")
    return members


def _record(spec: WheelSpec, members: Mapping[str, bytes]) -> bytes:
    unknown = set(spec.wrong_record_hash) - members.keys()
    if unknown:
        raise ValueError(f"wrong_record_hash names files the wheel lacks: {sorted(unknown)}")
    rows = []
    for path, data in members.items():
        digest = record_hash(b"not " + data if path in spec.wrong_record_hash else data)
        rows.append(f"{path},{digest},{len(data)}\n")
    rows.append(f"{spec.dist_info}/RECORD,,\n")
    return "".join(rows).encode("utf-8")


def build_wheel(spec: WheelSpec, out_dir: Path) -> Path:
    """Write ``spec`` as a wheel into ``out_dir`` and return its path."""
    members = wheel_contents(spec)
    members[f"{spec.dist_info}/RECORD"] = _record(spec, members)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / spec.filename
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in members.items():
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            is_script = path.startswith(f"{spec.data_dir}/scripts/")
            info.external_attr = (0o100755 if is_script else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return target
