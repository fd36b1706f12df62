"""README.md runs as written: every Python block against a FakeLaunchDarkly seeded with
the README's names, every command of the command-line section against the real
``ld-segments fake`` (its printed ``export`` line included), and the tables that state
facts (configuration options, exit codes) checked against the code.

How a Python block runs (see ``readme.py`` for the rules): with ``LD_API_KEY`` and
``LD_BASE_URL`` pointing at the fake; a block with top-level ``await`` runs inside
``async with SegmentsClient() as ld:`` (as the README says); an ``async def test_*`` it
defines is then run, as pytest-asyncio would. The blocks share one fake, in README
order, as a reader trying them in one session would: a new snippet uses the seeded
names (project ``proj``, environments ``production``, ``staging``, ``qa``, ``dev``,
segments ``beta-users``, ``internal-staff``, ``vip`` and the big ``customers``) or
creates its own. To check what a block did, add a function to ``EFFECTS``.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import SCRIPT, Ran, ThreadedFake
from readme import CLI_SECTION, Block, Command, blocks, cli_commands, python_blocks, section
from settings import API_KEY

from ld_segments_async import SegmentsClient
from ld_segments_async.cli.exits import EXIT_CODES
from ld_segments_async.cli.fake import environment_names, seed

PYTHON = [block for block in python_blocks() if block.not_run is None]
COMMANDS = cli_commands()

# The inputs the CLI examples name: "given your own keys.csv, users.csv and rename.json".
INPUT_FILES = {
    "keys.csv": "ada\ngrace\nlinus\n",
    "users.csv": "id,email\nada,ada@example.edu\ngrace,grace@example.com\n",
    "rename.json": '{"name": "Beta testers"}\n',
}


def test_the_readme_has_blocks_to_run() -> None:
    assert len(PYTHON) >= 5
    assert len(COMMANDS) >= 20
    assert any(command.text.startswith("ld-segments fake") for command in COMMANDS)


def test_blocks_left_unrun_are_few_and_say_why() -> None:
    not_run = [block for block in blocks() if block.not_run is not None]
    assert len(not_run) <= 2, [block.name for block in not_run]
    for block in not_run:
        assert len(block.not_run or "") > 10, f"{block.name}: say why it cannot run"


# -- Python blocks -------------------------------------------------------------------


@pytest.fixture(scope="module")
def readme_fake() -> Iterator[ThreadedFake]:
    environments = environment_names(4)
    with ThreadedFake(projects={"proj": environments}) as served:
        served.call(seed, served.fake, "proj", environments)
        yield served


def _run_python(block: Block) -> None:
    code = compile(
        block.code, block.name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )
    namespace: dict[str, object] = {"__name__": "__readme__"}
    if code.co_flags & inspect.CO_COROUTINE:

        async def inside_a_client() -> None:
            async with SegmentsClient() as ld:
                namespace["ld"] = ld
                await eval(code, namespace)  # noqa: S307 - the README's own code

        asyncio.run(inside_a_client())
    else:
        exec(code, namespace)  # noqa: S102 - the README's own code
    for name, value in list(namespace.items()):
        if name.startswith("test_") and inspect.iscoroutinefunction(value):
            asyncio.run(value())


def _check_tour(served: ThreadedFake) -> None:
    segment = served.call(served.fake.segment, "proj", "production", "beta")
    assert segment is not None, "the tour creates its segment"
    assert segment["tags"] == ["mobile"]
    assert [target["values"] for target in segment["includedContexts"]] == [["ada", "grace"]]


def _check_import(served: ThreadedFake) -> None:
    members = served.call(served.fake.big_segment_members, "proj", "production", "customers")
    assert members == {"ada", "grace", "linus"}
    assert set(Path("customers.csv").read_text().split()) == members


def _check_tracing(served: ThreadedFake) -> None:
    def last_headers() -> dict[str, str]:
        return dict(served.fake.exchanges[-1].request_headers)

    assert "traceparent" in last_headers(), "the traced call carried its trace context"


def _check_sync(served: ThreadedFake) -> None:
    for env in ("production", "staging"):
        members = served.call(served.fake.big_segment_members, "proj", env, "customers")
        assert members == {"ada", "grace", "katherine"}, env
    vip = served.call(served.fake.segment, "proj", "production", "vip")
    assert vip is not None
    assert vip["includedContexts"] == [{"contextKind": "org", "values": ["acme"]}]


# What a block did, checked after it ran, by section: add one for a new snippet whose
# effect can be seen on the fake.
EFFECTS = {
    "A short tour": _check_tour,
    "Big segments: imports and exports": _check_import,
    "Tracing": _check_tracing,
    "Reconciling membership: a segment made exactly a list": _check_sync,
}


@pytest.mark.parametrize("block", PYTHON, ids=[block.name for block in PYTHON])
def test_python_block_runs(
    block: Block, readme_fake: ThreadedFake, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # where the snippets' files go ("customers.csv")
    monkeypatch.setenv("LD_API_KEY", API_KEY)
    monkeypatch.setenv("LD_BASE_URL", readme_fake.url)
    _run_python(block)
    check = EFFECTS.get(block.heading)
    if check is not None:
        check(readme_fake)


# -- the command line ------------------------------------------------------------------


def _serve(command: Command) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start the README's ``ld-segments fake`` command; the environment its printed
    ``export`` line sets."""
    words = shlex.split(command.text, comments=True)
    server = subprocess.Popen(  # noqa: S603 - our own console script
        [SCRIPT, *words[1:]], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert server.stdout is not None
    settings: dict[str, str] = {}
    for line in server.stdout:
        if line.startswith("export "):
            settings = dict(word.split("=", 1) for word in shlex.split(line)[1:])
            break
    assert settings, "ld-segments fake printed no export line"
    return server, settings


@pytest.fixture(scope="module")
def readme_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, Ran]]:
    """Every command of the CLI section, run once, in order, in one shell (so that a
    variable one command sets is there for the next), in a folder holding the inputs
    they name; the result of each, by README line."""
    folder = tmp_path_factory.mktemp("readme-cli")
    for name, text in INPUT_FILES.items():
        (folder / name).write_text(text)
    served = [command for command in COMMANDS if command.text.startswith("ld-segments fake")]
    server, settings = _serve(served[0])
    try:
        results = folder / ".results"
        results.mkdir()
        script = ["set -o pipefail"]
        for command in COMMANDS:
            if command in served:
                continue
            out = results / str(command.line)
            script.append(f"{{ {command.text}\n}} >{out}.out 2>{out}.err </dev/null")
            script.append(f"echo $? >{out}.rc")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LD_")}
        env["PATH"] = f"{Path(SCRIPT).parent}{os.pathsep}{env.get('PATH', '')}"
        subprocess.run(  # noqa: S603
            ["bash", "-c", "\n".join(script)],  # noqa: S607
            cwd=folder,
            env={**env, **settings},
            timeout=300,
            check=False,
        )
        ran = {}
        for command in COMMANDS:
            out = results / str(command.line)
            if command in served:
                ran[command.line] = Ran(0, "", "")
            elif (rc := Path(f"{out}.rc")).exists():
                ran[command.line] = Ran(
                    int(rc.read_text()),
                    Path(f"{out}.out").read_text(),
                    Path(f"{out}.err").read_text(),
                )
        yield ran
        for name in ("segments.csv", "exports"):
            assert (folder / name).exists(), f"the README's commands made no {name}"
    finally:
        server.terminate()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()


