"""The ``ld-segments`` command line against a FakeLaunchDarkly shared by the module.

Most tests run ``main(argv)`` in this process (fast); what needs a real process (a
closed pipe, a signal, exit codes as a shell sees them, one test per reported bug)
runs the real console script. Each test works in a project of its own, so that sharing
one fake is safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import SCRIPT, Ran, ThreadedFake, closed_pipe, run_main, run_script
from settings import API_KEY

from ld_segments_async import Import
from ld_segments_async.cli import build_parser
from ld_segments_async.cli.environments import natural
from ld_segments_async.cli.exits import EXIT_CODES
from ld_segments_async.cli.ledger import ImportLedger
from ld_segments_async.cli.output import Output
from ld_segments_async.cli.paths import safe_name
from ld_segments_async.testing import Fault

ENVS = ["production", "staging", "qa"]


@pytest.fixture(scope="module")
def served() -> Iterator[ThreadedFake]:
    with ThreadedFake(api_key=API_KEY, projects={}) as fake:
        yield fake


class Project:
    """A project of the shared fake, seeded for one test."""

    def __init__(self, served: ThreadedFake, key: str, envs: list[str]) -> None:
        self.served, self.key, self.fake = served, key, served.fake
        self.env = served.cli_env()
        served.call(self.fake.add_project, key, envs)

    def add(self, env: str, segment: str, **fields: object) -> None:
        self.served.call(self.fake.add_segment, self.key, env, segment, **fields)

    def segment(self, env: str, key: str) -> dict[str, object] | None:
        return self.served.call(self.fake.segment, self.key, env, key)

    def members(self, env: str, key: str) -> set[str]:
        return self.served.call(self.fake.big_segment_members, self.key, env, key)

    def sent(self, method: str) -> list[str]:
        """Paths of this project's requests with ``method``, so far."""
        return [
            e.path for e in self.fake.exchanges if e.method == method and f"/{self.key}/" in e.path
        ]

    def main(self, command: str, *, stdin: str = "") -> Ran:
        return run_main(command.replace("{p}", self.key), self.env, stdin=stdin)

    def script(self, command: str, **options: object) -> Ran:
        return run_script(command.replace("{p}", self.key), self.env, **options)  # type: ignore[arg-type]


@pytest.fixture
def project(served: ThreadedFake, request: pytest.FixtureRequest) -> Project:
    key = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:80]
    seeded = Project(served, key, ENVS)
    seeded.add("production", "beta", name="Beta", tags=["beta"], included=["ada"])
    seeded.add("production", "staff", name="Staff", tags=["internal"])
    seeded.add("staging", "beta", name="Beta (old)", tags=[])
    for env in ENVS:
        seeded.add(env, "customers", unbounded=True, unboundedContextKind="user")
    return seeded


# -- usage and help ----------------------------------------------------------------


def _commands() -> dict[str, object]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return dict(sub.choices)  # type: ignore[arg-type]


def test_help_of_every_command_is_accurate(capsys: pytest.CaptureFixture[str]) -> None:
    commands = _commands()
    assert set(commands) == {
        *("list", "get", "create", "delete", "patch", "copy", "import", "export"),
        *("status", "sync", "members", "fake", "demo"),
    }
    table = "".join(f"  {code:<4} {meaning}\n" for code, meaning in EXIT_CODES)
    for name, command in commands.items():
        ran = run_main(f"{name} --help", {})
        assert ran.code == 0, name
        assert table in ran.out, f"{name} --help lists the exit codes"
        assert not re.search(r"--(api-)?(key|token)\b", ran.out), "the key is never an argument"
        talks_to_ld = name not in ("fake", "demo")
        for option in ("--base-url", "--debug", "--quiet"):
            assert (option in ran.out) == (talks_to_ld or option == "--quiet"), (name, option)
        fans_out = talks_to_ld and name != "status"  # one environment, one job
        assert ("--concurrency" in ran.out) == fans_out, name
        # A default written in the help, "(3600)", is the real default.
        for action in command._actions:  # type: ignore[attr-defined]
            written = re.search(r"\((\S+)\)$", action.help or "")
            if written and written[1] != "repeatable" and action.default is not None:
                default = action.default
                shown = f"{default:g}" if isinstance(default, float) else str(default)
                assert written[1] == shown, (name, action.dest)
    top = run_main("--help", {})
    assert table in top.out
    assert all(name in top.out for name in commands)
    assert run_main("--version", {}).out.startswith("ld-segments ")


