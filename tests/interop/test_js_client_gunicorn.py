"""The official JS client against the interop app under a real ``gunicorn -k gevent``: long-polling
there runs on connections greensio takes over from gunicorn (greensio/transports/keepalive.py),
and the upgrade moves the session to a WebSocket taken over from gunicorn too.

The scenarios and their assertions are test_js_client.py's, run here with this module's
``server`` and ``transports``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.interop.conftest import IMPL, TRANSPORTS
from tests.interop.test_gunicorn import Gunicorn
from tests.interop.test_js_client import (  # noqa: F401 - collected here, with these fixtures
    test_binary_nested_both_ways,
    test_connect_welcome_arrives_after_connect,
    test_echo_acks_with_every_argument,
    test_server_side_disconnect,
    test_server_to_client_ack,
    test_upgrade_from_polling_to_websocket,
)
from tests.support.servers import UNIT

pytestmark = [
    pytest.mark.timeout(30 * UNIT),
    pytest.mark.skipif(IMPL != "greensio", reason="greensio's own gunicorn deployment"),
]


@pytest.fixture(scope="module")
def server() -> Iterator[Gunicorn]:
    gunicorn = Gunicorn("tests.apps.interop_gunicorn:app").start()
    try:
        yield gunicorn
    finally:
        gunicorn.stop()


@pytest.fixture(params=["polling", "upgrade"])
def transports(request) -> list[str]:
    return TRANSPORTS[request.param]
