"""The ``ld-segments`` console script, run for real as a subprocess against a fake.

Every run also checks that the API key appears nowhere in what the command printed.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import shlex
import shutil
import sys
from pathlib import Path

import pytest
from settings import API_KEY

from ld_segments_async.testing import FakeLaunchDarkly

PROJECT = "proj"
ENVS = ["production", "staging", "qa"]
SCRIPT = shutil.which("ld-segments") or str(Path(sys.executable).with_name("ld-segments"))


class Ran:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"Ran(code={self.code}, out={self.out[-500:]!r}, err={self.err[-500:]!r})"


async def ld_segments(
    command: str,
    *,
    fake: FakeLaunchDarkly | None = None,
    stdin: str = "",
    key: str | None = API_KEY,
) -> Ran:
    """Run ``ld-segments <command>`` (split like a shell would) against ``fake``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LD_")}
    if key is not None:
        env["LD_API_KEY"] = key
    if fake is not None:
        env["LD_BASE_URL"] = fake.url
    process = await asyncio.create_subprocess_exec(
        SCRIPT,
        *shlex.split(command),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 120)
    ran = Ran(process.returncode or 0, out.decode(), err.decode())
    assert API_KEY not in ran.out + ran.err, "the API key was printed"
    return ran


@pytest.fixture
async def fake() -> FakeLaunchDarkly:
    async with FakeLaunchDarkly(api_key=API_KEY, projects={PROJECT: ENVS}) as server:
        server.add_segment(
            PROJECT, "production", "beta", name="Beta", tags=["beta"], included=["ada"]
        )
        server.add_segment(PROJECT, "production", "staff", name="Staff", tags=["internal"])
        server.add_segment(PROJECT, "staging", "beta", name="Beta (old)", tags=[])
        for env in ENVS:
            server.add_segment(
                PROJECT, env, "customers", unbounded=True, unboundedContextKind="user"
            )
        yield server


# -- usage -------------------------------------------------------------------------


async def test_help_and_version() -> None:
    ran = await ld_segments("--help")
    assert ran.code == 0
    for command in ("list", "copy", "import", "export", "members", "fake", "demo"):
        assert command in ran.out
    assert (await ld_segments("--version")).out.startswith("ld-segments ")


@pytest.mark.parametrize(
    "command",
    [
        "",
        "list",
        f"list -p {PROJECT}",
        f"list -p {PROJECT} -e production --all-envs",
        "frobnicate",
        f"list -p {PROJECT} -e production --concurrency 0",
    ],
    ids=["no-command", "no-project", "no-env", "env-and-all", "unknown", "concurrency"],
)
async def test_usage_errors_exit_2(command: str) -> None:
    ran = await ld_segments(command)
    assert ran.code == 2
    assert "usage:" in ran.err


async def test_a_missing_key_is_a_usage_error(fake: FakeLaunchDarkly) -> None:
    ran = await ld_segments("list -p proj -e production", fake=fake, key=None)
    assert ran.code == 2
    assert "LD_API_KEY" in ran.err
    assert fake.exchanges == []


# -- reading -------------------------------------------------------------------------


async def test_list_all_environments_as_a_table(fake: FakeLaunchDarkly) -> None:
    ran = await ld_segments("list -p proj --all-envs", fake=fake)
    assert ran.code == 0, ran
    lines = ran.out.splitlines()
    assert lines[0].split() == ["ENVIRONMENT", "KEY", "NAME", "TAGS", "KIND", "VERSION"]
    assert sum(line.startswith("production ") for line in lines) == 3
    for env in ENVS:
        assert f"{env}: ok" in ran.err
    # Not a terminal: no progress bar drawn anywhere.
    assert "\r" not in ran.err
    assert "it/s" not in ran.err


async def test_list_as_json_lines_and_csv_with_filter_and_sort(fake: FakeLaunchDarkly) -> None:
    ran = await ld_segments(
        "list -p proj -e production --sort=-name --json"
        ' --filter \'tags anyOf ["beta","internal"]\'',
        fake=fake,
    )
    assert ran.code == 0, ran
    records = [json.loads(line) for line in ran.out.splitlines()]
    assert [r["key"] for r in records] == ["staff", "beta"]
    assert records[0]["environment"] == "production"
    assert fake.exchanges[-1].query["filter"] == 'tags anyOf ["beta","internal"]'

    ran = await ld_segments("list -p proj -e staging --csv --quiet", fake=fake)
    rows = list(csv.reader(io.StringIO(ran.out)))
    assert rows[0] == ["environment", "key", "name", "tags", "kind", "version"]
    assert {row[1] for row in rows[1:]} == {"beta", "customers"}
    assert ran.err == ""  # --quiet: only data


async def test_get_reports_each_environment_and_exits_1_on_a_failure(
    fake: FakeLaunchDarkly,
) -> None:
    ran = await ld_segments("get -p proj -e production -e qa beta", fake=fake)
    assert ran.code == 1
    assert "production/beta: 'Beta'" in ran.out
    assert "qa: FAILED - 404 not_found: Unknown segment 'beta'" in ran.err
    assert "1 of 2 environment(s) failed: qa" in ran.err
    assert "Traceback" not in ran.err


