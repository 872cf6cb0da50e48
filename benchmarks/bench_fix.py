"""Time ``venv-doctor fix`` repairing one package against ``uv sync --reinstall-package``.

    python benchmarks/bench_fix.py [--project DIR] [--rounds N] [--package NAME ...]

The venv is the one of ``bench_check.py`` (the pins of ``requirements.txt``), made
a uv project so that ``uv sync`` applies: ``pyproject.toml`` lists the pins, ``uv
lock`` resolves them against PyPI once, and ``uv sync --frozen --link-mode copy
--compile-bytecode`` builds ``.venv``.  All of it is kept in
``~/.cache/venv-doctor-bench/big-project`` and re-used.

Each round damages a package the way a ``uv remove`` that stopped partway leaves
it (its RECORD rows deleted in order, dist-info first, up to a third of them),
then times one tool repairing it; the other tool gets the same damage.  After
every run, no file of any other package may have changed (inode, size, times,
mode), and after every ``fix`` ``uv sync --frozen --check`` must be clean.  See
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_check import (
    DEFAULT_FIND_LINKS,
    REQUIREMENTS,
    find_uv,
    machine_description,
    print_table,
    venv_doctor_command,
)

_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
DEFAULT_PROJECT = _CACHE / "venv-doctor-bench" / "big-project"
DEFAULT_PACKAGES = ("pandas", "idna")
GOAL = 2.0  # fix / uv sync --reinstall-package, median wall time
DAMAGE_FRACTION = 1 / 3


# -- the project ------------------------------------------------------------------


def pins() -> list[str]:
    """The ``name==version`` lines of requirements.txt."""
    lines = REQUIREMENTS.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if re.match(r"[A-Za-z0-9]", line)]


def pyproject_text(find_links: list[str]) -> str:
    deps = "".join(f'    "{pin}",\n' for pin in pins())
    links = ", ".join(json.dumps(str(Path(d).resolve())) for d in find_links)
    # A virtual project (package = false): uv sync installs the pins and nothing else.
    return (
        '[project]\nname = "venv-doctor-bench"\nversion = "0"\n'
        f'requires-python = "==3.11.*"\ndependencies = [\n{deps}]\n\n'
        "[tool.uv]\npackage = false\n"
        f"find-links = [{links}]\n"
        "environments = [\"sys_platform == 'linux' and platform_machine == 'x86_64'\"]\n"
    )


def stamp_path(project: Path) -> Path:
    return project.with_name(project.name + ".stamp")


def run_checked(cmd: list[str], *, cwd: Path | None = None, quiet: bool = False) -> None:
    if not quiet:
        print("$", shlex.join(cmd), flush=True)
    out = subprocess.DEVNULL if quiet else None
    subprocess.run(cmd, check=True, cwd=cwd, stdout=out, stderr=out)


def ensure_project(project: Path, uv: str, find_links: list[str], *, rebuild: bool) -> None:
    """Write pyproject.toml, lock it once (network), build .venv; re-use what is there.

    The stamp beside the project holds the hash of pyproject.toml: a change of
    requirements.txt re-locks and rebuilds.
    """
    text = pyproject_text(find_links)
    stamp = hashlib.sha256(text.encode()).hexdigest()
    marker = stamp_path(project)
    venv = project / ".venv"
    fresh = marker.exists() and marker.read_text().strip() == stamp
    if not rebuild and fresh and (venv / "bin" / "python").exists():
        print(f"re-using {project}")
        return
    print(f"building {project} (a minute, once)")
    marker.unlink(missing_ok=True)
    shutil.rmtree(venv, ignore_errors=True)
    project.mkdir(parents=True, exist_ok=True)
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    run_checked([uv, "lock"], cwd=project)
    run_checked([uv, "sync", "--frozen", "--link-mode", "copy", "--compile-bytecode"], cwd=project)
    marker.write_text(stamp + "\n")


def site_packages(venv: Path) -> Path:
    (found,) = sorted(venv.glob("lib/python*/site-packages"))
    return found


# -- damage and what must not change ----------------------------------------------------


@dataclass
class Package:
    """A package to damage: its RECORD rows (venv-relative) as uv wrote them."""

    name: str
    version: str
    rows: list[str]
    owned: set[str]  # venv-relative entries that are this package's, folders included
    tops: set[str]  # its top-level entries in site-packages, shared with no other package
    size: int = 0


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_packages(venv: Path, names: list[str]) -> list[Package]:
    """The RECORD of each package in ``names``, and which top-level entries are its own."""
    site = site_packages(venv)
    site_rel = site.relative_to(venv).as_posix()
    tops: dict[str, set[str]] = {}
    records: dict[str, tuple[str, list[str]]] = {}
    for record in sorted(site.glob("*.dist-info/RECORD")):
        name, version = record.parent.name[: -len(".dist-info")].rsplit("-", 1)
        with record.open(newline="", encoding="utf-8") as handle:
            rows = [row[0] for row in csv.reader(handle) if row and row[0]]
        rels = [os.path.normpath(f"{site_rel}/{row}") for row in rows]
        records[normalize(name)] = (version, rels)
        for rel in rels:
            if rel.startswith(site_rel + "/"):
                tops.setdefault(rel[len(site_rel) + 1 :].split("/")[0], set()).add(name)
    found = []
    for wanted in names:
        if normalize(wanted) not in records:
            raise SystemExit(f"error: {wanted} is not installed in {venv}")
        version, rels = records[normalize(wanted)]
        own_tops = {
            f"{site_rel}/{top}"
            for top, owners in tops.items()
            if len(owners) == 1 and normalize(next(iter(owners))) == normalize(wanted)
        }
        owned = set(rels)
        for rel in rels:
            parent = os.path.dirname(rel)
            while parent.startswith(site_rel + "/"):
                owned.add(parent)
                parent = os.path.dirname(parent)
        size = sum(os.lstat(venv / rel).st_size for rel in rels)
        found.append(Package(normalize(wanted), version, rels, owned, own_tops, size))
    return found


def damage(venv: Path, package: Package, fraction: float = DAMAGE_FRACTION) -> int:
    """Delete the package's files in RECORD order, RECORD among them, as uv's uninstall
    does until a file it cannot remove stops it; returns how many went."""
    record = next(rel for rel in package.rows if rel.endswith(".dist-info/RECORD"))
    count = max(int(len(package.rows) * fraction), package.rows.index(record) + 1)
    gone = 0
    for rel in package.rows[:count]:
        try:
            os.unlink(venv / rel)
            gone += 1
        except FileNotFoundError:
            pass
    return gone


Fingerprint = dict[str, tuple[object, ...]]


def fingerprint(venv: Path, package: Package) -> Fingerprint:
    """Every entry of the venv but the package's own, and how it is on disk.

    Files and links: kind, mode, size, inode, mtime and ctime (a file written,
    replaced, moved or re-linked changes one of them).  Folders: present.
    venv-doctor's state folder and the lock file are left out.
    """
    entries: Fingerprint = {}
    root = str(venv)
    for folder, dirs, files in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        if rel_folder == ".":
            dirs[:] = [d for d in dirs if d != ".venv-doctor"]
            rel_folder = ""
        kept = []
        for name in dirs:
            rel = f"{rel_folder}/{name}" if rel_folder else name
            if rel in package.tops:
                continue
            kept.append(name)
            if rel not in package.owned:
                entries[rel] = ("dir",)
        dirs[:] = kept
        for name in files:
            rel = f"{rel_folder}/{name}" if rel_folder else name
            if rel in package.owned or rel == ".lock":
                continue
            info = os.lstat(os.path.join(folder, name))
            entries[rel] = (
                "entry",
                info.st_mode,
                info.st_size,
                info.st_ino,
                info.st_mtime_ns,
                info.st_ctime_ns,
            )
    return entries


def differences(before: Fingerprint, after: Fingerprint) -> list[str]:
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    return (
        [f"changed {rel}" for rel in changed]
        + [f"added {rel}" for rel in added]
        + [f"removed {rel}" for rel in removed]
    )


# -- timing ---------------------------------------------------------------------------


@dataclass
class Timed:
    label: str
    package: str
    times: list[float] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)  # other packages' entries that changed

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        return min(self.times)


def run_timed(cmd: list[str], *, cwd: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout.decode(errors="replace"))
        sys.stderr.write(proc.stderr.decode(errors="replace"))
        raise SystemExit(f"error: exited {proc.returncode}: {shlex.join(cmd)}")
    return elapsed


@dataclass
class Bench:
    project: Path
    uv: str
    vd: list[str] | None
    env: dict[str, str]

    @property
    def venv(self) -> Path:
        return self.project / ".venv"

    def uv_cmd(self, name: str, *, offline: bool = True) -> list[str]:
        return [
            self.uv, "sync", "--frozen", *(["--offline"] if offline else []),
            "--link-mode", "copy", "--reinstall-package", name,
        ]  # fmt: skip

    def fix_cmd(self, *, offline: bool = True) -> list[str]:
        assert self.vd is not None
        lock = str(self.project / "uv.lock")
        return [
            *self.vd,
            "fix",
            "--from",
            lock,
            *(["--offline"] if offline else []),
            str(self.venv),
        ]

    def restore(self, name: str) -> None:
        """A clean copy of package ``name`` (untimed), by uv; its wheel lands in uv's cache."""
        run_checked(self.uv_cmd(name, offline=False), cwd=self.project, quiet=True)

    def one_run(self, package: Package, cmd: list[str], timed: Timed | None) -> None:
        """Damage, flush, run ``cmd``, and check that nothing else changed."""
        damage(self.venv, package)
        # Both tools start with nothing waiting to be written: fix's syncfs at
        # commit must not pay for the damage (or for the other tool's writes).
        os.sync()
        before = fingerprint(self.venv, package)
        elapsed = run_timed(cmd, cwd=self.project, env=self.env)
        touched = differences(before, fingerprint(self.venv, package))
        if timed is not None:
            timed.times.append(elapsed)
            timed.touched.extend(touched)
        elif touched:
            print(f"  warm-up: {shlex.join(cmd[:2])} changed {len(touched)} other entries")

    def after_fix(self) -> None:
        """uv must see the repaired venv in sync; then drop the trash (untimed)."""
        check = [self.uv, "sync", "--frozen", "--offline", "--check"]
        proc = subprocess.run(
            check, cwd=self.project, env=self.env, capture_output=True, check=False
        )
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr.decode(errors="replace"))
            raise SystemExit("error: after venv-doctor fix, uv sync --frozen --check wants changes")
        assert self.vd is not None
        run_checked([*self.vd, "trash", "clean", str(self.venv)], quiet=True)


