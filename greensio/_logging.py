"""python-socketio's ``logger=`` argument, shared by every front-end."""

from __future__ import annotations

import logging


def make_logger(logger: bool | logging.Logger, default: logging.Logger) -> logging.Logger:
    """python-socketio's ``logger`` argument: False (errors only), True (INFO) or a Logger."""
    if isinstance(logger, logging.Logger):
        return logger
    if logger:
        default.setLevel(logging.INFO)
    elif default.level == logging.NOTSET:
        default.setLevel(logging.ERROR)
    return default
