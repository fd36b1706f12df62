"""Issue 4 (b): decode a segment with 15,000 included keys, bytes -> model.

Ours (the client's own path: msgspec's JSON decoder, then the converter) against the
official client's (``json.loads``, then its pydantic ``UserSegment.from_dict``, as its
``ApiClient.deserialize`` does), with ``json.loads`` and msgspec's decoder alone for
reference. Interleaved rounds: ratios of the best times (contention only ever adds
time), and the median of ratios taken within a round (where contention is shared).

    python benchmarks/bench_decode.py [--keys 15000] [--instructions]

``--instructions`` also counts each decoder's instructions per decode with valgrind
(callgrind): a figure the load of a shared machine cannot move.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from report import append, instructions, table

from ld_segments_async._json import loads
from ld_segments_async.converter import converter
from ld_segments_async.models import UserSegment


def segment_json(keys: int) -> bytes:
    segment = {
        "name": "Big list",
        "description": "15,000 keys, the largest list-based segment that is not a big segment",
        "tags": ["beta", "mobile"],
        "creationDate": 1737936000000,
        "lastModifiedDate": 1737936000000,
        "key": "big-list",
        "included": [f"user-{n:08d}" for n in range(keys)],
        "excluded": [],
        "includedContexts": [{"contextKind": "org", "values": ["acme", "initech"]}],
        "excludedContexts": [],
        "_links": {
            "parent": {"href": "/api/v2/segments/p/e", "type": "application/json"},
            "self": {"href": "/api/v2/segments/p/e/big-list", "type": "application/json"},
        },
        "rules": [
            {
                "_id": "7f7b6b0a-0000-4000-8000-000000000001",
                "clauses": [
                    {
                        "_id": "7f7b6b0a-0000-4000-8000-000000000002",
                        "attribute": "email",
                        "op": "endsWith",
                        "values": [".edu"],
                        "negate": False,
                        "contextKind": "user",
                    }
                ],
            }
        ],
        "version": 7,
        "deleted": False,
        "generation": 1,
        "_flags": [],
    }
    return json.dumps(segment).encode()


def rounds_of(
    decoders: dict[str, Callable[[], object]], repeats: int, number: int
) -> dict[str, list[float]]:
    """µs per decode of each decoder in each round; a round runs them all back to back,
    so a ratio within one round compares like with like on a noisy machine."""
    rounds: dict[str, list[float]] = {name: [] for name in decoders}
    for _ in range(repeats):
        for name, decode in decoders.items():
            started = time.perf_counter()
            for _ in range(number):
                decode()
            rounds[name].append((time.perf_counter() - started) / number * 1e6)
    return rounds


OURS = "ld_segments_async"
OFFICIAL = "launchdarkly_api (ApiClient.deserialize)"


def decoders_of(body: bytes, only: str | None = None) -> dict[str, Callable[[], object]]:
    """Every decoder, or ``only`` the one named (a child under valgrind: importing the
    official client there takes minutes)."""
    import msgspec
    import orjson

    decoders: dict[str, Callable[[], object]] = {
        "json.loads alone": lambda: json.loads(body),
        "orjson.loads alone": lambda: orjson.loads(body),
        "msgspec decode alone": lambda: msgspec.json.decode(body),
        OURS: lambda: converter.structure(loads(body), UserSegment),
    }
    if only in (None, OFFICIAL):
        import launchdarkly_api

        api_client = launchdarkly_api.ApiClient()
        official = api_client.deserialize(body.decode(), "UserSegment", "application/json")
        assert converter.structure(loads(body), UserSegment).included == official.included
        decoders[OFFICIAL] = lambda: api_client.deserialize(
            body.decode(), "UserSegment", "application/json"
        )
    return decoders if only is None else {only: decoders[only]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=15_000)
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--number", type=int, default=20)
    parser.add_argument("--instructions", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--count", type=int)
    args = parser.parse_args()
    body = segment_json(args.keys)
    decoders = decoders_of(body, args.child)
    if args.child:
        for _ in range(args.count):
            decoders[args.child]()
        return
    rounds = rounds_of(decoders, args.repeats, args.number)
    ours = rounds[OURS]
    counts = {
        name: instructions([__file__, "--keys", str(args.keys), "--child", name], 5, 25)
        if args.instructions
        else None
        for name in decoders
    }
    rows = [
        (
            name,
            f"{min(times):.0f}",
            f"{min(ours) / min(times):.2f}",
            f"{statistics.median(o / t for o, t in zip(ours, times, strict=True)):.2f}",
            "-" if counts[name] is None else f"{counts[name] / 1e6:.2f}",  # type: ignore[operator]
            "-" if counts[name] is None else f"{counts[OURS] / counts[name]:.2f}",  # type: ignore[operator]
        )
        for name, times in rounds.items()
    ]
    append(
        f"Decode one segment with {args.keys:,} included keys ({len(body) / 1e6:.2f} MB)",
        table(
            [
                "decoder",
                "µs per decode (best)",
                "ours / this (bests)",
                "(median of rounds)",
                "M instructions per decode",
                "ours / this (instructions)",
            ],
            rows,
        )
        + f"\n\nBytes to model, {args.repeats} interleaved rounds of {args.number} decodes"
        " each: the ratio of the best times, and the median of the ratios within a round."
        " Instructions: callgrind, 25 decodes less 5, over 20. Targets: ours at most 0.5x"
        " the official client, at most 1.3x orjson.loads of the same bytes.",
    )


if __name__ == "__main__":
    main()
