"""python-socketio's ``logger=`` argument, shared by every front-end."""

from __future__ import annotations

import logging


def make_logger(logger: bool | logging.Logger, default: logging.Logger) -> logging.Logger:
    """python-socketio's ``logger`` argument: False (errors only), True (INFO, printed to stderr
    when logging has no handler for it) or a Logger."""
    if isinstance(logger, logging.Logger):
        return logger
    if logger:
        default.setLevel(logging.INFO)
        if not default.hasHandlers():
            # As python-socketio: logger=True prints even where logging is not configured
            # (Python's last-resort handler shows warnings only).
            default.addHandler(logging.StreamHandler())
    elif default.level == logging.NOTSET:
        default.setLevel(logging.ERROR)
    return default