async def test_debug_shows_the_traceback_of_an_unexpected_error(fake: FakeLaunchDarkly) -> None:
    ran = await ld_segments("list -p proj -e x --base-url http://10.1.2.3", fake=fake)
    assert ran.code == 2  # plain http to a remote host: refused before anything is sent
    assert "allow_insecure_http" in ran.err
    await fake.close()
    ran = await ld_segments("list -p proj --all-envs --debug", fake=fake)
    assert ran.code == 1
    assert "Traceback" in ran.err
    assert "error: cannot connect to 127.0.0.1" in ran.err


async def test_members(fake: FakeLaunchDarkly) -> None:
    fake.add_segment(PROJECT, "production", "customers-big", unbounded=True, included=["ada"])
    ran = await ld_segments("members -p proj -e production ada", fake=fake)
    assert ran.code == 0, ran
    assert any(
        line.split()[:3] == ["production", "beta", "member"] for line in ran.out.splitlines()
    )
    ran = await ld_segments("members -p proj -e production ada --segment customers-big", fake=fake)
    assert "included" in ran.out


# -- writing -------------------------------------------------------------------------


async def test_create_in_several_environments(fake: FakeLaunchDarkly) -> None:
    ran = await ld_segments(
        "create -p proj -e qa -e staging new --name New --tag a --tag b", fake=fake
    )
    assert ran.code == 0, ran
    for env in ("qa", "staging"):
        assert fake.segment(PROJECT, env, "new")["tags"] == ["a", "b"]
    again = await ld_segments("create -p proj -e qa new", fake=fake)
    assert again.code == 1
    assert "409 key_exists" in again.err


async def test_delete_asks_first(fake: FakeLaunchDarkly) -> None:
    ran = await ld_segments("delete -p proj -e production staff", fake=fake, stdin="n\n")
    assert ran.code == 1
    assert "nothing deleted" in ran.err
    assert fake.segment(PROJECT, "production", "staff") is not None
    ran = await ld_segments("delete -p proj -e production staff", fake=fake, stdin="y\n")
    assert ran.code == 0, ran
    assert fake.segment(PROJECT, "production", "staff") is None
    ran = await ld_segments("delete -p proj -e production beta --yes", fake=fake)
    assert ran.code == 0
    assert fake.segment(PROJECT, "production", "beta") is None


async def test_patch_from_a_file_and_from_stdin(fake: FakeLaunchDarkly, tmp_path: Path) -> None:
    instructions = tmp_path / "patch.json"
    instructions.write_text(json.dumps([{"kind": "addTags", "values": ["cli"]}]))
    ran = await ld_segments(
        f"patch -p proj -e production beta --file {instructions} --comment 'from the cli'",
        fake=fake,
    )
    assert ran.code == 0, ran
    assert "cli" in fake.segment(PROJECT, "production", "beta")["tags"]
    sent = json.loads(fake.exchanges[-1].request_body)
    assert sent["comment"] == "from the cli"
    assert sent["environmentKey"] == "production"

    operations = json.dumps([{"op": "replace", "path": "/name", "value": "Renamed"}])
    ran = await ld_segments(
        "patch -p proj -e production beta --file -", fake=fake, stdin=operations
    )
    assert ran.code == 0, ran
    assert fake.segment(PROJECT, "production", "beta")["name"] == "Renamed"


async def test_a_comment_on_a_bare_merge_patch_is_not_merged(fake: FakeLaunchDarkly) -> None:
    ran = await ld_segments(
        "patch -p proj -e production beta --file - --comment why",
        fake=fake,
        stdin=json.dumps({"name": "Merged"}),
    )
    assert ran.code == 0, ran
    assert json.loads(fake.exchanges[-1].request_body) == {
        "merge": {"name": "Merged"},
        "comment": "why",
    }
    segment = fake.segment(PROJECT, "production", "beta")
    assert segment["name"] == "Merged"
    assert "comment" not in segment


async def test_patch_dry_run_changes_nothing(fake: FakeLaunchDarkly) -> None:
    fake.reset_counters()
    operations = json.dumps({"merge": {"name": "Preview"}})
    ran = await ld_segments(
        "patch -p proj -e production beta --file - --dry-run", fake=fake, stdin=operations
    )
    assert ran.code == 0, ran
    assert json.loads(ran.out)["name"] == "Preview"
    assert fake.segment(PROJECT, "production", "beta")["name"] == "Beta"
    assert sum(fake.side_effects.values()) == 0


async def test_a_bad_patch_file_is_a_usage_error(fake: FakeLaunchDarkly) -> None:
    ran = await ld_segments("patch -p proj -e production beta --file -", fake=fake, stdin="{oops")
    assert ran.code == 2
    assert "not JSON" in ran.err


# -- copy ------------------------------------------------------------------------------


