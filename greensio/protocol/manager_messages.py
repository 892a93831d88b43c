"""The messages message-queue managers exchange on their channel: python-socketio's JSON shape.

Theory of operation: every node of a cluster (greensio's or python-socketio's, 5.15.1 and later)
publishes one JSON object per operation on the channel and reads everyone's. The object's
``method`` names the operation; ``host_id`` names the node that published it (a node ignores its
own messages, except ``callback``, which is addressed to ``host_id``):

- ``emit``: ``event``, ``data`` (the list of arguments), ``namespace``, ``room`` (a room, a list
  of rooms or null for everyone), ``skip_sid`` (a sid, a list or null), ``callback`` (null, or
  ``[sid, namespace, id]`` when the emitter wants the ack back), ``binary`` (true when ``data`` is
  ``[args_with_placeholders, base64_attachment, ...]``, placeholders as in Socket.IO packets);
- ``callback``: ``sid``, ``namespace``, ``id``, ``args`` (the ack's arguments), for ``host_id``;
- ``disconnect``: ``sid``, ``namespace``;
- ``enter_room`` / ``leave_room``: ``sid``, ``namespace``, ``room``;
- ``close_room``: ``namespace``, ``room``.

Three greensio additions that python-socketio ignores: ``reply_to`` on an emit (where its
``callback`` message goes, for a write-only emitter listening on a channel of its own),
``except_rooms``, and ``volatile`` (true: ``emit(volatile=True)``; sent only when true).

``encode_message`` turns a message into bytes, ``decode_message`` bytes (or text) into one of
the frozen dataclasses below or raises ``ProtocolError``: the caller logs it and reads on.
Pickle is never involved (python-socketio used it until 5.14).
"""

from __future__ import annotations

import base64
import binascii
import json as stdlib_json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from greensio.exceptions import ProtocolError
from greensio.protocol.socketio.packets import _deconstruct, reconstruct

#: A room as JSON can carry it: a string (or a number, as python-socketio lets one be).
RoomName = str | int
Rooms = RoomName | list[RoomName] | None


@dataclass(frozen=True, slots=True)
class EmitMessage:
    """Deliver ``event(*args)`` to ``room``'s members on ``namespace`` but ``skip_sid``."""

    host_id: str
    event: str
    args: list[Any]
    namespace: str = "/"
    room: Rooms = None
    skip_sid: str | list[str] | None = None
    #: (sid, namespace, id) when the emitter wants the ack back as a ``CallbackMessage``.
    callback: tuple[RoomName, str, int] | None = None
    reply_to: str | None = None
    except_rooms: Rooms = None
    volatile: bool = False


@dataclass(frozen=True, slots=True)
class CallbackMessage:
    """An ack for the emit ``host_id`` published with callback ``(sid, namespace, id)``."""

    host_id: str
    sid: RoomName
    namespace: str
    id: int
    args: list[Any]


@dataclass(frozen=True, slots=True)
class DisconnectMessage:
    host_id: str
    sid: str
    namespace: str = "/"


@dataclass(frozen=True, slots=True)
class EnterRoomMessage:
    host_id: str
    sid: str
    namespace: str
    room: RoomName


@dataclass(frozen=True, slots=True)
class LeaveRoomMessage:
    host_id: str
    sid: str
    namespace: str
    room: RoomName


@dataclass(frozen=True, slots=True)
class CloseRoomMessage:
    host_id: str
    namespace: str
    room: RoomName


ManagerMessage = (
    EmitMessage
    | CallbackMessage
    | DisconnectMessage
    | EnterRoomMessage
    | LeaveRoomMessage
    | CloseRoomMessage
)

_METHODS: dict[type, str] = {
    EmitMessage: "emit",
    CallbackMessage: "callback",
    DisconnectMessage: "disconnect",
    EnterRoomMessage: "enter_room",
    LeaveRoomMessage: "leave_room",
    CloseRoomMessage: "close_room",
}


# --- encoding ----------------------------------------------------------------------------------
def message_dict(message: ManagerMessage) -> dict[str, Any]:
    """The JSON object of ``message`` (python-socketio's keys; greensio's extras only when set)."""
    if isinstance(message, EmitMessage):
        attachments: list[bytes] = []
        data: list[Any] = _deconstruct(message.args, attachments)
        if attachments:
            data = [data, *(base64.b64encode(item).decode("ascii") for item in attachments)]
        elif not data:
            data = [None]  # python-socketio's emit('ev'): [null], read back as no argument
        out: dict[str, Any] = {
            "method": "emit",
            "event": message.event,
            "data": data,
            "binary": bool(attachments),
            "namespace": message.namespace,
            "room": message.room,
            "skip_sid": message.skip_sid,
            "callback": list(message.callback) if message.callback is not None else None,
            "host_id": message.host_id,
        }
        if message.reply_to is not None:
            out["reply_to"] = message.reply_to
        if message.except_rooms is not None:
            out["except_rooms"] = message.except_rooms
        if message.volatile:
            out["volatile"] = True
        return out
    if isinstance(message, CallbackMessage):
        body: dict[str, Any] = {"sid": message.sid, "namespace": message.namespace}
        body.update(id=message.id, args=message.args)
    elif isinstance(message, DisconnectMessage):
        body = {"sid": message.sid, "namespace": message.namespace}
    elif isinstance(message, (EnterRoomMessage, LeaveRoomMessage)):
        body = {"sid": message.sid, "room": message.room, "namespace": message.namespace}
    else:
        body = {"room": message.room, "namespace": message.namespace}
    return {"method": _METHODS[type(message)], **body, "host_id": message.host_id}


