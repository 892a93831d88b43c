"""greensio's own manager messages: cluster-wide operations (``fetch_sockets``, server-side
events, ``broadcast_call``), beside python-socketio's (``greensio.protocol.manager_messages``).

Theory of operation: they travel on the same channel as python-socketio's messages, as JSON
objects whose ``method`` starts with ``greensio:``, a name python-socketio's nodes do not know
and skip (its listener dispatches on the five methods it knows and ignores the rest silently).
``host_id`` is always the node that published the message, so every node skips its own:

- ``greensio:heartbeat``: ``state`` is ``hello`` (a node came up: the others answer ``alive`` at
  once), ``alive`` (every few seconds) or ``bye`` (a node is closing). This is how a node counts
  the others it waits for (python-socketio's nodes never send it, so they are not counted).
- ``greensio:request``: ``op`` (one of ``OPS``), ``namespace``, ``request_id`` (an int when
  replies are wanted, else null), ``to`` (a sid, a room, a list, or null: everyone),
  ``room`` (``enter_room`` / ``leave_room``), ``skip_sid``, ``except_rooms``, ``event``,
  ``args`` (a list) and ``timeout`` (``broadcast_call``).
- ``greensio:reply``: for ``to_host``'s request ``request_id``, a ``kind`` and its ``data``:
  ``sockets`` (a list of ``{sid, namespace, rooms, data}``), ``values`` (a list: the server-side
  handler's return value, or empty when the node has none), ``targets`` (the sids a
  ``broadcast_call`` reached there), ``ack`` (``[sid, args]``) or ``gone`` (a sid that left).

``decode`` reads any message of the channel: one of these, or one of python-socketio's through
``manager_messages.decode_message``; every field is checked (``ProtocolError`` otherwise).
Never pickle. Data crosses nodes as JSON; ``bytes`` in a request's ``args`` or a reply's ``data``
travel as Socket.IO placeholders there and an ``attachments`` list of base64 strings beside them
(present only when there are some), as python-socketio's binary emits do.
"""

from __future__ import annotations

import base64
import binascii
import json as stdlib_json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from greensio.exceptions import ProtocolError
from greensio.protocol import manager_messages as mm
from greensio.protocol.socketio.packets import _deconstruct, reconstruct

HEARTBEAT, REQUEST, REPLY = "greensio:heartbeat", "greensio:request", "greensio:reply"
STATES = ("hello", "alive", "bye")
OPS = (
    "fetch_sockets",
    "enter_room",
    "leave_room",
    "disconnect",
    "server_emit",
    "broadcast_call",
)
KINDS = ("sockets", "values", "targets", "ack", "gone")


@dataclass(frozen=True, slots=True)
class Heartbeat:
    host_id: str
    state: str = "alive"


@dataclass(frozen=True, slots=True)
class ClusterRequest:
    """An operation for every other node (``op``); replies wanted when ``request_id`` is set."""

    host_id: str
    op: str
    namespace: str = "/"
    request_id: int | None = None
    to: mm.Rooms = None
    room: mm.RoomName | None = None
    skip_sid: str | list[str] | None = None
    except_rooms: mm.Rooms = None
    event: str | None = None
    args: list[Any] = field(default_factory=list)
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class ClusterReply:
    """``host_id``'s answer to ``to_host``'s request ``request_id``."""

    host_id: str
    to_host: str
    request_id: int
    kind: str
    data: Any = None


ClusterMessage = Heartbeat | ClusterRequest | ClusterReply
#: The three classes, for ``isinstance``.
CLUSTER = (Heartbeat, ClusterRequest, ClusterReply)
_METHODS: dict[type, str] = {Heartbeat: HEARTBEAT, ClusterRequest: REQUEST, ClusterReply: REPLY}


def encode(message: ClusterMessage, dumps: Callable[[Any], Any] | None = None) -> bytes:
    """``message`` as the bytes to publish. Raises TypeError/ValueError for non-JSON data."""
    body = {"method": _METHODS[type(message)], **asdict(message)}
    payload = _PAYLOAD.get(type(message))
    if payload is not None:
        attachments: list[bytes] = []
        body[payload] = _deconstruct(body[payload], attachments)
        if attachments:
            body["attachments"] = [base64.b64encode(item).decode("ascii") for item in attachments]
    encoded = (dumps or _dumps)(body)
    return encoded.encode("utf-8") if isinstance(encoded, str) else bytes(encoded)


def _dumps(data: Any) -> str:
    return stdlib_json.dumps(data, separators=(",", ":"))