@pytest.mark.parametrize(
    "command",
    [
        "",
        "list",
        "list -p proj",
        "list -p proj -e production --all-envs",
        "frobnicate",
        "list -p proj -e production --concurrency 0",
        "export -p proj -e production customers --poll 0",
        "export -p proj -e production customers --timeout nan",
        "import -p proj -e production customers --file k.csv --timeout inf",
        "status -p proj -e production customers",
        "fake --port 70000",
        "fake --environments 0",
    ],
)
def test_usage_errors_exit_2(command: str) -> None:
    ran = run_main(command, {"LD_API_KEY": API_KEY})
    assert ran.code == 2, ran
    assert "usage:" in ran.err


def test_bad_values_exit_2_before_anything_is_sent(project: Project) -> None:
    """Bug 4: `export --timeout -5` created the export, then failed waiting -5 s."""
    ran = project.script("export -p {p} -e production customers --timeout -5")
    assert ran.code == 2, ran
    assert "--timeout: must be a positive number of seconds" in ran.err
    for command in (
        "list -p {p} -e production --sort nme",
        "list -p {p} -e production --sort=-name,bogus",
        "list -p {p} --all-envs --filter 'tags equals \"x\"'",
        "list -p {p} -e production --filter 'tags anyOf [\"a\"'",
        "list -p {p} -e production --filter '(tags anyOf [\"a\"]'",
    ):
        ran = project.main(command)
        assert ran.code == 2, (command, ran)
        assert re.search(r"error: --(sort|filter) ", ran.err), ran
    assert project.sent("POST") == project.sent("GET") == []


def test_the_project_comes_from_ld_project(project: Project) -> None:
    ran = run_main("list --all-envs --json", {**project.env, "LD_PROJECT": project.key})
    assert ran.code == 0, ran
    assert {json.loads(line)["key"] for line in ran.out.splitlines()} == {
        "beta",
        "staff",
        "customers",
    }


def test_a_missing_key_is_a_usage_error(project: Project) -> None:
    env = {k: v for k, v in project.env.items() if k != "LD_API_KEY"}
    ran = run_main(f"list -p {project.key} -e production", env)
    assert ran.code == 2
    assert "LD_API_KEY" in ran.err
    assert project.sent("GET") == []


def test_plain_http_is_refused_in_the_command_lines_words(project: Project) -> None:
    ran = project.main("list -p {p} -e production --base-url http://10.1.2.3")
    assert ran.code == 2
    assert "--base-url http://10.1.2.3: plain http is refused" in ran.err
    assert "allow_insecure_http" not in ran.err  # a library argument, not an option


# -- reading -------------------------------------------------------------------------


def test_list_all_environments_as_a_table(project: Project) -> None:
    ran = project.main("list -p {p} --all-envs")
    assert ran.code == 0, ran
    lines = ran.out.splitlines()
    assert lines[0].split() == ["ENVIRONMENT", "KEY", "NAME", "TAGS", "KIND", "VERSION"]
    assert sum(line.startswith("production ") for line in lines) == 3
    for env in ENVS:
        assert f"{env}: ok" in ran.err
    assert "\r" not in ran.err  # not a terminal: no progress bar


def test_list_as_json_lines_and_csv_with_filter_and_sort(project: Project) -> None:
    ran = project.main(
        'list -p {p} -e production --sort=-name --json --filter \'tags anyOf ["beta","internal"]\''
    )
    assert ran.code == 0, ran
    records = [json.loads(line) for line in ran.out.splitlines()]
    assert [r["key"] for r in records] == ["staff", "beta"]
    assert records[0]["environment"] == "production"
    sent = [e for e in project.fake.exchanges if e.path.endswith(f"/{project.key}/production")]
    assert sent[-1].query["filter"] == 'tags anyOf ["beta","internal"]'
    assert sent[-1].query["sort"] == "-name"

    ran = project.main("list -p {p} -e staging --csv --quiet")
    rows = list(csv.reader(io.StringIO(ran.out)))
    assert rows[0] == ["environment", "key", "name", "tags", "kind", "version"]
    assert {row[1] for row in rows[1:]} == {"beta", "customers"}
    assert ran.err == ""  # --quiet: only data


