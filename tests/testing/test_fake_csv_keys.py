"""The CSV key format of imports and exports: what one writes, the other reads back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ld_segments_async.testing.csv_keys import KeyParser, csv_chunks, encode_line
from ld_segments_async.testing.replies import ApiError

# A leading byte-order mark is dropped from a file, so no first key may start with one.
keys = st.text(min_size=1, max_size=40).filter(lambda key: not key.startswith("\ufeff"))


def parse(data: bytes, cut_points: list[int]) -> list[str]:
    parser = KeyParser()
    found: list[str] = []
    start = 0
    for cut in sorted({min(cut, len(data)) for cut in cut_points}):
        found += parser.feed(data[start:cut])
        start = cut
    found += parser.feed(data[start:])
    return found + parser.close()


@settings(database=None)
@given(st.lists(keys, max_size=30), st.lists(st.integers(min_value=0, max_value=2000), max_size=8))
def test_written_keys_read_back_in_any_chunking(written: list[str], cuts: list[int]) -> None:
    data = b"".join(csv_chunks(written, chunk_size=7))
    assert data == b"".join(encode_line(key) for key in written)
    assert parse(data, cuts) == written


@pytest.mark.parametrize(
    ("key", "line"),
    [
        ("plain", b"plain\n"),
        ("a,b", b'"a,b"\n'),
        ('say "hi"', b'"say ""hi"""\n'),
        ("two\nlines", b'"two\nlines"\n'),
        ("café", "café\n".encode()),
    ],
)
def test_quoting_only_when_needed(key: str, line: bytes) -> None:
    assert encode_line(key) == line


def test_header_less_first_column_with_extras() -> None:
    assert parse(b"k1,extra,more\r\nk2\r\n\r\n\n   \nk3", [3, 9]) == ["k1", "k2", "   ", "k3"]


def test_long_lines_are_refused_without_quadratic_copies() -> None:
    parser = KeyParser()
    for _ in range(16):
        assert parser.feed(b"x" * 4096) == []
    with pytest.raises(ApiError) as raised:
        parser.feed(b"x")
    assert raised.value.status == 400
