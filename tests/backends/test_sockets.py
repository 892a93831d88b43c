"""greensio/backends/sockets.py in this process: the socket behind a WSGI input stream, and what a
standard socket offers (the gevent cases run in a child process: tests/backends/behaviour.py)."""

from __future__ import annotations

import io
import socket

import pytest

from greensio.backends.sockets import direct_io, input_socket

pytestmark = pytest.mark.timeout(10)


class PywsgiInput:
    """The shape of gevent pywsgi's ``Input``: the socket's file is its ``rfile``."""

    def __init__(self, rfile: object) -> None:
        self.rfile = rfile


def test_the_socket_behind_a_makefile_stream() -> None:
    left, right = socket.socketpair()
    with left, right:
        stream = left.makefile("rb")
        with stream:
            assert input_socket({"wsgi.input": stream}) is left  # wsgiref's shape
            assert input_socket({"wsgi.input": PywsgiInput(stream)}) is left


@pytest.mark.parametrize("environ", [{}, {"wsgi.input": io.BytesIO(b"body")}])
def test_no_socket_behind_other_streams(environ) -> None:
    assert input_socket(environ) is None


def test_a_standard_socket_has_no_direct_calls() -> None:
    left, right = socket.socketpair()
    with left, right:
        assert direct_io(left) is None
