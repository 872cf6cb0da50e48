"""Ask the target venv's interpreter, once, what it is: markers, tags, sys.path.

The interpreter runs with ``-I -S -B``: isolated (no ``PYTHON*`` variables, no
user site, no script folder on ``sys.path``), without ``site`` (so nothing in
the venv's site-packages is imported and no ``.pth`` file is executed) and
without writing bytecode.  The script it runs uses the standard library only,
so a Python 3.8 venv without ``packaging`` answers as well as any other.  It
reports raw facts (config variables, glibc/musl versions, the ELF header of
the interpreter); the supported tags are then computed here, the same way
``packaging.tags.sys_tags()`` computes them inside the interpreter.

When the interpreter cannot run (its base interpreter is gone, it was built
for another platform, it hangs), the facts are derived from ``pyvenv.cfg``
and the platform venv-doctor runs on, and the probe says so: ``derived`` is
true and ``reason`` tells why.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging import tags as _tags
from packaging.tags import Tag

from venv_doctor.read.layout import VenvLayout

DEFAULT_TIMEOUT = 15.0

# Runs inside the target interpreter: standard library only, Python 3.6+
# syntax, no import of anything the venv may hold.  argv[1] is the venv root.
PROBE_SCRIPT = r"""
import json, os, platform, struct, sys, sysconfig

def cfg(name):
    try:
        return sysconfig.get_config_var(name)
    except Exception:
        return None

def elf_info(path):
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF":
                return None
            klass, data = head[4], head[5]
            end = "<" if data == 1 else ">"
            if klass == 1:
                machine, = struct.unpack(end + "H", head[18:20])
                flags, = struct.unpack(end + "I", head[36:40])
                phoff, = struct.unpack(end + "I", head[28:32])
                phentsize, phnum = struct.unpack(end + "HH", head[42:46])
            else:
                machine, = struct.unpack(end + "H", head[18:20])
                flags, = struct.unpack(end + "I", head[48:52])
                phoff, = struct.unpack(end + "Q", head[32:40])
                phentsize, phnum = struct.unpack(end + "HH", head[54:58])
            interp = None
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                ph = f.read(phentsize)
                ptype, = struct.unpack(end + "I", ph[:4])
                if ptype != 3:
                    continue
                if klass == 1:
                    off, = struct.unpack(end + "I", ph[4:8])
                    size, = struct.unpack(end + "I", ph[16:20])
                else:
                    off, = struct.unpack(end + "Q", ph[8:16])
                    size, = struct.unpack(end + "Q", ph[32:40])
                f.seek(off)
                interp = f.read(size).rstrip(b"\0").decode("utf-8", "replace")
            return {"class": klass, "data": data, "machine": machine, "flags": flags,
                    "interpreter": interp}
    except Exception:
        return None

def glibc():
    try:
        value = os.confstr("CS_GNU_LIBC_VERSION")
        if value:
            return value.rsplit(None, 1)[-1]
    except Exception:
        pass
    try:
        import ctypes
        fn = ctypes.CDLL(None).gnu_get_libc_version
        fn.restype = ctypes.c_char_p
        return fn().decode("ascii")
    except Exception:
        return None

def musl(elf):
    ld = elf and elf.get("interpreter")
    if not ld or "musl" not in ld:
        return None
    try:
        import subprocess
        out = subprocess.run([ld], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             universal_newlines=True, timeout=5).stderr
    except Exception:
        return None
    return out

def site_dirs(root):
    names = sysconfig.get_scheme_names()
    scheme = "venv" if "venv" in names else ("nt" if os.name == "nt" else "posix_prefix")
    paths = sysconfig.get_paths(scheme, vars={"base": root, "platbase": root})
    found = []
    for key in ("purelib", "platlib"):
        if paths.get(key) and paths[key] not in found:
            found.append(paths[key])
    return found

def main():
    root = sys.argv[1]
    iver = sys.implementation.version
    full = "%d.%d.%d" % (iver.major, iver.minor, iver.micro)
    if iver.releaselevel != "final":
        full += iver.releaselevel[0] + str(iver.serial)
    markers = {
        "implementation_name": sys.implementation.name,
        "implementation_version": full,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }
    try:
        from importlib.machinery import EXTENSION_SUFFIXES
    except Exception:
        EXTENSION_SUFFIXES = []
    elf = elf_info(sys.executable) if sys.platform.startswith("linux") else None
    facts = {
        "markers": markers,
        "implementation": sys.implementation.name,
        "version": list(sys.version_info[:3]),
        "py_version_nodot": cfg("py_version_nodot"),
        "py_debug": cfg("Py_DEBUG"),
        "gil_disabled": cfg("Py_GIL_DISABLED"),
        "with_pymalloc": cfg("WITH_PYMALLOC"),
        "ext_suffix": cfg("EXT_SUFFIX"),
        "emscripten_version": cfg("PYEMSCRIPTEN_PLATFORM_VERSION"),
        "gettotalrefcount": hasattr(sys, "gettotalrefcount"),
        "extension_suffixes": list(EXTENSION_SUFFIXES),
        "platform": sysconfig.get_platform(),
        "pointer_bits": struct.calcsize("P") * 8,
        "mac_ver": platform.mac_ver()[0] if sys.platform == "darwin" else None,
        "glibc": glibc() if sys.platform.startswith("linux") else None,
        "elf": elf,
        "musl": musl(elf),
        "multiarch": getattr(sys.implementation, "_multiarch", None),
        "sys_path": sys.path + [p for p in site_dirs(root) if p not in sys.path],
        "executable": sys.executable,
    }
    sys.stdout.write(json.dumps(facts))

