"""Generate the greenlet front-end's modules from their asyncio sources (httpcore's model).

Each pair below is one module written once, for asyncio (``async def``, ``await``), and the
greenlet twin made from it by removing what only asyncio needs: the two cannot drift. The
sync file is committed (it is what most users run and read); ``--check`` fails when one is stale,
and ``make lint`` runs it.

The rewrite is token-level, on code and comments alike (so prose in the sources avoids the words
it rewrites): ``async def``/``async with``/``async for`` lose ``async``, ``await`` goes, names
``AsyncX`` become ``X``, the source modules' names become their twins', and a line ending in
``# unasync: async-only`` is dropped. The result goes through ``ruff format``.

Usage: python scripts/unasync.py [--check]
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (asyncio source, generated greenlet twin), relative to the repository.
PAIRS = [
    ("greensio/backends/async_tasks.py", "greensio/backends/tasks.py"),
    ("greensio/engineio/async_polling.py", "greensio/engineio/polling.py"),
    ("greensio/async_acks.py", "greensio/acks.py"),
    ("greensio/server/async_remote_client.py", "greensio/server/remote_client.py"),
    ("greensio/server/async_events.py", "greensio/server/events.py"),
    ("greensio/server/async_rooms.py", "greensio/server/rooms.py"),
    ("greensio/server/async_remote_socket.py", "greensio/server/remote_socket.py"),
    ("greensio/server/async_cluster.py", "greensio/server/cluster.py"),
    ("greensio/server/async_server.py", "greensio/server/server.py"),
    ("greensio/server/async_namespace.py", "greensio/server/namespace.py"),
    ("greensio/server/async_admin.py", "greensio/server/admin.py"),
    ("greensio/engineio/async_client.py", "greensio/engineio/client.py"),
    ("greensio/client/async_reconnect.py", "greensio/client/reconnect.py"),
    ("greensio/client/async_events.py", "greensio/client/events.py"),
    ("greensio/client/async_client.py", "greensio/client/client.py"),
    ("greensio/client/async_namespace.py", "greensio/client/namespace.py"),
    ("greensio/client/async_simple.py", "greensio/client/simple.py"),
    # The app the server behaviour tests run against, for both front-ends.
    ("tests/apps/async_server_api.py", "tests/apps/server_api.py"),
    ("tests/apps/async_cluster_api.py", "tests/apps/cluster_api.py"),
    ("tests/apps/async_interop.py", "tests/apps/interop.py"),
    ("tests/apps/async_middlewares.py", "tests/apps/middlewares.py"),
    ("tests/apps/async_conformance.py", "tests/apps/conformance.py"),
    ("tests/apps/async_recovery.py", "tests/apps/recovery.py"),
    ("tests/apps/async_admin_app.py", "tests/apps/admin_app.py"),
    # One node of a multi-node test cluster, on a message-queue manager.
    ("tests/support/async_cluster_app.py", "tests/support/cluster_app.py"),
]

#: Modules whose names change (``greensio.server.async_events`` -> ``greensio.server.events``):
#: every source above, and hand-written asyncio drivers with a greenlet counterpart.
_RENAMED_MODULES = sorted(
    {Path(src).stem for src, _ in PAIRS}
    | {"async_server", "async_http_client", "async_websocket_client"}
)

SUBSTITUTIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\basync (def|with|for)\b"), r"\1"),
    (re.compile(r"\bawait "), ""),
    (re.compile(r"\b__aenter__\b"), "__enter__"),
    (re.compile(r"\b__aexit__\b"), "__exit__"),
    (re.compile(r"\basynccontextmanager\b"), "contextmanager"),
    (re.compile(r"\bget_async_backend\b"), "get_backend"),
    (re.compile(r"\bASGIApp\b"), "WSGIApp"),
    (re.compile(r"\bAbstractAsyncContextManager\b"), "AbstractContextManager"),
    (re.compile(r"\bAsyncIterator\b"), "Iterator"),
    (re.compile(r"\bAsync([A-Z]\w*)"), r"\1"),
    (
        re.compile(r"\basync_(" + "|".join(n[len("async_") :] for n in _RENAMED_MODULES) + r")\b"),
        r"\1",
    ),
]

ASYNC_ONLY = "# unasync: async-only"


def header(source: str) -> str:
    return f"# Generated from {source} by scripts/unasync.py: do not edit.\n"


def unasync_text(text: str) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        if line.rstrip().endswith(ASYNC_ONLY):
            continue
        for pattern, replacement in SUBSTITUTIONS:
            line = pattern.sub(replacement, line)
        lines.append(line)
    return "".join(lines)


def _ruff(args: list[str], text: str, path: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", path, "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"ruff {args[0]} failed on the output for {path}:\n{result.stderr}")
    return result.stdout


def formatted(text: str, path: str) -> str:
    """``text`` with its imports sorted (renamed modules move) and formatted, as ``make lint``
    wants it."""
    text = _ruff(["check", "--select", "I", "--fix-only", "--exit-zero", "--quiet"], text, path)
    return _ruff(["format", "--quiet"], text, path)


def generate(source: str, target: str) -> str:
    text = (ROOT / source).read_text(encoding="utf-8")
    return formatted(header(source) + unasync_text(text), target)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for source, target in PAIRS:
        wanted = generate(source, target)
        path = ROOT / target
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == wanted:
            continue
        if check:
            stale.append(target)
        else:
            path.write_text(wanted, encoding="utf-8")
            print(f"wrote {target}")
    if stale:
        print(
            "generated files out of date with their asyncio sources: "
            + ", ".join(stale)
            + "\nedit the async_*.py source, then run `make unasync` (python scripts/unasync.py)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
