"""Client managers: who is connected, in which rooms, and the fan-out of emits. ``base`` holds the
interface and the in-memory manager; message-queue managers implement the same interface."""

from greensio.managers.base import Manager

__all__ = ["Manager"]
