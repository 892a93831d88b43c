"""The client behaviour tests run against both front-ends: ``front`` is 'Client' (greenlet,
async_mode='threading') or 'AsyncClient' (asyncio, driven through ``loop_thread.Blocking``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import greensio
from tests.client.loop_thread import Blocking, LoopThread

FRONTS = ("Client", "AsyncClient")


@pytest.fixture(params=FRONTS)
def front(request) -> str:
    return request.param


@pytest.fixture
def new_client(front) -> Iterator[Callable[..., Any]]:
    """``new_client(cls_name_or_None, **options)``: a client of the ``front`` kind (the simple
    client with ``simple=True``), used as a blocking one either way."""
    loops: list[LoopThread] = []

    def make(simple: bool = False, **options: Any) -> Any:
        if front == "Client":
            options.setdefault("async_mode", "threading")
            cls = greensio.SimpleClient if simple else greensio.Client
            return cls(**options)
        cls = greensio.AsyncSimpleClient if simple else greensio.AsyncClient
        if not loops:
            loops.append(LoopThread())
        return Blocking(cls(**options), loops[0])

    yield make
    for loop in loops:
        loop.stop()
