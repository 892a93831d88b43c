"""The soak test (issue 13): a greensio server under a steady churn of clients, then its figures.

Usage (``make soak`` runs it for 10 min)::

    python -m tests.soak.run [seconds] [clients]

Starts the server of ``tests/soak/app.py`` (gevent's pywsgi; a PING every 5 s, and 60 s for its
PONG: a load slowed down by a busy machine is not taken for clients gone; the clients that go say
so, or reset their connection), warms it up with 200 clients, waits until no session is left and
takes its warm baseline: RSS (``/proc/<pid>/status``), open file descriptors (``/proc/<pid>/fd``)
and live greenlets (``/stats``). Then ``tests/soak/load.py`` starts ``clients`` clients over
``seconds`` (2,000 a minute by default); once they are gone, the same figures again. The bounds:
RSS within ``RSS_MARGIN_MB`` of the baseline, file descriptors and greenlets back to it
(``SLACK``), no error-level line in the server's log, every client finished and every acked emit
acked. On 2 cores the server and the load run on one core each.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from typing import Any

import requests

from tests.support.servers import ROOT, UNIT, ServerProcess, python_server

APP = "tests.soak.app:build"
RSS_MARGIN_MB = 24.0
SLACK = 2
SETTLE_SECONDS = 40 * UNIT
WARM_UP = (10, 200)


def _pinned(argv: list[str], core: int) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(core), *argv]
    return argv


def rss_mb(pid: int) -> float:
    """The resident set of process ``pid``, in MB (``VmRSS``)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _stats(server: ServerProcess, detail: bool = False) -> dict[str, Any]:
    url = server.url + "/stats" + ("?detail" if detail else "")
    return requests.get(url, timeout=10 * UNIT).json()


def _settle(server: ServerProcess) -> None:
    """Wait until the server holds no session (clients gone, or reaped by the heartbeat)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while _stats(server)["clients"] and time.monotonic() < deadline:
        time.sleep(0.5)


def _figures(server: ServerProcess) -> dict[str, Any]:
    assert server.proc is not None
    pid = server.proc.pid
    stats = _stats(server, detail=True)
    return {
        "where": stats["where"],
        "rss_mb": round(rss_mb(pid), 1),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "greenlets": stats["greenlets"],
        "parked_greenlets": stats["parked"],
        "sessions": stats["clients"],
    }


def _load(server: ServerProcess, seconds: float, clients: int, seed: int) -> dict[str, Any]:
    argv = [sys.executable, "-m", "tests.soak.load", server.url, str(seconds), str(clients)]
    result = subprocess.run(
        _pinned([*argv, str(seed)], 1),
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=seconds + 180 * UNIT,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("SOAK ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"the load failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(lines[-1][len("SOAK ") :])


def soak(seconds: float = 60, clients: int | None = None) -> dict[str, Any]:
    """Run the soak; returns its figures (``violations`` says which bounds they break)."""
    clients = clients if clients is not None else round(2000 * seconds / 60)
    server = python_server(APP, ping_interval=5, ping_timeout=60)
    server.argv = _pinned(server.argv, 0)
    server.start()
    try:
        _load(server, *WARM_UP, seed=0)
        _settle(server)
        before = _figures(server)
        load = _load(server, seconds, clients, seed=1)
        _settle(server)
        after = _figures(server)
    finally:
        server.stop()
    errors = [
        line.rstrip()
        for line in server.output
        if line.startswith(("ERROR", "CRITICAL")) or "Traceback" in line
    ]
    return {"clients": clients, "before": before, "after": after, "load": load, "errors": errors}


def violations(figures: dict[str, Any]) -> list[str]:
    before, after, load = figures["before"], figures["after"], figures["load"]
    found = []
    if after["rss_mb"] - before["rss_mb"] > RSS_MARGIN_MB:
        found.append(f"RSS grew {after['rss_mb'] - before['rss_mb']:.1f} MB")
    for name in ("fds", "greenlets"):
        if after[name] > before[name] + SLACK:
            found.append(f"{name}: {before[name]} before, {after[name]} after")
    if after["sessions"]:
        found.append(f"{after['sessions']} sessions left")
    if figures["errors"]:
        found.append(f"error lines in the server's log: {figures['errors'][:5]}")
    if load["failures"]:
        found.append(f"client failures: {load['failures']}")
    for kind, counts in load["kinds"].items():
        if counts.get("finished", 0) != counts["started"]:
            found.append(f"{kind}: {counts['started']} started, {counts.get('finished')} finished")
        if counts.get("acks", 0) != counts.get("emits", 0):
            found.append(f"{kind}: {counts.get('emits')} acked emits, {counts.get('acks')} acks")
    return found


def report(figures: dict[str, Any]) -> str:
    before, after = figures["before"], figures["after"]
    kinds = figures["load"]["kinds"]
    emits = sum(k.get("emits", 0) for k in kinds.values())
    acks = sum(k.get("acks", 0) for k in kinds.values())
    mix = ", ".join(f"{v['started']} {k}" for k, v in sorted(kinds.items()))
    failures = sum(figures["load"]["failures"].values())
    return "\n".join(
        [
            f"soak: {figures['clients']} clients in {figures['load']['seconds']} s ({mix})",
            f"  RSS        {before['rss_mb']} MB -> {after['rss_mb']} MB (margin {RSS_MARGIN_MB})",
            f"  fds        {before['fds']} -> {after['fds']}",
            f"  greenlets  {before['greenlets']} -> {after['greenlets']} (and idle in the task "
            f"pool: {before['parked_greenlets']} -> {after['parked_greenlets']})",
            f"  acked emits {emits}, acks {acks}; error lines {len(figures['errors'])}; "
            f"client failures {failures}",
        ]
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    result = soak(float(args[0]) if args else 600, int(args[1]) if len(args) > 1 else None)
    print(report(result))
    problems = violations(result)
    for problem in problems:
        print("FAILED:", problem)
    sys.exit(1 if problems else 0)
