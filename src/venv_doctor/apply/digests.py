"""Digests of files, and what a lock (or an index) says a file's digests must be."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from venv_doctor.apply.wheel_errors import HashMismatchError

CHUNK_SIZE = 1 << 16


def file_digests(path: Path, algorithms: tuple[str, ...] = ("sha256",)) -> dict[str, str]:
    """Hex digests of the file at ``path`` for each of ``algorithms``, in one read."""
    hashers = {name: hashlib.new(name) for name in algorithms}
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_SIZE), b""):
            for hasher in hashers.values():
                hasher.update(block)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class HashSpec:
    """The digests a file must have: every digest of at least one of ``choices``.

    A lock names one file's digests (one choice); a requirements file's
    ``--hash`` options each allow a file (one choice per option).  No
    choices at all means any file will do.
    """

    choices: tuple[Mapping[str, str], ...] = ()

    @classmethod
    def exact(cls, hashes: Mapping[str, str]) -> HashSpec:
        cleaned = {name.lower(): value.lower() for name, value in hashes.items() if value}
        return cls(choices=(cleaned,) if cleaned else ())

    @classmethod
    def any_of(cls, pairs: Iterable[str]) -> HashSpec:
        """From ``algo:hex`` strings, any one of which a file may match."""
        choices = []
        for pair in pairs:
            name, sep, value = pair.partition(":")
            if sep and value:
                choices.append({name.lower(): value.lower()})
        return cls(choices=tuple(choices))

    def __bool__(self) -> bool:
        return bool(self.choices)

    def also(self, hashes: Mapping[str, str]) -> HashSpec:
        """This spec, with ``hashes`` (an index's digests) required as well."""
        extra = {name.lower(): value.lower() for name, value in hashes.items() if value}
        if not extra:
            return self
        if not self.choices:
            return HashSpec(choices=(extra,))
        return HashSpec(choices=tuple({**extra, **choice} for choice in self.choices))

    @property
    def sha256s(self) -> tuple[str, ...]:
        """Every sha256 a matching file may have: the keys to look for in the cache."""
        return tuple(choice["sha256"] for choice in self.choices if "sha256" in choice)

    @property
    def algorithms(self) -> tuple[str, ...]:
        """sha256 first, then every other algorithm the choices use that hashlib knows."""
        names = {name for choice in self.choices for name in choice}
        extra = sorted(name for name in names - {"sha256"} if name in hashlib.algorithms_available)
        return ("sha256", *extra)

    def check(self, digests: Mapping[str, str], *, package: str, location: str, kept: bool) -> None:
        """Raise ``HashMismatchError`` unless ``digests`` satisfy one of the choices."""
        if not self.choices:
            return
        for choice in self.choices:
            # Digests hashlib cannot compute are skipped, but one must have been compared.
            known = [(value, digests[name]) for name, value in choice.items() if name in digests]
            if known and all(value == actual for value, actual in known):
                return
        algorithm = (
            "sha256"
            if any("sha256" in choice for choice in self.choices)
            else next(iter(self.choices[0]))
        )
        wanted = [choice[algorithm] for choice in self.choices if algorithm in choice]
        if not wanted:  # pragma: no cover - every choice has the algorithm picked above
            wanted = [str(dict(choice)) for choice in self.choices]
        expected = wanted[0] if len(wanted) == 1 else "one of " + ", ".join(wanted)
        raise HashMismatchError(
            package=package,
            location=location,
            algorithm=algorithm,
            expected=expected,
            actual=digests.get(algorithm, "?"),
            kept=kept,
        )


def verified_sha256(
    path: Path, spec: HashSpec, *, package: str, location: str | None = None
) -> str:
    """The file's sha256, after checking the file against ``spec``."""
    digests = file_digests(path, spec.algorithms)
    spec.check(digests, package=package, location=location or str(path), kept=True)
    return digests["sha256"]
