"""Transports: moving Engine.IO bytes over HTTP long-polling and over WebSocket."""
