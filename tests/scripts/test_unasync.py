"""scripts/unasync.py: the greenlet modules are generated from their asyncio sources."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "unasync.py"


def _load():
    spec = importlib.util.spec_from_file_location("unasync", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


unasync = _load()


def test_the_generated_modules_match_their_sources():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_a_stale_generated_module_fails_the_check(tmp_path, monkeypatch):
    source, target = unasync.PAIRS[0]
    copy = tmp_path / "repo"
    for path in (source, target):
        (copy / path).parent.mkdir(parents=True, exist_ok=True)
        (copy / path).write_text((ROOT / path).read_text())
    (copy / target).write_text((ROOT / target).read_text() + "\n# edited by hand\n")
    (copy / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    monkeypatch.setattr(unasync, "ROOT", copy)
    monkeypatch.setattr(unasync, "PAIRS", [(source, target)])
    assert unasync.main(["--check"]) == 1
    assert unasync.main([]) == 0  # regenerated
    assert unasync.main(["--check"]) == 0


def test_the_rewrite():
    text = """import inspect  # unasync: async-only
from greensio.async_acks import AsyncPendingAcks
from greensio.backends import get_async_backend


class AsyncThing(AsyncPendingAcks):
    async def __aenter__(self) -> AsyncThing:
        async with self.lock:
            await self.backend.sleep(1)
        async for item in self.items:
            pass
        return self
"""
    assert (
        unasync.unasync_text(text)
        == """from greensio.acks import PendingAcks
from greensio.backends import get_backend


class Thing(PendingAcks):
    def __enter__(self) -> Thing:
        with self.lock:
            self.backend.sleep(1)
        for item in self.items:
            pass
        return self
"""
    )


def test_every_source_is_an_async_module_beside_its_twin():
    for source, target in unasync.PAIRS:
        source_path, target_path = Path(source), Path(target)
        assert source_path.name == "async_" + target_path.name
        assert source_path.parent == target_path.parent
        assert (ROOT / target).read_text().startswith("# Generated from " + source)


def test_the_client_transports_drivers_become_the_greenlet_ones():
    """The asyncio client's transports are hand-written drivers (not generated); the generated
    Engine.IO client imports the greenlet ones in their place, under the names they share."""
    text = """from greensio.transports.async_http_client import AsyncHttpClient
from greensio.transports.async_websocket_client import AsyncClientWebSocket, connect_websocket
from greensio.transports import async_http_client  # unasync: async-only
"""
    assert unasync.unasync_text(text) == (
        "from greensio.transports.http_client import HttpClient\n"
        "from greensio.transports.websocket_client import ClientWebSocket, connect_websocket\n"
    )
    from greensio.transports import http_client, websocket_client

    assert http_client.HttpClient and websocket_client.ClientWebSocket
    assert websocket_client.connect_websocket
