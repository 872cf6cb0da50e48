from pathlib import Path

import pytest

from venv_doctor.diagnose.explanations import EXPLANATIONS, explain_text, render_markdown
from venv_doctor.diagnose.findings import CODES
from venv_doctor.errors import UsageError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reference" / "findings.md"


def test_every_code_is_explained():
    assert EXPLANATIONS.keys() == CODES.keys()


def test_docs_page_is_generated_from_the_explanations():
    # Regenerate with:
    #   python -c "from venv_doctor.diagnose.explanations import render_markdown as r;
    #   open('docs/reference/findings.md', 'w').write(r())"
    assert DOCS.read_text() == render_markdown()


def test_explain_text():
    text = explain_text("dist-info-incomplete")
    assert text.startswith("dist-info-incomplete (error)")
    assert EXPLANATIONS["dist-info-incomplete"].arises in text
    assert "cache-hardlink" in explain_text(None)
    with pytest.raises(UsageError):
        explain_text("nope")
