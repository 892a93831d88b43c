"""Several workers without sticky sessions: a request for a session another worker owns is
served through that owner.

Each worker (each process: gunicorn's workers are forked) picks an owner id, the first
``OWNER_ID_LENGTH`` characters of every sid it issues; the rest of the sid stays random (84
bits), so sids stay unguessable. On its first request the worker opens a private endpoint (gevent's
pywsgi on 127.0.0.1 and a port the kernel picks) and registers its address and a random token in
the broker (``OwnerRegistry``: a Redis key per owner, with a TTL refreshed in the background).

A polling GET or POST whose sid this worker does not know but another owner id names is sent to
that owner's private endpoint with the token and the client's address in internal headers, and the
answer relayed (a long-poll simply blocks the forwarding greenlet), over keep-alive connections
pooled per owner (urllib3's). A WebSocket (an upgrade, or a
websocket-only connection with a sid) is tunnelled: the request goes to the owner, which does the
handshake, and the bytes of both directions are copied until either side closes. The private
endpoint refuses a request without the right token (403) and never forwards further; the public
side never reads the internal headers. A sid no registered owner names gets the usual 400.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from typing import Any, Protocol

import urllib3

from greensio.transports import http as whttp
from greensio.transports.websocket_server import is_websocket_request, websocket_done

#: Characters of a sid that name its owner.
OWNER_ID_LENGTH = 6
#: Engine.IO sids are 20 characters, as the reference server's.
SID_LENGTH = 20
#: Seconds an owner's registration lives unless refreshed (it is, every third of that).
REGISTRATION_TTL = 30.0
#: Most seconds a request waits for its worker's first registration (the broker answering).
REGISTRATION_WAIT = 5.0
#: Idle keep-alive connections kept per owner for forwarded polling requests (more are opened
#: when more are busy, each long-poll holding one, and closed after use).
POOL_SIZE = 32

TOKEN_HEADER = "X-Greensio-Forward-Token"
CLIENT_HEADER = "X-Greensio-Client-Addr"
_TOKEN_KEY = "HTTP_X_GREENSIO_FORWARD_TOKEN"
_CLIENT_KEY = "HTTP_X_GREENSIO_CLIENT_ADDR"
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "host",
        "content-length",
        "proxy-connection",
    }
)


class OwnerRegistry(Protocol):
    """Where workers find each other's private endpoints (``RedisManager.owner_registry()``)."""

    def register(self, owner_id: str, record: str, ttl: float) -> None: ...

    def lookup(self, owner_id: str) -> str | None: ...


def new_owner_id() -> str:
    return secrets.token_urlsafe(OWNER_ID_LENGTH)[:OWNER_ID_LENGTH]


def make_sid(owner_id: str) -> str:
    """A 20-character sid whose first characters are ``owner_id``."""
    rest = SID_LENGTH - len(owner_id)
    return owner_id + secrets.token_urlsafe(rest)[:rest]


def owner_of(sid: str) -> str | None:
    return sid[:OWNER_ID_LENGTH] if len(sid) == SID_LENGTH else None


