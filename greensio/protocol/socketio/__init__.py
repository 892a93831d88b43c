"""Socket.IO v5, sans-I/O: packets, attachments and codecs (``packets``, ``msgpack``), the server's
per-connection namespace state (``session``) and the client's (``client``), the table of pending
acks (``acks``) and the reconnect backoff (``reconnect``)."""
