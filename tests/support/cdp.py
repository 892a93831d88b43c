"""Headless Chromium driven over the Chrome DevTools Protocol (CDP), for the browser tests.

A small client of our own over one WebSocket (websocket-client): the browser is started by PID with
a new, empty profile and ``--remote-debugging-port=0``, its DevTools URL is read from its stderr,
and each page is a target attached in flat mode (its commands carry a ``sessionId``). Only what the
tests use is here: open a page in a browser context of its own (so pages share no storage),
evaluate JavaScript, type text and press Enter through the ``Input`` domain as a user would, and
capture a screenshot. Protocol reference: https://chromedevtools.github.io/devtools-protocol/.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import websocket

from tests.support.servers import UNIT

#: The flags the tests run Chromium with: headless, no sandbox (CI runs as root), and nothing that
#: reaches beyond the loopback (no sync, no component updates, no background fetches, no QUIC).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
DEVTOOLS_LINE = re.compile(r"DevTools listening on (ws://\S+)")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def find_chromium() -> str | None:
    """The Chromium executable (Debian's ``chromium``), or None when it is not installed."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class CDPError(Exception):
    """The browser answered a command with an error, or did not answer in time."""


class Connection:
    """One DevTools WebSocket: commands matched to their answers by id, events kept per session."""

    def __init__(self, url: str) -> None:
        # Chromium refuses DevTools connections with an Origin header it was not told to allow.
        self._ws = websocket.create_connection(url, timeout=10 * UNIT, suppress_origin=True)
        self._ws.settimeout(None)
        self._next_id = 0
        self._lock = threading.Lock()
        self._answers: dict[int, dict[str, Any]] = {}
        self._answered = threading.Condition(self._lock)
        self._closed = False
        #: (sessionId, method, params) of every event received, in order.
        self.events: list[tuple[str | None, str, dict[str, Any]]] = []
        self._reader = threading.Thread(target=self._read, name="cdp-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            while True:
                message = json.loads(self._ws.recv())
                with self._lock:
                    if "id" in message:
                        self._answers[message["id"]] = message
                    else:
                        self.events.append(
                            (message.get("sessionId"), message["method"], message.get("params", {}))
                        )
                    self._answered.notify_all()
        except (websocket.WebSocketException, OSError, ValueError):
            with self._lock:
                self._closed = True
                self._answered.notify_all()

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        """Send one command and wait for its result (``CDPError`` on an error answer)."""
        with self._lock:
            self._next_id += 1
            command_id = self._next_id
        message: dict[str, Any] = {"id": command_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        with self._answered:
            if not self._answered.wait_for(
                lambda: command_id in self._answers or self._closed, 10 * UNIT
            ):
                raise CDPError(f"{method}: no answer from the browser")
            if command_id not in self._answers:
                raise CDPError(f"{method}: the DevTools connection closed")
            answer = self._answers.pop(command_id)
        if "error" in answer:
            raise CDPError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def close(self) -> None:
        self._ws.close()
        self._reader.join(5 * UNIT)


class Chromium:
    """A headless Chromium child process, started and stopped by its PID."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.proc: subprocess.Popen[str] | None = None
        self.profile = ""
        self.stderr: list[str] = []
        self.connection: Connection | None = None

    def start(self) -> Chromium:
        self.profile = tempfile.mkdtemp(prefix="greensio-chromium-")
        argv = [self.executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"]
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, led by its PID: see stop()
        )
        found = threading.Event()
        url: list[str] = []

        def pump() -> None:
            assert self.proc is not None and self.proc.stderr is not None
            for line in self.proc.stderr:
                self.stderr.append(line)
                match = DEVTOOLS_LINE.search(line)
                if match and not found.is_set():
                    url.append(match.group(1))
                    found.set()
            found.set()

        threading.Thread(target=pump, name="chromium-stderr", daemon=True).start()
        if not found.wait(30 * UNIT) or not url:
            self.stop()
            raise RuntimeError("Chromium did not start:\n" + "".join(self.stderr))
        self.connection = Connection(url[0])
        return self

    def new_page(self) -> Page:
        """A blank page in a browser context of its own (its own cookies and localStorage)."""
        assert self.connection is not None
        context = self.connection.send("Target.createBrowserContext")["browserContextId"]
        target = self.connection.send(
            "Target.createTarget", {"url": "about:blank", "browserContextId": context}
        )["targetId"]
        session = self.connection.send(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        page = Page(self.connection, session, target)
        page.send("Page.enable")
        page.send("Runtime.enable")
        return page

    def stop(self) -> None:
        """Close the DevTools connection, SIGTERM the browser; SIGKILL its group if that hangs."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10 * UNIT)
            except subprocess.TimeoutExpired:
                # The group is the one this PID leads (start_new_session): its renderers with it.
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10 * UNIT)
        if self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One attached page (a CDP session)."""

    def __init__(self, connection: Connection, session: str, target: str) -> None:
        self.connection = connection
        self.session = session
        self.target = target

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.connection.send(method, params, self.session)

    def navigate(self, url: str, timeout: float = 10 * UNIT) -> None:
        """Load ``url`` and wait until its document has loaded."""
        answer = self.send("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise CDPError(f"cannot load {url}: {answer['errorText']}")
        self.wait_for("document.readyState === 'complete'", timeout)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        answer = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in answer:
            raise CDPError(f"{expression!r} threw: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 5 * UNIT) -> Any:
        """Poll ``expression`` until it is truthy; its value. Fails with the page's text if not."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                text = self.evaluate("document.body ? document.body.innerText : ''")
                raise AssertionError(
                    f"never true within {timeout}s: {expression}\npage text:\n{text}\n"
                    f"console: {self.console()}"
                )
            time.sleep(0.05 * UNIT)

    def type_and_enter(self, selector: str, text: str) -> None:
        """Focus the element, type ``text`` over what it holds (keyboard input), press Enter."""
        element = f"document.querySelector({json.dumps(selector)})"
        self.evaluate(f"{element}.focus(), {element}.select()")
        self.send("Input.insertText", {"text": text})
        enter = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
        self.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r", **enter})
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", **enter})

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of the page at ``path`` (its folders created)."""
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def console(self) -> list[str]:
        """What the page logged to its console, and its uncaught exceptions."""
        lines = []
        for session, method, params in list(self.connection.events):
            if session != self.session:
                continue
            if method == "Runtime.consoleAPICalled":
                lines.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                )
            elif method == "Runtime.exceptionThrown":
                lines.append(
                    str(params["exceptionDetails"].get("exception", {}).get("description"))
                )
        return lines

    def close(self) -> None:
        """Close the page (its Socket.IO connection goes with it)."""
        self.connection.send("Target.closeTarget", {"targetId": self.target})


def text_of(selector: str) -> str:
    """A JavaScript expression: the text of every element matching ``selector``, as a list."""
    return f"Array.from(document.querySelectorAll({json.dumps(selector)}), e => e.textContent)"