def encode_message(message: ManagerMessage, dumps: Callable[[Any], Any] | None = None) -> bytes:
    """``message`` as the bytes to publish (``dumps`` may return text or bytes, as orjson's)."""
    encoded = (dumps or _dumps)(message_dict(message))
    return encoded.encode("utf-8") if isinstance(encoded, str) else bytes(encoded)


def _dumps(data: Any) -> str:
    return stdlib_json.dumps(data, separators=(",", ":"))


# --- decoding ----------------------------------------------------------------------------------
def decode_message(
    raw: bytes | str | dict[str, Any], loads: Callable[[Any], Any] | None = None
) -> ManagerMessage:
    """The message in ``raw`` (bytes or text of a JSON object, or the object itself).

    Raises:
        ProtocolError: not JSON, not an object, an unknown ``method``, or a field of the wrong
            type; the message says which.
    """
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
        raise ProtocolError(f"manager message with unknown method {method!r}")
    return decoder(_Fields(data, str(method)))


class _Fields:
    """Typed reads of one message's fields, each failure a ProtocolError naming the field."""

    __slots__ = ("data", "method")

    def __init__(self, data: dict[str, Any], method: str) -> None:
        self.data = data
        self.method = method

    def fail(self, key: str) -> ProtocolError:
        return ProtocolError(f"manager message {self.method!r}: bad {key!r} {self.data.get(key)!r}")

    def string(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None and default is not None:
            value = default
        if not isinstance(value, str):
            raise self.fail(key)
        return value

    def optional_string(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(key)
        return value

    def room(self, key: str) -> RoomName:
        value = self.data.get(key)
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise self.fail(key)
        return value

    def rooms(self, key: str) -> Rooms:
        value = self.data.get(key)
        if value is None or _is_room(value):
            return value  # type: ignore[no-any-return,unused-ignore]
        if isinstance(value, list) and all(_is_room(item) for item in value):
            return value
        raise self.fail(key)

    def sids(self, key: str) -> str | list[str] | None:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        raise self.fail(key)

    def ack_id(self, key: str) -> int:
        value = self.data.get(key)
        if type(value) is not int:
            raise self.fail(key)
        return value


def _is_room(value: Any) -> bool:
    return isinstance(value, str) or (type(value) is int)


def _emit(fields: _Fields) -> EmitMessage:
    data = fields.data.get("data")
    binary = fields.data.get("binary", False)
    if binary not in (True, False, None):
        raise fields.fail("binary")
    if binary:
        args = _binary_args(fields, data)
    elif isinstance(data, list):
        args = data
    else:  # python-socketio before 5.15.1: one argument, not a list
        args = [data]
    if args == [None]:
        # python-socketio publishes emit('ev') and emit('ev', None) as [null], and its nodes
        # deliver no argument for it; so do these.
        args = []
    callback = fields.data.get("callback")
    if callback is not None:
        ok = isinstance(callback, list) and len(callback) == 3
        if not (ok and _is_room(callback[0]) and isinstance(callback[1], str)):
            raise fields.fail("callback")
        if type(callback[2]) is not int:
            raise fields.fail("callback")
        callback = (callback[0], callback[1], callback[2])
    return EmitMessage(
        host_id=fields.string("host_id"),
        event=fields.string("event"),
        args=args,
        namespace=fields.string("namespace", "/"),
        room=fields.rooms("room"),
        skip_sid=fields.sids("skip_sid"),
        callback=callback,
        reply_to=fields.optional_string("reply_to"),
        except_rooms=fields.rooms("except_rooms"),
        volatile=fields.data.get("volatile") is True,
    )


def _binary_args(fields: _Fields, data: Any) -> list[Any]:
    if not (isinstance(data, list) and data and isinstance(data[0], list)):
        raise fields.fail("data")
    if not all(isinstance(item, str) for item in data[1:]):
        raise fields.fail("data")
    try:
        attachments = [base64.b64decode(item, validate=True) for item in data[1:]]
    except (binascii.Error, ValueError):
        raise ProtocolError("manager message 'emit': an attachment is not base64") from None
    result: list[Any] = reconstruct(data[0], attachments)
    return result


def _callback(fields: _Fields) -> CallbackMessage:
    args = fields.data.get("args")
    if not isinstance(args, list):
        raise fields.fail("args")
    return CallbackMessage(
        host_id=fields.string("host_id"),
        sid=fields.room("sid"),
        namespace=fields.string("namespace", "/"),
        id=fields.ack_id("id"),
        args=args,
    )


def _disconnect(fields: _Fields) -> DisconnectMessage:
    return DisconnectMessage(
        fields.string("host_id"), fields.string("sid"), fields.string("namespace", "/")
    )


def _enter_room(fields: _Fields) -> EnterRoomMessage:
    return EnterRoomMessage(
        fields.string("host_id"),
        fields.string("sid"),
        fields.string("namespace", "/"),
        fields.room("room"),
    )


def _leave_room(fields: _Fields) -> LeaveRoomMessage:
    entered = _enter_room(fields)
    return LeaveRoomMessage(entered.host_id, entered.sid, entered.namespace, entered.room)


def _close_room(fields: _Fields) -> CloseRoomMessage:
    return CloseRoomMessage(
        fields.string("host_id"), fields.string("namespace", "/"), fields.room("room")
    )


_DECODERS: dict[str, Callable[[_Fields], ManagerMessage]] = {
    "emit": _emit,
    "callback": _callback,
    "disconnect": _disconnect,
    "enter_room": _enter_room,
    "leave_room": _leave_room,
    "close_room": _close_room,
}
