"""Socket.IO v5 codec: spec vectors, attachments, safety limits, round-trips, decoder fuzz."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greensio.exceptions import MessageTooLarge, ProtocolError
from greensio.protocol.socketio.packets import (
    RESERVED_EVENTS,
    Codec,
    Packet,
    PacketDecoder,
    PacketType,
    encode_event,
    reconstruct,
)

pytestmark = pytest.mark.timeout(60)

CONNECT, DISCONNECT, EVENT, ACK = (
    PacketType.CONNECT,
    PacketType.DISCONNECT,
    PacketType.EVENT,
    PacketType.ACK,
)
CONNECT_ERROR = PacketType.CONNECT_ERROR
BUF = b"\x01\x02\x03\x04"
PH0 = '{"_placeholder":true,"num":0}'
PH1 = '{"_placeholder":true,"num":1}'


def decode_all(messages: list[str | bytes], codec: Codec | None = None) -> Packet:
    """Feed messages to a fresh decoder; the packet must come out with the last one."""
    decoder = PacketDecoder(codec or Codec())
    for message in messages[:-1]:
        assert decoder.receive(message) is None
    packet = decoder.receive(messages[-1])
    assert packet is not None
    return packet


# --- spec vectors (socket.io-protocol v5 README, "Packet encoding" and "Sample session") ----------
VECTORS: list[tuple[Packet, list[str | bytes]]] = [
    # connection to a namespace
    (Packet(CONNECT, "/"), ["0"]),
    (Packet(CONNECT, "/", {"sid": "wZX3oN0bSVIhsaknAAAI"}), ['0{"sid":"wZX3oN0bSVIhsaknAAAI"}']),
    (Packet(CONNECT, "/admin"), ["0/admin,"]),
    (
        Packet(CONNECT, "/admin", {"sid": "oSO0OpakMV_3jnilAAAA"}),
        ['0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}'],
    ),
    (Packet(CONNECT_ERROR, "/", {"message": "Not authorized"}), ['4{"message":"Not authorized"}']),
    # sending and receiving data
    (Packet(EVENT, "/", ["foo"]), ['2["foo"]']),
    (Packet(EVENT, "/admin", ["bar"]), ['2/admin,["bar"]']),
    (Packet(EVENT, "/", ["baz", BUF]), [f'51-["baz",{PH0}]', BUF]),
    (
        Packet(EVENT, "/admin", ["baz", b"\x01\x02", b"\x03\x04"]),
        [f'52-/admin,["baz",{PH0},{PH1}]', b"\x01\x02", b"\x03\x04"],
    ),
    # acknowledgement
    (Packet(EVENT, "/", ["foo"], 12), ['212["foo"]']),
    (Packet(ACK, "/", [], 12), ["312[]"]),
    (Packet(EVENT, "/admin", ["foo"], 13), ['2/admin,13["foo"]']),
    (Packet(ACK, "/admin", ["bar"], 13), ['3/admin,13["bar"]']),
    (Packet(EVENT, "/", ["foo", BUF], 14), [f'51-14["foo",{PH0}]', BUF]),
    (Packet(ACK, "/", ["bar"], 14), ['314["bar"]']),
    (Packet(EVENT, "/", ["foo"], 15), ['215["foo"]']),
    (Packet(ACK, "/", ["bar", BUF], 15), [f'61-15["bar",{PH0}]', BUF]),
    # disconnection from a namespace
    (Packet(DISCONNECT, "/"), ["1"]),
    (Packet(DISCONNECT, "/admin"), ["1/admin,"]),
    # "Sample session": the server's binary ack, with namespace and ack id
    (Packet(ACK, "/admin", [BUF], 1), [f"61-/admin,1[{PH0}]", BUF]),
    # the sample session's EVENT from the client
    (Packet(EVENT, "/admin", ["tellme"], 1), ['2/admin,1["tellme"]']),
    (Packet(EVENT, "/", ["hey", "Jude"]), ['2["hey","Jude"]']),
]


@pytest.mark.parametrize(("packet", "messages"), VECTORS)
def test_encode_vectors(packet: Packet, messages: list[str | bytes]) -> None:
    assert Codec().encode(packet) == messages


@pytest.mark.parametrize(("packet", "messages"), VECTORS)
def test_decode_vectors(packet: Packet, messages: list[str | bytes]) -> None:
    assert decode_all(messages) == packet


def test_decode_text_reports_attachments_still_due() -> None:
    packet, due = Codec().decode_text(f'52-/admin,["baz",{PH0},{PH1}]')
    assert due == 2
    assert packet == Packet(
        PacketType.BINARY_EVENT,
        "/admin",
        ["baz", {"_placeholder": True, "num": 0}, {"_placeholder": True, "num": 1}],
    )
    assert Codec().decode_text('2["foo"]') == (Packet(EVENT, "/", ["foo"]), 0)


def test_namespace_without_trailing_comma() -> None:
    # The JS parser reads the namespace up to "," or the end.
    assert Codec().decode_text("0/admin") == (Packet(CONNECT, "/admin"), 0)


def test_connect_with_auth_payload() -> None:
    # "with an additional payload": { type: CONNECT, namespace: "/admin", data: { "token": "123" } }
    packet = decode_all(['0/admin,{"token":"123"}'])
    assert packet == Packet(CONNECT, "/admin", {"token": "123"})


def test_connect_error_may_be_a_string() -> None:
    # v4 peers sent a plain string; still a valid CONNECT_ERROR payload.
    assert Codec().decode_text('4"Not authorized"')[0].data == "Not authorized"


# --- encoding -------------------------------------------------------------------------------------
def test_encode_non_ascii_is_sent_raw() -> None:
    assert Codec().encode(Packet(EVENT, "/", ["é€", "\x1e"])) == ['2["é€","\\u001e"]']


def test_encode_binary_in_nested_containers_numbers_in_order() -> None:
    data = ["ev", {"a": b"1", "b": [bytearray(b"2"), (memoryview(b"3"),)]}, b"4"]
    messages = Codec().encode(Packet(EVENT, "/", data, 7))
    head, *attachments = messages
    assert attachments == [b"1", b"2", b"3", b"4"]
    assert all(type(a) is bytes for a in attachments)
    assert isinstance(head, str)
    assert head.startswith("54-7[")
    assert json.loads(head[len("54-7") :]) == [
        "ev",
        {
            "a": {"_placeholder": True, "num": 0},
            "b": [{"_placeholder": True, "num": 1}, [{"_placeholder": True, "num": 2}]],
        },
        {"_placeholder": True, "num": 3},
    ]
    assert decode_all(messages) == Packet(
        EVENT, "/", ["ev", {"a": b"1", "b": [b"2", [b"3"]]}, b"4"], 7
    )


def test_encode_bytes_where_binary_is_not_allowed_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Codec().encode(Packet(CONNECT, "/", {"sid": b"x"}))


def test_encode_unserializable_data_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Codec().encode(Packet(EVENT, "/", ["ev", object()]))


class BytesJson:
    """A json module whose dumps returns bytes, as orjson's does."""

    @staticmethod
    def dumps(data: Any) -> bytes:
        return json.dumps(data, separators=(",", ":")).encode()

    @staticmethod
    def loads(text: str) -> Any:
        return json.loads(text)


