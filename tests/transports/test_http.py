"""greensio.transports.http: CORS decisions, bounded body reads, and the shape of plain responses.

Pure functions of a WSGI environ; the request body is a ``BytesIO`` subclass that counts what is
read from it, so "not read" is observed rather than assumed.
"""

from __future__ import annotations

import io
import json

import pytest

from greensio.transports.http import (
    CorsPolicy,
    cookie_headers,
    error,
    query,
    read_body,
    respond,
)

pytestmark = pytest.mark.timeout(10)

HOST = "example.com:8080"


def environ(origin: str | None = None, method: str = "GET", **extra: str) -> dict:
    """A request to ``HOST`` over http, with an Origin header when ``origin`` is given."""
    env = {"REQUEST_METHOD": method, "HTTP_HOST": HOST, "wsgi.url_scheme": "http", **extra}
    if origin is not None:
        env["HTTP_ORIGIN"] = origin
    return env


# -- CorsPolicy ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (f"http://{HOST}", True),
        (f"ws://{HOST}", True),  # the same origin, as a WebSocket page may send it
        (f"https://{HOST}", False),  # another scheme is another origin
        (f"wss://{HOST}", False),
        ("http://example.com", False),  # another port
        ("http://evil.example", False),
        ("null", False),
    ],
)
def test_same_origin_by_default(origin, allowed):
    assert CorsPolicy(None).allows(environ(origin)) is allowed


def test_same_origin_over_https():
    policy = CorsPolicy(None)
    env = {"wsgi.url_scheme": "https"}
    assert policy.allows(environ(f"https://{HOST}", **env))
    assert policy.allows(environ(f"wss://{HOST}", **env))
    assert not policy.allows(environ(f"http://{HOST}", **env))


@pytest.mark.parametrize("forwarded", ["https", "https, http", "https,http"])
def test_same_origin_behind_a_tls_proxy(forwarded):
    """X-Forwarded-Proto names the scheme the browser used; proxies in a chain each add theirs."""
    policy = CorsPolicy(None)
    env = {"HTTP_X_FORWARDED_PROTO": forwarded}
    assert policy.allows(environ(f"https://{HOST}", **env))
    assert policy.allows(environ(f"wss://{HOST}", **env))
    assert not policy.allows(environ("https://evil.example", **env))


def test_same_origin_needs_a_host():
    env = environ(f"http://{HOST}")
    del env["HTTP_HOST"]
    assert not CorsPolicy(None).allows(env)


def test_any_origin():
    policy = CorsPolicy("*")
    for origin in ("http://evil.example", "null", f"http://{HOST}"):
        assert policy.allows(environ(origin))


@pytest.mark.parametrize(
    "allowed", [["http://a.example", "https://b.example"], ("http://a.example",)]
)
def test_listed_origins(allowed):
    policy = CorsPolicy(allowed)
    assert policy.allows(environ("http://a.example"))
    assert not policy.allows(environ("http://c.example"))
    assert not policy.allows(environ("https://a.example"))


def test_origins_from_any_iterable():
    policy = CorsPolicy(origin for origin in ["http://a.example"])
    assert policy.allows(environ("http://a.example"))
    assert not policy.allows(environ(f"http://{HOST}"))


def test_empty_list_turns_cors_handling_off():
    """As python-engineio: no check and no headers (a proxy in front does CORS)."""
    policy = CorsPolicy([])
    for origin in ("http://evil.example", f"http://{HOST}"):
        assert policy.allows(environ(origin))
        assert policy.headers(environ(origin)) == []
        assert policy.headers(environ(origin, method="OPTIONS")) == []


def test_one_origin_as_a_string():
    policy = CorsPolicy("http://a.example")
    assert policy.allows(environ("http://a.example"))
    assert not policy.allows(environ("http://a.example.evil"))  # not a substring match


@pytest.mark.parametrize("allowed", [None, "*", ["http://a.example"]])
def test_requests_without_origin_are_allowed_and_get_no_cors_headers(allowed):
    """Non-browser clients send no Origin header; CORS is a browser's business."""
    policy = CorsPolicy(allowed)
    assert policy.allows(environ())
    assert policy.headers(environ()) == []
    assert policy.headers(environ(method="OPTIONS")) == []


def test_headers_echo_the_origin_with_credentials():
    headers = CorsPolicy("*").headers(environ("http://a.example"))
    # with credentials a browser refuses '*': the origin itself goes back
    assert ("Access-Control-Allow-Origin", "http://a.example") in headers
    assert ("Access-Control-Allow-Credentials", "true") in headers
    assert ("Vary", "Origin") in headers
    assert not any(name == "Access-Control-Allow-Methods" for name, _ in headers)


def test_headers_without_credentials():
    headers = dict(CorsPolicy("*", credentials=False).headers(environ("http://a.example")))
    assert headers["Access-Control-Allow-Origin"] == "http://a.example"
    assert "Access-Control-Allow-Credentials" not in headers


