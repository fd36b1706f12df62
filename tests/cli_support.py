"""Running ``ld-segments`` in tests: in-process (``main(argv)``, fast) or as the real
console script (a subprocess, for what needs a process: pipes, signals, exit codes as
the shell sees them), against a FakeLaunchDarkly served from a thread.

The fake runs on its own event loop in a thread, so that one fake serves a whole test
module, to synchronous tests, to ``main`` (which runs its own ``asyncio.run``) and to
subprocesses alike. Every run checks that the API key appears nowhere in its output.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from settings import API_KEY

from ld_segments_async.cli import main
from ld_segments_async.testing import FakeLaunchDarkly

T = TypeVar("T")

SCRIPT = shutil.which("ld-segments") or str(Path(sys.executable).with_name("ld-segments"))


class Ran:
    """What one run of the command line did."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err
        assert API_KEY not in out + err, "the API key was printed"

    def __repr__(self) -> str:
        return f"Ran(code={self.code}, out={self.out[-800:]!r}, err={self.err[-800:]!r})"


class ThreadedFake:
    """A :class:`FakeLaunchDarkly` on an event loop of its own, in a thread."""

    def __init__(self, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._options = options
        self.fake: FakeLaunchDarkly

    def __enter__(self) -> ThreadedFake:
        self._thread.start()
        self.fake = self.wait(self._start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wait(self.fake.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> FakeLaunchDarkly:
        fake = FakeLaunchDarkly(**self._options)
        await fake.start()
        return fake

    @property
    def url(self) -> str:
        return self.fake.url

    def wait(self, coroutine: Any) -> Any:
        """Run ``coroutine`` on the fake's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn`` on the fake's loop (its state is the loop's), return the result."""
        done: Future[T] = Future()

        def run() -> None:
            try:
                done.set_result(fn(*args, **kwargs))
            except BaseException as error:
                done.set_exception(error)

        self._loop.call_soon_threadsafe(run)
        return done.result(30)

    def cli_env(self, **extra: str) -> dict[str, str]:
        """The environment of a run against this fake: no other ``LD_`` variable."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LD_")}
        return {**env, "LD_API_KEY": API_KEY, "LD_BASE_URL": self.url, **extra}


@contextlib.contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_main(command: str, env: Mapping[str, str], *, stdin: str = "") -> Ran:
    """``ld-segments <command>`` in this process (split like a shell would)."""
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with _environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(shlex.split(command))
    finally:
        sys.stdin = saved_stdin
    return Ran(code, out.getvalue(), err.getvalue())


def run_script(
    command: str, env: Mapping[str, str], *, stdin: str = "", stdout: Any = subprocess.PIPE
) -> Ran:
    """The real console script, ``ld-segments <command>``, as a subprocess."""
    process = subprocess.run(  # noqa: S603 - our own console script
        [SCRIPT, *shlex.split(command)],
        input=stdin.encode(),
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=dict(env),
        timeout=120,
        check=False,
    )
    out = process.stdout.decode() if process.stdout is not None else ""
    return Ran(process.returncode, out, process.stderr.decode())


@contextlib.contextmanager
def closed_pipe() -> Iterator[int]:
    """The write end of a pipe whose reader has already gone (``| head`` after it read
    what it wanted): every write to it fails with EPIPE."""
    read, write = os.pipe()
    os.close(read)
    try:
        yield write
    finally:
        os.close(write)
