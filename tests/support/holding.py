"""Packages with real native code, and the processes that hold their files, as on Windows.

``fixtures/packages.toml`` stands in for binaries with text; a file is only
held the way Windows holds it when a process runs it or has loaded it.  So
these packages are compiled at test time with the machine's C compiler:

- ``ruffexe`` 0.5.0: like ruff, a native program installed as ``bin/ruffexe``
  (``ruffexe server`` runs until its stdin closes, as a language server does)
  and a small Python package.
- ``polarsext`` 1.0 and 2.0: like polars, a package ``polarsext`` that imports
  the extension modules of a second folder, ``polarsext_runtime/`` (two
  ``.so`` files and an ``__init__.py``).

``Holder`` starts a process that holds a file and stops it.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from tests.support.wheels import WheelSpec, build_wheel

_PROGRAM = r"""
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "server") == 0) {
        char byte;
        puts("ready");
        fflush(stdout);
        while (read(0, &byte, 1) > 0) {}
        return 0;
    }
    puts("ruffexe 0.5.0");
    return 0;
}
"""

_EXTENSION = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *version(PyObject *self, PyObject *args) {
    return PyUnicode_FromString("VERSION");
}

static PyMethodDef methods[] = {{"version", version, METH_NOARGS, NULL}, {NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "NAME", NULL, -1, methods};

PyMODINIT_FUNC PyInit_NAME(void) { return PyModule_Create(&module); }
"""


def compiler_missing() -> str | None:
    """Why native test packages cannot be built here, or None."""
    if shutil.which("gcc") is None:
        return "gcc is missing: the test packages with native code are compiled at test time"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file():
        return "Python.h is missing: the test extension modules are compiled at test time"
    return None


def _compile(source: str, out: Path, *args: str) -> bytes:
    src = out.with_suffix(".c")
    src.write_text(source, encoding="utf-8")
    subprocess.run(["gcc", "-O1", "-o", str(out), str(src), *args], check=True)
    return out.read_bytes()


def native_specs(work: Path) -> list[WheelSpec]:
    """The wheel specs of ``ruffexe`` and ``polarsext``, compiled into ``work``."""
    work.mkdir(parents=True, exist_ok=True)
    program = _compile(_PROGRAM, work / "ruffexe")
    include = sysconfig.get_paths()["include"]
    specs = [
        WheelSpec(
            name="ruffexe",
            version="0.5.0",
            files={"ruffexe/__init__.py": 'def find_bin():\n    return "ruffexe"\n'},
            scripts={"ruffexe": program},
        )
    ]
    for version in ("1.0", "2.0"):
        files: dict[str, bytes | str] = {
            "polarsext/__init__.py": (
                "from polarsext_runtime import _core, _extra\n\n__version__ = _core.version()\n"
            ),
            "polarsext/frame.py": "class DataFrame:\n    pass\n",
            "polarsext_runtime/__init__.py": "",
        }
        for name in ("_core", "_extra"):
            source = _EXTENSION.replace("NAME", name).replace("VERSION", version)
            out = work / f"{name}-{version}.so"
            files[f"polarsext_runtime/{name}.abi3.so"] = _compile(
                source, out, "-shared", "-fPIC", f"-I{include}"
            )
        specs.append(WheelSpec(name="polarsext", version=version, files=files))
    return specs


def build_native_wheels(work: Path, wheelhouse: Path) -> Path:
    """Build the native test packages' wheels into ``wheelhouse`` (beside any there)."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    for spec in native_specs(work):
        build_wheel(spec, wheelhouse)
    return wheelhouse


class Holder:
    """A running process that holds a file of a venv, as a program on Windows does.

    ``Holder.running(path)`` runs the program ``path server``;
    ``Holder.importing(venv, module)`` runs the venv's Python importing
    ``module`` (which maps its extension modules).  Both wait until the file
    is held; ``stop`` ends the process.
    """

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if line.strip() != b"ready":
            self.process.kill()
            _, err = self.process.communicate()
            raise AssertionError(f"{args} did not start: {line!r} {err!r}")

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    def running(cls, program: Path) -> Holder:
        return cls([str(program), "server"])

    @classmethod
    def importing(cls, venv: Path, module: str) -> Holder:
        script = f"import sys, {module}\nprint('ready', flush=True)\nsys.stdin.read()\n"
        return cls([str(venv / "bin" / "python"), "-c", script])

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            with contextlib.suppress(OSError):
                self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


class Holders:
    """The holders a test started: all stopped at teardown, before the unmount."""

    def __init__(self) -> None:
        self._started: list[Holder] = []

    def running(self, program: Path) -> Holder:
        return self._keep(Holder.running(program))

    def importing(self, venv: Path, module: str) -> Holder:
        return self._keep(Holder.importing(venv, module))

    def opening(self, path: Path) -> Holder:
        """A Python that has ``path`` open for reading."""
        script = "import sys\nf = open(sys.argv[1], 'rb')\nprint('ready', flush=True)\n"
        return self._keep(Holder([sys.executable, "-c", script + "sys.stdin.read()\n", str(path)]))

    def _keep(self, holder: Holder) -> Holder:
        self._started.append(holder)
        return holder

    def stop_all(self) -> None:
        for holder in self._started:
            holder.stop()


@contextlib.contextmanager
def holders() -> Iterator[Holders]:
    """``Holders`` for a block; every process still running is stopped after it."""
    started = Holders()
    try:
        yield started
    finally:
        started.stop_all()
