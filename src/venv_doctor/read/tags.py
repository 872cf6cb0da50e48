"""The tags an interpreter supports, computed from the raw facts the probe reports,
the way ``packaging.tags.sys_tags()`` computes them inside the interpreter."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from packaging import tags as _tags
from packaging.tags import Tag


def _normalize(value: str) -> str:
    return value.replace(".", "_").replace("-", "_").replace(" ", "_")


def _nodot(version: Sequence[int]) -> str:
    return "".join(str(part) for part in version)


def _cpython_abis(facts: Mapping[str, Any], version: tuple[int, int]) -> list[str]:
    # Mirrors packaging.tags._cpython_abis, on the target's config variables.
    nodot = _nodot(version)
    threading = debug = pymalloc = ""
    with_debug = facts.get("py_debug")
    has_ext = "_d.pyd" in (facts.get("extension_suffixes") or ())
    if with_debug or (with_debug is None and (facts.get("gettotalrefcount") or has_ext)):
        debug = "d"
    if version >= (3, 13) and facts.get("gil_disabled"):
        threading = "t"
    abis: list[str] = []
    if version < (3, 8):
        with_pymalloc = facts.get("with_pymalloc")
        if with_pymalloc or with_pymalloc is None:
            pymalloc = "m"
    elif debug:
        abis.append(f"cp{nodot}{threading}")
    abis.insert(0, f"cp{nodot}{threading}{debug}{pymalloc}")
    return abis


def _generic_abis(facts: Mapping[str, Any], version: tuple[int, int]) -> list[str]:
    # Mirrors packaging.tags._generic_abi, from the target's EXT_SUFFIX.
    ext_suffix = facts.get("ext_suffix")
    if not isinstance(ext_suffix, str) or not ext_suffix.startswith("."):
        return []
    parts = ext_suffix.split(".")
    if len(parts) < 3:
        return _cpython_abis(facts, version)
    soabi = parts[1]
    if soabi.startswith("cpython"):
        pieces = soabi.split("-")
        abi = "cp" + pieces[1] if len(pieces) > 1 else soabi
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(soabi.split("-")[:3])
    elif soabi:
        abi = soabi
    else:
        return []
    return [_normalize(abi)]


_LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}


_MANYLINUX_ARCHS = {"x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64"}


_EM_386 = 3
_EM_ARM = 40


def _elf_allows(facts: Mapping[str, Any], archs: Sequence[str]) -> bool:
    # packaging checks armhf and i686 against the interpreter's ELF header.
    elf = facts.get("elf") or {}
    if "armv7l" in archs:
        flags = int(elf.get("flags") or 0)
        return (
            elf.get("class") == 1
            and elf.get("data") == 1
            and elf.get("machine") == _EM_ARM
            and flags & 0xFF000000 == 0x05000000
            and flags & 0x400 == 0x400
        )
    if "i686" in archs:
        return elf.get("class") == 1 and elf.get("data") == 1 and elf.get("machine") == _EM_386
    return any(arch in _MANYLINUX_ARCHS for arch in archs)


def _manylinux(facts: Mapping[str, Any], archs: Sequence[str]) -> Iterator[str]:
    match = re.match(r"(\d+)\.(\d+)", str(facts.get("glibc") or ""))
    if match is None or not _elf_allows(facts, archs):
        return
    current = (int(match[1]), int(match[2]))
    too_old = (2, 4) if set(archs) & {"x86_64", "i686"} else (2, 16)
    maxima = [current] + [(major, 50) for major in range(current[0] - 1, 1, -1)]
    for arch in archs:
        for major, top in maxima:
            low = too_old[1] if major == too_old[0] else -1
            for minor in range(top, low, -1):
                yield f"manylinux_{major}_{minor}_{arch}"
                legacy = _LEGACY_MANYLINUX.get((major, minor))
                if legacy:
                    yield f"{legacy}_{arch}"


def _musllinux(facts: Mapping[str, Any], archs: Sequence[str]) -> Iterator[str]:
    lines = [line.strip() for line in str(facts.get("musl") or "").splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith("musl"):
        return
    match = re.match(r"Version (\d+)\.(\d+)", lines[1])
    if match is None:
        return
    for arch in archs:
        for minor in range(int(match[2]), -1, -1):
            yield f"musllinux_{match[1]}_{minor}_{arch}"


def _linux_platforms(facts: Mapping[str, Any]) -> list[str]:
    linux = _normalize(str(facts["platform"]))
    if not linux.startswith("linux_"):
        return [linux]
    if facts.get("pointer_bits") == 32:
        linux = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(linux, linux)
    arch = linux.split("_", 1)[1]
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    return (
        [f"linux_{a}" for a in archs]
        + list(_manylinux(facts, archs))
        + list(_musllinux(facts, archs))
    )


def _platforms(facts: Mapping[str, Any]) -> list[str]:
    system = dict(facts["markers"]).get("platform_system")
    plat = str(facts["platform"])
    if system == "Darwin" and facts.get("mac_ver"):
        major, _, minor = str(facts["mac_ver"]).partition(".")
        version = (int(major), int(minor.split(".")[0] or 0))
        machine = str(dict(facts["markers"]).get("platform_machine", "x86_64"))
        if facts.get("pointer_bits") == 32:
            machine = "ppc" if machine.startswith("ppc") else "i386"
        return list(_tags.mac_platforms(version, machine))
    if system == "Linux":
        return _linux_platforms(facts)
    platforms = []
    if system == "Emscripten" and facts.get("emscripten_version"):
        platforms.append(f"pyemscripten_{facts['emscripten_version']}_wasm32")
    platforms.append(_normalize(plat))
    return platforms


_SHORT_NAMES = {"python": "py", "cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}


def tags_from_facts(facts: Mapping[str, Any]) -> list[Tag]:
    """The tags ``packaging.tags.sys_tags()`` would give inside the target, best first."""
    version_info = [int(part) for part in facts["version"]]
    version = (version_info[0], version_info[1])
    name = _SHORT_NAMES.get(str(facts["implementation"]), str(facts["implementation"]))
    platforms = _platforms(facts) or ["any"]
    nodot = str(facts.get("py_version_nodot") or _nodot(version))
    found: list[Tag] = []
    if name == "cp":
        found.extend(_tags.cpython_tags(version, _cpython_abis(facts, version), platforms))
        interpreter: str | None = "cp" + nodot
    else:
        found.extend(_tags.generic_tags(name + nodot, _generic_abis(facts, version), platforms))
        interpreter = "pp3" if name == "pp" else None
    found.extend(_tags.compatible_tags(version, interpreter, platforms))
    return found
