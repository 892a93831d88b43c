"""Engine.IO v4, sans-I/O: packets and payloads (``packets``), HTTP request routing and its
error codes (``routing``), the server's per-connection session (``session``) and the client's
(``client``)."""
