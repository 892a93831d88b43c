"""The exception tree drawn in greensio/exceptions.py's docstring, and its built-in twins."""

from __future__ import annotations

import builtins

import pytest

from greensio import exceptions
from greensio.exceptions import (
    BadNamespaceError,
    ConnectionError,  # noqa: A004
    ConnectionRefusedError,  # noqa: A004
    DisconnectedError,
    GreensioError,
    MessageTooLarge,
    ProtocolError,
    SocketIOError,
    TimeoutError,  # noqa: A004
    UsageError,
)

pytestmark = pytest.mark.timeout(10)


@pytest.mark.parametrize(
    ("cls", "parents"),
    [
        (ProtocolError, (GreensioError,)),
        (MessageTooLarge, (ProtocolError, GreensioError)),
        (UsageError, (GreensioError,)),
        (ConnectionError, (GreensioError, builtins.ConnectionError)),
        (
            ConnectionRefusedError,
            (
                ConnectionError,
                GreensioError,
                builtins.ConnectionRefusedError,
                builtins.ConnectionError,
            ),
        ),
        (TimeoutError, (GreensioError, builtins.TimeoutError)),
        (BadNamespaceError, (GreensioError,)),
        (DisconnectedError, (GreensioError,)),
    ],
)
def test_tree(cls: type[Exception], parents: tuple[type[Exception], ...]) -> None:
    for parent in parents:
        assert issubclass(cls, parent)


def test_remote_and_local_errors_are_apart() -> None:
    assert not issubclass(ProtocolError, UsageError)
    assert not issubclass(UsageError, ProtocolError)
    assert not issubclass(ProtocolError, ValueError)  # never a bare ValueError from peer bytes


def test_python_socketio_root_name() -> None:
    assert SocketIOError is GreensioError
    with pytest.raises(exceptions.SocketIOError):
        raise BadNamespaceError("/x")


def test_builtin_handlers_catch_the_twins() -> None:
    with pytest.raises(builtins.TimeoutError):
        raise TimeoutError("no ack")
    with pytest.raises(builtins.ConnectionRefusedError):
        raise ConnectionRefusedError()
    with pytest.raises(OSError):
        raise ConnectionError("lost")


def test_all_lists_every_exception() -> None:
    public = {
        name
        for name, value in vars(exceptions).items()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and value.__module__ == exceptions.__name__
    }
    assert public | {"SocketIOError"} == set(exceptions.__all__)
    for name in exceptions.__all__:
        assert getattr(exceptions, name)


@pytest.mark.parametrize(
    ("args", "error_args"),
    [
        ((), {"message": "Connection rejected by server"}),
        (("Not authorized",), {"message": "Not authorized"}),
        ((42,), {"message": "42"}),
        (("nope", {"code": 7}), {"message": "nope", "data": {"code": 7}}),
        (("nope", 1, 2), {"message": "nope", "data": (1, 2)}),
    ],
)
def test_connection_refused_error_args(
    args: tuple[object, ...], error_args: dict[str, object]
) -> None:
    exc = ConnectionRefusedError(*args)
    assert exc.error_args == error_args
    # (OSError keeps only two of three or more args in .args; error_args is built before that.)
    assert exc.args[:2] == args[:2]