def test_a_failed_list_or_members_prints_no_empty_table(project: Project) -> None:
    for command in ("list -p {p} -e nowhere", "members -p {p} -e nowhere ada"):
        ran = project.main(command)
        assert ran.code == 1
        assert ran.out == "", command
        assert "nowhere: FAILED - 404" in ran.err


def test_get_reports_each_environment_and_exits_1_on_a_failure(project: Project) -> None:
    ran = project.main("get -p {p} -e production -e qa beta")
    assert ran.code == 1
    assert "production/beta: 'Beta'" in ran.out
    assert "qa: FAILED - 404 not_found: Unknown segment 'beta'" in ran.err
    assert "1 of 2 environment(s) failed: qa" in ran.err
    assert "Traceback" not in ran.err


def test_get_counts_targets_of_every_context_kind(project: Project) -> None:
    """Bug 3: `get` showed `included: 0` after addIncludedTargets."""
    added = project.main(
        "patch -p {p} -e production beta --file -",
        stdin=json.dumps(
            [
                {"kind": "addIncludedTargets", "contextKind": "user", "values": ["grace"]},
                {"kind": "addIncludedTargets", "contextKind": "org", "values": ["acme", "x"]},
                {"kind": "addExcludedTargets", "contextKind": "user", "values": ["bob"]},
            ]
        ),
    )
    assert added.code == 0, added
    ran = project.script("get -p {p} -e production beta")
    assert ran.code == 0, ran
    assert "rules: 0, included: 4, excluded: 1" in ran.out  # ada (legacy) + 3 contexts
    project.add("production", "big", unbounded=True, included=["a", "b"], excluded=["c"])
    big = project.main("get -p {p} -e production big")
    assert "members included: 2, excluded: 1" in big.out, big


def test_debug_shows_the_traceback_of_each_failed_environment(project: Project) -> None:
    """Bug 2: `get ... nope --debug` printed one line, no traceback."""
    ran = project.script("get -p {p} -e production -e staging nope --debug")
    assert ran.code == 1
    assert ran.err.count("Traceback (most recent call last)") == 2
    assert "NotFoundError: 404 not_found: Unknown segment 'nope'" in ran.err
    assert "production: FAILED - 404" in ran.err


def test_debug_shows_the_traceback_of_an_error_outside_the_environments(
    project: Project,
) -> None:
    project.fake.inject(Fault.status(403), route="GET /api/v2/projects/{projectKey}/environments")
    ran = project.main("list -p {p} --all-envs --debug")
    assert ran.code == 1
    assert "Traceback" in ran.err
    assert "error: 403 forbidden" in ran.err


def test_members_sorted_naturally_and_said_plainly(served: ThreadedFake) -> None:
    envs = ["env-10", "env-5", "env-1"]
    project = Project(served, "members-natural", envs)
    for env in envs:
        project.add(env, "beta", included=["ada"])
        project.add(env, "big", unbounded=True, included=["ada"] if env != "env-1" else [])
    ran = project.main("members -p {p} --all-envs ada")
    assert ran.code == 0, ran
    order = [line.split()[0] for line in ran.out.splitlines()[2:]]
    assert order == sorted(order, key=natural) and order.index("env-5") < order.index("env-10")
    ran = project.main("members -p {p} --all-envs ada --segment big")
    assert ran.code == 0, ran
    assert [line.split()[:3] for line in ran.out.splitlines()[2:]] == [
        ["env-5", "big", "included"],
        ["env-10", "big", "included"],
    ]
    assert "env-1: ok - not listed in big" in ran.err
    assert "ok - -" not in ran.err


# -- writing -------------------------------------------------------------------------


