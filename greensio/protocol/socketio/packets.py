"""Socket.IO v5 packets, their text encoding and binary attachments (socket.io-protocol).

Text form: ``<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]``. A packet whose data holds
bytes travels as BINARY_EVENT/BINARY_ACK: each bytes value is replaced by
``{"_placeholder":true,"num":N}`` and sent after the text as its own binary message.
"""

from __future__ import annotations

import enum
import json as stdlib_json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from greensio.exceptions import MessageTooLarge, ProtocolError


class PacketType(enum.IntEnum):
    CONNECT = 0
    DISCONNECT = 1
    EVENT = 2
    ACK = 3
    CONNECT_ERROR = 4
    BINARY_EVENT = 5
    BINARY_ACK = 6


_TYPES = tuple(PacketType)  # by value: PacketType(n) costs an enum call per packet
_BINARY_OF = {PacketType.EVENT: PacketType.BINARY_EVENT, PacketType.ACK: PacketType.BINARY_ACK}
_PLAIN_OF = {PacketType.BINARY_EVENT: PacketType.EVENT, PacketType.BINARY_ACK: PacketType.ACK}

#: Event names an application must never receive from a peer (socket.io-protocol, "EVENT"; the
#: JavaScript implementations reserve the same names).
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)

_MAX_ID_DIGITS = 16
#: EVENT or ACK, default namespace, an ack id of at most _MAX_ID_DIGITS digits, then an array.
_SIMPLE_DATA_PACKET = re.compile(r"([23])([0-9]{0,16})(?=\[)")
# A string runs to its closing quote or, unterminated, to the end of the text, so every match
# succeeds where it starts and the scan stays linear. (Requiring the closing quote made each quote
# inside an unterminated string start a rescan of the rest: quadratic time on a quote followed by
# many escaped quotes.)
_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


@dataclass(slots=True)  # not frozen: a frozen dataclass costs 5x as much to build
class Packet:
    """One Socket.IO packet; binary packets carry their data with bytes already in place."""

    type: PacketType
    namespace: str = "/"
    data: Any = None
    ack_id: int | None = None


class Decoder(Protocol):
    def receive(self, message: str | bytes) -> Packet | None: ...


class PacketCodec(Protocol):
    """What the sessions need of a serializer: JSON text (``Codec``) or msgpack."""

    def encode(self, packet: Packet) -> list[str | bytes]: ...

    def decoder(self) -> Decoder: ...


