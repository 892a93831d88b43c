"""Real brokers for the manager tests: a ``redis-server`` and a RabbitMQ node of our own.

Each runs as a child process on a loopback port, in a temporary directory, and is stopped by its
PID only. ``redis_server()`` and ``rabbitmq_server()`` are context managers; ``RedisServer.stop``
and ``start`` again on the same port make a broker restart. A test skips only when the broker's
binary is absent (``.ci/run`` installs both).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import UNIT

RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


def free_port() -> int:
    """A loopback port nobody listens on now (redis-server cannot take port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5 * UNIT)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _stop(proc: subprocess.Popen | None, timeout: float) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


class RedisServer:
    """A ``redis-server`` on 127.0.0.1 with no persistence; ``url`` is its redis:// URL."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def unix_socket(self) -> Path:
        return self.workdir / "redis.sock"

    def start(self) -> RedisServer:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        argv += ["--unixsocket", str(self.unix_socket), "--unixsocketperm", "700"]
        log = open(self.workdir / "redis.log", "ab")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 10 * UNIT
        while not _accepts(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start: " + self.log())
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        _stop(self.proc, 5 * UNIT)

    def log(self) -> str:
        path = self.workdir / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def cli(self, *args: str) -> str:
        """Run ``redis-cli`` against this server; its output."""
        argv = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10 * UNIT, check=True)
        return done.stdout


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with tempfile.TemporaryDirectory(prefix="greensio-redis-") as workdir:
        server = RedisServer(Path(workdir)).start()
        try:
            yield server
        finally:
            server.stop()


class RabbitMQServer:
    """A RabbitMQ node of our own (its own node name, ports and data directory)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.dist_port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def start(self) -> RabbitMQServer:
        home = self.workdir / "home"
        home.mkdir(exist_ok=True)
        plugins = self.workdir / "enabled_plugins"
        plugins.write_text("[].\n")
        env = dict(
            os.environ,
            HOME=str(home),
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_NODENAME=f"greensio-test-{os.getpid()}-{self.port}@localhost",
            RABBITMQ_MNESIA_BASE=str(self.workdir / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.workdir / "log"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(plugins),
            RABBITMQ_CONFIG_FILE=str(self.workdir / "rabbitmq"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.workdir / "advanced.config"),
        )
        log = open(self.workdir / "rabbitmq.out", "ab")
        self.proc = subprocess.Popen(
            [RABBITMQ_SERVER], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir
        )
        log.close()
        deadline = time.monotonic() + 90 * UNIT
        while not self._ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("rabbitmq-server did not start: " + self.log())
            time.sleep(0.25)
        return self

    def _ready(self) -> bool:
        if not _accepts(self.port):
            return False
        import kombu

        try:
            with kombu.Connection(self.url, connect_timeout=2 * UNIT) as connection:
                connection.ensure_connection(max_retries=1)
        except Exception:  # noqa: BLE001 - still booting
            return False
        return True

    def stop(self) -> None:
        _stop(self.proc, 30 * UNIT)

    def log(self) -> str:
        path = self.workdir / "rabbitmq.out"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@contextlib.contextmanager
def rabbitmq_server() -> Iterator[RabbitMQServer]:
    if not os.path.exists(RABBITMQ_SERVER):
        pytest.skip("rabbitmq-server is not installed (apt-get install rabbitmq-server)")
    with tempfile.TemporaryDirectory(prefix="greensio-rabbitmq-") as workdir:
        server = RabbitMQServer(Path(workdir)).start()
        try:
            yield server
        finally:
            server.stop()


class Blackhole:
    """A TCP proxy on 127.0.0.1 in front of ``port`` that can go silent, as a middlebox that
    drops idle connections does: after ``swallow()`` the connections open at that moment get
    nothing through in either direction (bytes are read and discarded, nothing is closed), while
    new connections are forwarded as before."""

    def __init__(self, port: int) -> None:
        import threading

        self.upstream = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.generation = 0
        self.closed = False
        self.sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def swallow(self) -> None:
        self.generation += 1

    def _accept(self) -> None:
        import threading

        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            self.sockets += [client, server]
            born = self.generation
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink, born), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, born: int) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                with contextlib.suppress(OSError):
                    sink.shutdown(socket.SHUT_WR)
                return
            if self.generation == born:
                with contextlib.suppress(OSError):
                    sink.sendall(data)

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()
