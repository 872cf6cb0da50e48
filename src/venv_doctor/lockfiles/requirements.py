"""Pinned requirements files: what ``uv export``, ``pip-compile`` and ``pip freeze`` write.

Every requirement must be a pin (``name==version``, ``name===version``), a
direct reference (``name @ url``), a local path, or an editable (``-e``);
anything else is not a lock and raises ``LockfileError`` naming file:line.
Lines whose marker does not hold for the target are skipped; ``--hash``
options are kept with their requirement.  Global options (``--index-url``,
``--find-links``, ``--no-binary``, …) are accepted and, except the index
URL, ignored.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from venv_doctor.errors import LockfileError
from venv_doctor.lockfiles.wanted import Source, WantedDist, WantedSet
from venv_doctor.read.installed import NormalizedName
from venv_doctor.read.probe import Probe

# Options that stand alone on a line and say nothing about what is installed.
_GLOBAL_OPTIONS = {
    "--extra-index-url",
    "--find-links",
    "-f",
    "--no-binary",
    "--only-binary",
    "--prefer-binary",
    "--pre",
    "--trusted-host",
    "--require-hashes",
    "--no-index",
    "--use-feature",
    "--config-settings",
}
_INDEX_OPTIONS = {"--index-url", "-i"}
_FLAG_OPTIONS = {"--pre", "--require-hashes", "--no-index", "--prefer-binary"}

# A project name for a local folder: (name, version) or None when unknown.
LocalName = Callable[[Path], "tuple[str, str | None] | None"]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Line:
    number: int
    text: str


def _logical_lines(text: str) -> Iterator[_Line]:
    """Join continuation lines and strip comments, keeping the first line's number."""
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer.append(line[:-1])
            continue
        buffer.append(line)
        joined = " ".join(part.strip() for part in buffer).strip()
        buffer = []
        if joined:
            yield _Line(number=start, text=joined)
    if buffer:
        joined = " ".join(part.strip() for part in buffer).strip()
        if joined:
            yield _Line(number=start, text=joined)


def _is_url(value: str) -> bool:
    return re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value) is not None


def _path_from(value: str, root: Path) -> Path:
    if value.startswith("file:"):
        parsed = urlsplit(value)
        return Path(unquote(parsed.path))
    return (root / value).resolve()


def _source_for_url(url: str, root: Path, *, editable: bool) -> Source:
    """The source a direct reference (``name @ url`` or ``-e url``) names."""
    fragment = urlsplit(url).fragment
    subdirectory = None
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "subdirectory":
            subdirectory = value
    bare = url.split("#", 1)[0]
    if bare.startswith("git+"):
        repo = bare[4:]
        commit = None
        head, sep, revision = repo.rpartition("@")
        if sep and "/" not in revision and head.count("/") >= 2:
            repo = head
            commit = revision if re.fullmatch(r"[0-9a-f]{40}", revision) else None
            requested = revision
        else:
            requested = None
        return Source(
            kind="git",
            url=repo,
            commit=commit,
            requested_revision=requested,
            subdirectory=subdirectory,
        )
    if bare.startswith("file:") or not _is_url(bare):
        path = _path_from(bare, root)
        if editable:
            return Source(kind="editable", path=str(path))
        if path.suffix in {".whl", ".zip", ".gz", ".bz2", ".tgz", ".tar"}:
            return Source(kind="path", path=str(path))
        return Source(kind="directory", path=str(path))
    return Source(kind="url", url=bare, subdirectory=subdirectory)


def _split_hashes(line: _Line, where: str) -> tuple[str, tuple[str, ...]]:
    """Take the ``--hash=algo:hex`` options off a requirement line."""
    hashes: list[str] = []

    def take(match: re.Match[str]) -> str:
        algorithm, sep, digest = match[1].partition(":")
        if not sep or not digest:
            raise LockfileError(f"{where}: --hash needs 'algorithm:digest', found {match[1]!r}")
        hashes.append(f"{algorithm}:{digest}")
        return " "

    rest = re.sub(r"\s--hash[=\s]\s*(\S+)", take, " " + line.text)
    return rest.strip(), tuple(hashes)


def _name_from_filename(value: str) -> tuple[str, str | None] | None:
    filename = value.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        name, version, _, _ = parse_wheel_filename(filename)
        return str(name), str(version)
    except InvalidWheelFilename:
        pass
    try:
        name, sdist_version = parse_sdist_filename(filename)
        return str(name), str(sdist_version)
    except InvalidSdistFilename:
        return None


def _egg_name(value: str) -> str | None:
    match = re.search(r"[#&]egg=([A-Za-z0-9_.+-]+)", value)
    return match[1].split("-")[0] if match else None


