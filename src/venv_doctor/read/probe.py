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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.tags import Tag

from venv_doctor.read.layout import VenvLayout
from venv_doctor.read.tags import tags_from_facts

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
    # A free-threaded build (``Py_GIL_DISABLED``, the ``t`` ABI: ``python3.13t``).
    free_threaded: bool = False

    @property
    def environment(self) -> dict[str, str]:
        """A fresh marker environment dict for ``Marker.evaluate``."""
        return dict(self.markers)


def probe_interpreter(
    layout: VenvLayout, *, timeout: float = DEFAULT_TIMEOUT, interpreter: Path | None = None
) -> Probe:
    """Run the venv's interpreter once and return its ``Probe``.

    Never raises for an interpreter that cannot run: the probe is then
    derived from ``pyvenv.cfg`` and the running platform (``derived=True``).
    ``interpreter`` runs another one for the venv instead (a base interpreter
    the venv is about to move to).
    """
    return start_probe(layout, timeout=timeout, interpreter=interpreter).result()


def start_probe(
    layout: VenvLayout, *, timeout: float = DEFAULT_TIMEOUT, interpreter: Path | None = None
) -> PendingProbe:
    """Start the venv's interpreter and return at once; ``result()`` waits for its answer.

    The caller reads the venv meanwhile: the interpreter's start-up then costs
    no wall time.  ``timeout`` counts from now.
    """
    return PendingProbe(layout, timeout, interpreter)


class PendingProbe:
    """The probe of one venv's interpreter, running; ``result`` or ``cancel`` ends it."""

    def __init__(self, layout: VenvLayout, timeout: float, interpreter: Path | None = None) -> None:
        self._layout, self._timeout = layout, timeout
        self._interpreter = interpreter or layout.interpreter
        self._deadline = time.monotonic() + timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._failed: str | None = None
        self._probe: Probe | None = None
        interpreter = self._interpreter
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
                    self._probe = probe_from_facts(facts, interpreter=str(self._interpreter))
                except (ValueError, KeyError, TypeError) as exc:
                    reason = f"{self._interpreter} gave an answer that could not be read: {exc}"
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
        interpreter, proc = self._interpreter, self._proc
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
        free_threaded=bool(facts.get("gil_disabled")),
    )


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
