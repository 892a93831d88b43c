#!/usr/bin/env python
"""Side-by-side benchmark: greensio against python-socketio and Node's socket.io (``make bench``).

In one invocation, every scenario runs for every contender, ``ROUNDS`` times, interleaved per
scenario (the contender order rotates each round), each run against a fresh server process. The
server is pinned to core 0 and the load generator (``bench/loadgen.js``, raw Engine.IO/Socket.IO
over ``ws`` and HTTP keep-alive, no greensio code) to core 1, all on 127.0.0.1. Every scenario is
bounded by a message or connection count and by deadlines. The medians go to a table (absolute
figures, then ratios greensio / peer with >1 meaning greensio is better) and, with every run's raw
figures, to ``bench/results/latest.json``. Server logs are kept in ``bench/results/logs/``.

Environment (sizes default to the full run; ``QUICK=1`` shrinks everything for a ~1-2 min smoke
run; any size below still overrides it):

    ROUNDS=3            rounds per scenario and contender (QUICK: 1)
    SCENARIOS=...       comma list among echo,fanout,idle,connrate,pollecho,xfanout,xecho,
                        pollworkers (default: all)
    CONTENDERS=...      comma list of contender names (default: all; see CONTENDERS below)
    PROFILE=1           run greensio-pywsgi under ``py-spy record`` (bench/results/profile-*.svg)
    ECHO_CLIENTS=50 ECHO_MESSAGES=600 (per client) ECHO_PAYLOAD=64 ECHO_DEADLINE=20
    FANOUT_CLIENTS=1000 FANOUT_BROADCASTS=500 FANOUT_PAYLOAD=100 FANOUT_DEADLINE=30
    IDLE_LEVELS=2000,10000 IDLE_CONCURRENCY=100 IDLE_SETTLE=2
    CONNRATE_N=2000 CONNRATE_CONCURRENCY=50 CONNRATE_DEADLINE=30
    POLL_CLIENTS=20 POLL_MESSAGES=300 (per client) POLL_DEADLINE=20
    XFANOUT_CLIENTS=1000 XFANOUT_BROADCASTS=500 XFANOUT_PAYLOAD=100 XFANOUT_DEADLINE=30
    XECHO_PAIRS=50 XECHO_MESSAGES=300 (per caller) XECHO_PAYLOAD=64 XECHO_DEADLINE=20
    POLLW_CLIENTS=40 POLLW_MESSAGES=300 (per client) POLLW_DEADLINE=20
    SETUP_DEADLINE=60   seconds allowed for connecting a scenario's clients
    QUIET_WAIT=30       seconds to wait before each run for other CPU use to stop (runs during
                        which other processes used >0.15 cores are flagged in the report)
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from broker import Redis

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SERVERS = BENCH / "servers"
RESULTS = BENCH / "results"
LOGS = RESULTS / "logs"
SERVER_CORE, LOADGEN_CORE = "0", "1"
#: The cores of the unpinned rows (gunicorn -w 2 against -w 1): the load generator, Redis and
#: every worker share both.
BOTH_CORES = "0,1"
QUICK = os.environ.get("QUICK", "") not in ("", "0")


def env_int(name: str, full: int, quick: int) -> int:
    return int(os.environ.get(name, quick if QUICK else full))


def env_str(name: str, full: str, quick: str) -> str:
    return os.environ.get(name, quick if QUICK else full)


ROUNDS = env_int("ROUNDS", 3, 1)
SETUP_DEADLINE = env_int("SETUP_DEADLINE", 60, 30)

#: scenario -> loadgen options (sizes and deadlines, in seconds).
SIZES: dict[str, dict[str, str | int]] = {
    "echo": {
        "clients": env_int("ECHO_CLIENTS", 50, 50),
        "messages": env_int("ECHO_MESSAGES", 600, 200),
        "payload": env_int("ECHO_PAYLOAD", 64, 64),
        "deadline": env_int("ECHO_DEADLINE", 20, 10),
    },
    "fanout": {
        "clients": env_int("FANOUT_CLIENTS", 1000, 300),
        "broadcasts": env_int("FANOUT_BROADCASTS", 500, 200),
        "payload": env_int("FANOUT_PAYLOAD", 100, 100),
        "deadline": env_int("FANOUT_DEADLINE", 30, 10),
    },
    "idle": {
        "levels": env_str("IDLE_LEVELS", "2000,10000", "500,2000"),
        "concurrency": env_int("IDLE_CONCURRENCY", 100, 100),
        "settle": env_int("IDLE_SETTLE", 2, 1),
    },
    "connrate": {
        "connections": env_int("CONNRATE_N", 2000, 500),
        "concurrency": env_int("CONNRATE_CONCURRENCY", 50, 50),
        "deadline": env_int("CONNRATE_DEADLINE", 30, 10),
    },
    "pollecho": {
        "clients": env_int("POLL_CLIENTS", 20, 20),
        "messages": env_int("POLL_MESSAGES", 300, 60),
        "payload": env_int("POLL_PAYLOAD", 64, 64),
        "deadline": env_int("POLL_DEADLINE", 20, 8),
    },
    # Two nodes over Redis, the clients dealt half and half (CLUSTER_SCENARIOS).
    "xfanout": {
        "clients": env_int("XFANOUT_CLIENTS", 1000, 300),
        "broadcasts": env_int("XFANOUT_BROADCASTS", 500, 200),
        "payload": env_int("XFANOUT_PAYLOAD", 100, 100),
        "deadline": env_int("XFANOUT_DEADLINE", 30, 10),
    },
    "xecho": {
        "pairs": env_int("XECHO_PAIRS", 50, 50),
        "messages": env_int("XECHO_MESSAGES", 300, 100),
        "payload": env_int("XECHO_PAYLOAD", 64, 64),
        "deadline": env_int("XECHO_DEADLINE", 20, 10),
    },
    # gunicorn -w 2 against -w 1, long-polling, unpinned (WORKER_SCENARIOS).
    "pollworkers": {
        "clients": env_int("POLLW_CLIENTS", 40, 40),
        "messages": env_int("POLLW_MESSAGES", 300, 60),
        "payload": env_int("POLLW_PAYLOAD", 64, 64),
        "deadline": env_int("POLLW_DEADLINE", 20, 8),
    },
}
#: The load generator's mode for each scenario (its own name unless listed).
LOADGEN_MODE = {"xfanout": "fanout", "xecho": "relay", "pollworkers": "pollecho"}
CLUSTER_SCENARIOS = ("xfanout", "xecho")
WORKER_SCENARIOS = ("pollworkers",)
SINGLE_SCENARIOS = tuple(s for s in SIZES if s not in CLUSTER_SCENARIOS + WORKER_SCENARIOS)
SCENARIO_TITLES = {
    "echo": "acked echo, WebSocket",
    "fanout": "room fan-out, WebSocket",
    "idle": "idle WebSocket connections",
    "connrate": "connection rate",
    "pollecho": "acked echo, long-polling",
    "xfanout": "room fan-out, two nodes over Redis",
    "xecho": "acked echo through a client of the other node (call() over Redis)",
    "pollworkers": "acked echo, long-polling, gunicorn -w 2 against -w 1 (no sticky sessions)",
}


@dataclasses.dataclass(frozen=True)
class Contender:
    """A server under test: ``argv`` with ``{port}`` filled in; ``worker`` when the processes that
    serve are children of the one started (gunicorn's workers: ``workers`` of them)."""

    name: str
    argv: tuple[str, ...]
    worker: bool = False
    #: The scenarios it serves (None: every single-node one, SINGLE_SCENARIOS).
    scenarios: tuple[str, ...] | None = None
    #: Server processes started, each a node of one cluster over a Redis of the run's own.
    nodes: int = 1
    #: A Redis for the run (the nodes' or the workers' RedisManager: BENCH_REDIS_URL).
    redis: bool = False
    workers: int = 1
    #: Pinned: every server process on SERVER_CORE, the load generator and Redis on LOADGEN_CORE;
    #: else all of them on BOTH_CORES.
    pinned: bool = True
    #: Never run: the table says this instead (a deployment the implementation cannot serve).
    unsupported: str | None = None

    def serves(self, scenario: str) -> bool:
        return scenario in (self.scenarios if self.scenarios is not None else SINGLE_SCENARIOS)


def _gunicorn(worker_class: str, module: str, workers: int = 1) -> tuple[str, ...]:
    # worker_connections defaults to 1000, which would cap the fan-out and idle scenarios.
    return (
        sys.executable,
        "-m",
        "gunicorn",
        "-k",
        worker_class,
        "-w",
        str(workers),
        "-b",
        "127.0.0.1:{port}",
        "--backlog",
        "1024",
        "--worker-connections",
        "20000",
        "--no-control-socket",
        "--log-level",
        "warning",
        f"{module}:app",
    )


PYWSGI = (sys.executable, str(SERVERS / "pywsgi_server.py"), "--port", "{port}", "--impl")
UVICORN = (sys.executable, str(SERVERS / "uvicorn_server.py"), "--port", "{port}", "--impl")
CONTENDERS = [
    Contender("greensio-pywsgi", (*PYWSGI, "greensio")),
    Contender("greensio-gunicorn", _gunicorn("gevent", "gunicorn_greensio"), worker=True),
    # python-engineio cannot upgrade to WebSocket without gevent-websocket's handler once
    # gevent-websocket is importable: plain `-k gevent` answers the upgrade with a 500.
    Contender("psio-pywsgi", (*PYWSGI, "socketio")),
    Contender(
        "psio-gunicorn",
        _gunicorn("geventwebsocket.gunicorn.workers.GeventWebSocketWorker", "gunicorn_socketio"),
        worker=True,
    ),
    Contender("node", ("node", str(SERVERS / "node_server.js"), "{port}")),
    # The asyncio servers (AsyncServer behind ASGIApp), both under uvicorn.
    Contender("greensio-uvicorn", (*UVICORN, "greensio")),
    Contender("psio-uvicorn", (*UVICORN, "socketio")),
    # Not a Socket.IO server: the least any ASGI one can cost under uvicorn (echo and idle only;
    # bench/servers/uvicorn_floor.py), the ceiling of the asyncio rows' ratios.
    Contender(
        "floor-uvicorn",
        (sys.executable, str(SERVERS / "uvicorn_floor.py"), "--port", "{port}"),
        scenarios=("echo", "idle"),
    ),
    # Two pywsgi nodes over Redis (each the implementation's RedisManager, one channel).
    Contender(
        "greensio-2nodes", (*PYWSGI, "greensio"), scenarios=CLUSTER_SCENARIOS, nodes=2, redis=True
    ),
    Contender(
        "psio-2nodes", (*PYWSGI, "socketio"), scenarios=CLUSTER_SCENARIOS, nodes=2, redis=True
    ),
    # gunicorn -k gevent with a RedisManager (no sticky sessions: greensio/engineio/forwarding.py),
    # one worker and two, every process on both cores.
    *(
        Contender(
            f"greensio-gunicorn-w{n}",
            _gunicorn("gevent", "gunicorn_greensio", workers=n),
            worker=True,
            scenarios=WORKER_SCENARIOS,
            redis=True,
            workers=n,
            pinned=False,
        )
        for n in (1, 2)
    ),
    Contender(
        "psio-gunicorn-w2",
        (),
        scenarios=WORKER_SCENARIOS,
        unsupported="n/a: needs sticky sessions",
    ),
]
CONTENDERS_BY_NAME = {c.name: c for c in CONTENDERS}
#: (greensio contender, peer) pairs for the ratio table.
PAIRS = [
    ("greensio-pywsgi", "psio-pywsgi"),
    ("greensio-gunicorn", "psio-gunicorn"),
    ("greensio-pywsgi", "node"),
    ("greensio-gunicorn", "node"),
    ("greensio-uvicorn", "psio-uvicorn"),
    ("greensio-uvicorn", "node"),
    ("greensio-uvicorn", "floor-uvicorn"),
    ("greensio-2nodes", "psio-2nodes"),
    # not greensio against a peer: what the second worker adds
    ("greensio-gunicorn-w2", "greensio-gunicorn-w1"),
]
PROFILED = "greensio-pywsgi"
#: Other processes using more CPU than this (in cores) during a run get that run flagged.
FOREIGN_WARN = 0.15
#: Seconds to wait, before each run, for the machine to be that quiet (QUIET_WAIT).
QUIET_WAIT = float(os.environ.get("QUIET_WAIT", 30))

#: (scenario, key, label, higher_is_better); "idle" keys are "kb_per_conn@<connections>".
BASE_METRICS = [
    ("echo", "msg_per_s", "msg/s", True),
    ("echo", "p50_ms", "p50 latency ms", False),
    ("echo", "p99_ms", "p99 latency ms", False),
    ("echo", "server_cpu_us_per_msg", "server CPU µs/msg", False),
    ("fanout", "deliveries_per_s", "deliveries/s", True),
    ("fanout", "server_cpu_us_per_delivery", "server CPU µs/delivery", False),
    ("connrate", "conn_per_s", "connections/s", True),
    ("connrate", "server_cpu_us_per_conn", "server CPU µs/connection", False),
    ("pollecho", "msg_per_s", "msg/s", True),
    ("pollecho", "p50_ms", "p50 latency ms", False),
    ("pollecho", "server_cpu_us_per_msg", "server CPU µs/msg", False),
    ("xfanout", "deliveries_per_s", "deliveries/s", True),
    ("xfanout", "server_cpu_us_per_delivery", "server CPU µs/delivery (both nodes)", False),
    ("xecho", "msg_per_s", "msg/s", True),
    ("xecho", "p50_ms", "p50 latency ms", False),
    ("xecho", "p99_ms", "p99 latency ms", False),
    ("xecho", "server_cpu_us_per_msg", "server CPU µs/msg (both nodes)", False),
    ("pollworkers", "msg_per_s", "msg/s", True),
    ("pollworkers", "p50_ms", "p50 latency ms", False),
    ("pollworkers", "server_cpu_us_per_msg", "server CPU µs/msg (all workers)", False),
]


def metrics(scenarios: list[str]) -> list[tuple[str, str, str, bool]]:
    """The table's rows for ``scenarios``, in the order of BASE_METRICS (idle after connrate)."""
    levels = [int(n) for n in str(SIZES["idle"]["levels"]).split(",")]
    idle = [("idle", f"kb_per_conn@{n}", f"server RSS KiB/conn @{n}", False) for n in levels]
    rows = [*BASE_METRICS[:8], *idle, *BASE_METRICS[8:]]
    return [row for row in rows if row[0] in scenarios]


# ------------------------------------------------------------------------------------------------
# processes


def free_port() -> int:
    """A free port below the ephemeral range, so no client connection is ever handed it."""
    for port in range(20000 + os.getpid() % 5000, 30000):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-29999")


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def wait_ready(proc: subprocess.Popen, port: int, timeout: float = 30) -> None:
    """Until the server answers HTTP on ``port`` (any status; the bench apps 404 this path)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} before it was ready")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench-ready", timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server not ready after {timeout} s")


def serving_pids(proc: subprocess.Popen, contender: Contender, profiled: bool) -> list[int]:
    """The processes that serve: gunicorn's workers, or py-spy's child, or the one started."""
    pid = proc.pid
    if profiled:
        kids = children(pid)
        if len(kids) != 1:
            raise RuntimeError(f"expected one child of {pid}, found {kids}")
        pid = kids[0]
    if not contender.worker:
        return [pid]
    deadline = time.monotonic() + 30
    while len(kids := children(pid)) < contender.workers and time.monotonic() < deadline:
        time.sleep(0.1)
    if len(kids) != contender.workers:
        raise RuntimeError(f"expected {contender.workers} children of {pid}, found {kids}")
    return kids


def wait_workers(log_path: Path, workers: int, timeout: float = 30) -> None:
    """Until every gunicorn worker has loaded the app (``gunicorn_greensio`` says so)."""
    deadline = time.monotonic() + timeout
    while log_path.read_text(errors="replace").count("WORKER READY") < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{workers} workers not ready after {timeout} s")
        time.sleep(0.1)


def warm_workers(port: int, workers: int, timeout: float = 20) -> None:
    """Until each of the ``workers`` has served an Engine.IO handshake, so that each has
    registered its private endpoint in Redis (greensio/engineio/forwarding.py) before the load
    starts. The first 6 characters of a sid name the worker that issued it."""
    url = f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling"
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"handshakes reached {len(seen)} of {workers} workers")
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
        seen.add(json.loads(body[1:])["sid"][:6])


class Server:
    """One fresh server process, in its own session so that it is stopped by its group id."""

    def __init__(
        self,
        contender: Contender,
        log_path: Path,
        profile_svg: Path | None,
        redis_url: str | None = None,
    ) -> None:
        self.contender = contender
        self.port = free_port()
        argv = [a.replace("{port}", str(self.port)) for a in contender.argv]
        argv = ["taskset", "-c", SERVER_CORE if contender.pinned else BOTH_CORES, *argv]
        if profile_svg is not None:
            # py-spy itself samples from the load generator's core, not the server's.
            spy = ["py-spy", "record", "-o", str(profile_svg)]
            # --nonblocking does not pause the server to sample it, but loses many samples.
            spy += ["--nonblocking", "--"] if os.environ.get("PROFILE_NONBLOCKING") else ["--"]
            argv = ["taskset", "-c", LOADGEN_CORE, *spy, *argv]
        self.profiled = profile_svg is not None
        self.log_path = log_path
        self.log = open(log_path, "w")  # closed in stop()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SERVERS), str(ROOT)]))
        env["PYTHONUNBUFFERED"] = "1"
        if redis_url is not None:
            env["BENCH_REDIS_URL"] = redis_url
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_ready(self.proc, self.port)
            self.pids = serving_pids(self.proc, contender, self.profiled)
            self.pid = self.pids[0]
            if contender.workers > 1:
                wait_workers(log_path, contender.workers)
                if contender.redis:
                    warm_workers(self.port, contender.workers)
        except Exception:
            self.stop()
            raise

    def alive(self) -> bool:
        return self.proc.poll() is None and all(Path(f"/proc/{p}").exists() for p in self.pids)

    def stop(self) -> None:
        if self.profiled and self.proc.poll() is None:
            # py-spy writes its flame graph when the profiled process exits.
            for pid in children(self.proc.pid):
                os.kill(pid, signal.SIGKILL)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(30)
        self.log.close()

    def problems(self) -> list[str]:
        """Lines of the server log that look like errors (tracebacks, ERROR records)."""
        text = self.log_path.read_text(errors="replace")
        pattern = re.compile(r"Traceback|\bERROR\b|Error:|Exception|CRITICAL|WARNING")
        return [line for line in text.splitlines() if pattern.search(line)]


def run_loadgen(scenario: str, servers: list[Server]) -> dict:
    """The load generator against ``servers`` (a cluster's nodes: its clients are dealt to them)."""
    options = {**SIZES[scenario], "setup-deadline": SETUP_DEADLINE}
    cores = LOADGEN_CORE if servers[0].contender.pinned else BOTH_CORES
    mode = LOADGEN_MODE.get(scenario, scenario)
    argv = ["taskset", "-c", cores, "node", str(BENCH / "loadgen.js"), mode]
    argv += ["--ports", ",".join(str(s.port) for s in servers)]
    argv += ["--pid", ",".join(str(p) for s in servers for p in s.pids)]
    argv += ["--clk-tck", str(CLK_TCK)]
    for key, value in options.items():
        argv += [f"--{key}", str(value)]
    budget = SETUP_DEADLINE + int(options.get("deadline", 0)) + 60
    if scenario == "idle":
        budget += SETUP_DEADLINE * len(str(options["levels"]).split(","))
    try:
        done = subprocess.run(argv, cwd=BENCH, capture_output=True, text=True, timeout=budget)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"load generator killed after {budget} s") from exc
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr.strip()[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def flatten(scenario: str, result: dict) -> dict:
    """The run's figures under the table's keys (the idle levels become ``kb_per_conn@N``)."""
    if scenario != "idle":
        return result
    flat = {"baseline_rss_kb": result["baseline_rss_kb"]}
    for level in result["levels"]:
        for key in ("kb_per_conn", "rss_kb", "connect_s", "dropped"):
            flat[f"{key}@{level['connections']}"] = level[key]
    # "complete": every idle connection was still open when the RSS was read
    flat["complete"] = not any(level["dropped"] for level in result["levels"])
    return flat


CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine_cpu() -> float:
    """CPU seconds used on the whole machine (user + nice + system, every core)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:4]
    return sum(int(f) for f in fields) / CLK_TCK


def process_cpu(pid: int) -> float:
    """utime + stime of one process, in seconds (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def own_cpu() -> float:
    """CPU seconds of this driver and its reaped children (the load generators)."""
    return sum(
        u.ru_utime + u.ru_stime
        for u in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


class ForeignLoad:
    """How much CPU the rest of the machine (other than the servers, Redis, the load generator
    and this driver) used during a run, in cores: other work on the box skews the figures."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.start = (time.monotonic(), machine_cpu(), self._ours())

    def _ours(self) -> float:
        return sum(process_cpu(pid) for pid in self.pids) + own_cpu()

    def cores(self) -> float:
        wall, machine, ours = self.start
        used = machine_cpu() - machine - (self._ours() - ours)
        return max(0.0, used) / max(1e-9, time.monotonic() - wall)


def wait_quiet(limit: float) -> float:
    """Waits (up to ``limit`` seconds) until the machine is nearly idle; returns the last load seen,
    in cores. Other sessions' work, or the kernel tearing down the last run's sockets, would
    otherwise land inside the next run."""
    deadline = time.monotonic() + limit
    while True:
        before = machine_cpu() - own_cpu()
        time.sleep(0.3)
        load = max(0.0, (machine_cpu() - own_cpu() - before) / 0.3)
        if load <= FOREIGN_WARN or time.monotonic() >= deadline:
            return load


def run_one(scenario: str, contender: Contender, rnd: int, profile: bool) -> dict:
    log_path = LOGS / f"{scenario}.{contender.name}.r{rnd}.log"
    svg = RESULTS / f"profile-{scenario}.svg" if profile and contender.name == PROFILED else None
    record: dict = {"scenario": scenario, "contender": contender.name, "round": rnd}
    waiting = time.monotonic()
    record["load_before"] = round(wait_quiet(QUIET_WAIT), 3)
    record["waited_s"] = round(time.monotonic() - waiting, 1)
    started = time.monotonic()
    servers: list[Server] = []
    redis = None
    try:
        if contender.redis:
            cores = LOADGEN_CORE if contender.pinned else BOTH_CORES
            redis = Redis(cores, log_path.with_suffix(".redis.log")).start()
        for node in range(contender.nodes):
            path = log_path if node == 0 else log_path.with_suffix(f".node{node}.log")
            url = redis.url if redis is not None else None
            servers.append(Server(contender, path, svg if node == 0 else None, url))
        pids = [p for server in servers for p in server.pids]
        foreign = ForeignLoad(pids + ([redis.pid] if redis is not None else []))
        record["result"] = flatten(scenario, run_loadgen(scenario, servers))
        record["foreign_cpu_cores"] = round(foreign.cores(), 3)
        if not all(server.alive() for server in servers):
            record["error"] = "a server process died during the run"
    except Exception as exc:  # noqa: BLE001 (any failure is recorded and the run goes on)
        record["error"] = str(exc)
    finally:
        for server in servers:
            if "error" in record and not server.alive():
                record["error"] += f" (server exit status {server.proc.poll()})"
            server.stop()
            problems = server.problems()
            if problems:
                record["log_problems"] = record.get("log_problems", 0) + len(problems)
                record.setdefault("log_excerpt", []).extend(problems[:5])
        if redis is not None:
            redis.stop()
    record["seconds"] = round(time.monotonic() - started, 1)
    record["log"] = str(log_path.relative_to(ROOT))
    return record


# ------------------------------------------------------------------------------------------------
# summary


def summarize(runs: list[dict], scenarios: list[str], names: list[str]) -> dict:
    """metric key -> contender -> {"median", "n", "incomplete"} over the successful runs."""
    summary: dict = {}
    for scenario, key, _label, _higher in metrics(scenarios):
        row = summary.setdefault(f"{scenario}.{key}", {})
        for name in names:
            ok = [
                r
                for r in runs
                if r["scenario"] == scenario
                and r["contender"] == name
                and "error" not in r
                and r["result"].get(key) is not None
            ]
            if ok:
                row[name] = {
                    "median": statistics.median(r["result"][key] for r in ok),
                    "n": len(ok),
                    "incomplete": sum(1 for r in ok if r["result"].get("complete") is False),
                }
    return summary


def ratios(summary: dict, scenarios: list[str]) -> dict:
    """metric key -> "greensio/peer" -> ratio, >1 meaning greensio is better."""
    table: dict = {}
    for scenario, key, _label, higher in metrics(scenarios):
        row = summary.get(f"{scenario}.{key}", {})
        for ours, peer in PAIRS:
            if ours in row and peer in row and row[ours]["median"] and row[peer]["median"]:
                a, b = row[ours]["median"], row[peer]["median"]
                table.setdefault(f"{scenario}.{key}", {})[f"{ours}/{peer}"] = (
                    a / b if higher else b / a
                )
    return table


def fmt(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


#: The report's tables: the single-node scenarios, the two-node ones, the gunicorn workers.
GROUPS = [SINGLE_SCENARIOS, CLUSTER_SCENARIOS, WORKER_SCENARIOS]


def render(summary: dict, ratio_table: dict, scenarios: list[str], names: list[str]) -> str:
    """A table of medians (and one of ratios) per group of scenarios that ran, each with the
    contenders that serve them."""
    tables = []
    for group in GROUPS:
        chosen = [s for s in scenarios if s in group]
        served = [n for n in names if any(CONTENDERS_BY_NAME[n].serves(s) for s in chosen)]
        if chosen and served:
            tables.append(render_group(summary, ratio_table, chosen, served))
    return "\n\n".join(tables)


def render_group(summary: dict, ratio_table: dict, scenarios: list[str], names: list[str]) -> str:
    absolute, relative = [], []
    pairs = [(a, b) for a, b in PAIRS if a in names and b in names]
    for scenario, key, label, higher in metrics(scenarios):
        title = f"{scenario}: {label} ({'higher' if higher else 'lower'} is better)"
        row = summary.get(f"{scenario}.{key}", {})
        cells = []
        for name in names:
            cell = row.get(name)
            if cell is None:
                contender = CONTENDERS_BY_NAME[name]
                if not contender.serves(scenario):
                    cells.append("-")
                else:
                    cells.append(contender.unsupported or "failed")
                continue
            mark = "*" if cell["incomplete"] else ""
            rounds = "" if cell["n"] == ROUNDS else f" ({cell['n']}/{ROUNDS})"
            cells.append(fmt(cell["median"]) + mark + rounds)
        absolute.append([title, *cells])
        found = ratio_table.get(f"{scenario}.{key}", {})
        relative.append(
            [title, *(fmt(found[f"{a}/{b}"]) if f"{a}/{b}" in found else "-" for a, b in pairs)]
        )
    text = (
        f"Medians over {ROUNDS} round(s); * = a run fell short (deadline hit, idle socket lost)\n\n"
        + markdown_table(["metric", *names], absolute)
    )
    if pairs:
        text += (
            "\n\nRatios greensio / peer (>1: greensio better; inverted where lower is better)\n\n"
        )
        text += markdown_table(["metric", *(f"{a} vs {b}" for a, b in pairs)], relative)
    return text


def versions() -> dict:
    found = {"python": platform.python_version()}
    for dist in (
        "greensio",
        "python-socketio",
        "python-engineio",
        "gevent",
        "gevent-websocket",
        "gunicorn",
        "websockets",
        "uvicorn",
        "redis",
    ):
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            found[dist] = None
    found["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
    found["node"] = found["node"].strip()
    if shutil.which("redis-server"):
        server = subprocess.run(["redis-server", "--version"], capture_output=True, text=True)
        found["redis-server"] = server.stdout.strip()
    for pkg in ("socket.io", "ws"):
        manifest = BENCH / "node_modules" / pkg / "package.json"
        found[f"npm {pkg}"] = json.loads(manifest.read_text())["version"]
    return found


# ------------------------------------------------------------------------------------------------


def preflight(scenarios: list[str], contenders: list[Contender], profile: bool) -> bool:
    for tool in ("taskset", "node"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} not found (taskset is in util-linux; Node 20+ for node)")
    brokered = any(c.redis and c.serves(s) for c in contenders for s in scenarios)
    if brokered and shutil.which("redis-server") is None:
        sys.exit(
            "bench: redis-server not found (apt-get install redis-server), needed by the"
            " cluster rows; or leave them out: SCENARIOS=echo,fanout,idle,connrate,pollecho"
        )
    if not (BENCH / "node_modules" / "ws").is_dir():
        sys.exit("bench: run `npm install` in bench/ first (or `make bench`)")
    if len(os.sched_getaffinity(0)) < 2:
        sys.exit("bench: needs two CPUs (server on core 0, load generator on core 1)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by every child
    need = max(int(n) for n in str(SIZES["idle"]["levels"]).split(",")) + 1000
    if "idle" in scenarios and hard < need:
        print(f"bench: warning: open-file limit {hard} < {need}; the idle scenario may fail")
    busy = wait_quiet(0)
    if busy > FOREIGN_WARN:
        print(f"bench: warning: the machine is busy ({busy:.2f} cores in use before starting)")
    if profile and shutil.which("py-spy") is None:
        print("bench: PROFILE=1 but py-spy is not installed (pip install py-spy); not profiling")
        return False
    return profile and any(c.name == PROFILED for c in contenders)


def selected(env: str, choices: list[str]) -> list[str]:
    wanted = [s.strip() for s in os.environ.get(env, "").split(",") if s.strip()]
    unknown = set(wanted) - set(choices)
    if unknown:
        sys.exit(f"bench: unknown {env}: {', '.join(sorted(unknown))} (choose from {choices})")
    return [c for c in choices if c in wanted] if wanted else list(choices)


def run_all(scenarios: list[str], contenders: list[Contender], profile: bool) -> list[dict]:
    """Every scenario for every contender that serves it, ROUNDS times; the order rotates each
    round."""
    runs = []
    for scenario in scenarios:
        serving = [c for c in contenders if c.serves(scenario) and c.unsupported is None]
        for rnd in range(ROUNDS):
            shift = rnd % max(1, len(serving))
            for contender in serving[shift:] + serving[:shift]:
                record = run_one(scenario, contender, rnd, profile)
                runs.append(record)
                status = record.get("error") or "ok"
                if record.get("log_problems"):
                    status += f"; {record['log_problems']} suspicious log lines"
                if record["waited_s"] >= 1:
                    status += f" (waited {record['waited_s']:.0f} s for a quiet machine)"
                name, took = contender.name, record["seconds"]
                print(f"  {scenario:<11} r{rnd} {name:<20} {took:6.1f} s  {status}", flush=True)
    return runs


def report_problems(runs: list[dict]) -> None:
    for record in runs:
        if "error" not in record:
            continue
        where = f"{record['scenario']} {record['contender']} r{record['round']}"
        print(f"\nFAILED {where}: {record['error']}\n  log: {record['log']}")
        for line in record.get("log_excerpt", []):
            print(f"    {line}")
    done = [r for r in runs if "error" not in r]
    for record in done:
        if (record["result"].get("loadgen_cpu_util") or 0) > 0.9:
            where = f"{record['scenario']} {record['contender']} r{record['round']}"
            print(f"note: load generator near 100% of its core in {where}: client-bound figure")
    for scenario in dict.fromkeys(r["scenario"] for r in done):
        ran = [r for r in done if r["scenario"] == scenario]
        busy = [r for r in ran if r.get("foreign_cpu_cores", 0) > FOREIGN_WARN]
        if busy:
            worst = max(busy, key=lambda r: r["foreign_cpu_cores"])
            print(
                f"note: {scenario}: other processes used more than {FOREIGN_WARN} cores during"
                f" {len(busy)}/{len(ran)} runs (at most {worst['foreign_cpu_cores']:.2f}, in"
                f" {worst['contender']} r{worst['round']}); those figures are skewed"
            )


def main() -> None:
    scenarios = selected("SCENARIOS", list(SIZES))
    names = selected("CONTENDERS", [c.name for c in CONTENDERS])
    contenders = [c for c in CONTENDERS if c.name in names]
    profile = preflight(scenarios, contenders, os.environ.get("PROFILE", "") not in ("", "0"))
    LOGS.mkdir(parents=True, exist_ok=True)
    mode = (" (QUICK)" if QUICK else "") + (
        f" (PROFILE: {PROFILED} under py-spy)" if profile else ""
    )
    count = sum(c.serves(s) and c.unsupported is None for s in scenarios for c in contenders)
    size = f"{len(scenarios)} scenarios, {count} scenario-contender pairs x {ROUNDS} rounds"
    print(f"bench: {size}{mode}", flush=True)
    started = time.monotonic()
    runs = run_all(scenarios, contenders, profile)
    summary = summarize(runs, scenarios, names)
    ratio_table = ratios(summary, scenarios)
    table = render(summary, ratio_table, scenarios, names)
    print()
    print(table)
    report_problems(runs)
    elapsed = time.monotonic() - started
    print(f"\nbench: {elapsed:.0f} s; results in {(RESULTS / 'latest.json').relative_to(ROOT)}")
    document = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "quick": QUICK,
        "rounds": ROUNDS,
        "profile": profile,
        "elapsed_s": round(elapsed, 1),
        "cores": {"server": SERVER_CORE, "loadgen": LOADGEN_CORE},
        "sizes": {s: SIZES[s] for s in scenarios},
        "versions": versions(),
        "summary": summary,
        "ratios": ratio_table,
        "table": table,
        "runs": runs,
    }
    (RESULTS / "latest.json").write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