class _Reader:
    def __init__(self, path: Path, probe: Probe, local_name: LocalName | None) -> None:
        self.path = path
        self.root = path.parent.resolve()
        self.env = probe.environment
        self.local_name = local_name
        self.index_url: str | None = None
        self.dists: dict[NormalizedName, WantedDist] = {}
        self.lines: dict[NormalizedName, int] = {}
        self.pending_name: tuple[str, str | None] | None = None

    def fail(self, number: int, message: str) -> LockfileError:
        return LockfileError(
            f"{self.path}:{number}: {message}",
            hint="regenerate it with pinned versions: uv export, pip-compile or pip freeze",
            path=self.path,
        )

    def holds(self, number: int, text: str) -> bool:
        try:
            marker = Marker(text)
        except InvalidMarker as exc:
            raise self.fail(number, f"invalid marker {text!r}: {exc}") from exc
        return marker.evaluate({**self.env, "extra": ""})

    def read(self, text: str) -> None:
        for raw in text.splitlines():
            # pip freeze names an editable it cannot describe in the comment above it.
            match = re.match(r"#\s*Editable install.*\(([^()=\s]+)==([^()\s]+)\)", raw.strip())
            if match:
                self.pending_name = (match[1], match[2])
        for line in _logical_lines(text):
            self.line(line)

    def line(self, line: _Line) -> None:
        where = f"{self.path}:{line.number}"
        body, hashes = _split_hashes(line, where)
        if not body:
            return
        head = body.split(None, 1)[0]
        if head.split("=", 1)[0] in {"-r", "--requirement", "-c", "--constraint"}:
            raise self.fail(line.number, f"{head} includes another file, which is not followed")
        option = head.split("=", 1)[0]
        if option in _INDEX_OPTIONS:
            value = body[len(option) :].lstrip(" =").strip()
            self.index_url = value or None
            return
        if option in _GLOBAL_OPTIONS:
            return
        if option in {"-e", "--editable"}:
            value = body[len(option) :].lstrip(" =").strip()
            self.add_direct(line.number, value, hashes, editable=True)
            return
        if head.startswith("-"):
            raise self.fail(line.number, f"unknown option {head!r}")
        if head.startswith((".", "/", "~")) or head.startswith("file:") or _is_url(head):
            self.add_direct(line.number, body, hashes, editable=False)
            return
        self.add_requirement(line.number, body, hashes)

    def add_requirement(self, number: int, body: str, hashes: tuple[str, ...]) -> None:
        try:
            requirement = Requirement(body)
        except InvalidRequirement as exc:
            raise self.fail(number, f"not a requirement: {body!r} ({exc})") from exc
        if requirement.marker is not None and not requirement.marker.evaluate(
            {**self.env, "extra": ""}
        ):
            return
        name = requirement.name
        if requirement.url:
            source = _source_for_url(requirement.url, self.root, editable=False)
            # A wheel or sdist file name carries the version; a folder or repository does not.
            named = _name_from_filename(requirement.url) if source.kind in {"path", "url"} else None
            version = (
                named[1]
                if named and canonicalize_name(named[0]) == canonicalize_name(name)
                else None
            )
            self.store(number, name, version, source, hashes)
            return
        specs = list(requirement.specifier)
        pinned = (
            len(specs) == 1
            and specs[0].operator in {"==", "==="}
            and not specs[0].version.endswith(".*")
        )
        if not pinned:
            raise self.fail(
                number,
                f"{body!r} is not a pin: expected name==version, name @ url, a path, or -e",
            )
        source = Source(kind="registry", url=self.index_url)
        self.store(number, name, specs[0].version, source, hashes)

    def add_direct(
        self, number: int, value: str, hashes: tuple[str, ...], *, editable: bool
    ) -> None:
        target, _, marker_text = value.partition(";")
        target = target.strip()
        if marker_text.strip() and not self.holds(number, marker_text.strip()):
            return
        try:
            parts = shlex.split(target)
        except ValueError:
            parts = [target]
        target = parts[0] if parts else target
        source = _source_for_url(target, self.root, editable=editable)
        named = _name_from_filename(target) if source.kind in {"path", "url"} else None
        egg = _egg_name(target)
        if named is None and egg is not None:
            named = (egg, None)
        if named is None and source.path is not None and self.local_name is not None:
            named = self.local_name(Path(source.path))
        if named is None and self.pending_name is not None:
            named = self.pending_name
        self.pending_name = None
        if named is None:
            raise self.fail(number, f"cannot tell which project {target!r} is (add #egg=<name>)")
        self.store(number, named[0], named[1], source, hashes)

    def store(
        self,
        number: int,
        name: str,
        version: str | None,
        source: Source,
        hashes: tuple[str, ...],
    ) -> None:
        norm = NormalizedName(str(canonicalize_name(name)))
        if norm in self.dists:
            raise self.fail(number, f"{norm} is already required on line {self.lines[norm]}")
        self.lines[norm] = number
        self.dists[norm] = WantedDist(name=norm, version=version, source=source, hashes=hashes)


def parse_requirements(
    text: str,
    *,
    path: Path,
    probe: Probe,
    local_name: LocalName | None = None,
) -> WantedSet:
    """Read a pinned requirements file into a ``WantedSet`` for the probed venv.

    ``path`` names the file in errors and anchors relative paths.
    ``local_name`` tells the project name (and version) of a local folder
    named without one (``-e .``); the loader reads it from the folder's
    pyproject.toml.
    """
    reader = _Reader(path, probe, local_name)
    reader.read(text)
    return WantedSet(lockfile=path, kind="requirements", dists=dict(reader.dists))


def local_project_name(pyproject: Mapping[str, object]) -> tuple[str, str | None] | None:
    """(name, version) from a parsed pyproject.toml ``[project]`` table, if it has a name."""
    project = pyproject.get("project")
    if not isinstance(project, Mapping) or not isinstance(project.get("name"), str):
        return None
    version = project.get("version")
    return str(project["name"]), version if isinstance(version, str) else None
