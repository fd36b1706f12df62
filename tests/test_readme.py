"""README snippets run as written, against the fake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from settings import API_KEY, ENV, PROJECT

from ld_segments_async.testing import FakeLaunchDarkly

README = Path(__file__).parent.parent / "README.md"


def snippet(section: str) -> str:
    """The first python block after the heading ``section``."""
    text = README.read_text()
    found = re.search(rf"^## {re.escape(section)}\n.*?```python\n(.*?)```", text, re.S | re.M)
    assert found is not None, section
    return found.group(1)


async def test_walking_every_segment_runs_as_written(
    fake: FakeLaunchDarkly, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LD_API_KEY", API_KEY)
    monkeypatch.setenv("LD_BASE_URL", fake.url)
    for n in range(60):
        fake.add_segment(PROJECT, ENV, f"seg-{n:02d}", tags=["beta"] if n % 2 else [])
    code = snippet("Walking every segment")
    assert code.rstrip().endswith("asyncio.run(main())")
    namespace: dict[str, object] = {}
    exec(code.rstrip().removesuffix("asyncio.run(main())"), namespace)  # noqa: S102

    await namespace["main"]()  # type: ignore[operator]

    lines = capsys.readouterr().out.splitlines()
    assert lines[:30] == [f"seg-{n:02d}" for n in range(1, 60, 2)]
    assert lines[30:] == ["50 new segments; 60 in all", "10 new segments; 60 in all"]