def test_create_in_several_environments(project: Project) -> None:
    ran = project.main("create -p {p} -e qa -e staging new --name New --tag a --tag b")
    assert ran.code == 0, ran
    for env in ("qa", "staging"):
        assert project.segment(env, "new")["tags"] == ["a", "b"]  # type: ignore[index]
    again = project.main("create -p {p} -e qa new")
    assert again.code == 1
    assert "409 key_exists" in again.err


def test_delete_asks_first(project: Project) -> None:
    declined = project.main("delete -p {p} -e production staff", stdin="n\n")
    assert declined.code == 0  # the operator's choice, not a failure
    assert "nothing deleted" in declined.err
    unanswered = project.main("delete -p {p} -e production staff", stdin="")
    assert unanswered.code == 2
    assert "pass --yes" in unanswered.err
    assert project.segment("production", "staff") is not None
    assert project.sent("DELETE") == []
    ran = project.main("delete -p {p} -e production staff", stdin="y\n")
    assert ran.code == 0, ran
    assert project.segment("production", "staff") is None
    ran = project.main("delete -p {p} -e production beta --yes")
    assert ran.code == 0
    assert project.segment("production", "beta") is None


def test_patch_from_a_file_and_from_stdin(project: Project, tmp_path: Path) -> None:
    instructions = tmp_path / "patch.json"
    instructions.write_text(json.dumps([{"kind": "addTags", "values": ["cli"]}]))
    ran = project.main(f"patch -p {{p}} -e production beta --file {instructions} --comment 'why'")
    assert ran.code == 0, ran
    assert "cli" in json.loads(ran.out)["tags"]  # a real patch prints the result too
    assert "cli" in project.segment("production", "beta")["tags"]  # type: ignore[index,operator]
    sent = json.loads(project.fake.exchanges[-1].request_body)
    assert (sent["comment"], sent["environmentKey"]) == ("why", "production")

    operations = json.dumps([{"op": "replace", "path": "/name", "value": "Renamed"}])
    ran = project.main("patch -p {p} -e production beta --file -", stdin=operations)
    assert ran.code == 0, ran
    assert project.segment("production", "beta")["name"] == "Renamed"  # type: ignore[index]


def test_a_comment_on_a_bare_merge_patch_is_not_merged(project: Project) -> None:
    ran = project.main(
        "patch -p {p} -e production beta --file - --comment why",
        stdin=json.dumps({"name": "Merged"}),
    )
    assert ran.code == 0, ran
    assert json.loads(project.fake.exchanges[-1].request_body) == {
        "merge": {"name": "Merged"},
        "comment": "why",
    }
    segment = project.segment("production", "beta")
    assert segment is not None and segment["name"] == "Merged" and "comment" not in segment


def test_patch_dry_run_changes_nothing(project: Project) -> None:
    ran = project.main(
        "patch -p {p} -e production beta --file - --dry-run",
        stdin=json.dumps({"merge": {"name": "Preview"}}),
    )
    assert ran.code == 0, ran
    assert json.loads(ran.out)["name"] == "Preview"
    assert project.segment("production", "beta")["name"] == "Beta"  # type: ignore[index]


PATCH = "patch -p {p} -e production beta --file"
IMPORT = "import -p {p} -e production customers --file"


@pytest.mark.parametrize(
    ("command", "stdin", "message"),
    [
        (f"{PATCH} -", "{oops", "not JSON"),
        (f"{PATCH} nope.json", "", "--file nope.json: no such file"),
        (f"{PATCH} .", "", "--file .: is a directory"),
        (f"{PATCH} -", '{"kind": "addTags", "values": ["x"]}', 'goes in a list: [{"kind": "add'),
        (f"{IMPORT} nope.csv", "", "--file nope.csv: no such file"),
        (f"{IMPORT} .", "", "--file .: is a directory, not a file of keys"),
        (f"{IMPORT} -", "\n\n", "stdin: no keys to import"),
        (f"{IMPORT} -", '"a\nb"\n', "stdin, line 2: a key holds a line break"),
    ],
    ids=[
        *("patch-not-json", "patch-missing", "patch-directory", "patch-bare-instruction"),
        *("import-missing", "import-directory", "import-empty", "import-line-break"),
    ],
)
def test_a_bad_input_file_is_a_usage_error(
    project: Project, command: str, stdin: str, message: str
) -> None:
    ran = project.main(command, stdin=stdin)
    assert ran.code == 2, ran
    assert message in ran.err
    assert project.sent("PATCH") == project.sent("POST") == []


