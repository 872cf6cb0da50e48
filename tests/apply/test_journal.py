"""Journal records, and parsing journal bytes as a crash may have left them."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from venv_doctor.apply.journal import JournalWriter, encode_record, new_txn_id
from venv_doctor.read.journal import (
    Begin,
    Cleaned,
    Commit,
    Create,
    JournalError,
    Mkdir,
    Move,
    Record,
    Replace,
    RolledBack,
    Undone,
    Written,
    ended,
    parse_journal,
    read_journal,
    read_open_journals,
    txn_number,
)

BEGIN = Begin(txn="00001-20250101T000000Z", time="t", description="fix", plan={"a": [1, None]})
STEPS: tuple[Record, ...] = (
    Mkdir(seq=1, path="lib/new"),
    Move(seq=2, path="lib/\udcff-undecodable.py", trash="00001-20250101T000000Z/lib/x"),
    Create(seq=3, path="bin/link", temp="bin/.tmp-3", link="../target"),
    Replace(seq=4, path="lib/a.py", trash="00001-20250101T000000Z/lib/a.py", temp="lib/.tmp-4"),
    Written(seq=4, hash="sha256:00"),
)


def journal(*records: Record) -> bytes:
    return b"".join(encode_record(record) for record in records)


def test_records_round_trip() -> None:
    parsed = parse_journal(journal(BEGIN, *STEPS, Commit(time="t")))
    assert parsed.records == (BEGIN, *STEPS, Commit(time="t"))
    assert parsed.state == "committed"
    assert not parsed.torn
    assert parsed.steps == STEPS[:4]
    assert parsed.written() == {4: "sha256:00"}


@pytest.mark.parametrize(
    ("records", "state"),
    [
        pytest.param((), "empty", id="nothing"),
        pytest.param((BEGIN,), "unfinished", id="begun"),
        pytest.param((BEGIN, *STEPS, Undone(seq=4)), "unfinished", id="rollback-cut-short"),
        pytest.param((BEGIN, *STEPS, RolledBack(time="t")), "rolled-back", id="rolled-back"),
        pytest.param(
            (BEGIN, Commit(time="t"), RolledBack(time="t")), "rolled-back", id="commit-not-synced"
        ),
    ],
)
def test_state(records: tuple[Record, ...], state: str) -> None:
    assert parse_journal(journal(*records)).state == state


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(b'{"op":"mkdir","se', id="cut-mid-line"),
        pytest.param(b'{"op":"mkdir","seq":9,"path":"x"}', id="no-newline-yet"),
        pytest.param(b"\x00\x00\x00\x00", id="zeros"),
        pytest.param(b'{"op":"mk\n', id="garbage-line"),
    ],
)
def test_torn_last_line_is_dropped(tail: bytes) -> None:
    good = journal(BEGIN, *STEPS)
    parsed = parse_journal(good + tail)
    assert parsed.torn
    assert parsed.valid_bytes == len(good)
    assert parsed.records == (BEGIN, *STEPS)


def test_torn_begin_is_an_empty_journal() -> None:
    parsed = parse_journal(encode_record(BEGIN)[:10])
    assert parsed.state == "empty"
    assert parsed.valid_bytes == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(journal(BEGIN) + b"nonsense\n" + journal(Undone(seq=1)), "line 2", id="mid"),
        pytest.param(journal(Mkdir(seq=1, path="x"), BEGIN), "must come first", id="no-begin"),
        pytest.param(journal(BEGIN, BEGIN), "must come first", id="two-begins"),
        pytest.param(
            journal(BEGIN) + b'{"op":"launch","seq":2}\n' + journal(Undone(seq=1)),
            "unknown record",
            id="unknown-op",
        ),
        pytest.param(
            journal(BEGIN) + b'{"op":"mkdir","seq":"2","path":"x"}\n' + journal(Undone(seq=1)),
            "seq must be an integer",
            id="bad-type",
        ),
        pytest.param(
            b'{"op":"begin","txn":"x","time":"t","description":"d","v":2}\n'
            + journal(Undone(seq=1)),
            "newer",
            id="newer-schema",
        ),
    ],
)
def test_damage_inside_the_journal_is_an_error(data: bytes, message: str) -> None:
    with pytest.raises(JournalError, match=message):
        parse_journal(data)


def test_txn_ids_keep_growing() -> None:
    now = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    first = new_txn_id([], now)
    assert first == "00001-20250304T050607Z"
    later = new_txn_id([first, "00041-20200101T000000Z", "junk"], now)
    assert later == "00042-20250304T050607Z"
    assert txn_number(later) == 42
    assert txn_number("junk") == -1


def test_writer_resumes_after_a_torn_line(tmp_path: Path) -> None:
    writer = JournalWriter.create(tmp_path, BEGIN)
    writer.append(Mkdir(seq=1, path="a"))
    writer.close()
    path = tmp_path / ".venv-doctor" / "journal" / f"{BEGIN.txn}.jsonl"
    with open(path, "ab") as handle:
        handle.write(b'{"op":"mkd')
    torn = read_journal(tmp_path, BEGIN.txn)
    assert torn.parsed.torn
    writer = JournalWriter.resume(torn)
    writer.append(RolledBack(time="t"))
    writer.close()
    again = read_journal(tmp_path, BEGIN.txn).parsed
    assert not again.torn
    assert again.records == (BEGIN, Mkdir(seq=1, path="a"), RolledBack(time="t"))


def test_a_journal_changed_since_it_was_read_is_read_again(tmp_path: Path) -> None:
    writer = JournalWriter.create(tmp_path, BEGIN)
    writer.append(Commit(time="1"))
    writer.close()
    first = read_journal(tmp_path, BEGIN.txn).parsed
    assert read_journal(tmp_path, BEGIN.txn).parsed is first  # unchanged: parsed once
    path = tmp_path / ".venv-doctor" / "journal" / f"{BEGIN.txn}.jsonl"
    other = tmp_path / "other.jsonl"  # another file in its place
    other.write_bytes(journal(BEGIN, RolledBack(time="1")))
    other.replace(path)
    assert read_journal(tmp_path, BEGIN.txn).parsed.state == "rolled-back"
    writer = JournalWriter.resume(read_journal(tmp_path, BEGIN.txn))
    writer.append(Undone(seq=1))
    writer.close()
    assert read_journal(tmp_path, BEGIN.txn).parsed.records[-1] == Undone(seq=1)


def put_journal(root: Path, txn: str, data: bytes) -> Path:
    path = root / ".venv-doctor" / "journal" / f"{txn}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def begin(txn: str) -> Begin:
    return Begin(txn=txn, time="t", description="fix", plan={})


@pytest.mark.parametrize(
    ("tail", "ended_here"),
    [
        pytest.param(encode_record(Commit(time="t")), True, id="committed"),
        pytest.param(encode_record(RolledBack(time="t")), True, id="rolled-back"),
        pytest.param(
            encode_record(Commit(time="t")) + encode_record(Cleaned(time="t")), True, id="cleaned"
        ),
        pytest.param(encode_record(Mkdir(seq=1, path="a")), False, id="unfinished"),
        pytest.param(encode_record(Commit(time="t"))[:-1], False, id="commit-without-newline"),
        pytest.param(b'{"op":"commit","ti', False, id="torn-commit"),
        pytest.param(b"", False, id="begin-only"),
    ],
)
def test_ended_reads_the_last_line(tmp_path: Path, tail: bytes, ended_here: bool) -> None:
    long_steps = b"".join(
        encode_record(Mkdir(seq=n, path="x" * 300 + str(n))) for n in range(1, 40)
    )
    path = put_journal(tmp_path, BEGIN.txn, journal(BEGIN) + long_steps + tail)
    assert ended(path) is ended_here


def test_read_open_journals_passes_over_the_ended_ones(tmp_path: Path) -> None:
    done, rolled, open_, empty = (f"0000{n}-20250101T000000Z" for n in range(1, 5))
    put_journal(tmp_path, done, journal(begin(done), Commit(time="t")))
    put_journal(tmp_path, rolled, journal(begin(rolled), RolledBack(time="t")))
    put_journal(tmp_path, open_, journal(begin(open_), Mkdir(seq=1, path="a")))
    put_journal(tmp_path, empty, b"")
    found = {j.txn: j.parsed.state for j in read_open_journals(tmp_path)}
    assert found == {open_: "unfinished", empty: "empty"}
