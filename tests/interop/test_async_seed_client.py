"""The seed's asyncio client example (``AsyncChatClientNamespace``, its queue and
``asyncio.wait_for``, ``asyncio.create_task``, and the registration lines) run as written
(tests/apps/async_seed_client.py) against the seed's ChatNamespace on a greensio server."""

from __future__ import annotations

import signal
import sys

import pytest

from tests.support.client_servers import wait_until
from tests.support.servers import UNIT, ServerProcess, port_reserved, python_server

pytestmark = pytest.mark.timeout(40 * UNIT)

SEED_PORT = 5000  # the seed's client connects to http://localhost:5000, as written


def test_seed_async_chat_client_namespace_as_written() -> None:
    server = python_server("tests.apps.seed_server:build")
    server.argv += ["--port", str(SEED_PORT)]
    client = ServerProcess([sys.executable, "-m", "tests.apps.async_seed_client"])
    with port_reserved(SEED_PORT):
        server.start()
        try:
            client.start(ready_line="Username set successfully", timeout=10 * UNIT)
            # The second message goes out a second after the first, once Bob is in the room:
            # the server broadcasts it back, on_message queues it, process_messages handles it.
            wait_until(lambda: "Processed message from Bob" in client.log, timeout=10 * UNIT)
            assert client.proc is not None
            client.proc.send_signal(signal.SIGINT)
            assert client.proc.wait(5 * UNIT) == 0
        finally:
            client.stop()
            server.stop()
    wait_until(lambda: "stopped by Ctrl+C" in client.log)
    lines = [line.strip() for line in client.output]
    assert lines[:3] == [
        "Connected to async chat namespace",
        "Welcome message: Welcome to chat!",
        "Username set successfully",
    ]
    assert "Bob: How is everyone?" in lines
    assert lines.index("Bob: How is everyone?") < lines.index("Processed message from Bob")
    # Ctrl+C (handle_sigint) disconnects first: the disconnect handler runs before asyncio.run
    # ends with the KeyboardInterrupt.
    assert "Disconnected from async chat namespace" in lines
    assert lines.index("Disconnected from async chat namespace") < lines.index("stopped by Ctrl+C")
    assert "Traceback" not in client.log, client.log
    assert "connected to chat namespace" in server.log
