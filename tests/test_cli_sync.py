"""``ld-segments sync``: per environment, only what differs is sent; a dry run and a
second run send no write; the source environment is read once; a failure part-way says
what was applied. In-process runs against one fake served from a thread."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Ran, ThreadedFake, run_main
from settings import API_KEY

from ld_segments_async import reconcile
from ld_segments_async.cli.parser import MAX_TARGET_OPERATIONS
from ld_segments_async.instructions import MAX_TARGET_OPERATIONS as LIBRARY_LIMIT
from ld_segments_async.testing import Fault

ENVS = ["production", "staging", "qa"]
WRITES = ("POST", "PATCH")


@pytest.fixture(scope="module")
def served() -> Iterator[ThreadedFake]:
    with ThreadedFake(api_key=API_KEY, projects={}) as fake:
        yield fake


class Project:
    def __init__(self, served: ThreadedFake, key: str) -> None:
        self.served, self.key, self.fake = served, key, served.fake
        served.call(self.fake.add_project, key, ENVS)
        self.start = len(self.fake.exchanges)

    def add(self, env: str, segment: str, **fields: object) -> None:
        self.served.call(self.fake.add_segment, self.key, env, segment, **fields)

    def members(self, env: str, segment: str = "customers") -> set[str]:
        return self.served.call(self.fake.big_segment_members, self.key, env, segment)

    def sent(self) -> list[tuple[str, str]]:
        """(method, path) of this project's requests since the last call."""
        exchanges, self.start = self.fake.exchanges[self.start :], len(self.fake.exchanges)
        return [(e.method, e.path) for e in exchanges if f"/{self.key}/" in e.path]

    def writes(self) -> list[tuple[str, str]]:
        return [
            (method, path)
            for method, path in self.sent()
            if method in WRITES and not path.endswith("/exports")
        ]

    def main(self, command: str, *, stdin: str = "") -> Ran:
        env = self.served.cli_env()
        return run_main(command.replace("{p}", self.key) + " --poll 0.01", env, stdin=stdin)


@pytest.fixture
def project(served: ThreadedFake, request: pytest.FixtureRequest) -> Project:
    key = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:80]
    seeded = Project(served, key)
    seeded.add("production", "customers", unbounded=True, included=["ada", "grace", "linus"])
    seeded.add("staging", "customers", unbounded=True, included=["ada", "old"])
    seeded.add("qa", "customers", unbounded=True)
    return seeded


def test_dry_run_then_sync_then_nothing_left_to_do(project: Project, tmp_path: Path) -> None:
    keys = tmp_path / "keys.csv"
    keys.write_text("ada\ngrace\nlinus\n")
    ran = project.main(f"sync -p {{p}} --all-envs customers --file {keys} --dry-run")
    assert ran.code == 0, ran
    assert ran.out.splitlines() == [
        "production: in sync: 3 key(s), nothing to change",
        "staging: would add 2, remove 1, keep 1 (targeted updates; dry run)",
        "qa: would add 3, remove 0, keep 0 (targeted updates; dry run)",
    ]
    assert project.writes() == []

    ran = project.main(f"sync -p {{p}} --all-envs customers --file {keys}")
    assert ran.code == 0, ran
    assert "staging: added 2, removed 1, unchanged 1 (targets: 1 write," in ran.out
    assert "  qa: ok - added 3, removed 0, unchanged 0 (targets: 1 write" in ran.err
    assert all(project.members(env) == {"ada", "grace", "linus"} for env in ENVS)
    assert [method for method, _ in project.writes()] == ["POST", "POST"]

    again = project.main(f"sync -p {{p}} --all-envs customers --file {keys} --json")
    assert again.code == 0, again
    reports = [json.loads(line) for line in again.out.splitlines()]
    assert [(r["environment"], r["method"], r["writes"]) for r in reports] == [
        (env, "none", 0) for env in ENVS
    ]
    assert project.writes() == []