class Codec:
    """Encodes and parses packets with a pluggable ``json`` module and the safety limits.

    Args:
        json: a module (or object) with ``dumps``/``loads``; stdlib json by default. ``dumps`` may
            return str or bytes (orjson).
        max_attachments: most binary attachments one packet may announce (Node's default: 10).
        max_depth: deepest JSON nesting accepted from the peer.
        max_int_digits: longest integer literal accepted from the peer (stdlib json only).
    """

    def __init__(
        self,
        json: Any = None,
        *,
        max_attachments: int = 10,
        max_depth: int = 32,
        max_int_digits: int = 64,
    ) -> None:
        self.max_attachments = max_attachments
        self.max_depth = max_depth
        self.max_int_digits = max_int_digits
        if json is None or json is stdlib_json:
            self._dumps: Any = _compact_dumps()
            decoder = stdlib_json.JSONDecoder(
                parse_int=self._parse_int, parse_constant=_no_constant
            )
            self._loads: Any = _strict_loads(decoder)
        else:
            self._dumps = json.dumps
            self._loads = json.loads

    # --- encoding --------------------------------------------------------------------------------
    def dumps(self, data: Any) -> str:
        """JSON text of ``data``; NaN and the infinities become null, as JSON.stringify (and
        orjson) write them: they are not JSON, and the peer's JSON.parse would refuse them."""
        try:
            text = self._dumps(data)
        except ValueError:  # only the stdlib encoder (allow_nan=False) raises it, on NaN
            text = self._dumps(_finite(data))
        return text.decode("utf-8") if isinstance(text, bytes) else text

    def encode(self, packet: Packet) -> list[str | bytes]:
        """Encode to the Engine.IO messages to send in order: the text, then any attachments."""
        kind = packet.type
        head = str(int(kind))
        if packet.namespace != "/":
            head += packet.namespace + ","
        if packet.ack_id is not None:
            head += str(packet.ack_id)
        if packet.data is None:
            return [head]
        try:
            return [head + self.dumps(packet.data)]
        except TypeError:
            # bytes are not JSON: take the binary path (cheaper than scanning every payload).
            attachments: list[bytes] = []
            data = _deconstruct(packet.data, attachments)
            if not attachments or kind not in _BINARY_OF:
                raise
            head = f"{int(_BINARY_OF[kind])}{len(attachments)}-" + head[1:]
            return [head + self.dumps(data), *attachments]

    def decoder(self) -> PacketDecoder:
        """A per-connection decoder (it holds a binary packet while its attachments arrive)."""
        return PacketDecoder(self)

    # --- decoding --------------------------------------------------------------------------------
    def _parse_int(self, text: str) -> int:
        if len(text) > self.max_int_digits:
            raise ProtocolError("integer literal too long")
        return int(text)

    def loads(self, text: str) -> Any:
        """Parse JSON from the peer within the nesting and integer limits."""
        if text.count("[") + text.count("{") > self.max_depth:
            depth = deepest = 0
            for match in _BRACKETS.finditer(text):
                token = match.group()
                if token in "[{":
                    depth += 1
                    if depth > deepest:
                        deepest = depth
                elif token in "]}":
                    depth -= 1
            if deepest > self.max_depth:
                raise ProtocolError("JSON nested too deeply")
        try:
            return self._loads(text)
        except ProtocolError:
            raise
        except (ValueError, RecursionError, TypeError) as exc:
            raise ProtocolError(f"bad JSON in packet: {exc}") from None

    def decode_text(self, text: str) -> tuple[Packet, int]:
        """Parse a text packet; returns it and how many binary attachments must follow.

        Raises ProtocolError on anything the spec does not allow.
        """
        simple = _SIMPLE_DATA_PACKET.match(text)
        if simple is not None:
            # The common case (an EVENT or ACK on "/" with a JSON array), with what the general
            # path below would find: no attachment count, no namespace, at most 16 id digits.
            digits = simple.group(2)
            packet = Packet(
                PacketType.EVENT if simple.group(1) == "2" else PacketType.ACK,
                "/",
                self.loads(text[simple.end() :]),
                int(digits) if digits else None,
            )
            validate(packet)
            return packet, 0
        if not text or not "0" <= text[0] <= "6":
            raise ProtocolError(f"unknown Socket.IO packet type in {text[:20]!r}")
        kind = _TYPES[ord(text[0]) - 48]
        pos = 1
        attachments = 0
        if kind in _PLAIN_OF:
            dash = text.find("-", pos, pos + 8)
            count = text[pos:dash]
            # ASCII digits only: str.isdigit() also accepts "²", which int() rejects.
            if dash < 0 or not (count.isascii() and count.isdigit()):
                raise ProtocolError("binary packet without an attachment count")
            attachments = int(count)
            if attachments > self.max_attachments:
                raise MessageTooLarge(f"packet announces {attachments} binary attachments")
            pos = dash + 1
        namespace = "/"
        if text.startswith("/", pos):
            comma = text.find(",", pos)
            end = len(text) if comma < 0 else comma
            namespace = text[pos:end]
            pos = end + 1
        ack_id = None
        start = pos
        while pos < len(text) and "0" <= text[pos] <= "9":
            pos += 1
        if pos > start:
            if pos - start > _MAX_ID_DIGITS:
                raise ProtocolError("ack id too long")
            ack_id = int(text[start:pos])
        data = self.loads(text[pos:]) if pos < len(text) else None
        packet = Packet(kind, namespace, data, ack_id)
        validate(packet)
        return packet, attachments


def encode_event(
    codec: PacketCodec, namespace: str, event: str, args: list[Any], ack_id: int | None = None
) -> list[str | bytes]:
    """The messages of one EVENT (a BINARY_EVENT and its attachments when ``args`` hold bytes),
    for a session to route or a broadcast to share among its recipients."""
    return codec.encode(Packet(PacketType.EVENT, namespace, [event, *args], ack_id))


def _compact_dumps() -> Callable[[Any], str]:
    """The stdlib's compact, non-ASCII-escaping JSON encoder, called straight: ``JSONEncoder
    .encode`` builds its C encoder on every call, which cost more than the encoding itself.
    (Without the circular-reference check: a circular structure ends in RecursionError.)"""
    encoder = stdlib_json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
    make = stdlib_json.encoder.c_make_encoder  # type: ignore[attr-defined]
    if make is None:  # pragma: no cover - CPython always has the C accelerator
        return encoder.encode
    c_encode = make(
        None,
        encoder.default,
        stdlib_json.encoder.encode_basestring,
        None,
        ":",
        ",",
        False,
        False,
        False,  # allow_nan: NaN raises ValueError (Codec.dumps then writes null)
    )

    def dumps(data: Any) -> str:
        return "".join(c_encode(data, 0))

    return dumps