def report(packages: list[Package], results: list[tuple[Timed, Timed | None]]) -> list[list[str]]:
    print()
    rows = [
        [t.label, t.package, f"{t.best:.3f} s", f"{t.median:.3f} s"]
        for pair in results
        for t in pair
        if t is not None
    ]
    print_table(rows, ["command", "package", "best", "median"])
    print()
    goal_rows = []
    for package, (uv_t, vd_t) in zip(packages, results, strict=True):
        label = f"{package.name} ({len(package.rows)} files, {package.size / 1e6:.1f} MB)"
        if vd_t is None:
            goal_rows.append([label, "-", f"<= {GOAL:.1f}x", "not run", "-"])
            continue
        ratio = vd_t.median / uv_t.median
        others = "none" if not vd_t.touched else f"{len(vd_t.touched)} CHANGED"
        verdict = "PASS" if ratio <= GOAL and not vd_t.touched else "FAIL"
        goal_rows.append([label, f"{ratio:.2f}x", f"<= {GOAL:.1f}x", verdict, others])
    print_table(
        goal_rows,
        ["fix / uv sync --reinstall-package", "measured", "goal", "result", "other packages"],
    )
    for _, vd_t in results:
        if vd_t is not None and vd_t.touched:
            print(f"\n{vd_t.package}: fix changed entries of other packages:")
            for line in vd_t.touched[:20]:
                print("  " + line)
    return goal_rows