def test_preflight_headers():
    env = environ(
        "http://a.example",
        method="OPTIONS",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-token",
    )
    headers = dict(CorsPolicy(["http://a.example"]).headers(env))
    assert headers["Access-Control-Allow-Origin"] == "http://a.example"
    assert set(headers["Access-Control-Allow-Methods"].replace(" ", "").split(",")) >= {
        "OPTIONS",
        "GET",
        "POST",
    }
    assert headers["Access-Control-Allow-Headers"] == "content-type, x-token"


def test_preflight_without_requested_headers():
    headers = dict(CorsPolicy("*").headers(environ("http://a.example", method="OPTIONS")))
    assert "Access-Control-Allow-Methods" in headers
    assert "Access-Control-Allow-Headers" not in headers


# -- read_body -------------------------------------------------------------------------------------


class CountingInput(io.BytesIO):
    """``wsgi.input`` that records every read, as a socket-backed stream would be read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int | None] = []
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(size)
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def body_environ(data: bytes, content_length: str | None) -> tuple[dict, CountingInput]:
    stream = CountingInput(data)
    env = {"wsgi.input": stream}
    if content_length is not None:
        env["CONTENT_LENGTH"] = content_length
    return env, stream


def test_declared_length_over_the_limit_is_refused_unread():
    env, stream = body_environ(b"x" * 2000, "2000")
    assert read_body(env, 1000) is None
    assert stream.reads == []


@pytest.mark.parametrize("size", [0, 1, 999, 1000])
def test_declared_length_within_the_limit(size):
    env, stream = body_environ(b"y" * size + b"trailing bytes of the next request", str(size))
    assert read_body(env, 1000) == b"y" * size
    assert stream.bytes_read == size  # never past the declared end


@pytest.mark.parametrize("content_length", [None, "", "chunked", "-1"])
@pytest.mark.parametrize("size", [0, 1, 1000])
def test_undeclared_length_within_the_limit(content_length, size):
    env, _ = body_environ(b"z" * size, content_length)
    assert read_body(env, 1000) == b"z" * size


@pytest.mark.parametrize("content_length", [None, "", "chunked"])
def test_undeclared_length_is_cut_at_the_limit(content_length):
    env, stream = body_environ(b"z" * 10_000_000, content_length)
    assert read_body(env, 1000) is None
    assert stream.bytes_read <= 1001  # one byte past the limit is enough to know


def test_undeclared_length_reads_in_bounded_steps():
    env, stream = body_environ(b"z" * 300_000, None)
    assert read_body(env, 1_000_000) == b"z" * 300_000
    assert all(size is not None and 0 < size <= 65536 for size in stream.reads)


# -- respond / error / query -----------------------------------------------------------------------


class StartResponse:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []

    def __call__(self, status, headers, exc_info=None):
        self.calls.append((status, headers))

    @property
    def status(self) -> str:
        assert len(self.calls) == 1
        return self.calls[0][0]

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.calls[0][1])


def test_respond_text():
    start = StartResponse()
    body = respond(start, 200, "héllo", [("X-Extra", "1")])
    assert body == ["héllo".encode()]  # one chunk: one write
    assert start.status == "200 OK"
    assert start.headers == {
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Length": str(len("héllo".encode())),
        "X-Extra": "1",
    }


def test_respond_bytes_and_content_type():
    start = StartResponse()
    assert respond(start, 404, b"\x00", content_type="application/octet-stream") == [b"\x00"]
    assert start.status == "404 NOT FOUND"
    assert start.headers["Content-Type"] == "application/octet-stream"
    assert start.headers["Content-Length"] == "1"


@pytest.mark.parametrize(
    ("status", "line"), [(400, "400 BAD REQUEST"), (413, "413 PAYLOAD TOO LARGE"), (418, "418")]
)
def test_status_lines(status, line):
    start = StartResponse()
    respond(start, status)
    assert start.status.startswith(line)
    assert int(start.status.split()[0]) == status


def test_error_is_engineio_json():
    start = StartResponse()
    [body] = error(start, 400, "Session ID unknown", 1, [("Vary", "Origin")])
    assert start.status == "400 BAD REQUEST"
    assert start.headers["Content-Type"] == "application/json"
    assert start.headers["Vary"] == "Origin"
    assert json.loads(body) == {"code": 1, "message": "Session ID unknown"}


def test_query():
    env = {"QUERY_STRING": "EIO=4&transport=polling&t=N8hyd6w&empty=&sid=a%2Fb"}
    assert query(env) == {
        "EIO": "4",
        "transport": "polling",
        "t": "N8hyd6w",
        "empty": "",
        "sid": "a/b",
    }
    assert query({}) == {}


@pytest.mark.parametrize(
    ("cookie", "header"),
    [
        (None, None),
        ("io", "io=s1; path=/; SameSite=Lax"),
        (
            {"name": "x", "path": "/a", "httpOnly": True, "Secure": False},
            "x=s1; path=/a; httpOnly; SameSite=Lax",
        ),
        ({"SameSite": "Strict", "Max-Age": 5}, "io=s1; SameSite=Strict; Max-Age=5; path=/"),
    ],
)
def test_cookie_headers(cookie, header) -> None:
    expected = [] if header is None else [("Set-Cookie", header)]
    assert cookie_headers(cookie, "s1") == expected
