"""The Flask chat example (examples/flask_chat/app.py) run by python-socketio instead of greensio.

The example is written against the API greensio shares with python-socketio, so this module
executes the example's own source with the name ``greensio`` bound to python-socketio: the same
code, the reference implementation underneath. ``tests/interop/test_gunicorn.py`` serves it under
gunicorn when ``GREENSIO_INTEROP_IMPL=socketio``, to check that the test itself expects what
python-socketio does.

Gunicorn loads it as ``tests.apps.flask_chat_socketio:app``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import socketio

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "flask_chat" / "app.py"
MODULE_NAME = "flask_chat_on_python_socketio"


def load_example() -> ModuleType:
    """Execute the example with ``import greensio`` resolving to python-socketio."""
    spec = importlib.util.spec_from_file_location(MODULE_NAME, EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Flask finds templates next to the module it is named after, through sys.modules.
    sys.modules[MODULE_NAME] = module
    saved = sys.modules.get("greensio")
    sys.modules["greensio"] = socketio
    try:
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del sys.modules["greensio"]
        else:
            sys.modules["greensio"] = saved
    return module


app = load_example().app