def write_json(
    path: Path,
    project: Path,
    rounds: int,
    packages: list[Package],
    results: list[tuple[Timed, Timed | None]],
    goal_rows: list[list[str]],
) -> None:
    timed = [t for pair in results for t in pair if t is not None]
    data = {
        "machine": machine_description(),
        "project": str(project),
        "rounds": rounds,
        "packages": [
            {"name": p.name, "version": p.version, "files": len(p.rows), "bytes": p.size}
            for p in packages
        ],
        "results": [
            {"label": t.label, "package": t.package, "times": t.times, "touched": t.touched}
            for t in timed
        ],
        "goals": goal_rows,
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Time venv-doctor fix against uv sync --reinstall-package on one package."
    )
    ap.add_argument(
        "--project",
        type=Path,
        default=DEFAULT_PROJECT,
        help=f"the uv project, built there if missing (default: {DEFAULT_PROJECT})",
    )
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds (default: 5)")
    ap.add_argument(
        "--package",
        action="append",
        metavar="NAME",
        help=f"package to damage and repair; repeatable (default: {' '.join(DEFAULT_PACKAGES)})",
    )
    ap.add_argument(
        "--venv-doctor",
        metavar="CMD",
        help="command that runs venv-doctor (default: venv-doctor on PATH, else this "
        "interpreter with -m venv_doctor)",
    )
    ap.add_argument("--no-venv-doctor", action="store_true", help="time only uv")
    ap.add_argument(
        "--find-links",
        action="append",
        metavar="DIR",
        help="folder holding the torch CPU wheel; repeatable "
        f"(default: {' '.join(DEFAULT_FIND_LINKS) or 'none'})",
    )
    ap.add_argument("--rebuild", action="store_true", help="lock and build the project again")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    args = ap.parse_args(argv)
    project: Path = args.project.expanduser().absolute()
    names: list[str] = args.package or list(DEFAULT_PACKAGES)

    uv = find_uv()
    if uv is None:
        raise SystemExit("error: uv not found")
    ensure_project(project, uv, args.find_links or list(DEFAULT_FIND_LINKS), rebuild=args.rebuild)
    vd = None if args.no_venv_doctor else venv_doctor_command(args.venv_doctor)
    env = dict(os.environ)
    env.setdefault("VENV_DOCTOR_CACHE_DIR", str(project.with_name("venv-doctor-cache")))
    env["UV_NO_PROGRESS"] = "1"
    env["NO_COLOR"] = "1"
    bench = Bench(project=project, uv=uv, vd=vd, env=env)

    # Start from clean copies (uv's cache gets warm on the way), then read them.
    for name in names:
        bench.restore(name)
    packages = read_packages(bench.venv, names)

    print(f"\nmachine: {machine_description()}")
    uv_version = subprocess.run([uv, "--version"], capture_output=True, text=True, check=True)
    print(f"uv:      {uv} ({uv_version.stdout.strip()})")
    print(f"project: {project}")
    if vd is not None:
        print(f"venv-doctor: {shlex.join(vd)} (cache {env['VENV_DOCTOR_CACHE_DIR']})")
    for package in packages:
        print(
            f"  {package.name} {package.version}: {len(package.rows)} RECORD rows, "
            f"{package.size / 1e6:.1f} MB"
        )

    results: list[tuple[Timed, Timed | None]] = [
        (
            Timed("uv sync --reinstall-package", p.name),
            Timed("venv-doctor fix", p.name) if vd else None,
        )
        for p in packages
    ]
    print(f"\nwarm-up, then {args.rounds} rounds ...", flush=True)
    for round_ in range(args.rounds + 1):
        warm = round_ == 0
        for package, (uv_t, vd_t) in zip(packages, results, strict=True):
            # The warm-up may download; the timed rounds run offline, from the caches.
            uv_cmd = bench.uv_cmd(package.name, offline=not warm)
            bench.one_run(package, uv_cmd, None if warm else uv_t)
            if vd_t is not None:
                bench.one_run(package, bench.fix_cmd(offline=not warm), None if warm else vd_t)
                bench.after_fix()

    goal_rows = report(packages, results)
    if args.json:
        write_json(args.json, project, args.rounds, packages, results, goal_rows)
    return 1 if any(row[3] == "FAIL" for row in goal_rows) else 0


if __name__ == "__main__":
    sys.exit(main())