# -- copy ------------------------------------------------------------------------------


def test_copy_dry_run_then_copy_then_nothing_left_to_do(project: Project) -> None:
    preview = project.main("copy -p {p} --from production --all-envs --dry-run")
    assert preview.code == 0, preview
    assert (
        "staging: would update beta (name: 'Beta (old)' -> 'Beta'; tags: [] -> ['beta']"
        in preview.out
    )
    assert "qa: would create beta" in preview.out
    assert project.sent("POST") == project.sent("PATCH") == []

    ran = project.main("copy -p {p} --from production --all-envs")
    assert ran.code == 0, ran
    for env in ("staging", "qa"):
        copied = project.segment(env, "beta")
        assert copied is not None
        assert (copied["name"], copied["tags"], copied["included"]) == ("Beta", ["beta"], ["ada"])
        assert project.segment(env, "staff")["tags"] == ["internal"]  # type: ignore[index]
    writes = len(project.sent("POST") + project.sent("PATCH"))

    again = project.main("copy -p {p} --from production --all-envs")
    assert again.code == 0, again
    assert len(project.sent("POST") + project.sent("PATCH")) == writes
    assert "staging: ok - 3 up to date" in again.err


def test_copy_selected_segments_to_named_environments(project: Project) -> None:
    ran = project.main("copy -p {p} --from production --to qa --segment staff")
    assert ran.code == 0, ran
    assert project.segment("qa", "staff") is not None
    assert project.segment("qa", "beta") is None


# -- closed pipes ----------------------------------------------------------------------


def test_a_closed_stdout_stops_output_quietly_and_never_half_copies(
    served: ThreadedFake,
) -> None:
    """Bug 1: `| head` gave `error: [Errno 32] Broken pipe`, counted environments as
    failed, and left a copy half-done."""
    targets = ["t-1", "t-2"]
    project = Project(served, "closed-pipe", ["source", *targets])
    for n in range(25):
        project.add("source", f"seg-{n:02d}", tags=["copied"])
    copied = [f"seg-{n:02d}" for n in range(25)]

    with closed_pipe() as stdout:
        listing = project.script("list -p {p} --all-envs", stdout=stdout)
        preview = project.script("copy -p {p} --from source --all-envs --dry-run -q", stdout=stdout)
        previewed = [e for e in project.fake.exchanges if "/t-" in e.path and "/seg-" in e.path]
        copy = project.script("copy -p {p} --from source --to t-1", stdout=stdout)
        # stderr into the same closed pipe, as `2>&1 | head -1` does
        both = subprocess.run(  # noqa: S603 - our own console script
            [SCRIPT, *f"copy -p {project.key} --from source --to t-2".split()],
            stdout=stdout,
            stderr=stdout,
            env=project.env,
            timeout=60,
            check=False,
        )
        helped = project.script("--help", stdout=stdout)
    for ran in (listing, preview, copy):
        assert ran.code == 141, ran  # 128 + SIGPIPE: what the shell expects
        assert "rror" not in ran.err, ran
        assert "FAILED" not in ran.err and "failed" not in ran.err, ran
    assert preview.err == ""  # -q, and nothing went wrong
    assert len(previewed) < 10  # a preview nobody reads stops (it would read 50 segments)
    assert "t-1: ok - 25 created" in copy.err
    assert both.returncode == 141
    assert helped.code in (0, 141) and helped.err == ""
    for env in targets:
        assert all(project.segment(env, key) is not None for key in copied), env


# -- output of server text -------------------------------------------------------------