def test_pluggable_json_module() -> None:
    codec = Codec(BytesJson)
    assert codec.dumps({"a": 1}) == '{"a":1}'
    messages = codec.encode(Packet(EVENT, "/", ["ev", BUF]))
    assert messages == [f'51-["ev",{PH0}]', BUF]
    assert decode_all(messages, codec) == Packet(EVENT, "/", ["ev", BUF])


def test_stdlib_json_module_gets_the_safe_decoder() -> None:
    codec = Codec(json)
    with pytest.raises(ProtocolError):
        codec.loads("1" * 65)


class RaisingJson:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def dumps(self, data: Any) -> str:
        return json.dumps(data)

    def loads(self, text: str) -> Any:
        raise self.exc


@pytest.mark.parametrize("exc", [ValueError("bad"), TypeError("bad"), RecursionError()])
def test_json_module_errors_become_protocol_errors(exc: BaseException) -> None:
    with pytest.raises(ProtocolError):
        Codec(RaisingJson(exc)).decode_text('2["ev"]')


def test_protocol_error_from_json_module_passes_through() -> None:
    with pytest.raises(ProtocolError, match="custom"):
        Codec(RaisingJson(ProtocolError("custom"))).loads("[]")


# --- NaN and the infinities: not JSON ------------------------------------------------------------
NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("codec", [Codec(), Codec(json)], ids=["default", "stdlib"])
@pytest.mark.parametrize(
    "text", ['2["ev",NaN]', '21["ev",{"a":Infinity}]', "3/x,1[[-Infinity]]", '0{"a":NaN}']
)
def test_non_finite_constants_are_refused(codec: Codec, text: str) -> None:
    with pytest.raises(ProtocolError, match="not JSON"):
        codec.decode_text(text)


