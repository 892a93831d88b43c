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
    SCENARIOS=...       comma list among echo,fanout,idle,connrate,pollecho (default: all)
    CONTENDERS=...      comma list of contender names (default: all; see CONTENDERS below)
    PROFILE=1           run greensio-pywsgi under ``py-spy record`` (bench/results/profile-*.svg)
    ECHO_CLIENTS=50 ECHO_MESSAGES=600 (per client) ECHO_PAYLOAD=64 ECHO_DEADLINE=20
    FANOUT_CLIENTS=1000 FANOUT_BROADCASTS=500 FANOUT_PAYLOAD=100 FANOUT_DEADLINE=30
    IDLE_LEVELS=2000,10000 IDLE_CONCURRENCY=100 IDLE_SETTLE=2
    CONNRATE_N=2000 CONNRATE_CONCURRENCY=50 CONNRATE_DEADLINE=30
    POLL_CLIENTS=20 POLL_MESSAGES=300 (per client) POLL_DEADLINE=20
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

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SERVERS = BENCH / "servers"
RESULTS = BENCH / "results"
LOGS = RESULTS / "logs"
SERVER_CORE, LOADGEN_CORE = "0", "1"
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
}
SCENARIO_TITLES = {
    "echo": "acked echo, WebSocket",
    "fanout": "room fan-out, WebSocket",
    "idle": "idle WebSocket connections",
    "connrate": "connection rate",
    "pollecho": "acked echo, long-polling",
}


@dataclasses.dataclass(frozen=True)
class Contender:
    """A server under test: ``argv`` with ``{port}`` filled in; ``worker`` when the process that
    serves is a child of the one started (gunicorn's worker)."""

    name: str
    argv: tuple[str, ...]
    worker: bool = False
    #: The scenarios it serves (None: all).
    scenarios: tuple[str, ...] | None = None


def _gunicorn(worker_class: str, module: str) -> tuple[str, ...]:
    # worker_connections defaults to 1000, which would cap the fan-out and idle scenarios.
    return (
        sys.executable,
        "-m",
        "gunicorn",
        "-k",
        worker_class,
        "-w",
        "1",
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


def serving_pid(proc: subprocess.Popen, contender: Contender, profiled: bool) -> int:
    """The process that serves: gunicorn's worker, or py-spy's child, or the one started."""
    pid = proc.pid
    for _ in range(int(contender.worker) + int(profiled)):
        kids = children(pid)
        if len(kids) != 1:
            raise RuntimeError(f"expected one child of {pid}, found {kids}")
        pid = kids[0]
    return pid


class Server:
    """One fresh server process, in its own session so that it is stopped by its group id."""

    def __init__(self, contender: Contender, log_path: Path, profile_svg: Path | None) -> None:
        self.contender = contender
        self.port = free_port()
        argv = [a.replace("{port}", str(self.port)) for a in contender.argv]
        argv = ["taskset", "-c", SERVER_CORE, *argv]
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
            self.pid = serving_pid(self.proc, contender, self.profiled)
        except Exception:
            self.stop()
            raise

    def alive(self) -> bool:
        return self.proc.poll() is None and Path(f"/proc/{self.pid}").exists()

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


def run_loadgen(scenario: str, server: Server) -> dict:
    options = {**SIZES[scenario], "setup-deadline": SETUP_DEADLINE}
    argv = ["taskset", "-c", LOADGEN_CORE, "node", str(BENCH / "loadgen.js"), scenario]
    argv += ["--port", str(server.port), "--pid", str(server.pid)]
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
    """How much CPU the rest of the machine (other than the server, the load generator and this
    driver) used during a run, in cores: other work on the box skews the figures."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.start = (time.monotonic(), machine_cpu(), process_cpu(server_pid), own_cpu())

    def cores(self) -> float:
        wall, machine, server, ours = self.start
        used = (
            machine_cpu() - machine - (process_cpu(self.server_pid) - server) - (own_cpu() - ours)
        )
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
    server = None
    try:
        server = Server(contender, log_path, svg)
        foreign = ForeignLoad(server.pid)
        record["result"] = flatten(scenario, run_loadgen(scenario, server))
        record["foreign_cpu_cores"] = round(foreign.cores(), 3)
        if not server.alive():
            record["error"] = "server process died during the run"
    except Exception as exc:  # noqa: BLE001 (any failure is recorded and the run goes on)
        record["error"] = str(exc)
    finally:
        if server is not None:
            if "error" in record and not server.alive():
                record["error"] += f" (server exit status {server.proc.poll()})"
            server.stop()
            problems = server.problems()
            if problems:
                record["log_problems"] = len(problems)
                record["log_excerpt"] = problems[:5]
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


def render(summary: dict, ratio_table: dict, scenarios: list[str], names: list[str]) -> str:
    absolute, relative = [], []
    pairs = [(a, b) for a, b in PAIRS if a in names and b in names]
    for scenario, key, label, higher in metrics(scenarios):
        title = f"{scenario}: {label} ({'higher' if higher else 'lower'} is better)"
        row = summary.get(f"{scenario}.{key}", {})
        cells = []
        for name in names:
            cell = row.get(name)
            if cell is None:
                served = CONTENDERS_BY_NAME[name].scenarios
                cells.append("failed" if served is None or scenario in served else "-")
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
    ):
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            found[dist] = None
    found["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
    found["node"] = found["node"].strip()
    for pkg in ("socket.io", "ws"):
        manifest = BENCH / "node_modules" / pkg / "package.json"
        found[f"npm {pkg}"] = json.loads(manifest.read_text())["version"]
    return found


# ------------------------------------------------------------------------------------------------


def preflight(scenarios: list[str], contenders: list[Contender], profile: bool) -> bool:
    for tool in ("taskset", "node"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} not found (taskset is in util-linux; Node 20+ for node)")
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
    """Every scenario for every contender, ROUNDS times; the order rotates each round."""
    runs = []
    for scenario in scenarios:
        for rnd in range(ROUNDS):
            shift = rnd % len(contenders)
            for contender in contenders[shift:] + contenders[:shift]:
                if contender.scenarios is not None and scenario not in contender.scenarios:
                    continue
                record = run_one(scenario, contender, rnd, profile)
                runs.append(record)
                status = record.get("error") or "ok"
                if record.get("log_problems"):
                    status += f"; {record['log_problems']} suspicious log lines"
                if record["waited_s"] >= 1:
                    status += f" (waited {record['waited_s']:.0f} s for a quiet machine)"
                name, took = contender.name, record["seconds"]
                print(f"  {scenario:<9} r{rnd} {name:<18} {took:6.1f} s  {status}", flush=True)
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
    size = f"{len(scenarios)} scenarios x {len(contenders)} contenders x {ROUNDS} rounds"
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