def test_control_characters_from_the_server_are_escaped(project: Project) -> None:
    """Bug 6: ANSI escapes and newlines in server text reached the terminal raw."""
    project.add("staging", "evil", name="\x1b[2J\x1b[HEvil\nforged line\x9b1m\u202e")
    project.fake.inject(
        Fault.status(400, body={"code": "bad", "message": "\x1b[31mred\r\nline", "id": "x"}),
        route="GET /api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}",
    )
    ran = project.script("get -p {p} -e production -e staging evil --concurrency 1")
    for text in (ran.out, ran.err):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", text), text
    assert "\\x1b[2J\\x1b[HEvil\\nforged line\\x9b1m\\u202e" in ran.out
    assert "\\x1b[31mred\\r\\nline" in ran.err
    assert len(ran.err.splitlines()) == 3  # the error stays on its line

    listed = project.main("list -p {p} -e staging --json")
    record = next(json.loads(line) for line in listed.out.splitlines() if "evil" in line)
    assert record["name"] == "\x1b[2J\x1b[HEvil\nforged line\x9b1m\u202e"  # JSON: lossless
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", listed.out)
    table = project.main("list -p {p} -e staging")
    assert "\\x1b[2J" in table.out and "\x1b" not in table.out


# -- big segments ----------------------------------------------------------------------


def test_import_from_a_file_and_from_stdin(project: Project, tmp_path: Path) -> None:
    keys = tmp_path / "keys.csv"
    keys.write_text("".join(f"k{n}\n" for n in range(500)))
    ran = project.main(
        f"import -p {{p}} -e production -e staging customers --file {keys} --poll 0.01"
    )
    assert ran.code == 0, ran
    for env in ("production", "staging"):
        assert len(project.members(env, "customers")) == 500
    ran = project.main(
        "import -p {p} -e qa customers --file - --mode replace --poll 0.01 --json",
        stdin="x\ny\n",
    )
    assert ran.code == 0, ran
    assert project.members("qa", "customers") == {"x", "y"}
    job = json.loads(ran.out)
    assert (job["environment"], job["status"], job["mode"]) == ("qa", "complete", "replace")
    assert f"import {job['id']}" in ran.err  # the full id, never a prefix


