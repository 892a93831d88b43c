"""The sans-I/O protocol core: bytes and ``now`` in, events and bytes out.

Nothing in this package touches a socket, a clock, a greenlet or randomness; the drivers
(``greensio.engineio``, ``greensio.server``, ``greensio.client``) pass time, ids and random numbers
in and move the bytes. ``engineio/`` holds Engine.IO v4 (packets, HTTP request routing, the server's
and the client's sessions), ``socketio/`` Socket.IO v5 (packets and codecs, the server's and the
client's namespace state, the ack table, reconnect backoff); ``rooms`` is the room registry and
``events`` what the sessions report.
"""