def test_constant_names_inside_strings_are_fine() -> None:
    packet, _ = Codec().decode_text('2["ev","NaN",{"Infinity":1}]')
    assert packet.data == ["ev", "NaN", {"Infinity": 1}]


def test_orjson_refuses_non_finite_constants_too() -> None:
    orjson = pytest.importorskip("orjson")
    with pytest.raises(ProtocolError, match="bad JSON"):
        Codec(orjson).decode_text('2["ev",NaN]')


def test_non_finite_floats_are_sent_as_null() -> None:
    # As JSON.stringify writes them (and orjson): never NaN on the wire.
    codec = Codec()
    data = ["ev", NAN, (INF, 1.5), {"a": -INF, NAN: 1, INF: 2, -INF: 3, 2.5: 4}]
    assert codec.encode(Packet(EVENT, "/", data)) == [
        '2["ev",null,[null,1.5],{"a":null,"NaN":1,"Infinity":2,"-Infinity":3,"2.5":4}]'
    ]
    assert codec.encode(Packet(EVENT, "/", ["ev", NAN, BUF])) == [
        f'51-["ev",null,{PH0}]',
        BUF,
    ]
    assert codec.encode(Packet(EVENT, "/", ["ev", BUF, NAN])) == [
        f'51-["ev",{PH0},null]',
        BUF,
    ]


def test_orjson_sends_non_finite_floats_as_null() -> None:
    orjson = pytest.importorskip("orjson")
    assert Codec(orjson).encode(Packet(EVENT, "/", ["ev", NAN, INF])) == ['2["ev",null,null]']


# --- decoding errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "",
        "7",
        "9[]",
        "x",
        "-1",
        " 2[]",
        # binary packets without a proper attachment count
        f'5["a",{PH0}]',
        f'5-["a",{PH0}]',
        f'5x-["a",{PH0}]',
        f'5²-["a",{PH0}]',  # a Unicode digit int() rejects
        f'5١-["a",{PH0}]',  # an Arabic-Indic one int() would accept
        '512345678-["a"]',  # the count is at most 7 characters
        # payload shapes the spec forbids
        "0[]",
        '0"x"',
        "1{}",
        '1["x"]',
        "2",
        "2[]",
        "2{}",
        '2"ev"',
        "2[1]",
        "2[null]",
        '2[["ev"]]',
        "3[]",  # ACK without an id
        "31{}",
        "31",
        "4",
        "4[]",
        "41",
        "51-",
        "61-[]",
        # bad JSON
        '2["a"',
        '2["a"]]',
        "2/admin,x",
        "2/admin",  # no payload
        "2 ",
        '2["a",NaN',
        '2["\\x"]',
    ],
)
def test_bad_packet_is_a_protocol_error(text: str) -> None:
    with pytest.raises(ProtocolError):
        PacketDecoder(Codec()).receive(text)


@pytest.mark.parametrize("name", sorted(RESERVED_EVENTS))
def test_reserved_event_names_are_refused(name: str) -> None:
    with pytest.raises(ProtocolError, match="reserved"):
        Codec().decode_text(json.dumps([name]).join(["2", ""]))
    with pytest.raises(ProtocolError, match="reserved"):
        Codec().decode_text(f'51-["{name}",{PH0}]')


def test_attachment_count_limit() -> None:
    ten = "[" + ",".join(['"ev"'] + [f'{{"_placeholder":true,"num":{i}}}' for i in range(10)]) + "]"
    assert Codec().decode_text("510-" + ten)[1] == 10
    with pytest.raises(MessageTooLarge):
        Codec().decode_text('511-["ev"]')
    with pytest.raises(MessageTooLarge):
        Codec(max_attachments=1).decode_text('62-1["ev"]')


def test_ack_id_length_limit() -> None:
    assert Codec().decode_text("2" + "9" * 16 + '["ev"]')[0].ack_id == 10**16 - 1
    with pytest.raises(ProtocolError, match="ack id"):
        Codec().decode_text("2" + "1" * 17 + '["ev"]')