def test_import_reads_the_first_column_and_says_what_surprises(
    project: Project, tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    users.write_text('id,email\nada,a@x\n\n"has,comma",h@x\nplain,comma\n')
    ran = project.main(f"import -p {{p}} -e production customers --file {users} --poll 0.01")
    assert ran.code == 0, ran
    assert "the first line 'id' looks like a column name" in ran.err
    assert "4 line(s) have more than one column (first: line 1" in ran.err
    assert project.members("production", "customers") == {"id", "ada", "has,comma", "plain"}

    ran = project.main(
        "import -p {p} -e staging customers --file - --skip-header --poll 0.01",
        stdin="id\nada\ngrace\n",
    )
    assert ran.code == 0, ran
    assert "column name" not in ran.err
    assert project.members("staging", "customers") == {"ada", "grace"}


def test_export_one_file_per_environment(project: Project, tmp_path: Path) -> None:
    project.add("production", "exported", unbounded=True, included=["a", "b"])
    project.add("qa", "exported", unbounded=True, included=["c"])
    ran = project.main(f"export -p {{p}} -e production -e qa exported --out {tmp_path} --poll 0.01")
    assert ran.code == 0, ran
    assert set((tmp_path / "production-exported.csv").read_text().split()) == {"a", "b"}
    assert (tmp_path / "qa-exported.csv").read_text().split() == ["c"]

    afile = tmp_path / "afile"
    afile.write_text("")
    ran = project.main(f"export -p {{p}} -e qa exported --out {afile}")
    assert ran.code == 2
    assert f"--out {afile}: not a folder" in ran.err


def test_export_keeps_server_named_files_inside_out(served: ThreadedFake, tmp_path: Path) -> None:
    """Bug 5: environment keys `../../escaped` and an absolute path wrote files outside
    `--out`, with content the server chose."""
    out = tmp_path / "deep" / "out"
    absolute = str(tmp_path / "abs")
    envs = ["production", "../../escaped", absolute, ".hidden"]
    project = Project(served, "traversal", envs)
    for env in envs:
        project.add(env, "customers", unbounded=True, included=["k"])
    ran = project.script(f"export -p {{p}} --all-envs customers --out {out} --poll 0.01")
    assert ran.code == 0, ran
    written = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*") if path.is_file())
    assert [path.parent for path in written] == [Path("deep/out")] * 4, written
    names = {path.name for path in written}
    assert "production-customers.csv" in names
    assert {safe_name(env) + "-customers.csv" for env in envs} == names
    assert not any(name.startswith(".") for name in names)
    assert "is not a plain file name" in ran.err


def test_status_of_an_import_and_an_export(project: Project) -> None:
    imported = project.main(
        "import -p {p} -e production customers --file - --json --poll 0.01", stdin="a\n"
    )
    import_id = json.loads(imported.out)["id"]
    ran = project.main(f"status -p {{p}} -e production customers --import {import_id}")
    assert ran.code == 0, ran
    assert re.match(rf"production/customers: import {import_id}: complete \(mode merge, ", ran.out)
    ran = project.main(f"status -p {{p}} -e production customers --import {import_id} --json")
    assert json.loads(ran.out)["id"] == import_id

    export_id = project.served.wait(_start_export(project))
    ran = project.main(
        f"status -p {{p}} -e production customers --export {export_id} --wait --poll 0.01"
    )
    assert ran.code == 0, ran
    assert f"production/customers: export {export_id}: complete" in ran.out
    ran = project.main("status -p {p} -e production customers --import no-such-id")
    assert ran.code == 1
    assert "production: FAILED - 404" in ran.err


async def _start_export(project: Project) -> str:
    from ld_segments_async import SegmentsClient

    async with SegmentsClient(API_KEY, base_url=project.served.url) as ld:
        return await ld.create_big_segment_export(project.key, "production", "customers")


def test_an_interrupted_import_says_what_it_leaves_behind(
    served: ThreadedFake, tmp_path: Path
) -> None:
    """Item 8: after Ctrl-C, a terminal showed no import ids and a pipe 8-character
    prefixes; nothing said what was applied."""
    project = Project(served, "interrupted", ["production"])
    project.add("production", "customers", unbounded=True)
    keys = tmp_path / "keys.csv"
    keys.write_text("a\nb\n")
    served.fake.job_polls_per_status = 10**6  # the import stays in progress
    try:
        command = f"import -p {project.key} -e production customers --mode replace"
        process = subprocess.Popen(  # noqa: S603 - our own console script
            [SCRIPT, *command.split(), "--file", str(keys), "--poll", "0.05"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=project.env,
            text=True,
        )
        assert process.stderr is not None
        seen = process.stderr.readline()  # "  production: import <id> preparing"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
        err = seen + err
    finally:
        served.fake.job_polls_per_status = 1
    (import_id,) = [
        job.id for job in served.fake.imports.values() if job.project_key == project.key
    ]
    assert process.returncode == 130, err
    assert f"production: import {import_id} preparing" in seen
    assert f"upload 1: import {import_id} (replace), preparing: not finished" in err
    assert (
        f"see it with: ld-segments status -p {project.key} -e production customers "
        f"--import {import_id}"
    ) in err
    assert "--mode replace: until an import runs to the end" in err
    assert err.rstrip().endswith("error: interrupted")
    assert "Traceback" not in err


def test_a_failed_export_says_what_it_leaves_behind(project: Project, tmp_path: Path) -> None:
    project.fake.export_outcome = "stopped"
    try:
        ran = project.main(f"export -p {{p}} -e production customers --out {tmp_path} --poll 0.01")
    finally:
        project.fake.export_outcome = "complete"
    assert ran.code == 1
    (export_id,) = [
        job.id for job in project.fake.exports.values() if job.project_key == project.key
    ]
    assert "production: the export of customers failed (big segment export" in ran.err
    assert (
        f"  export {export_id}, stopped; see it with: ld-segments status -p {project.key} "
        f"-e production customers --export {export_id}"
    ) in ran.err
    waited = project.main(
        f"status -p {{p}} -e production customers --export {export_id} --wait --poll 0.01"
    )
    assert waited.code == 1  # --wait: a failed job is a failure
    assert "ended with status 'stopped'" in waited.err


def test_the_import_report_says_what_was_applied() -> None:
    def job(job_id: str, mode: str, status: str) -> Import:
        return Import(
            id=job_id, segment_key="s", creation_time=0, mode=mode, status=status, links={}
        )

    ledger = ImportLedger("proj", "production", "s", "replace")
    ledger.seen(job("11111111-aaaa", "replace", "in_progress"))
    ledger.seen(job("11111111-aaaa", "replace", "complete"))
    ledger.seen(job("22222222-bbbb", "merge", "in_progress"))
    lines = ledger.report(KeyboardInterrupt())
    assert lines[0] == "production: the import into s was interrupted"
    assert "  upload 1: import 11111111-aaaa (replace), complete: applied" in lines
    assert (
        "  upload 2: import 22222222-bbbb (merge), in_progress: not finished: "
        "LaunchDarkly may still apply it"
    ) in lines
    assert "  keys after upload 2, if any: not sent" in lines
    assert any("--mode replace" in line for line in lines)
    assert ImportLedger("p", "e", "s", "merge").report(ValueError("bad")) == []


def test_a_conflicting_import_says_why(project: Project) -> None:
    # after=True: the fake reads the upload whole before answering (answering first
    # races the client's opening of the file, a library matter reported separately).
    conflict = {"code": "conflict", "message": "another import is running"}
    project.fake.inject(
        Fault.status(409, body=conflict, after=True),
        route="POST /api/v2/segments/{projectKey}/{environmentKey}/{segmentKey}/imports",
    )
    ran = project.main("import -p {p} -e production customers --file -", stdin="a\n")
    assert ran.code == 1
    assert "another import is running in this environment" in ran.err
    assert "production: FAILED - 409" in ran.err


# -- fake and output -------------------------------------------------------------------


class _Printed(io.StringIO):
    """stdout that says when the export line has been printed."""

    def __init__(self) -> None:
        super().__init__()
        self.exported = asyncio.Event()

    def write(self, text: str) -> int:
        if text.startswith("export "):
            self.exported.set()
        return super().write(text)


async def test_fake_serves_the_readme_names_on_a_free_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # In-process: the README's run starts the real `ld-segments fake` and pastes its line.
    from ld_segments_async import SegmentsClient
    from ld_segments_async.cli.fake import serve

    monkeypatch.setenv("LD_PROJECT", "other")
    args = build_parser().parse_args(["fake", "--environments", "6"])
    printed = _Printed()
    server = asyncio.create_task(serve(args, Output(out=printed, err=io.StringIO())))
    listening = asyncio.create_task(printed.exported.wait())
    try:
        await asyncio.wait({server, listening}, return_when=asyncio.FIRST_COMPLETED)
        assert not server.done(), server
        banner, export = printed.getvalue().splitlines()
        assert "project other, environments production, staging, qa, dev, env-5, env-6" in banner
        settings = dict(word.split("=", 1) for word in export.split()[1:])
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", settings["LD_BASE_URL"])
        assert settings["LD_PROJECT"] == "other"
        async with SegmentsClient("any-token", base_url=settings["LD_BASE_URL"]) as ld:
            envs = [env.key async for env in ld.iter_environments("other")]
            keys = {segment.key async for segment in ld.iter_segments("other", "production")}
        assert envs == ["production", "staging", "qa", "dev", "env-5", "env-6"]
        assert keys == {"beta-users", "internal-staff", "vip", "customers"}
    finally:
        for task in (listening, server):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def test_fake_on_a_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ran = run_main(f"fake --port {taken.getsockname()[1]}", {})
    assert ran.code == 2
    assert "(0 picks a free port)" in ran.err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bars_only_on_a_terminal() -> None:
    terminal_err = _Terminal()
    shown = Output(out=_Terminal(), err=terminal_err)
    with shown.progress(3, "copying") as bar:
        for _ in range(3):
            bar.update()
    assert "copying" in terminal_err.getvalue()

    for out, quiet in ((io.StringIO(), False), (_Terminal(), True)):
        err = _Terminal()
        with Output(out=out, err=err, quiet=quiet).progress(3, "copying") as bar:
            bar.update()
        assert err.getvalue() == ""
