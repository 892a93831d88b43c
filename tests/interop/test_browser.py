"""The chat example in a real browser: headless Chromium, two pages, ``gunicorn -k gevent``.

examples/flask_chat runs under a real ``gunicorn -k gevent -w 1`` on a port the kernel picks;
Debian's ``chromium`` (installed by ``.ci/run``) opens the page twice, each in a browser context of
its own, driven over the DevTools protocol (tests/support/cdp.py). The page's own script (the
official ``socket.io.min.js`` copied by ``make install``) does all the Socket.IO work: a name set
and a message typed in one page show up in the other, with the list of who is online, over the
default transports (long-polling, then the upgrade to WebSocket) and over long-polling only
(``?transports=polling``). Each run leaves a screenshot in ``test-artifacts/browser/``
(git-ignored).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.test_gunicorn import APPS, Gunicorn
from tests.support.cdp import PNG_SIGNATURE, Chromium, Page, find_chromium, text_of
from tests.support.servers import ROOT, UNIT

CHROMIUM = find_chromium()
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CLIENT_JS = ROOT / "examples" / "flask_chat" / "static" / "socket.io.min.js"

pytestmark = [
    pytest.mark.timeout(90 * UNIT),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def chat_url() -> Iterator[str]:
    if not CLIENT_JS.exists():
        pytest.fail(f"{CLIENT_JS} is missing: run make install-js")
    server = Gunicorn(APPS["greensio"]).start()
    try:
        yield server.url
    finally:
        server.stop()
    assert "Traceback" not in server.log, server.log


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    assert CHROMIUM is not None
    chromium = Chromium(CHROMIUM).start()
    try:
        yield chromium
    finally:
        chromium.stop()


def contains(selector: str, text: str) -> str:
    """A JavaScript expression: does an element matching ``selector`` have exactly ``text``?"""
    return f"{text_of(selector)}.includes({json.dumps(text)})"


def open_chat(browser: Chromium, url: str, name: str, transport: str) -> Page:
    """A page of the chat, connected over ``transport``, its name set through the name form."""
    page = browser.new_page()
    page.navigate(url)
    page.wait_for(f"document.getElementById('status').textContent === 'connected over {transport}'")
    page.type_and_enter("#name", name)
    page.wait_for(contains("#log li", f"you are now {name}"))
    return page


@pytest.mark.parametrize(
    ("query", "transport"),
    [("", "websocket"), ("?transports=polling", "polling")],
    ids=["upgrade", "polling"],
)
def test_a_message_typed_in_one_page_appears_in_the_other(
    browser: Chromium, chat_url: str, query: str, transport: str
) -> None:
    # The default connection starts on long-polling: 'connected over websocket' is the upgrade.
    alice = open_chat(browser, chat_url + "/" + query, "alice", transport)
    bob = open_chat(browser, chat_url + "/" + query, "bob", transport)
    try:
        alice.wait_for(
            contains("#log li.note", "bob joined") + " || " + contains("#online li", "bob")
        )

        alice.type_and_enter("#message", f"hello over {transport}")
        bob.wait_for(contains("#log li", f"alice: hello over {transport}"))
        assert alice.evaluate(contains("#log li.mine", f"me: hello over {transport}"))
        assert alice.evaluate("document.getElementById('message').value") == ""

        bob.type_and_enter("#message", "hi alice")
        alice.wait_for(contains("#log li", "bob: hi alice"))
        # Still on the transport it started with (polling only: never upgraded).
        for page in (alice, bob):
            status = page.evaluate("document.getElementById('status').textContent")
            assert status == f"connected over {transport}"

        shot = alice.screenshot(ARTIFACTS / f"chat-{transport}.png")
        assert shot.exists()
        assert shot.read_bytes().startswith(PNG_SIGNATURE), shot
        print(f"screenshot: {shot}")
    finally:
        alice.close()
        bob.close()


def test_the_page_shows_who_is_online(browser: Chromium, chat_url: str) -> None:
    carol = open_chat(browser, chat_url + "/?transports=polling", "carol", "polling")
    # dave on WebSocket: closing his page ends his connection at once (a polling client that
    # vanishes is noticed only when it misses a heartbeat, 45 s later with the defaults).
    dave = open_chat(browser, chat_url + "/", "dave", "websocket")
    try:
        online = text_of("#online li")
        for page in (carol, dave):
            page.wait_for(f"{online}.includes('carol') && {online}.includes('dave')")
        # The list is sorted, and is what the plain Flask route /api/users says.
        names = carol.evaluate(online)
        assert names == sorted(names)
        users = carol.evaluate("fetch('/api/users').then(r => r.json()).then(j => j.users)")
        assert sorted(users) == names

        dave.type_and_enter("#name", "dave2")
        carol.wait_for(f"{online}.includes('dave2') && !{online}.includes('dave')")
        carol.wait_for(contains("#log li.note", "dave is now dave2"))

        dave.close()
        carol.wait_for(f"!{online}.includes('dave2')")
        carol.wait_for(contains("#log li.note", "dave2 left"))
        assert carol.evaluate(online).count("carol") == 1
        shot = carol.screenshot(ARTIFACTS / "chat-online.png")
        assert Path(shot).read_bytes().startswith(PNG_SIGNATURE)
    finally:
        carol.close()