def test_from_another_environment_reads_the_source_once(project: Project) -> None:
    ran = project.main("sync -p {p} --all-envs customers --from-env production")
    assert ran.code == 0, ran
    assert "production: 3 key(s) in customers" in ran.err
    assert [line.split(":")[0] for line in ran.out.splitlines()] == ["staging", "qa"]
    assert project.members("staging") == project.members("qa") == {"ada", "grace", "linus"}
    exports = [path for method, path in project.sent() if method == "POST" and "exports" in path]
    assert len([path for path in exports if "/production/" in path]) == 1
    ran = project.main("sync -p {p} -e production customers --from-env production")
    assert ran.code == 2
    assert "no environment to sync other than --from-env" in ran.err


def test_a_standard_segment_syncs_its_targets_of_a_kind(project: Project) -> None:
    project.add("production", "vip", includedContexts=[{"contextKind": "org", "values": ["a"]}])
    project.add("staging", "vip", included=["x"])
    ran = project.main("sync -p {p} -e staging vip --from-env production --kind org")
    assert ran.code == 0, ran
    segment = project.served.call(project.fake.segment, project.key, "staging", "vip")
    assert segment["includedContexts"] == [{"contextKind": "org", "values": ["a"]}]
    assert segment["included"] == ["x"]  # user targets: another kind, left alone
    ran = project.main("sync -p {p} -e staging vip --file - --kind org --excluded", stdin="b\n")
    assert ran.code == 0, ran
    assert "staging: added 1, removed 0, unchanged 0 (targets: 1 write" in ran.out


def test_an_empty_list_needs_allow_empty(project: Project) -> None:
    ran = project.main("sync -p {p} -e staging customers --file -", stdin="")
    assert ran.code == 2
    assert "pass --allow-empty" in ran.err
    assert project.sent() == []
    ran = project.main("sync -p {p} -e staging customers --file - --allow-empty", stdin="")
    assert ran.code == 0, ran
    assert project.members("staging") == set()


@pytest.mark.parametrize(
    "command",
    [
        "sync -p proj -e production customers",
        "sync -p proj -e production customers --file k.csv --from-env staging",
        "sync -p proj -e production customers --file k.csv --batch-size 1501",
        "sync -p proj -e production customers --file k.csv --max-target-requests -1",
        "sync -p proj -e production customers --file k.csv --method replace",
    ],
)
def test_usage_errors_exit_2(command: str) -> None:
    ran = run_main(command, {"LD_API_KEY": API_KEY})
    assert ran.code == 2, ran
    assert "usage:" in ran.err


def test_a_bad_key_fails_before_anything_is_sent(project: Project, tmp_path: Path) -> None:
    keys = tmp_path / "keys.csv"
    keys.write_bytes(b"ada\n\xff\n")
    ran = project.main(f"sync -p {{p}} -e staging customers --file {keys}")
    assert ran.code == 2
    assert "not UTF-8" in ran.err
    assert project.sent() == []


def test_a_sync_stopped_part_way_says_what_was_applied(project: Project) -> None:
    route = "POST /api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}/contexts"
    project.fake.inject(Fault.slow(0), route=route)
    project.fake.inject(Fault.status(503), route=route)
    stdin = "".join(f"k{n}\n" for n in range(30))
    ran = project.main("sync -p {p} -e qa customers --file - --batch-size 10", stdin=stdin)
    assert ran.code == 1, ran
    assert "qa: the sync of customers stopped part-way" in ran.err
    assert "applied: added 10 of 30, removed 0 of 0; run the same sync again" in ran.err
    assert "qa: FAILED - segment sync incomplete: request 1 applied; request 2 sent" in ran.err
    again = project.main("sync -p {p} -e qa customers --file - --batch-size 10", stdin=stdin)
    assert again.code == 0, again
    assert len(project.members("qa")) == 30


def test_the_command_lines_limits_are_the_librarys() -> None:
    assert MAX_TARGET_OPERATIONS == LIBRARY_LIMIT == reconcile.DEFAULT_BATCH_SIZE
    help_text = run_main("sync --help", {}).out
    assert f"({reconcile.DEFAULT_MAX_TARGET_REQUESTS})" in help_text