def _strict_loads(decoder: stdlib_json.JSONDecoder) -> Callable[[str], Any]:
    """``decoder.decode`` without its two whitespace scans in the common case (no whitespace
    around the document); the same errors otherwise."""
    raw_decode, decode = decoder.raw_decode, decoder.decode

    def loads(text: str) -> Any:
        if text[:1] in _JSON_SPACE:
            return decode(text)
        data, end = raw_decode(text)
        if end != len(text):
            return decode(text)  # trailing whitespace is fine, anything else raises
        return data

    return loads


_JSON_SPACE = (" ", "\t", "\n", "\r", "")


def _no_constant(name: str) -> Any:
    """``NaN``, ``Infinity``, ``-Infinity``: Python's json reads them, JSON has no such thing."""
    raise ProtocolError(f"not JSON: {name}")


def _finite(data: Any) -> Any:
    """``data`` with NaN and infinite floats as None (keys: as JavaScript's String() names them)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, (list, tuple)):
        return [_finite(item) for item in data]
    if isinstance(data, dict):
        return {_finite_key(key): _finite(value) for key, value in data.items()}
    return data


def _finite_key(key: Any) -> Any:
    if isinstance(key, float) and not math.isfinite(key):
        return "NaN" if key != key else ("Infinity" if key > 0 else "-Infinity")
    return key


def validate(packet: Packet) -> None:
    """Check a decoded packet's shape (socket.io-protocol, per packet type)."""
    kind, data = packet.type, packet.data
    if kind is PacketType.CONNECT:
        ok = data is None or isinstance(data, dict)
    elif kind is PacketType.DISCONNECT:
        ok = data is None
    elif kind in (PacketType.EVENT, PacketType.BINARY_EVENT):
        ok = isinstance(data, list) and bool(data) and isinstance(data[0], str)
        if ok and data[0] in RESERVED_EVENTS:
            raise ProtocolError(f"reserved event name {data[0]!r}")
    elif kind in (PacketType.ACK, PacketType.BINARY_ACK):
        ok = isinstance(data, list) and packet.ack_id is not None
    else:  # CONNECT_ERROR
        ok = isinstance(data, (dict, str))
    if not ok:
        raise ProtocolError(f"invalid payload for {kind.name}")


def _deconstruct(data: Any, attachments: list[bytes]) -> Any:
    if isinstance(data, (bytes, bytearray, memoryview)):
        attachments.append(bytes(data))
        return {"_placeholder": True, "num": len(attachments) - 1}
    if isinstance(data, (list, tuple)):
        return [_deconstruct(item, attachments) for item in data]
    if isinstance(data, dict):
        return {key: _deconstruct(value, attachments) for key, value in data.items()}
    return data


def reconstruct(data: Any, attachments: list[bytes]) -> Any:
    """Put attachments back where their placeholders stand; every one must be used once."""
    used: set[int] = set()
    result = _reconstruct(data, attachments, used)
    if len(used) != len(attachments):
        raise ProtocolError("binary attachment without a placeholder")
    return result


def _reconstruct(data: Any, attachments: list[bytes], used: set[int]) -> Any:
    if isinstance(data, list):
        return [_reconstruct(item, attachments, used) for item in data]
    if isinstance(data, dict):
        if data.get("_placeholder") is True and len(data) == 2:
            num = data.get("num")
            if type(num) is not int or not 0 <= num < len(attachments):
                raise ProtocolError("placeholder points at no attachment")
            used.add(num)
            return attachments[num]
        return {key: _reconstruct(value, attachments, used) for key, value in data.items()}
    return data


class PacketDecoder:
    """Reassembles packets from Engine.IO messages, waiting for a binary packet's attachments."""

    def __init__(self, codec: Codec) -> None:
        self.codec = codec
        self._partial: Packet | None = None
        self._expected = 0
        self._attachments: list[bytes] = []

    def receive(self, message: str | bytes) -> Packet | None:
        """Feed one message; returns a complete packet, or None while attachments are due.

        Raises ProtocolError on bad input (the caller closes the connection).
        """
        if isinstance(message, str):
            if self._partial is not None:
                raise ProtocolError("text packet while binary attachments were due")
            packet, expected = self.codec.decode_text(message)
            if not expected:
                if packet.type in _PLAIN_OF:
                    raise ProtocolError("binary packet announced no attachments")
                return packet
            self._partial, self._expected, self._attachments = packet, expected, []
            return None
        if self._partial is None:
            raise ProtocolError("binary message without a binary packet")
        self._attachments.append(message)
        if len(self._attachments) < self._expected:
            return None
        partial, self._partial = self._partial, None
        data = reconstruct(partial.data, self._attachments)
        self._attachments = []
        return Packet(_PLAIN_OF[partial.type], partial.namespace, data, partial.ack_id)
