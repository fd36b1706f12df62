"""The reconcile's pieces on their own: the flat-memory difference (forced to spill to
disk at tiny sizes), the packing of changes into requests, and spooled import files read
back. The sizes that matter are measured in ``benchmarks/bench_sync.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ld_segments_async import _upload
from ld_segments_async.reconcile import diff as diff_module
from ld_segments_async.reconcile.diff import KeyDiff, KeyList
from ld_segments_async.reconcile.plan import Run, pack, request_count

# Keys are UTF-8 on both sides: checked before any write, decoded strictly from exports.
KEY = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), min_size=1, max_size=6)
KEYS = st.lists(KEY.filter(str.strip))


async def each(keys: list[str]) -> AsyncIterator[str]:
    for key in keys:
        yield key


async def difference(wanted: list[str], present: list[str]) -> KeyDiff:
    diff = KeyDiff()
    await diff.read_wanted(wanted)
    await diff.read_present(each(present))
    await diff.compare()
    return diff


async def collected(keys: KeyList) -> list[str]:
    return [key async for chunk in keys.chunks() for key in chunk]


@pytest.mark.parametrize("flush_at", [3, diff_module.FLUSH_AT])
@settings(max_examples=25, deadline=None)
@given(wanted=KEYS, present=KEYS)
async def test_the_difference_is_set_algebra_in_memory_or_spilled(
    flush_at: int, wanted: list[str], present: list[str]
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(diff_module, "FLUSH_AT", flush_at)
        with await difference(wanted, present) as diff:
            assert sorted(await collected(diff.added)) == sorted(set(wanted) - set(present))
            assert sorted(await collected(diff.removed)) == sorted(set(present) - set(wanted))
            assert diff.unchanged == len(set(wanted) & set(present))
            assert diff.distinct_wanted == len(set(wanted))
            distinct = [key async for key in diff.distinct_wanted_keys()]
            assert sorted(distinct) == sorted(set(wanted))
            if flush_at == 3 and len(wanted) > 3:
                assert diff.wanted.spilled


def _runs(removed: int, added: int, add_cost: int) -> tuple[Run, Run]:
    gone, new = KeyList(), KeyList()
    gone.extend([f"r{i}" for i in range(removed)])
    new.extend([f"a{i}" for i in range(added)])
    return Run("remove", gone), Run("add", new, add_cost)


@settings(max_examples=60, deadline=None)
@given(
    removed=st.integers(0, 40),
    added=st.integers(0, 40),
    add_cost=st.integers(1, 3),
    size=st.integers(3, 12),
)
async def test_requests_are_full_and_counted_before_they_are_sent(
    removed: int, added: int, add_cost: int, size: int
) -> None:
    runs = _runs(removed, added, add_cost)
    batches = [batch async for batch in pack(runs, size)]
    assert len(batches) == request_count(runs, size)
    assert all(0 < batch.operations <= size for batch in batches)
    assert sum(len(b.remove) for b in batches) == removed
    assert sum(len(b.add) for b in batches) == added
    if add_cost == 1:  # every request full but the last: ceil(changes / size)
        assert len(batches) == -(-(removed + added) // size)


async def test_spooled_import_files_read_back_their_keys() -> None:
    odd = ["plain", "a,b", 'say "hi"', '"', "ünï", "x" * 300_000, ",", "tail"]
    files = await _upload.prepare_files(each(odd * 3))
    try:
        (csv_file,) = files
        assert [key async for key in csv_file.read_keys()] == odd * 3
    finally:
        for csv_file in files:
            csv_file.close()