def _payload(fields: mm._Fields, key: str) -> Any:
    """Field ``key`` with its binary attachments put back, if the message has any."""
    data = fields.data.get(key)
    encoded = fields.data.get("attachments")
    if encoded is None:
        return data
    if not (isinstance(encoded, list) and encoded and all(isinstance(i, str) for i in encoded)):
        raise fields.fail("attachments")
    try:
        attachments = [base64.b64decode(item, validate=True) for item in encoded]
    except (binascii.Error, ValueError):
        message = f"manager message {fields.method!r}: an attachment is not base64"
        raise ProtocolError(message) from None
    return reconstruct(data, attachments)


def decode(
    raw: bytes | str | dict[str, Any], loads: Callable[[Any], Any] | None = None
) -> ClusterMessage | mm.ManagerMessage:
    """Any message of the channel. Raises ProtocolError naming what is wrong."""
    if isinstance(raw, dict):
        data = raw
    else:
        try:
            data = (loads or stdlib_json.loads)(raw)
        except (ValueError, TypeError, UnicodeDecodeError, RecursionError) as exc:
            raise ProtocolError(f"manager message is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError("manager message is not a JSON object")
    method = data.get("method")
    decoder = _DECODERS.get(method) if isinstance(method, str) else None
    if decoder is None:
        return mm.decode_message(data)
    return decoder(mm._Fields(data, str(method)))


def _one_of(fields: mm._Fields, key: str, allowed: tuple[str, ...]) -> str:
    value = fields.string(key)
    if value not in allowed:
        raise fields.fail(key)
    return value


def _optional_id(fields: mm._Fields, key: str) -> int | None:
    return None if fields.data.get(key) is None else fields.ack_id(key)


def _heartbeat(fields: mm._Fields) -> Heartbeat:
    return Heartbeat(fields.string("host_id"), _one_of(fields, "state", STATES))


def _request(fields: mm._Fields) -> ClusterRequest:
    op = _one_of(fields, "op", OPS)
    request_id = _optional_id(fields, "request_id")
    if op in ("fetch_sockets", "broadcast_call") and request_id is None:
        raise fields.fail("request_id")
    room = fields.room("room") if op in ("enter_room", "leave_room") else None
    event = fields.string("event") if op in ("server_emit", "broadcast_call") else None
    args = _payload(fields, "args") if "args" in fields.data else []
    if not isinstance(args, list):
        raise fields.fail("args")
    timeout = fields.data.get("timeout")
    if timeout is not None and not (
        isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout >= 0
    ):
        raise fields.fail("timeout")
    if op == "broadcast_call" and timeout is None:
        raise fields.fail("timeout")
    return ClusterRequest(
        host_id=fields.string("host_id"),
        op=op,
        namespace=fields.string("namespace", "/"),
        request_id=request_id,
        to=fields.rooms("to"),
        room=room,
        skip_sid=fields.sids("skip_sid"),
        except_rooms=fields.rooms("except_rooms"),
        event=event,
        args=args,
        timeout=None if timeout is None else float(timeout),
    )


def _reply(fields: mm._Fields) -> ClusterReply:
    kind = _one_of(fields, "kind", KINDS)
    data = _payload(fields, "data")
    checks: dict[str, Callable[[Any], bool]] = {
        "sockets": lambda d: isinstance(d, list) and all(_is_socket(item) for item in d),
        "values": lambda d: isinstance(d, list),
        "targets": lambda d: isinstance(d, list) and all(isinstance(s, str) for s in d),
        "ack": lambda d: (
            isinstance(d, list) and len(d) == 2 and isinstance(d[0], str) and isinstance(d[1], list)
        ),
        "gone": lambda d: isinstance(d, str),
    }
    if not checks[kind](data):
        raise fields.fail("data")
    return ClusterReply(
        fields.string("host_id"), fields.string("to_host"), fields.ack_id("request_id"), kind, data
    )


def _is_socket(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("sid"), str)
        and isinstance(item.get("namespace"), str)
        and isinstance(item.get("rooms"), list)
        and all(mm._is_room(room) for room in item["rooms"])
        and isinstance(item.get("data"), dict)
    )


#: The field of each message class that may carry binary data.
_PAYLOAD: dict[type, str] = {ClusterRequest: "args", ClusterReply: "data"}

_DECODERS: dict[str, Callable[[mm._Fields], ClusterMessage]] = {
    HEARTBEAT: _heartbeat,
    REQUEST: _request,
    REPLY: _reply,
}
