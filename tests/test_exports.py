"""The public surface is a contract: ``greensio.__all__``, and python-socketio's exception names.

After trio's ``test_exports.py``: the curated list below changes only on purpose, together with
``greensio/__init__.py``. python-socketio is installed for the interop tests, so its own
``socketio.exceptions`` is the reference for the drop-in names and for ``error_args``.
"""

from __future__ import annotations

import builtins
import types

import pytest
import socketio

import greensio
from greensio import exceptions

pytestmark = pytest.mark.timeout(10)

PUBLIC = {
    "ASGIApp",
    "AsyncClient",
    "AsyncClientNamespace",
    "AsyncAioPikaManager",
    "AsyncManager",
    "AsyncRedisManager",
    "AsyncRedisStreamsManager",
    "AsyncNamespace",
    "AsyncServer",
    "AsyncSimpleClient",
    "Client",
    "ClientNamespace",
    "EngineIOClient",
    "EngineIOServer",
    "KombuManager",
    "Manager",
    "Middleware",
    "Namespace",
    "PubSubManager",
    "RedisManager",
    "RedisStreamsManager",
    "Server",
    "SimpleClient",
    "WSGIApp",
    "__version__",
    "exceptions",
}

#: python-socketio's exception names, with the built-in each must also be (None: no built-in twin).
DROP_IN = {
    "ConnectionError": builtins.ConnectionError,
    "ConnectionRefusedError": builtins.ConnectionRefusedError,
    "TimeoutError": builtins.TimeoutError,
    "BadNamespaceError": None,
    "DisconnectedError": None,
}


def test_all_is_the_curated_list():
    assert sorted(greensio.__all__) == sorted(PUBLIC)
    assert len(greensio.__all__) == len(set(greensio.__all__))


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_every_name_resolves(name):
    assert getattr(greensio, name) is not None


def test_star_import_gives_exactly_all():
    namespace: dict[str, object] = {}
    exec("from greensio import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(greensio.__all__)


def test_no_public_name_outside_all():
    """A name on ``greensio`` without an underscore is in ``__all__``, or is a submodule."""
    stray = {
        name
        for name, value in vars(greensio).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert stray <= set(greensio.__all__)


def test_version():
    assert isinstance(greensio.__version__, str) and greensio.__version__[0].isdigit()


def test_middleware_is_wsgiapp():
    assert greensio.Middleware is greensio.WSGIApp


def test_exceptions_module_is_public():
    assert greensio.exceptions is exceptions
    assert "GreensioError" in exceptions.__all__


@pytest.mark.parametrize("name", DROP_IN)
def test_python_socketio_exception_names(name):
    cls = getattr(greensio.exceptions, name)
    assert issubclass(cls, exceptions.GreensioError)
    assert issubclass(cls, exceptions.SocketIOError)  # python-socketio's root name
    builtin = DROP_IN[name]
    if builtin is not None:
        assert issubclass(cls, builtin)
    assert hasattr(socketio.exceptions, name)  # the names really are python-socketio's
    assert name in exceptions.__all__


def test_refused_is_a_connection_error():
    assert issubclass(exceptions.ConnectionRefusedError, exceptions.ConnectionError)


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("Not authorized",),
        (42,),
        ("nope", {"code": 7}),
        ("nope", 1, 2),
    ],
    ids=["0-args", "1-arg", "1-arg-not-str", "2-args", "3-args"],
)
def test_connection_refused_error_args_match_python_socketio(args):
    ours = exceptions.ConnectionRefusedError(*args)
    theirs = socketio.exceptions.ConnectionRefusedError(*args)
    assert ours.error_args == theirs.error_args


def test_connection_refused_error_args():
    assert exceptions.ConnectionRefusedError().error_args == {
        "message": "Connection rejected by server"
    }
    assert exceptions.ConnectionRefusedError("no").error_args == {"message": "no"}
    assert exceptions.ConnectionRefusedError("no", {"a": 1}).error_args == {
        "message": "no",
        "data": {"a": 1},
    }
    assert exceptions.ConnectionRefusedError("no", 1, 2).error_args == {
        "message": "no",
        "data": (1, 2),
    }
