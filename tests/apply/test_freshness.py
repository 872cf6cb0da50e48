"""The RECORD row of the uv_cache.json fix writes after an install."""

from __future__ import annotations

from venv_doctor.apply.freshness import with_record_row

RECORD = (
    "app/__init__.py,sha256=abc,10\n"
    "app-0.1.dist-info/METADATA,sha256=def,20\n"
    "app-0.1.dist-info/RECORD,,\n"
)


def test_the_row_goes_before_records_own_row() -> None:
    text = with_record_row(RECORD, "app-0.1.dist-info/uv_cache.json", "sha256=xyz", 194)
    assert text.splitlines() == [
        "app/__init__.py,sha256=abc,10",
        "app-0.1.dist-info/METADATA,sha256=def,20",
        "app-0.1.dist-info/uv_cache.json,sha256=xyz,194",
        "app-0.1.dist-info/RECORD,,",
    ]


def test_an_old_row_for_it_is_replaced() -> None:
    once = with_record_row(RECORD, "app-0.1.dist-info/uv_cache.json", "sha256=old", 1)
    twice = with_record_row(once, "app-0.1.dist-info/uv_cache.json", "sha256=new", 2)
    assert twice == with_record_row(RECORD, "app-0.1.dist-info/uv_cache.json", "sha256=new", 2)
