"""Which parts of a lockfile to install: the options ``uv sync`` takes.

The same ``Selection`` drives every reader: a uv.lock is walked from its
workspace members; a pylock.toml selects by its ``extras`` and
``dependency-groups`` markers; a requirements file ignores it (it is already
one flat selection).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from packaging.utils import canonicalize_name


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """The ``uv sync`` options that decide what a lockfile installs.

    Each field has the meaning of the ``uv sync`` flag of the same name:
    ``extras`` (``--extra``), ``all_extras``, ``no_extras`` (``--no-extra``,
    with ``--all-extras``), ``no_dev``, ``only_dev``, ``groups``
    (``--group``), ``no_groups`` (``--no-group``), ``only_groups``
    (``--only-group``), ``all_groups``, ``no_default_groups``, ``packages``
    (``--package``), ``all_packages`` and ``no_editable``.  The default is
    plain ``uv sync``.
    """

    extras: tuple[str, ...] = ()
    all_extras: bool = False
    no_extras: tuple[str, ...] = ()
    no_dev: bool = False
    only_dev: bool = False
    groups: tuple[str, ...] = ()
    no_groups: tuple[str, ...] = ()
    only_groups: tuple[str, ...] = ()
    all_groups: bool = False
    no_default_groups: bool = False
    packages: tuple[str, ...] = ()
    all_packages: bool = False
    no_editable: bool = False

    @property
    def prod(self) -> bool:
        """Whether the projects' own dependencies are installed (not ``--only-group``)."""
        return not (self.only_groups or self.only_dev)

    def active_groups(self, available: Collection[str], defaults: Collection[str]) -> set[str]:
        """The dependency groups to install, given those defined and the default ones."""
        norm = _norm
        if self.only_groups or self.only_dev:
            include = {norm(g) for g in self.only_groups}
            if self.only_dev:
                include.add("dev")
            include |= {norm(g) for g in self.groups}
        else:
            include = {norm(g) for g in self.groups}
            if self.all_groups:
                include |= {norm(g) for g in available}
            if not self.no_default_groups:
                include |= {norm(g) for g in defaults}
        exclude = {norm(g) for g in self.no_groups}
        if self.no_dev:
            exclude.add("dev")
        return include - exclude

    def active_extras(self, available: Collection[str]) -> set[str]:
        """The extras of one root project to install, given those it defines."""
        if not self.prod:
            return set()
        if self.all_extras:
            return {_norm(e) for e in available} - {_norm(e) for e in self.no_extras}
        return {_norm(e) for e in self.extras}


def _norm(name: str) -> str:
    return str(canonicalize_name(name))
