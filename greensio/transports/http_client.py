"""The client's HTTP requests for long-polling, over urllib3 (a pool of keep-alive connections)."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

import urllib3

from greensio import exceptions


class HttpClient:
    """GET and POST with a timeout; failures become ``greensio.exceptions.ConnectionError``.

    Args:
        pool: a ``urllib3.PoolManager`` to share (python-socketio's ``http_session``); a new
            one (two connections: one long-poll GET and one POST at a time) otherwise.
        ssl_verify: verify TLS certificates (on by default).
    """

    def __init__(
        self,
        pool: urllib3.PoolManager | None = None,
        *,
        ssl_verify: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if pool is None:
            pool = urllib3.PoolManager(
                num_pools=2,
                maxsize=2,
                cert_reqs=ssl.CERT_REQUIRED if ssl_verify else ssl.CERT_NONE,
            )
        self.pool = pool
        self.headers = dict(headers or {})

    def request(
        self, method: str, url: str, body: bytes | None = None, *, timeout: float
    ) -> tuple[int, bytes]:
        """Send one request; returns (status, body)."""
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "text/plain;charset=UTF-8"
        try:
            response: Any = self.pool.request(
                method,
                url,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(connect=timeout, read=timeout),
                retries=False,
                preload_content=True,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise exceptions.ConnectionError(f"{method} {url.split('?')[0]} failed: {exc}") from exc
        return response.status, response.data
