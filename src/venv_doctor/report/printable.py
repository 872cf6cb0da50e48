"""Output that is valid UTF-8 whatever bytes the venv holds.

File names that are not UTF-8 reach us through ``os.fsdecode`` as lone
surrogates, and so do METADATA fields, RECORD paths and entry points read
with ``surrogateescape``: written as they are, they make invalid UTF-8 (and
invalid JSON), or an encoding error.  Every report passes its text through
here: such bytes are spelt ``\\xNN``, and a finding that holds one says so.
"""

from __future__ import annotations

import dataclasses
import re

from venv_doctor.diagnose.findings import Finding
from venv_doctor.words import NOT_UTF8, printable

_SURROGATE = re.compile("[\ud800-\udfff]")


def shown(finding: Finding) -> Finding:
    """``finding`` as a report shows it: undecodable bytes escaped, and its message saying so."""
    # The common case, cheap on the tens of thousands of findings of a big venv.
    if (
        finding.message.isascii()
        and (finding.path is None or finding.path.isascii())
        and (finding.package is None or finding.package.isascii())
        and (finding.version is None or finding.version.isascii())
        and (finding.hint is None or finding.hint.isascii())
    ):
        return finding
    escaped = dataclasses.replace(
        finding,
        package=_printable(finding.package),
        version=_printable(finding.version),
        path=_printable(finding.path),
        message=printable(finding.message),
        hint=_printable(finding.hint),
    )
    if escaped == finding:
        return finding
    return dataclasses.replace(escaped, message=f"{escaped.message} ({NOT_UTF8})")


def _printable(text: str | None) -> str | None:
    return None if text is None else printable(text)


def json_printable(text: str) -> str:
    """JSON text with each lone surrogate in its strings spelt as ``printable`` spells it.

    Lone surrogates only ever stand inside JSON strings, where the backslash
    of ``\\xNN`` is itself escaped; one pass over the text, not over the data.
    """
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(lambda match: printable(match.group()).replace("\\", "\\\\"), text)