def test_json_depth_limit() -> None:
    codec = Codec(max_depth=32)
    ok = '2["ev",' + "[" * 31 + "]" * 31 + "]"
    assert codec.decode_text(ok)[0].data[0] == "ev"
    too_deep = '2["ev",' + "[" * 32 + "]" * 32 + "]"
    with pytest.raises(ProtocolError, match="deeply"):
        codec.decode_text(too_deep)
    mixed = '2["ev",' + '{"a":[' * 16 + "0" + "]}" * 16 + "]"
    with pytest.raises(ProtocolError, match="deeply"):
        codec.decode_text(mixed)


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    text = json.dumps(["ev", "[" * 100, '{"[\\"' * 50, "]" * 100, {"k[{": ["[{"]}])
    packet, _ = Codec(max_depth=4).decode_text("2" + text)
    assert packet.data == json.loads(text)


def test_many_shallow_brackets_are_fine() -> None:
    text = '2["ev",' + ",".join(["[]"] * 200) + "]"
    assert len(Codec(max_depth=2).decode_text(text)[0].data) == 201


def test_unterminated_string_after_deep_nesting_is_refused() -> None:
    with pytest.raises(ProtocolError):
        Codec().decode_text('2["ev",' + "[" * 40 + '"' + '\\"' * 10)


def test_depth_scan_is_linear_on_escaped_quotes() -> None:
    # This took minutes once: each quote inside the unterminated string rescanned the rest.
    text = '2["ev",' + "[" * 40 + '"' + '\\"' * 200_000
    with pytest.raises(ProtocolError):
        Codec().decode_text(text)


def test_json_recursion_error_becomes_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        Codec(max_depth=1_000_000).decode_text('2["ev",' + "[" * 100_000 + "]" * 100_000 + "]")


def test_integer_length_limit() -> None:
    codec = Codec(max_int_digits=64)
    assert codec.decode_text('2["ev",' + "9" * 64 + "]")[0].data[1] == int("9" * 64)
    with pytest.raises(ProtocolError, match="integer"):
        codec.decode_text('2["ev",' + "9" * 65 + "]")
    with pytest.raises(ProtocolError, match="integer"):
        Codec(max_int_digits=3).decode_text('2["ev",{"a":[-1000]}]')
    # floats are not integers
    assert codec.decode_text('2["ev",1.' + "5" * 100 + "]")[0].data[1] == pytest.approx(14 / 9)


# --- binary attachments ---------------------------------------------------------------------------
def test_reconstruct_puts_attachments_in_place() -> None:
    data = [{"_placeholder": True, "num": 1}, {"x": {"_placeholder": True, "num": 0}}, 3]
    assert reconstruct(data, [b"a", b"b"]) == [b"b", {"x": b"a"}, 3]


def test_reconstruct_allows_an_attachment_used_twice() -> None:
    ph = {"_placeholder": True, "num": 0}
    assert reconstruct([ph, ph], [b"a"]) == [b"a", b"a"]


def test_non_placeholder_dicts_are_left_alone() -> None:
    data = [
        {"_placeholder": False, "num": 0},
        {"_placeholder": 1, "num": 0},
        {"_placeholder": True, "num": 0, "extra": 1},
        {"_placeholder": True, "num": 0},
    ]
    assert reconstruct(data, [b"a"]) == [*data[:3], b"a"]


@pytest.mark.parametrize("num", [1, -1, True, "0", 0.0, None])
def test_placeholder_pointing_nowhere_is_a_protocol_error(num: Any) -> None:
    with pytest.raises(ProtocolError, match="placeholder"):
        reconstruct([{"_placeholder": True, "num": num}], [b"a"])


def test_unused_attachment_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="without a placeholder"):
        reconstruct([{"_placeholder": True, "num": 0}], [b"a", b"b"])


def test_decoder_waits_for_every_attachment() -> None:
    decoder = PacketDecoder(Codec())
    assert decoder.receive(f'52-3["ev",{PH1},{PH0}]') is None
    assert decoder.receive(b"first") is None
    assert decoder.receive(b"second") == Packet(EVENT, "/", ["ev", b"second", b"first"], 3)
    # and is ready for the next packet
    assert decoder.receive('2["next"]') == Packet(EVENT, "/", ["next"])
    assert decoder.receive(f"61-/x,4[{PH0}]") is None
    assert decoder.receive(b"") == Packet(ACK, "/x", [b""], 4)


def test_text_while_attachments_are_due_is_a_protocol_error() -> None:
    decoder = PacketDecoder(Codec())
    decoder.receive(f'51-["ev",{PH0}]')
    with pytest.raises(ProtocolError, match="attachments were due"):
        decoder.receive('2["ev"]')


def test_binary_without_a_packet_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="without a binary packet"):
        PacketDecoder(Codec()).receive(BUF)