@pytest.mark.parametrize("command", COMMANDS, ids=[command.name for command in COMMANDS])
def test_cli_example_runs(command: Command, readme_cli: dict[int, Ran]) -> None:
    ran = readme_cli[command.line]
    assert ran.code == command.expected, ran
    assert "Traceback" not in ran.err


def test_cli_examples_did_what_they_say(readme_cli: dict[int, Ran]) -> None:
    def result(prefix: str) -> Ran:
        return next(readme_cli[c.line] for c in COMMANDS if c.text.startswith(prefix))

    listed = result("ld-segments list -p proj -e production --json").out.split()
    assert set(listed) == {'"customers"', '"beta-users"', '"internal-staff"', '"vip"'}
    renamed = result("ld-segments patch -p proj -e production beta-users --file rename.json")
    assert '"name": "Beta testers"' in renamed.out
    imported = result("cut -d, -f1 users.csv")
    assert imported.err.count(": ok - import complete: 2 key(s)") == 4, imported
    status = result("ld-segments status")
    assert re.search(r"staging/customers: import \S{20,}: complete", status.out), status

    preview = result("ld-segments sync -p proj --all-envs customers --file keys.csv --dry-run")
    assert preview.out.splitlines() == [
        "production: in sync: 3 key(s), nothing to change",
        "staging: in sync: 3 key(s), nothing to change",
        "qa: would add 1, remove 0, keep 2 (targeted updates; dry run)",
        "dev: would add 1, remove 0, keep 2 (targeted updates; dry run)",
    ], preview
    synced = result("ld-segments sync -p proj -e qa -e dev customers --file keys.csv")
    assert synced.out.count("added 1, removed 0, unchanged 2 (targets: 1 write") == 2, synced
    copied = result("ld-segments sync -p proj --all-envs customers --from-env production")
    assert copied.out.count("in sync: 3 key(s), nothing to change") == 3, copied

    demo = result("ld-segments demo")
    for expected in (
        "$ ld-segments list -p proj --all-envs",
        "would create",
        "(writes by the second copy: 0)",
        "import complete",
        "holds 100,000 keys",
        "FAILED - 404 not_found",
        "Done in",
    ):
        assert expected in demo.out + demo.err, expected


# -- tables that state facts -----------------------------------------------------------


def test_the_configuration_signature_and_table_list_every_option() -> None:
    text = section("Configuration")
    signature = re.search(r"`SegmentsClient\((.*?)\)`", text, re.S)
    assert signature is not None
    written = set(re.findall(r"(\w+)=", signature[1]))
    table = set(re.findall(r"^\| `(\w+)` \|", text, re.M))
    options = set(inspect.signature(SegmentsClient.__init__).parameters) - {"self"}
    assert written == options
    assert table == options


def test_the_exit_code_table_is_the_command_lines() -> None:
    text = section(CLI_SECTION)
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", text, re.M)
    assert [(int(code), meaning.replace("\\|", "|")) for code, meaning in rows] == list(EXIT_CODES)
