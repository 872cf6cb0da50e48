"""The long explanation of every finding code.

``docs/reference/findings.md`` is generated from this module (a test keeps
the two equal), so ``venv-doctor explain CODE`` and the docs say the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from venv_doctor.diagnose.findings import CODES


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    meaning: str
    arises: str
    fix: str


EXPLANATIONS: dict[str, Explanation] = {
    "file-missing": Explanation(
        meaning="A file listed in a distribution's RECORD is not on disk. Missing bytecode "
        "(`.pyc`, `__pycache__/`) is never reported: Python recreates it.",
        arises="An uninstall that stopped halfway (a running `ruff.exe` or a loaded `.pyd` on "
        "Windows cannot be deleted, so `uv remove` or `pip uninstall` fails after removing some "
        "files), a file deleted by hand, or an interrupted install.",
        fix="`venv-doctor fix` puts the file back from a verified wheel of the locked (or "
        "installed) version when the rest of the distribution is intact, else reinstalls the "
        "distribution whole: by copying, or, in a venv whose files are hard links into uv's "
        "cache, by linking the same wheel's files there as uv does (each checked against the "
        "wheel's RECORD first). By hand: `uv pip install --reinstall NAME==VERSION`.",
    ),
    "file-modified": Explanation(
        meaning="A file's size or hash differs from what its distribution's RECORD says. "
        "`--quick` compares sizes only.",
        arises="An installed file edited in place (with uv's hardlink mode that also edits uv's "
        "cache and every other venv linked to it), a partial write, disk corruption, or a wheel "
        "whose own RECORD is wrong: some published wheels ship RECORD hashes that do not match "
        "their files, so a fresh install of those reports this too.",
        fix="`venv-doctor fix` puts the file back from the wheel when the rest of the "
        "distribution is intact, else reinstalls the distribution. If the wheel itself is at "
        "fault, "
        'silence it for that package: `per-package-ignores = { NAME = ["file-modified"] }` in '
        "`[tool.venv-doctor]`, or `--ignore file-modified`.",
    ),
    "dangling-symlink": Explanation(
        meaning="An installed file is a symbolic link whose target does not exist (or a link "
        "loop).",
        arises="A venv made with uv's `--link-mode symlink` links every file into uv's cache; "
        "`uv cache clean` (or `uv cache prune`) removes the targets and every link dangles.",
        fix="`venv-doctor fix` reinstalls the distribution by copying, so the venv no longer "
        "depends on the cache. By hand: `uv sync --reinstall --link-mode copy`.",
    ),
    "dist-info-incomplete": Explanation(
        meaning="A `*.dist-info` folder is empty, or has no METADATA or no RECORD (an "
        "`*.egg-info` folder without PKG-INFO), or its RECORD is not the one its installer "
        "finished. Without RECORD neither pip nor uv can uninstall or upgrade the distribution. "
        "Without METADATA pip does not list it, while uv still takes it for installed from the "
        "folder's name: `uv sync` has nothing to do, and only `uv pip check` says the folder is "
        "broken. Every installer writes RECORD last, listing what it wrote: the wheel's files, "
        "the launchers of the console and GUI scripts `entry_points.txt` declares, and its own "
        "files such as INSTALLER. A RECORD that is empty, cannot be parsed or lists none of its "
        "own dist-info's files says nothing about which files are the distribution's (they are "
        "not reported as orphans). A RECORD that lists no launcher for a declared script, does "
        "not list an installer's own file beside it (INSTALLER, REQUESTED, `direct_url.json`, "
        "`uv_cache.json`), holds an installer's temporary file (uv's `.tmpXXXXXX`, pip's "
        "`INSTALLERxxxxxxxx.tmp`), has no INSTALLER while pip's stash of the version it "
        "replaced is still there or while uv wrote one for the others it installed in a venv it "
        "made, or still lists the wheel's `NAME-VERSION.data/` folder "
        "is the one the wheel shipped: the install stopped before it finished, and the launcher "
        "may never have been written. A dist-info with no INSTALLER at all is fine: "
        "`uv pip install --no-installer-metadata` and `python -m installer` write none.",
        arises="uv removes RECORD rows in order and writes RECORD sorted, so the dist-info goes "
        "first: an uninstall that fails midway (a locked file) leaves the package's files with "
        "a dist-info that is empty or lacks METADATA/RECORD. `uv sync` then says nothing is to "
        "do, and a later upgrade installs the new version beside the broken one. An install "
        "killed at the wrong moment (an out-of-memory kill, a CI job's timeout) leaves a RECORD "
        "of 0 bytes, or the wheel's own RECORD with no launcher in `bin/`: `uv sync --check` "
        "wants no change there either, while the command the package provides is missing.",
        fix="`venv-doctor fix --from uv.lock` removes the remains, with the files and launchers "
        "the distribution still claims by name (its `top_level.txt`, else its own name), and "
        "reinstalls the version the lock wants (or removes the distribution when the lock does "
        "not want it); without a lockfile it reinstalls the installed version. Those files, and "
        "whatever the wheel being installed writes, are never purged as orphans, with or "
        "without `--purge-orphans`.",
    ),
    "duplicate-distribution": Explanation(
        meaning="Two or more metadata folders (`*.dist-info` or `*.egg-info`) for one normalized "
        "name in the same site-packages. The finding says which one the files on disk match.",
        arises="An upgrade that failed midway: the old version's uninstall stopped (RECORD "
        "missing is only a warning to uv), the new version was installed beside it, and "
        "`uv pip list` shows two versions that neither uv nor pip can uninstall.",
        fix="`venv-doctor fix --from uv.lock` purges the copies the lock does not want, keeping "
        "files the wanted version owns, and reinstalls it when its files were damaged.",
    ),
    "orphan-file": Explanation(
        meaning="Files or folders in site-packages or the scripts folder that no RECORD owns, "
        "other than what `venv`, `virtualenv` and uv create themselves. One finding per top-level "
        "folder, and one per empty package folder: a folder that holds no files (bytecode at "
        "most) and in which no RECORD puts one, at the top of site-packages or inside a folder "
        "other distributions share (`jaraco/context/` beside `jaraco/functools/`). Such a folder "
        "still makes `import NAME` succeed as a namespace package, hiding that the package is "
        "gone.",
        arises="An uninstall that removed the dist-info but not all files; files left by an older "
        "version; modules a person copied there by hand. Empty package folders: uv removes the "
        "folders an uninstall empties only once every file is gone, so an uninstall that stopped "
        "halfway leaves them, and a later one that finishes it never looks at them again.",
        fix="`venv-doctor fix` moves empty package folders to the trash without being asked "
        "(they hold nothing a person could lose), and with them the folders its own removals "
        "empty. It removes leftovers inside the folders of a distribution it removes or "
        "reinstalls, and inside the folders the wheel of a distribution it installs puts files "
        "in, when no installed distribution owns anything there (a shared folder such as "
        "`google/` stays; only the wheel's own subfolders are cleared). Any other orphan stays "
        "unless you pass `--purge-orphans`. Everything removed goes to the trash, "
        "`venv-doctor undo` brings it back. Files you put there on purpose: "
        "`--ignore orphan-file`.",
    ),
    "stash-leftover": Explanation(
        meaning="A temporary file or folder an installer left: uv's `.tmpXXXXXX` files (uv "
        "writes each file it copies, each launcher and each metadata file under such a name, "
        "then renames it into place; uv 0.12 also makes `.tmpXXXXXX/` folders), a wheel's "
        "`NAME-VERSION.data/` folder uv had not emptied, pip's `RECORDxxxxxxxx.tmp`, "
        "`INSTALLERxxxxxxxx.tmp` and `direct_url.jsonxxxxxxxx.tmp` in a metadata folder, pip's "
        "`pip-KIND-xxxxxxxx` temporary folders, files no RECORD lists that are hard links into "
        "uv's cache (uv links a wheel's files in before it writes the metadata folder, and "
        "removes the metadata folder's files first when it uninstalls), top-level entries no "
        "RECORD lists whose every file is a copy, byte for byte, of the file at the same place "
        "in one unpacked wheel of uv's cache (uv's copy mode; only in a venv uv made or "
        "installs into, and where none of uv's installs are hard links: there a copy is a "
        "person's), top-level entries no RECORD lists whose every file has the bytes, or the "
        "first bytes, of the member of that name in a wheel still in pip's temporary download "
        "folder (`pip-unpack-xxxxxxxx/` in the temporary directory: pip writes a wheel's files "
        "straight into place, the metadata folder last, and removes the folder when it exits), "
        "and "
        "pip's stash: pip renames each folder it "
        "uninstalls to a `~` name beside it (`numpy/` to `~umpy/`, `~-mpy/` when that is taken; "
        "`numpy-2.3.5.dist-info/` to `~umpy-2.3.5.dist-info/`) and deletes the stash when the "
        "uninstall, or the upgrade it is part of, is done. A stashed metadata folder is never "
        "taken for an installed distribution (pip and uv ignore it too). pip's stash of one "
        "distribution is one finding that names the stashed version and the one installed in "
        "its place. A name an installed RECORD lists is never reported. Bytecode written "
        "under a temporary name (`__pycache__/*.pyc.NNNN`) is not reported: bytecode never is.",
        arises="The installer was killed (SIGKILL, a closed terminal, an out-of-memory kill; "
        "pip also by Ctrl-C while it installs the new version: it rolls back on errors only) "
        "between writing and renaming, or pip could not delete its stash (a locked file "
        "inside it).",
        fix="`venv-doctor fix` moves it to the trash, without `--purge-orphans`: it is the "
        "installer's, not yours (`venv-doctor undo` brings it back).",
    ),
    "pip-interrupted": Explanation(
        meaning="pip stopped while it replaced or removed a distribution, after it had stashed "
        "the old version (its metadata folder under a `~` name) and before it wrote all of the "
        "new one's metadata: no version of the distribution is installed, and `pip list` and "
        "`uv pip list` show neither. One finding per distribution names the stashed version, "
        "the version the lockfile wants (with a lockfile), the stash, the files pip had "
        "already written of the new version where the old folders were, and the old files it "
        "had not moved yet.",
        arises="`pip install --upgrade` killed while it installed the new version (its files "
        "go first, its metadata last), or `pip uninstall` killed before it deleted its stash.",
        fix="`venv-doctor fix --from uv.lock` moves the stash and the files of either version "
        "that no installed distribution owns to the trash and installs the version the lock "
        "wants, in one transaction. Without a lockfile, `fix` moves them to the trash and "
        "installs nothing: it cannot know the version pip was installing; `pip install "
        "NAME==VERSION` afterwards puts the stashed version back.",
    ),
    "record-unsafe-path": Explanation(
        meaning="A RECORD entry resolves outside the venv root (through `..`, an absolute path "
        "or a linked folder). Entries that reach the venv's own `bin/`, `Scripts/`, `include/` or "
        "`share/` are fine. venv-doctor never reads, follows or touches such a path.",
        arises="A malformed or tampered wheel, or a RECORD edited by hand; a tool that removed "
        "files by this RECORD would delete files outside the venv.",
        fix="Reinstall the distribution from a trusted wheel; `venv-doctor fix` does, and never "
        "deletes by the unsafe entry.",
    ),
    "script-stale-shebang": Explanation(
        meaning="A console script (or Windows launcher) names an interpreter other than this "
        "venv's, so running it fails or runs another environment's Python; or an activate "
        "script (`activate`, `activate.bat`, `.csh`, `.fish`, `.nu`, virtualenv's `.xsh`) sets "
        "`VIRTUAL_ENV` to another folder than this venv, so activating it puts another "
        "environment (or nothing) on `PATH`.",
        arises="The venv, or the project holding it, was moved or renamed: launchers carry the "
        "absolute path of the interpreter they were written for, and activate scripts the "
        "absolute path of the venv they were made in.",
        fix="`venv-doctor fix` rewrites the launchers (and their RECORD hashes) and the activate "
        "scripts that name the old place. By hand: `uv sync --reinstall` rewrites the "
        "launchers; recreating the venv rewrites the activate scripts.",
    ),
    "editable-target-missing": Explanation(
        meaning="An editable install (a `.pth` path, a setuptools `__editable__` finder, "
        "`direct_url.json` or an `.egg-link`) points at a folder that does not exist.",
        arises="The project (or a path dependency) was moved, renamed or deleted after "
        "`uv sync` / `pip install -e`.",
        fix="`venv-doctor fix --from uv.lock` rebuilds the editable through its build backend "
        "from the project's current place.",
    ),
    "interpreter-missing": Explanation(
        meaning="The venv's base interpreter is gone: `pyvenv.cfg` is missing, has no `home`, "
        "or `home`, `executable` or the `python` link names an interpreter that no longer exists.",
        arises="An OS upgrade or a Python manager (pyenv, uv python, Homebrew) removed the "
        "Python the venv was created from.",
        fix="`venv-doctor fix` re-points the venv (`pyvenv.cfg` and the `python` links) to an "
        "installed interpreter of the same version: the one given with `--python PATH`, else "
        "one found on PATH, never another venv's. With none installed, install that version "
        "first, or recreate the venv with `uv venv` and sync.",
    ),
    "interpreter-changed": Explanation(
        meaning="The interpreter the venv's `python` resolves to is there, but runs another "
        "Python than the venv was made for: another X.Y than `pyvenv.cfg` (`version_info` / "
        "`version`) and the `lib/pythonX.Y` folder name, or another ABI (a free-threaded "
        "`3.13t` for a `3.13` venv). It does not look in the venv's `lib/pythonX.Y/site-packages`, "
        "so none of the installed packages imports. `check` reads the version from the probe "
        "of the interpreter, or (when it cannot run) from the name of the file the `python` "
        "links end at. Reported about one distribution (its path the `.dist-info` folder): the "
        "interpreter runs on another platform or architecture than the distribution was built "
        "for; its `WHEEL` file names only platforms (`manylinux_2_17_aarch64`, "
        "`macosx_11_0_arm64`, `win_amd64`) none of which the interpreter supports, as its probe "
        "says, so its compiled modules cannot load. Pure Python wheels (`py3-none-any`) and "
        "`universal2` or `abi3` wheels for the right machine are fine.",
        arises="The venv was made from an unversioned `python3` (with `python -m venv` or "
        "`uv venv`) that a package manager later pointed at a newer Python: `brew upgrade`, "
        "`pyenv global 3.12`, a distribution upgrade. For one distribution: a project folder "
        "and its `.venv` carried (or mounted into a container) from an arm64 machine to an "
        "x86_64 one, a venv filled under Rosetta, or `uv pip install --python-platform` / "
        "`uv sync --python-platform` into the venv by mistake.",
        fix="`venv-doctor fix` re-points the venv (`pyvenv.cfg` and the `python` links) to an "
        "installed interpreter of the version it was made for: the one given with "
        "`--python PATH`, else a `pythonX.Y` found on PATH, never another venv's; every "
        "package stays, and `venv-doctor undo` takes it back. To go on with the new Python "
        "instead, `venv-doctor fix --python 3.12` moves the venv to it in place, in one "
        "transaction: the old `lib/python3.11` goes to the trash, every distribution is "
        "installed again for 3.12 (from the lockfile when there is one, else the same "
        "versions), files no distribution owns move along, and `venv-doctor undo` takes it "
        "back to 3.11. A distribution with no wheel for 3.12 that cannot be built stops the "
        "move before anything changes. Or recreate the venv: `uv sync --frozen --python 3.12` "
        "from a `uv.lock`, else `uv venv --python 3.12` and reinstall. See "
        "docs/how-to/after-a-python-upgrade.md. About one distribution, `venv-doctor fix` "
        "reinstalls it for the interpreter's platform, from the lockfile's wheel for it (else "
        "the same version from the index); `uv sync --frozen` does the same.",
    ),
    "fix-interrupted": Explanation(
        meaning="The journal of a `venv-doctor fix` (or `undo`) has no end: the process was "
        "killed or the machine lost power in the middle, so the venv is half changed. `check` "
        "reads the journal but never writes, so it only reports it.",
        arises="SIGKILL, a power loss or a crash during `venv-doctor fix`.",
        fix="Any command that changes the venv (`venv-doctor fix`, `venv-doctor undo`, "
        "`venv-doctor trash clean`) first rolls the interrupted change back from its journal and "
        "trash, then does its own work.",
    ),
    "tool-venv-broken": Explanation(
        meaning="The venv belongs to `uv tool` or pipx (it holds `uv-receipt.toml` or "
        "`pipx_metadata.json`, or lies in uv's tools folder or pipx's venvs folder), and either "
        "that file is gone or unreadable, or the venv lacks what it names: the tool's own "
        "package in the version range and with the extras it was installed with, and each "
        "`--with` (uv) or injected (pipx) package. The message names the tool, also when only "
        "its folder's name is left to tell it. To uv a tool without a receipt is not installed "
        "(`uv tool list` calls it malformed); to pipx a venv without its metadata is one it "
        "cannot reinstall as it was.",
        arises="An uninstall that stopped halfway: `uv tool uninstall` deletes the venv's entries "
        "in directory order, the receipt among the first and `pyvenv.cfg` last, then the "
        "commands on PATH, so a locked file leaves a venv without receipt, often without the "
        "tool's own dist-info, with the rest of its files; `pipx uninstall` deletes what it can "
        "and moves the rest to its trash, and where that fails too leaves a folder with neither "
        "`pipx_metadata.json` nor `pyvenv.cfg` (`check` then names it and stops with status 2). "
        "Also packages removed from the tool's venv by hand (`uv pip uninstall --python …`, "
        "`pipx runpip NAME uninstall …`).",
        fix="The tool's installer rebuilds the venv from its record, and puts the tool's "
        "commands back on PATH: the hint names the command, `uv tool install --force NAME` with "
        "the requirements, `--with` packages and Python of the receipt, or `pipx reinstall "
        "NAME`; `uv tool uninstall NAME` or `pipx uninstall NAME` removes the tool instead. "
        "`venv-doctor fix` does not repair these venvs: it exits with status 2 and that command, "
        "and changes nothing. Damage that leaves the record true (a file of the tool deleted) "
        "is repaired by `venv-doctor fix` as in any venv.",
    ),
    "cache-hardlink": Explanation(
        meaning="Information: installed files are hard links shared with uv's cache (or another "
        "venv). Editing one in place edits every copy.",
        arises="uv's default link mode on Linux and Windows (clone falls back to hardlink on "
        "ext4).",
        fix="Nothing to fix. venv-doctor never writes into an installed file in place. What it "
        "reinstalls in such a venv it links from uv's cache, as uv does, but for a file of the "
        "cache that no longer holds the wheel's bytes (edited in place through a venv): that "
        "one it writes anew from the wheel.",
    ),
    "file-in-use": Explanation(
        meaning="Information: a running process runs, has open or has mapped (a loaded `.so` "
        "or `.pyd`) files of this venv. The finding names the process, its pid and the files. "
        "Only the full check asks (not `--quick`): asking every process takes time.",
        arises="A language server (`ruff server`), a Jupyter kernel, a test run or an editor "
        "using the venv. On Windows such files cannot be deleted or replaced, which is how "
        "`uv remove` and `uv sync` fail halfway.",
        fix="Nothing to fix. Stop the process before changing the venv with uv or pip; "
        "`venv-doctor fix` moves such files aside (a rename works where a delete does not) and "
        "names the process when even that fails.",
    ),
    "unreadable": Explanation(
        meaning="A file or folder venv-doctor needed to read could not be read (permissions, "
        "I/O errors). The check reports everything else it could read.",
        arises="Permissions changed by hand, files owned by another user, a failing disk.",
        fix="Fix the permissions (or run as the venv's owner) and check again.",
    ),
    "record-malformed": Explanation(
        meaning="A RECORD file has rows that cannot be parsed (not three CSV fields, a hash that "
        "is not `algo=value`, a size that is not a number, a path that is not UTF-8). The good "
        "rows are still checked.",
        arises="A truncated write, a hand edit, or a broken tool.",
        fix="`venv-doctor fix` reinstalls the distribution, which writes a fresh RECORD.",
    ),
    "lock-missing": Explanation(
        meaning="The lockfile wants a distribution that is not installed.",
        arises="A failed `uv remove`/`uv sync`, a package removed by hand, or a lockfile changed "
        "without syncing.",
        fix="`venv-doctor fix --from uv.lock` installs it (or `uv sync`).",
    ),
    "lock-extraneous": Explanation(
        meaning="A distribution is installed that the lockfile does not want.",
        arises="A `uv remove` that failed before uninstalling, or a `pip install` by hand.",
        fix="`venv-doctor fix --from uv.lock` removes it by its RECORD.",
    ),
    "lock-version-mismatch": Explanation(
        meaning="The installed version differs from the lockfile's.",
        arises="A failed upgrade or downgrade, or a lockfile updated without syncing.",
        fix="`venv-doctor fix --from uv.lock` installs the locked version.",
    ),
    "lock-source-mismatch": Explanation(
        meaning="The installed distribution has the locked version but comes from another "
        "source: an editable where the lock has a registry wheel, another path, another git "
        "commit, or an editable project whose installed metadata no longer matches its lock "
        "entry.",
        arises="`pip install -e` over a locked package, a changed path or git source, or a "
        "project whose dependencies changed without a re-sync.",
        fix="`venv-doctor fix --from uv.lock` reinstalls it from the locked source.",
    ),
    "local-project-stale": Explanation(
        meaning="A project the lock installs from a local folder (editable or not) or a local "
        "archive has changed since it was installed, in the way uv watches: uv keeps the "
        "project's cache info in `uv_cache.json` in its dist-info (the newest change time, "
        "ctime, of `pyproject.toml`, `setup.py` and `setup.cfg`, the creation time of the "
        "`src` folder, or whatever `tool.uv.cache-keys` lists: files, globs, folders, the git "
        "commit and tags, environment variables) and rebuilds the project at the next sync "
        "when the source's info now differs in anything, or when there is no `uv_cache.json`. "
        "`uv sync --frozen --check` then says the environment is outdated, and a non-editable "
        "install still holds the code of the older source. Only projects installed from the "
        "place the lock names are compared, with the environment venv-doctor runs in (for "
        "`env` keys), as uv 0.13 compares them. With `cache-keys = []` uv records nothing and "
        "rebuilds at every sync; that is not reported.",
        arises="Anything that rewrites a key file, even with the same bytes: a `uv add` or `uv "
        "remove` that failed and put `pyproject.toml` back, an editor saving, a `git checkout` "
        "or `chmod` of the file, a copied or restored project (every change time and creation "
        "time is new). Also a `src` folder removed and created again, a new git commit or tag "
        "when the cache keys watch them, and a `cache-keys` setting uv cannot parse (then uv "
        "cannot tell, and rebuilds at every sync).",
        fix="`venv-doctor fix --from uv.lock` rebuilds the project from its source, as `uv sync` "
        "would, and writes the `uv_cache.json` uv computes, after the install, so that uv has "
        "nothing left to do. Rewriting only `uv_cache.json` would certify a build made from an "
        "older source as current. A `cache-keys` setting uv cannot parse must be corrected by "
        "hand.",
    ),
    "uv-cache-info-invalid": Explanation(
        meaning="A `*.dist-info` folder holds a `uv_cache.json` that is not the JSON uv expects. "
        "uv reads that file in every dist-info when it lists a venv, so `uv sync`, `uv sync "
        '--check` and `uv pip list` all fail with "Failed to read metadata".',
        arises="A write cut short (a full disk, a killed installer) or a hand edit.",
        fix="`venv-doctor fix` reinstalls the distribution (a local project is rebuilt), which "
        "writes the file anew. By hand: delete the file (uv then rebuilds a local project at its "
        "next sync).",
    ),
    "dependency-unsatisfied": Explanation(
        meaning="An installed distribution's `Requires-Dist` (with extras and markers evaluated "
        "for this venv's interpreter) is missing or out of range: what `pip check` reports.",
        arises="A half-removed dependency, a manual install or uninstall.",
        fix="`venv-doctor fix --from uv.lock` when the lock wants the dependency; otherwise "
        "install it (`uv pip install`).",
    ),
}


def explain_text(code: str | None) -> str:
    """What ``venv-doctor explain`` prints: one code, or the list of all."""
    from venv_doctor.errors import UsageError

    if code is None:
        width = max(map(len, CODES))
        return "\n".join(
            f"{c:{width}}  {i.severity.value:7}  {i.summary}" for c, i in CODES.items()
        )
    info = CODES.get(code)
    if info is None:
        raise UsageError(f"unknown finding code {code}", hint="venv-doctor explain lists them")
    text = EXPLANATIONS[code]
    return (
        f"{code} ({info.severity.value}): {info.summary}\n\n"
        f"What it means. {text.meaning}\n\n"
        f"How it arises. {text.arises}\n\n"
        f"How it gets fixed. {text.fix}"
    )


def render_markdown() -> str:
    """The docs page listing every code, in registry order."""
    lines = [
        "# Finding codes",
        "",
        "<!-- Generated from src/venv_doctor/diagnose/explanations.py; tests keep it in sync. -->",
        "",
        "Every finding has a stable code. Select or ignore codes with `--select` and `--ignore`"
        " (comma lists), or in `[tool.venv-doctor]`. Findings of severity `error` or `warning`"
        " make `check` exit with status 1; `info` findings never change the exit status.",
        "",
        "| code | severity | summary |",
        "| --- | --- | --- |",
    ]
    lines += [f"| [`{c}`](#{c}) | {i.severity.value} | {i.summary} |" for c, i in CODES.items()]
    for code, info in CODES.items():
        text = EXPLANATIONS[code]
        lines += [
            "",
            f"## {code}",
            "",
            f"Severity: **{info.severity.value}**. {info.summary}",
            "",
            f"**What it means.** {text.meaning}",
            "",
            f"**How it arises.** {text.arises}",
            "",
            f"**How it gets fixed.** {text.fix}",
        ]
    return "\n".join(lines) + "\n"
