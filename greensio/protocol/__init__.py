"""The sans-I/O protocol core: bytes and ``now`` in, events and bytes out.

Nothing in this package touches a socket, a clock, a greenlet or randomness; the front-end
(``greensio.engineio``, ``greensio.server.server``) passes time and ids in and moves the bytes.
"""
