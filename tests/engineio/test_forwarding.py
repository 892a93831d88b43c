"""The pieces of greensio/engineio/forwarding.py: sids that name their owner, and a private
endpoint that serves only requests bearing its token."""

from __future__ import annotations

import logging

from greensio.engineio.forwarding import (
    OWNER_ID_LENGTH,
    SID_LENGTH,
    Forwarding,
    make_sid,
    new_owner_id,
    owner_of,
)


def test_sid_names_its_owner_and_stays_random():
    owner = new_owner_id()
    sids = {make_sid(owner) for _ in range(1000)}
    assert len(sids) == 1000
    assert all(len(s) == SID_LENGTH and owner_of(s) == owner for s in sids)
    assert len(owner) == OWNER_ID_LENGTH
    assert owner_of("short") is None


class _Registry:
    def __init__(self) -> None:
        self.records: dict[str, str] = {}

    def register(self, owner_id: str, record: str, ttl: float) -> None:
        self.records[owner_id] = record

    def lookup(self, owner_id: str) -> str | None:
        return self.records.get(owner_id)


def _forwarding(served: list) -> Forwarding:
    def serve_local(environ, start_response):
        served.append(environ)
        start_response("200 OK", [])
        return [b"ok"]

    fwd = Forwarding(_Registry(), serve_local, lambda sid: False, None, logging.getLogger(), 5)
    fwd.token = "secret-token"
    return fwd


def _call(app, environ):
    status = []
    body = b"".join(app(environ, lambda s, h, exc=None: status.append(s)))
    return status[0], body


def test_private_endpoint_refuses_a_forged_or_missing_token():
    served: list = []
    fwd = _forwarding(served)
    for headers in ({}, {"HTTP_X_GREENSIO_FORWARD_TOKEN": "guess"}):
        environ = {"REQUEST_METHOD": "GET", "HTTP_X_GREENSIO_CLIENT_ADDR": "6.6.6.6", **headers}
        status, _ = _call(fwd.private_app, environ)
        assert status.startswith("403")
    assert served == []


def test_private_endpoint_trusts_the_client_address_with_the_token():
    served: list = []
    fwd = _forwarding(served)
    environ = {
        "REQUEST_METHOD": "GET",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_GREENSIO_FORWARD_TOKEN": "secret-token",
        "HTTP_X_GREENSIO_CLIENT_ADDR": "10.1.2.3",
    }
    status, body = _call(fwd.private_app, environ)
    assert status.startswith("200") and body == b"ok"
    assert served[0]["REMOTE_ADDR"] == "10.1.2.3" and served[0]["greensio.forwarded"]


def test_forwarded_headers_drop_the_clients_internal_ones():
    fwd = _forwarding([])
    environ = {
        "HTTP_X_GREENSIO_FORWARD_TOKEN": "forged",
        "HTTP_COOKIE": "a=b",
        "REMOTE_ADDR": "1.2.3.4",
    }
    headers = dict(fwd._headers(environ, "real"))
    assert headers["X-Greensio-Forward-Token"] == "real"
    assert headers["X-Greensio-Client-Addr"] == "1.2.3.4" and headers["Cookie"] == "a=b"
