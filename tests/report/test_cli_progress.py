"""The progress bar ``check`` shows on a terminal while it hashes."""

from __future__ import annotations

import threading
from io import StringIO

from rich.console import Console

from venv_doctor.report.progress import RichHashProgress


def test_the_bar_counts_bytes_from_several_threads_and_goes_away() -> None:
    out = StringIO()
    progress = RichHashProgress(Console(file=out, force_terminal=True, width=100))
    progress.start(4_000_000)
    threads = [
        threading.Thread(target=lambda: [progress.advance(1000) for _ in range(1000)])
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    progress.stop()
    shown = out.getvalue()
    assert "hashing" in shown
    assert "MB" in shown
    # transient: the last thing written erases the bar's line
    assert shown.rstrip().endswith("\x1b[2K") or "\x1b[2K" in shown[-40:]


def test_stop_without_start_writes_nothing() -> None:
    out = StringIO()
    RichHashProgress(Console(file=out, force_terminal=True)).stop()
    assert out.getvalue() == ""
