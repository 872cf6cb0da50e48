import pytest

from venv_doctor.diagnose.findings import CODES, Severity, parse_code_list
from venv_doctor.errors import UsageError

ISSUED_CODES = {
    "file-missing",
    "file-modified",
    "dangling-symlink",
    "dist-info-incomplete",
    "duplicate-distribution",
    "orphan-file",
    "stash-leftover",
    "record-unsafe-path",
    "script-stale-shebang",
    "editable-target-missing",
    "interpreter-missing",
    "cache-hardlink",
    "lock-missing",
    "lock-extraneous",
    "lock-version-mismatch",
    "lock-source-mismatch",
    "dependency-unsatisfied",
}


def test_public_codes_are_registered():
    assert CODES.keys() >= ISSUED_CODES
    assert CODES["cache-hardlink"].severity is Severity.INFO


def test_parse_code_list():
    assert parse_code_list("file-missing, orphan-file") == {"file-missing", "orphan-file"}
    assert parse_code_list("ALL") == CODES.keys()
    assert parse_code_list(None) == frozenset()
    with pytest.raises(UsageError, match="unknown finding code file-mising"):
        parse_code_list("file-mising")