main()
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """What the target interpreter is, as lockfile selection needs it.

    ``markers`` is the PEP 508 marker environment; ``tags`` the supported
    wheel tags, best first.  ``derived`` is true when the interpreter could
    not be run and everything was worked out from ``pyvenv.cfg`` and the
    running platform; ``reason`` then says why.  ``sys_path`` is the startup
    path plus the venv's site-packages (empty when derived).
    """

    interpreter: str
    derived: bool
    reason: str | None
    implementation: str
    python_version: str
    markers: Mapping[str, str]
    tags: tuple[Tag, ...]
    sys_path: tuple[str, ...]

    @property
    def environment(self) -> dict[str, str]:
        """A fresh marker environment dict for ``Marker.evaluate``."""
        return dict(self.markers)


def probe_interpreter(layout: VenvLayout, *, timeout: float = DEFAULT_TIMEOUT) -> Probe:
    """Run the venv's interpreter once and return its ``Probe``.

    Never raises for an interpreter that cannot run: the probe is then
    derived from ``pyvenv.cfg`` and the running platform (``derived=True``).
    """
    return start_probe(layout, timeout=timeout).result()


def start_probe(layout: VenvLayout, *, timeout: float = DEFAULT_TIMEOUT) -> PendingProbe:
    """Start the venv's interpreter and return at once; ``result()`` waits for its answer.

    The caller reads the venv meanwhile: the interpreter's start-up then costs
    no wall time.  ``timeout`` counts from now.
    """
    return PendingProbe(layout, timeout)


class PendingProbe:
    """The probe of one venv's interpreter, running; ``result`` or ``cancel`` ends it."""

    def __init__(self, layout: VenvLayout, timeout: float) -> None:
        self._layout, self._timeout = layout, timeout
        self._deadline = time.monotonic() + timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._failed: str | None = None
        self._probe: Probe | None = None
        interpreter = layout.interpreter
        if layout.windows != (os.name == "nt"):
            kind = "Windows" if layout.windows else "POSIX"
            self._failed = f"a {kind} venv cannot be run on {sys.platform}"
        elif not interpreter.exists():
            self._failed = f"{interpreter} does not exist or its target is gone"
        else:
            try:
                self._proc = subprocess.Popen(
                    [str(interpreter), "-I", "-S", "-B", "-c", PROBE_SCRIPT, str(layout.root)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    # Older macOS SDK builds report 10.16 instead of the real version otherwise.
                    env={**os.environ, "SYSTEM_VERSION_COMPAT": "0"},
                )
            except OSError as exc:
                self._failed = f"{interpreter} could not be run: {exc.strerror or exc}"

    def result(self) -> Probe:
        """Wait for the interpreter's answer (at most until the timeout) and read it."""
        if self._probe is None:
            facts = self._facts()
            layout = self._layout
            if isinstance(facts, str):
                self._probe = derive_probe(layout, reason=facts)
            else:
                try:
                    self._probe = probe_from_facts(facts, interpreter=str(layout.interpreter))
                except (ValueError, KeyError, TypeError) as exc:
                    reason = f"{layout.interpreter} gave an answer that could not be read: {exc}"
                    self._probe = derive_probe(layout, reason=reason)
        return self._probe

    def cancel(self) -> None:
        """Stop the interpreter if it still runs (when the check itself failed)."""
        if self._proc is not None and self._proc.returncode is None:
            self._proc.kill()
            self._proc.communicate()

    def _facts(self) -> dict[str, Any] | str:
        """The probe's JSON facts, or the reason they could not be had."""
        if self._failed is not None or self._proc is None:
            return self._failed or "the probe did not start"
        interpreter, proc = self._layout.interpreter, self._proc
        try:
            out, err = proc.communicate(timeout=max(self._deadline - time.monotonic(), 0.0))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return f"{interpreter} did not answer within {self._timeout:g}s"
        if proc.returncode != 0:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:]
            detail = f": {tail[0]}" if tail else ""
            return f"{interpreter} exited with status {proc.returncode}{detail}"
        try:
            facts = json.loads(out.decode("utf-8", "replace"))
        except ValueError:
            facts = None
        if not isinstance(facts, dict):
            return f"{interpreter} printed something other than the probe's JSON"
        return facts


