"""Load ``fixtures/packages.toml``: the test packages as ``WheelSpec`` values."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.support.wheels import WheelSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the suite runs on 3.10 too
    import tomli as tomllib

CATALOGUE = Path(__file__).resolve().parents[2] / "fixtures" / "packages.toml"


def _generated(entry: Mapping[str, Any]) -> dict[str, str]:
    """The files ``generated`` asks for, numbered.

    ``template = count``: ``{i}`` in the path numbers from 0, with a small module
    as text.  ``template = {count, start, text}``: ``{n}`` in the path and the
    text becomes 000, 001, ... from ``start``.
    """
    name, version = entry["name"], entry["version"]
    files = {}
    for template, rule in entry.get("generated", {}).items():
        if isinstance(rule, int):
            for i in range(rule):
                files[template.format(i=i)] = (
                    f"# {name} {version}, part {i}\nPART = {i}\nVERSION = {version!r}\n"
                )
            continue
        start = rule.get("start", 0)
        for n in range(start, start + rule["count"]):
            number = f"{n:03d}"
            files[template.replace("{n}", number)] = rule["text"].replace("{n}", number)
    return files


def _spec(entry: Mapping[str, Any]) -> WheelSpec:
    return WheelSpec(
        name=entry["name"],
        version=entry["version"],
        files={**entry.get("files", {}), **_generated(entry)},
        scripts=dict(entry.get("scripts", {})),
        data=dict(entry.get("data", {})),
        console_scripts=dict(entry.get("console_scripts", {})),
        gui_scripts=dict(entry.get("gui_scripts", {})),
        requires=tuple(entry.get("requires", ())),
        wrong_record_hash=tuple(entry.get("wrong_record_hash", ())),
        tag=entry.get("tag", "py3-none-any"),
        also_tags=tuple(entry.get("also_tags", ())),
    )


def load_catalogue(path: Path = CATALOGUE) -> dict[tuple[str, str], WheelSpec]:
    """Every package of the catalogue, keyed by ``(name, version)``."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    specs = {}
    for entry in data["package"]:
        spec = _spec(entry)
        specs[spec.name, spec.version] = spec
    return specs