async def test_copy_dry_run_then_copy_then_nothing_left_to_do(fake: FakeLaunchDarkly) -> None:
    fake.reset_counters()
    preview = await ld_segments("copy -p proj --from production --all-envs --dry-run", fake=fake)
    assert preview.code == 0, preview
    assert (
        "staging: would update beta (name: 'Beta (old)' -> 'Beta'; tags: [] -> ['beta']"
        in preview.out
    )
    assert "qa: would create beta" in preview.out
    assert sum(fake.side_effects.values()) == 0  # a dry run writes nothing

    ran = await ld_segments("copy -p proj --from production --all-envs", fake=fake)
    assert ran.code == 0, ran
    for env in ("staging", "qa"):
        copied = fake.segment(PROJECT, env, "beta")
        assert (copied["name"], copied["tags"], copied["included"]) == ("Beta", ["beta"], ["ada"])
        assert fake.segment(PROJECT, env, "staff")["tags"] == ["internal"]
    writes = sum(fake.side_effects.values())
    assert writes > 0

    again = await ld_segments("copy -p proj --from production --all-envs", fake=fake)
    assert again.code == 0, again
    assert sum(fake.side_effects.values()) == writes  # the second run changed nothing
    assert "staging: ok - 3 up to date" in again.err


async def test_copy_selected_segments_to_named_environments(fake: FakeLaunchDarkly) -> None:
    ran = await ld_segments("copy -p proj --from production --to qa --segment staff", fake=fake)
    assert ran.code == 0, ran
    assert fake.segment(PROJECT, "qa", "staff") is not None
    assert fake.segment(PROJECT, "qa", "beta") is None


# -- big segments ----------------------------------------------------------------------


async def test_import_from_a_file_and_from_stdin(fake: FakeLaunchDarkly, tmp_path: Path) -> None:
    keys = tmp_path / "keys.csv"
    keys.write_text("".join(f"k{n}\n" for n in range(500)))
    ran = await ld_segments(
        f"import -p proj -e production -e staging customers --file {keys} --poll 0.01", fake=fake
    )
    assert ran.code == 0, ran
    for env in ("production", "staging"):
        assert len(fake.big_segment_members(PROJECT, env, "customers")) == 500
    ran = await ld_segments(
        "import -p proj -e qa customers --file - --mode replace --poll 0.01",
        fake=fake,
        stdin="x\ny\n",
    )
    assert ran.code == 0, ran
    assert fake.big_segment_members(PROJECT, "qa", "customers") == {"x", "y"}


async def test_export_one_file_per_environment(fake: FakeLaunchDarkly, tmp_path: Path) -> None:
    fake.add_segment(PROJECT, "production", "exported", unbounded=True, included=["a", "b"])
    fake.add_segment(PROJECT, "qa", "exported", unbounded=True, included=["c"])
    ran = await ld_segments(
        f"export -p proj -e production -e qa exported --out {tmp_path} --poll 0.01", fake=fake
    )
    assert ran.code == 0, ran
    assert set((tmp_path / "production-exported.csv").read_text().split()) == {"a", "b"}
    assert (tmp_path / "qa-exported.csv").read_text().split() == ["c"]


# -- fake and demo ---------------------------------------------------------------------


async def test_fake_serves_demo_data_on_a_port() -> None:
    port = 18765 + os.getpid() % 1000
    env = {k: v for k, v in os.environ.items() if not k.startswith("LD_")}
    server = await asyncio.create_subprocess_exec(
        SCRIPT, "fake", "--port", str(port), stdout=asyncio.subprocess.PIPE, env=env
    )
    try:
        assert server.stdout is not None
        first = (await asyncio.wait_for(server.stdout.readline(), 30)).decode()
        assert f"http://127.0.0.1:{port}" in first
        listing = await ld_segments(
            f"list -p demo --all-envs --base-url http://127.0.0.1:{port} --json"
        )
        assert listing.code == 0, listing
        assert {json.loads(line)["key"] for line in listing.out.splitlines()} >= {
            "beta-users",
            "vip",
        }
    finally:
        server.terminate()
        await server.wait()


async def test_demo_runs_the_tour() -> None:
    started = asyncio.get_running_loop().time()
    ran = await ld_segments("demo", key=None)
    assert ran.code == 0, ran
    assert asyncio.get_running_loop().time() - started < 30
    for expected in (
        "list every segment",
        "would create",
        "(writes by the second copy: 0)",
        "import complete",
        "holds 100,000 keys",
        "FAILED - 404 not_found",
        "Done in",
    ):
        assert expected in ran.out + ran.err, expected
    assert "Traceback" not in ran.err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bars_only_on_a_terminal() -> None:
    from ld_segments_async.cli.output import Output

    terminal_out, terminal_err = _Terminal(), _Terminal()
    shown = Output(out=terminal_out, err=terminal_err)
    with shown.progress(3, "copying") as bar:
        for _ in range(3):
            bar.update()
    assert "copying" in terminal_err.getvalue()
    assert terminal_out.getvalue() == ""

    for output in (
        Output(out=io.StringIO(), err=_Terminal()),
        Output(out=_Terminal(), err=_Terminal(), quiet=True),
    ):
        with output.progress(3, "copying") as bar:
            bar.update()
        assert output.err.getvalue() == ""
