"""A ``Probe`` for unit tests: CPython 3.11 on x86_64 Linux, made from facts."""

from __future__ import annotations

from typing import Any

from venv_doctor.read.probe import Probe, probe_from_facts


def linux_probe(version: str = "3.11.7", **markers: str) -> Probe:
    major, minor, micro = (int(part) for part in version.split("."))
    env = {
        "implementation_name": "cpython",
        "implementation_version": version,
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_release": "6.1.0",
        "platform_system": "Linux",
        "platform_version": "#1 SMP",
        "python_full_version": version,
        "platform_python_implementation": "CPython",
        "python_version": f"{major}.{minor}",
        "sys_platform": "linux",
    }
    env.update(markers)
    facts: dict[str, Any] = {
        "markers": env,
        "implementation": "cpython",
        "version": [major, minor, micro],
        "py_debug": 0,
        "gil_disabled": 0,
        "ext_suffix": f".cpython-{major}{minor}-x86_64-linux-gnu.so",
        "platform": "linux-x86_64",
        "pointer_bits": 64,
        "glibc": "2.36",
        "elf": {"class": 2, "data": 1, "machine": 62, "flags": 0, "interpreter": None},
        "sys_path": [],
    }
    return probe_from_facts(facts, interpreter="/venv/bin/python")