def probe_from_facts(
    facts: Mapping[str, Any], *, interpreter: str, derived: bool = False, reason: str | None = None
) -> Probe:
    """Build a ``Probe`` from the JSON facts the probe script prints."""
    markers = {str(key): str(value) for key, value in dict(facts["markers"]).items()}
    return Probe(
        interpreter=interpreter,
        derived=derived,
        reason=reason,
        implementation=str(facts["implementation"]),
        python_version=markers["python_full_version"],
        markers=markers,
        tags=tuple(tags_from_facts(facts)),
        sys_path=tuple(str(entry) for entry in facts.get("sys_path") or ()),
    )


# ---------------------------------------------------------------- tags


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


# ---------------------------------------------------------------- derived


def _cfg_version(cfg: Mapping[str, str]) -> list[int] | None:
    raw = cfg.get("version_info") or cfg.get("version") or ""
    match = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", raw)
    if match is None:
        return None
    return [int(match[1]), int(match[2]), int(match[3] or 0)]


def derive_facts(
    *,
    cfg: Mapping[str, str] | None,
    windows: bool,
    layout_version: str | None,
    free_threaded: bool = False,
) -> dict[str, Any]:
    """Facts for a venv whose interpreter cannot run, from pyvenv.cfg and this platform.

    A Windows venv is assumed to be 64-bit x86 (``win_amd64``); a POSIX venv
    is assumed to match the platform venv-doctor runs on.
    """
    cfg = cfg or {}
    version = _cfg_version(cfg)
    if version is None and layout_version:
        major, _, minor = layout_version.partition(".")
        version = [int(major), int(minor), 0]
    if version is None:
        version = list(sys.version_info[:3])
    implementation = cfg.get("implementation", "CPython").lower()
    impl_name = "pypy" if implementation == "pypy" else "cpython"
    full = ".".join(str(part) for part in version)
    python_impl = "PyPy" if impl_name == "pypy" else "CPython"
    if windows:
        markers = {
            "os_name": "nt",
            "platform_machine": "AMD64",
            "platform_release": "",
            "platform_system": "Windows",
            "platform_version": "",
            "sys_platform": "win32",
        }
        plat = "win-amd64"
        suffix = f".cp{version[0]}{version[1]}-win_amd64.pyd"
        glibc = None
    else:
        markers = {
            "os_name": os.name,
            "platform_machine": platform.machine(),
            "platform_release": platform.release(),
            "platform_system": platform.system(),
            "platform_version": platform.version(),
            "sys_platform": sys.platform,
        }
        plat = sysconfig.get_platform()
        suffix = f".cpython-{version[0]}{version[1]}{'t' if free_threaded else ''}-.so"
        glibc = _host_glibc()
    markers.update(
        implementation_name=impl_name,
        # PyPy's own version is not in pyvenv.cfg; the Python version stands in.
        implementation_version=full,
        python_full_version=full,
        platform_python_implementation=python_impl,
        python_version=f"{version[0]}.{version[1]}",
    )
    return {
        "markers": markers,
        "implementation": impl_name,
        "version": version,
        "py_version_nodot": None,
        "py_debug": None,
        "gil_disabled": 1 if free_threaded else 0,
        "with_pymalloc": None,
        "ext_suffix": suffix,
        "gettotalrefcount": False,
        "extension_suffixes": [],
        "platform": plat,
        "pointer_bits": 64,
        "mac_ver": platform.mac_ver()[0] if sys.platform == "darwin" and not windows else None,
        "glibc": glibc,
        # Assumes the interpreter is the usual 64-bit little-endian build.
        "elf": {"class": 2, "data": 1, "machine": 62, "flags": 0, "interpreter": None},
        "musl": None,
        "sys_path": [],
    }


def _host_glibc() -> str | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        value = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):
        return None
    return value.rsplit(None, 1)[-1] if value else None


def derive_probe(layout: VenvLayout, *, reason: str) -> Probe:
    """A ``Probe`` worked out without running the interpreter (``derived=True``)."""
    free_threaded = any(
        site.parent.name.endswith("t") and site.parent.name[-2:-1].isdigit()
        for site in layout.site_packages
    )
    facts = derive_facts(
        cfg=layout.cfg,
        windows=layout.windows,
        layout_version=layout.version,
        free_threaded=free_threaded,
    )
    return probe_from_facts(facts, interpreter=str(layout.interpreter), derived=True, reason=reason)
