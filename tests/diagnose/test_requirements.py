"""dependency-unsatisfied: a requirement for an extra counts only when that extra is asked for."""

from __future__ import annotations

import pytest

from tests.diagnose.test_lock import ENV, dist
from venv_doctor.diagnose.requirements import dependency_findings


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("e; extra == 'Fast.Io'", id="single-quotes"),
        pytest.param('e ; extra == "fast_io"', id="double-quotes"),
        pytest.param("e;extra=='FAST-IO'", id="no-spaces"),
        pytest.param('e ; extra == "fast-io" ', id="trailing-space"),
        pytest.param("e ; extra == 'fast-io' and python_version >= '3'", id="and-a-marker"),
        pytest.param("e ; 'fast-io' == extra", id="reversed"),
    ],
)
def test_a_requirement_for_an_extra_counts_when_another_asks_for_that_extra(line: str) -> None:
    alone = [dist("d", requires=(line, "f; extra == 'other'"))]
    assert dependency_findings(alone, ENV) == []
    asked = [*alone, dist("a", requires=("d[fast-io]",))]
    (found,) = dependency_findings(asked, ENV)
    assert found.package == "d"
    assert found.message.startswith("d 1.0 requires e;")
    assert found.message.endswith("(for its extra 'fast-io'), which is not installed")


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("e; extra == ''", id="empty-extra"),
        pytest.param("e; extra == 'x' or python_version >= '3'", id="or-a-marker"),
        pytest.param("e; python_version >= '3'", id="no-extra"),
    ],
)
def test_a_marker_that_holds_without_an_extra_counts_without_one(line: str) -> None:
    (found,) = dependency_findings([dist("d", requires=(line,))], ENV)
    assert "which is not installed" in found.message
