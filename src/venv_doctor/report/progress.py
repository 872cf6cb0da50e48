"""Progress bars on a rich console (stderr): hashing during ``check``, downloads during ``fix``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from venv_doctor.apply.fetch import DownloadProgress


class RichHashProgress:
    """A transient progress bar on a rich console (stderr) while ``check`` hashes files."""

    # Files are counted as they finish, tens of thousands of them: the bar is
    # updated each time another 1/_STEPS of the bytes is done, not per file.
    _STEPS = 200

    def __init__(self, console: Any) -> None:
        self._console = console
        self._bar: Any = None
        self._task: Any = None
        self._done = self._shown = 0
        self._step = 1

    def start(self, total: int) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._bar = Progress(
            TextColumn("hashing"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self._console,
            transient=True,
        )
        self._task = self._bar.add_task("hashing", total=total)
        self._done = self._shown = 0
        self._step = max(total // self._STEPS, 1)
        self._bar.start()

    def advance(self, size: int) -> None:
        # Called from several threads: a lost addition only shows as a lag.
        self._done += size
        if self._done - self._shown >= self._step and self._bar is not None:
            self._shown = self._done
            self._bar.update(self._task, completed=self._done)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


class RichDownloadProgress:
    """A progress bar on a rich console (stderr) for downloads, one row per file."""

    def __init__(self, console: Any) -> None:
        from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

        self._bar = Progress(
            *Progress.get_default_columns(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, Any] = {}

    def __call__(self, event: DownloadProgress) -> None:
        task = self._tasks.get(event.url)
        if task is None:
            if not self._tasks:
                self._bar.start()
            task = self._tasks[event.url] = self._bar.add_task(event.filename, total=event.total)
        self._bar.update(task, completed=event.done, total=event.total)

    def close(self) -> None:
        if self._tasks:
            self._bar.stop()
            self._tasks.clear()
