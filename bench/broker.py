"""A ``redis-server`` of the benchmark's own for the cluster rows (``bench/run.py``).

It runs on 127.0.0.1 on a free port, without persistence, in a temporary directory, pinned with
``taskset`` like the other processes; it is stopped by its PID (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Redis:
    """``Redis(cores).start()``; ``url``; ``stop()``. ``pid`` is the redis-server process."""

    def __init__(self, cores: str, log_path: Path) -> None:
        self.cores = cores
        self.log_path = log_path
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None
        self.workdir = tempfile.TemporaryDirectory(prefix="greensio-bench-redis-")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 10.0) -> Redis:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server not found (apt-get install redis-server)")
        argv = ["taskset", "-c", self.cores, "redis-server", "--port", str(self.port)]
        argv += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        argv += ["--dir", self.workdir.name, "--loglevel", "warning"]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + timeout
        while not _accepts(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("redis-server did not start: " + self.log_path.read_text())
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.workdir.cleanup()