class Forwarding:
    """The forwarding side of one ``EngineIOServer`` (``eio.forwarding``).

    Args:
        registry: where owners are registered and looked up.
        serve_local: the server's own request handler (what the private endpoint runs).
        knows: whether a sid is one of this worker's sessions.
        backend: the server's backend (gevent; it spawns the refresher and the tunnel copiers).
        logger: the server's logger.
        timeout: seconds a forwarded request may take (longer than any long-poll).
    """

    def __init__(
        self,
        registry: OwnerRegistry,
        serve_local: Callable[[dict[str, Any], Any], Any],
        knows: Callable[[str], bool],
        backend: Any,
        logger: Any,
        timeout: float,
    ) -> None:
        self.registry = registry
        self.serve_local = serve_local
        self.knows = knows
        self.backend = backend
        self.logger = logger
        self.timeout = timeout
        self.token = ""
        self.address = ""
        #: Requests (WebSockets included) this worker forwarded to another owner.
        self.forwarded = 0
        #: WebSockets among them (tunnelled).
        self.tunnelled = 0
        self._pid = 0
        #: Set once this process's endpoint is registered (requests meanwhile wait for it).
        self._ready: Any = None
        self._owner_id = ""
        self._owners: dict[str, tuple[str, str]] = {}
        self._pools: dict[str, urllib3.HTTPConnectionPool] = {}
        self._stop: Callable[[], None] | None = None

    @property
    def owner_id(self) -> str:
        self._ensure_started()
        return self._owner_id

    def new_sid(self) -> str:
        return make_sid(self.owner_id)

    # --- start, per process -----------------------------------------------------------------------
    def _ensure_started(self) -> None:
        pid = os.getpid()
        if self._pid == pid:
            ready = self._ready
            if ready is not None and not ready.is_set():
                # another greenlet is registering this worker: no sid naming it before then
                ready.wait(REGISTRATION_WAIT)
            return
        self._pid = pid  # first: a concurrent request does not start a second endpoint
        self._ready = self.backend.event()
        try:
            self._owner_id, self.token, self._owners = new_owner_id(), secrets.token_urlsafe(24), {}
            self._pools = {}  # a forked worker never shares its parent's connections
            from greensio.backends.gevent import serve_loopback

            port, self._stop = serve_loopback(self.private_app)
            self.address = f"127.0.0.1:{port}"
            self._register()
        finally:
            self._ready.set()
        self.backend.spawn(self._refresh, self._pid)

    def _register(self) -> None:
        try:
            self.registry.register(self._owner_id, f"{self.address} {self.token}", REGISTRATION_TTL)
        except Exception as exc:  # noqa: BLE001 - the broker is down: served locally, forwarded to nobody
            self.logger.warning("could not register worker %s: %s", self._owner_id, exc)

    def _refresh(self, pid: int) -> None:
        while self._pid == pid:
            self.backend.sleep(REGISTRATION_TTL / 3)
            self._register()

    def close(self) -> None:
        self._pid = -1
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            pool.close()
        if self._stop is not None:
            self._stop()
            self._stop = None

    # --- the private endpoint ---------------------------------------------------------------------
    def private_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        """What a worker's private endpoint serves: forwarded requests bearing its token."""
        if not self.token or not secrets.compare_digest(environ.get(_TOKEN_KEY, ""), self.token):
            return whttp.respond(start_response, 403, b"forbidden", [])
        client = environ.get(_CLIENT_KEY)
        if client:
            environ["REMOTE_ADDR"] = client
        environ["greensio.forwarded"] = True
        return self.serve_local(environ, start_response)

    # --- the public side --------------------------------------------------------------------------
    def serve(self, environ: dict[str, Any], start_response: Any) -> Any:
        """The response, when the request is another owner's; None to serve it here."""
        self._ensure_started()
        sid = whttp.query(environ).get("sid")
        if not sid or self.knows(sid):
            return None
        owner = owner_of(sid)
        if owner is None or owner == self._owner_id:
            return None
        target = self._lookup(owner)
        if target is None:
            return None  # no such owner (or it is gone): the usual "Session ID unknown"
        self.forwarded += 1
        if is_websocket_request(environ):
            self.tunnelled += 1
            return self._tunnel(target, environ, start_response)
        return self._forward(target, environ, start_response)

    def _lookup(self, owner: str) -> tuple[str, str] | None:
        found = self._owners.get(owner)
        if found is None:
            try:
                record = self.registry.lookup(owner)
            except Exception as exc:  # noqa: BLE001 - the broker is down
                self.logger.warning("could not look up worker %s: %s", owner, exc)
                return None
            if not record or " " not in record:
                return None
            address, token = record.split(" ", 1)
            found = self._owners[owner] = (address, token)
        return found

    def _headers(self, environ: dict[str, Any], token: str) -> list[tuple[str, str]]:
        headers = []
        for key, value in environ.items():
            if key.startswith("HTTP_") and not key.startswith("HTTP_X_GREENSIO_"):
                name = key[5:].replace("_", "-").title()
                if name.lower() not in _HOP_BY_HOP:
                    headers.append((name, value))
        if environ.get("CONTENT_TYPE"):
            headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        headers += [(TOKEN_HEADER, token), (CLIENT_HEADER, environ.get("REMOTE_ADDR", ""))]
        return headers

    @staticmethod
    def _target_path(environ: dict[str, Any]) -> str:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/")
        query = environ.get("QUERY_STRING")
        return f"{path}?{query}" if query else path

    def _forward(
        self, target: tuple[str, str], environ: dict[str, Any], start_response: Any
    ) -> Any:
        address, token = target
        host, _, port = address.rpartition(":")
        method = environ.get("REQUEST_METHOD", "GET")
        body = None
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
        pool = self._pools.get(address)
        if pool is None:
            pool = self._pools[address] = urllib3.HTTPConnectionPool(
                host, int(port), maxsize=POOL_SIZE, timeout=self.timeout, retries=False
            )
        try:
            response = pool.urlopen(
                method,
                self._target_path(environ),
                body=body,
                headers=dict(self._headers(environ, token)),
                redirect=False,
                decode_content=False,  # relayed as the owner encoded it
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            self.logger.info("forwarding to %s failed: %s", address, exc)
            return whttp.error(start_response, 502, "Owner unreachable", 0, [])
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP]
        start_response(f"{response.status} {response.reason}", headers)
        return [response.data]

    def _tunnel(self, target: tuple[str, str], environ: dict[str, Any], start_response: Any) -> Any:
        address, token = target
        host, _, port = address.rpartition(":")
        client = whttp.raw_socket(environ)
        if client is None:
            return None
        lines = [f"GET {self._target_path(environ)} HTTP/1.1", f"Host: {address}"]
        lines += ["Upgrade: websocket", "Connection: Upgrade"]
        lines += [f"{k}: {v}" for k, v in self._headers(environ, token)]
        try:
            upstream = socket.create_connection((host, int(port)), timeout=self.timeout)
            upstream.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            head, rest = _read_head(upstream)
        except OSError as exc:
            self.logger.info("tunnelling to %s failed: %s", address, exc)
            return whttp.error(start_response, 502, "Owner unreachable", 0, [])
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = status_line.split(" ", 1)[1] if " " in status_line else "502 Bad Gateway"
        headers = [tuple(x.split(": ", 1)) for x in header_lines if ": " in x]
        if not status.startswith("101"):
            upstream.close()
            kept = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
            start_response(status, kept)
            return [rest]
        upstream.settimeout(None)
        write = start_response(status, [(k, v) for k, v in headers if k.lower() != "date"])
        write(b"")
        try:
            if rest:
                client.sendall(rest)
            done = self.backend.spawn(_copy, client, upstream)
            _copy(upstream, client)
            done.join()
        finally:
            upstream.close()
        return websocket_done(environ)


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk or len(data) > 65536:
            raise ConnectionError("the owner closed before its response head")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _copy(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes until ``source`` ends, then shut both directions."""
    try:
        while True:
            chunk = source.recv(65536)
            if not chunk:
                break
            sink.sendall(chunk)
    except OSError:
        pass
    for sock in (source, sink):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def attach(eio: Any, manager: Any) -> None:
    """Give ``eio`` forwarding when ``manager`` offers an owner registry and serves a server
    (greenlet ``Server`` under gevent only; ``AsyncServer`` cannot use pub/sub managers yet)."""
    registry_of = getattr(manager, "owner_registry", None)
    if registry_of is None or getattr(manager, "write_only", False):
        return
    if getattr(eio, "async_mode", None) != "gevent" or not hasattr(eio, "attach_forwarding"):
        return
    eio.attach_forwarding(registry_of())