def test_binary_packet_announcing_no_attachments_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="no attachments"):
        PacketDecoder(Codec()).receive('50-["ev"]')


def test_attachment_count_mismatch_is_a_protocol_error() -> None:
    decoder = PacketDecoder(Codec())
    decoder.receive('51-["ev"]')  # announces one, places none
    with pytest.raises(ProtocolError):
        decoder.receive(BUF)


# --- property tests -------------------------------------------------------------------------------
_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
# Keys never "_placeholder": a dict shaped like a placeholder is one, by the spec's own rule.
_key = st.text(max_size=8).filter(lambda k: k != "_placeholder")


def _json(leaf: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(_key, inner, max_size=4)
        ),
        max_leaves=12,
    )


_plain = _json(_scalar)
_with_bytes = _json(st.one_of(_scalar, st.binary(max_size=16)))
# "," ends a namespace in the text form, so a namespace cannot hold one.
_namespace = st.one_of(
    st.just("/"),
    st.text(st.characters(exclude_characters=","), max_size=10).map(lambda s: "/" + s),
)
_ack_id = st.integers(min_value=0, max_value=10**16 - 1)
_event_name = st.text(max_size=12).filter(lambda n: n not in RESERVED_EVENTS)

_packets = st.one_of(
    st.builds(
        lambda ns, name, args, ack: Packet(EVENT, ns, [name, *args], ack),
        _namespace,
        _event_name,
        st.lists(_with_bytes, max_size=4),
        st.none() | _ack_id,
    ),
    st.builds(
        lambda ns, args, ack: Packet(ACK, ns, args, ack),
        _namespace,
        st.lists(_with_bytes, max_size=4),
        _ack_id,
    ),
    st.builds(
        Packet, st.just(CONNECT), _namespace, st.none() | st.dictionaries(_key, _plain, max_size=4)
    ),
    st.builds(Packet, st.just(DISCONNECT), _namespace),
    st.builds(
        Packet,
        st.just(CONNECT_ERROR),
        _namespace,
        st.text(max_size=20) | st.dictionaries(_key, _plain, max_size=4),
    ),
)


@settings(max_examples=250, deadline=None)
@given(_packets)
def test_packet_round_trip(packet: Packet) -> None:
    codec = Codec(max_attachments=1000)
    messages = codec.encode(packet)
    assert isinstance(messages[0], str)
    assert all(isinstance(m, bytes) for m in messages[1:])
    assert decode_all(messages, codec) == packet


# Packet-shaped garbage: type digits, dashes, namespaces, ack ids, JSON punctuation, placeholders.
_packet_alphabet = '0123456789-/,[]{}":_placeholdertruefalsnum\\ é²'


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(st.text(), st.text(_packet_alphabet), st.binary()), min_size=1, max_size=5)
)
def test_decoder_fuzz(messages: list[str | bytes]) -> None:
    decoder = PacketDecoder(Codec(max_depth=4, max_attachments=3, max_int_digits=5))
    for message in messages:
        try:
            packet = decoder.receive(message)
        except ProtocolError:
            return
        if packet is not None:
            assert packet.type in (CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR)


_structured = st.builds(
    "".join,
    st.lists(
        st.sampled_from(
            [
                "0",
                "2",
                "3",
                "5",
                "6",
                "1-",
                "12-",
                "/ns,",
                "/",
                ",",
                "7",
                '["ev"',
                "]",
                "[",
                "{",
                "}",
                '"',
                '\\"',
                PH0,
                "null",
                "1e9",
                "-0",
                ":",
                "99999999999999999",
            ]
        ),
        max_size=12,
    ),
)


@settings(max_examples=400, deadline=None)
@given(_structured, st.lists(st.binary(max_size=4), max_size=3))
def test_structured_decoder_fuzz(text: str, attachments: list[bytes]) -> None:
    decoder = PacketDecoder(Codec(max_depth=3))
    try:
        packet = decoder.receive(text)
        for attachment in attachments:
            if packet is not None:
                break
            packet = decoder.receive(attachment)
    except ProtocolError:
        return


def test_encode_event_builds_one_event_packet() -> None:
    codec = Codec()
    assert encode_event(codec, "/", "chat", ["hi", 2]) == ['2["chat","hi",2]']
    assert encode_event(codec, "/n", "chat", [], 3) == ['2/n,3["chat"]']
    assert encode_event(codec, "/", "bin", [b"\x00"]) == [
        '51-["bin",{"_placeholder":true,"num":0}]',
        b"\x00",
    ]
