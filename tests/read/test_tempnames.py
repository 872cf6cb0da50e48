"""The names uv and pip give what they write or move aside for a moment."""

from __future__ import annotations

import pytest

from venv_doctor.read.tempnames import (
    PIP_STASH,
    PIP_TEMP,
    UV_DATA,
    UV_TEMP,
    is_pip_stash_of,
    pip_meta_target,
    temp_kind,
)


@pytest.mark.parametrize(
    ("name", "is_dir", "at_top", "kind"),
    [
        pytest.param(".tmpsTAEdw", False, False, UV_TEMP, id="uv-file"),
        pytest.param(".tmp9kgftE", True, False, UV_TEMP, id="uv-folder"),
        pytest.param("~umpy", True, True, PIP_STASH, id="pip-stash"),
        pytest.param("~umpy-2.3.5.dist-info", True, True, PIP_STASH, id="pip-stashed-metadata"),
        pytest.param("RECORDvasyrjl3.tmp", False, False, PIP_TEMP, id="pip-record"),
        pytest.param("INSTALLERw6j_i2ai.tmp", False, False, PIP_TEMP, id="pip-installer"),
        pytest.param("direct_url.jsoneqcf77e_.tmp", False, False, PIP_TEMP, id="pip-direct-url"),
        pytest.param("pip-uninstall-ab_d12yz", True, True, PIP_TEMP, id="pip-temp-folder"),
        pytest.param("pip-build-env-abcd1234", True, True, PIP_TEMP, id="pip-build-env"),
        pytest.param("lodata-1.0.data", True, True, UV_DATA, id="uv-data"),
        # Not temporary names.
        pytest.param("lodata-1.0.data", True, False, None, id="data-below-the-top"),
        pytest.param("pip-audit-fixtures", True, False, None, id="pip-like-below-the-top"),
        pytest.param(".tmp", False, False, None, id="too-short"),
        pytest.param(".tmpABCDEFG", False, False, None, id="too-long"),
        pytest.param(".tmp_bcdef", False, False, None, id="not-alphanumeric"),
        pytest.param("RECORD", False, False, None, id="record"),
        pytest.param("RECORDABCDEFGH.tmp", False, False, None, id="upper-case-random"),
        pytest.param("notes.tmp", False, False, None, id="some-tmp-file"),
        pytest.param("pip-uninstall-abcd1234", False, True, None, id="a-file-named-like-a-folder"),
        pytest.param("pipx", True, False, None, id="pipx"),
        pytest.param("numpy", True, True, None, id="package"),
    ],
)
def test_temp_kind(name: str, is_dir: bool, at_top: bool, kind: str | None) -> None:
    assert temp_kind(name, is_dir=is_dir, at_top=at_top) == kind


def test_pip_meta_target() -> None:
    assert pip_meta_target("RECORDvasyrjl3.tmp") == "RECORD"
    assert pip_meta_target("direct_url.jsoneqcf77e_.tmp") == "direct_url.json"
    assert pip_meta_target("RECORD") is None


@pytest.mark.parametrize(
    ("stash", "original"),
    [
        # The names pip tries, in order, as its AdjacentTempDirectory makes them.
        ("~umpy", "numpy"),
        ("~-mpy", "numpy"),
        ("~~mpy", "numpy"),
        ("~=mpy", "numpy"),
        ("~9mpy", "numpy"),
        ("~--py", "numpy"),
        ("~%9py", "numpy"),
        ("~-~.y", "numpy"),
        ("~numpy", "numpy"),
        ("~--numpy", "numpy"),
        ("~umpy-2.3.5.dist-info", "numpy-2.3.5.dist-info"),
        ("~umpy.libs", "numpy.libs"),
        ("~harset_normalizer", "charset_normalizer"),
        ("~b", "ab"),
    ],
)
def test_pip_stash_names(stash: str, original: str) -> None:
    assert is_pip_stash_of(stash, original)


@pytest.mark.parametrize(
    ("stash", "original"),
    [
        ("~olars", "polarslike"),
        ("~x", "numpy"),
        ("~ympy", "numpy"),
        ("~-~.=", "numpy"),
        ("numpy", "numpy"),
        ("~umpy", "~umpy"),
        ("~abcdefghijklmnopnumpy", "numpy"),
    ],
)
def test_not_pip_stash_names(stash: str, original: str) -> None:
    assert not is_pip_stash_of(stash, original)
