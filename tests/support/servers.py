"""Start and stop test servers as child processes on 127.0.0.1 (stopped by PID only)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Every test wait is a multiple of this unit; raise GREENSIO_TEST_UNIT on slow machines.
UNIT = float(os.environ.get("GREENSIO_TEST_UNIT", "1.0"))


@dataclass
class ServerProcess:
    """A server child process; ``url`` is ``http://127.0.0.1:<port>``."""

    argv: list[str]
    port: int = 0
    #: Added to the child's environment.
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    output: list[str] = field(default_factory=list)
    _pump: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_line: str = "LISTENING", timeout: float = 20 * UNIT) -> ServerProcess:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", **self.env)
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready = threading.Event()

        def pump() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.output.append(line)
                if line.startswith(ready_line) and not ready.is_set():
                    parts = line.split()
                    if len(parts) > 1 and parts[1].isdigit():
                        self.port = int(parts[1])
                    ready.set()

        self._pump = threading.Thread(target=pump, daemon=True)
        self._pump.start()
        if not ready.wait(timeout):
            self.stop()
            raise RuntimeError("server did not start:\n" + "".join(self.output))
        return self

    def stop(self) -> None:
        """End the process; ``output`` then holds everything it wrote."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5 * UNIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5 * UNIT)
        if self._pump is not None:
            self._pump.join(5 * UNIT)  # to the end of its output, not to where the reader was

    @property
    def log(self) -> str:
        return "".join(self.output)

    def wait_for_log(self, text: str, timeout: float = 10 * UNIT) -> bool:
        """Whether ``text`` appears in the output within ``timeout`` seconds (the output reaches
        this process through a pipe, after whatever the server sent its clients meanwhile)."""
        deadline = time.monotonic() + timeout
        while text not in self.log:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02 * UNIT)
        return True


def python_server(
    app: str, impl: str = "greensio", *, server: str = "pywsgi", **options: object
) -> ServerProcess:
    """A pywsgi server running ``app`` (``module:factory``) with package ``impl``.

    ``server`` is ``pywsgi``, or ``geventwebsocket`` for gevent-websocket's handler in front.
    """
    import json

    argv = [sys.executable, "-m", "tests.support.serve", "--impl", impl, "--app", app]
    argv += ["--server", server]
    for key, value in options.items():
        argv += ["--option", f"{key}={json.dumps(value)}"]
    return ServerProcess(argv)


@contextlib.contextmanager
def port_reserved(port: int, timeout: float = 30 * UNIT) -> Iterator[None]:
    """Hold the fixed ``port`` for the duration, against every other test run on the machine.

    Every other test server takes a port the kernel picks; a test that must listen on a fixed
    one (the seed's client connects to localhost:5000, as written) would collide with the same
    test of another suite running at the same time (parallel runs, several worktrees). This is
    an exclusive ``flock`` on a file named after the port, waited for at most ``timeout``.
    """
    path = Path(tempfile.gettempdir()) / f"greensio-tests-port-{port}.lock"
    with open(path, "a") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"port {port} stayed reserved by another test run") from None
                time.sleep(0.05 * UNIT)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
