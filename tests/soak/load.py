"""The soak test's load: raw Socket.IO clients over both transports, started at a steady rate.

Usage::

    python -m tests.soak.load <server url> <seconds> <clients> [seed]

Each client, by a seeded draw: joins over WebSocket, over polling, or over polling and then
upgrades; joins one of ten rooms (each join broadcasts 2 KB to the room); emits a few acked
``echo`` events and checks every ack; and leaves (a CLOSE, a WebSocket close or a DISCONNECT).
Some are killed instead, in the middle of a frame, with a TCP reset; some read slowly (a 4 KiB
receive buffer, a pause between reads) while the room's broadcasts arrive. The last line printed
is ``SOAK <json>``: per kind the clients started and finished, the acked emits sent and the acks
received, and every failure seen. This is an entry point: it monkey-patches (DESIGN.md).
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import collections  # noqa: E402 - after the monkey-patching, as an entry point must
import json  # noqa: E402
import random  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import gevent.pool  # noqa: E402
import requests  # noqa: E402
import websocket  # noqa: E402

TIMEOUT = 20.0
KINDS = {"websocket": 40, "polling": 20, "upgrade": 15, "killed": 10, "slow": 15}
stats: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
failures: collections.Counter[str] = collections.Counter()


class WebSocketClient:
    """Socket.IO over a raw WebSocket (websocket-client), answering PINGs as it reads."""

    def __init__(self, ws: websocket.WebSocket) -> None:
        self.ws = ws

    @classmethod
    def connect(cls, url: str, query: str = "", rcvbuf: int = 0) -> WebSocketClient:
        sockopt = [(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)] if rcvbuf else []
        target = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket" + query
        return cls(websocket.create_connection(target, timeout=TIMEOUT, sockopt=sockopt))

    def join(self) -> None:
        assert self.ws.recv().startswith("0{")
        self.ws.send("40")
        self.until(lambda m: m.startswith("40{"))

    def until(self, wanted: object) -> str:
        while True:
            message = self.ws.recv()
            if message == "2":
                self.ws.send("3")
            elif wanted(message):  # type: ignore[operator]
                return message

    def call(self, ack_id: int, event: str, data: object) -> object:
        self.ws.send(f"42{ack_id}" + json.dumps([event, data]))
        reply = self.until(lambda m: m.startswith(f"43{ack_id}["))
        return json.loads(reply[len(f"43{ack_id}") :])[0]

    def emit(self, event: str, data: object) -> None:
        self.ws.send("42" + json.dumps([event, data]))

    def leave(self) -> None:
        self.ws.send("41")
        self.ws.close()


class PollingClient:
    """Socket.IO over raw HTTP long-polling (one keep-alive connection for each of GET and POST
    would be a browser's; one ``requests`` session is enough here)."""

    def __init__(self, url: str) -> None:
        self.http = requests.Session()
        self.base = url + "/socket.io/?EIO=4&transport=polling"
        opened = self.http.get(self.base, timeout=TIMEOUT).text
        self.sid = json.loads(opened[1:])["sid"]
        self.base += "&sid=" + self.sid
        self.queue: collections.deque[str] = collections.deque()
        self.last_get = time.monotonic()

    def post(self, payload: str) -> None:
        reply = self.http.post(self.base, data=payload.encode(), timeout=TIMEOUT)
        assert reply.status_code == 200, f"POST {payload[:8]!r}: {reply.text} ({self._since()})"

    def _since(self) -> str:
        return f"{time.monotonic() - self.last_get:.1f} s since the last GET's answer"

    def until(self, wanted: object) -> str:
        while True:
            while self.queue:
                packet = self.queue.popleft()
                if packet == "2":
                    self.post("3")
                elif wanted(packet):  # type: ignore[operator]
                    return packet
            reply = self.http.get(self.base, timeout=TIMEOUT)
            assert reply.status_code == 200, f"GET: {reply.text} ({self._since()})"
            self.last_get = time.monotonic()
            self.queue.extend(reply.text.split("\x1e"))

    def join(self) -> None:
        self.post("40")
        self.until(lambda p: p.startswith("40{"))

    def call(self, ack_id: int, event: str, data: object) -> object:
        self.post(f"42{ack_id}" + json.dumps([event, data]))
        reply = self.until(lambda p: p.startswith(f"43{ack_id}["))
        return json.loads(reply[len(f"43{ack_id}") :])[0]

    def emit(self, event: str, data: object) -> None:
        self.post("42" + json.dumps([event, data]))

    def leave(self) -> None:
        """DISCONNECT and CLOSE, then the GET a client sends with them (answered with NOOP),
        after which the server forgets the session at once."""
        self.post("41\x1e1")
        self.http.get(self.base, timeout=TIMEOUT)
        self.http.close()


def upgraded(url: str) -> WebSocketClient:
    """A client that opens over polling, joins, then upgrades (2probe, 3probe, 5)."""
    polling = PollingClient(url)
    polling.join()
    client = WebSocketClient.connect(url, "&sid=" + polling.sid)
    client.ws.send("2probe")
    client.until(lambda m: m == "3probe")
    client.ws.send("5")
    polling.http.close()
    return client


def killed(url: str, rng: random.Random) -> None:
    """Joined over WebSocket, then half a frame and a TCP reset (SO_LINGER 0)."""
    client = WebSocketClient.connect(url)
    client.join()
    client.emit("join", f"r{rng.randrange(10)}")
    payload = b'42["echo","never finished"]'
    head = struct.pack("!BB", 0x81, 0x80 | len(payload)) + b"\x00\x00\x00\x00"
    sock = client.ws.sock
    sock.sendall(head + payload[: rng.randrange(len(payload))])
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def run_client(kind: str, url: str, rng: random.Random) -> None:
    counter = stats[kind]
    counter["started"] += 1
    try:
        if kind == "killed":
            killed(url, rng)
            counter["finished"] += 1
            return
        client: WebSocketClient | PollingClient
        if kind == "polling":
            client = PollingClient(url)
            client.join()
        elif kind == "upgrade":
            client = upgraded(url)
        else:
            client = WebSocketClient.connect(url, rcvbuf=4096 if kind == "slow" else 0)
            client.join()
        client.emit("join", f"r{rng.randrange(10)}")
        if kind == "slow":
            assert isinstance(client, WebSocketClient)
            for i in range(rng.randrange(5, 20)):
                client.emit("shout", i)  # traffic in its room, so that the read below ends
                gevent.sleep(0.1)  # a slow reader: the room's broadcasts pile up meanwhile
                if client.ws.recv() == "2":  # one message: a broadcast, or a PING to answer
                    client.ws.send("3")
        for ack_id in range(rng.randrange(2, 8)):
            data = {"n": ack_id, "pad": "p" * rng.randrange(0, 512)}
            counter["emits"] += 1
            if client.call(ack_id, "echo", data) == data:
                counter["acks"] += 1
            if rng.random() < 0.3:
                client.emit("shout", ack_id)
        client.leave()
        counter["finished"] += 1
    except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
        failures[f"{kind}: {type(exc).__name__}: {exc}"[:160]] += 1


def main(url: str, seconds: float, clients: int, seed: int = 1) -> dict[str, object]:
    rng = random.Random(seed)
    pool = gevent.pool.Pool(400)
    kinds = list(KINDS)
    weights = list(KINDS.values())
    started = time.monotonic()
    for i in range(clients):
        gevent.sleep(max(0.0, started + i * seconds / clients - time.monotonic()))
        kind = rng.choices(kinds, weights)[0]
        pool.spawn(run_client, kind, url, random.Random(rng.random()))
    pool.join(timeout=TIMEOUT * 3)
    return {
        "seconds": round(time.monotonic() - started, 1),
        "kinds": {k: dict(v) for k, v in stats.items()},
        "failures": dict(failures),
    }


if __name__ == "__main__":
    args = sys.argv[1:]
    summary = main(args[0], float(args[1]), int(args[2]), int(args[3]) if len(args) > 3 else 1)
    print("SOAK " + json.dumps(summary), flush=True)
