"""Engine.IO v4, sans-I/O: packets and payloads (``packets``), the server's per-connection session
(``session``) and the client's (``client``)."""
