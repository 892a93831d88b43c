"""Serve the chat on Werkzeug's development server: ``python -m examples.flask_chat.serve_werkzeug
[PORT]``, the same server as ``flask --app examples.flask_chat.app run``.

For development only. Nothing is monkey-patched: each request, and each WebSocket for as long as
it stays open, runs on a thread of its own (``threaded=True``, Flask's default), and greensio runs
on threads (``async_mode=None`` picks ``'threading'`` in a process without gevent).
"""

import sys

from examples.flask_chat.app import app


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app.run(host="127.0.0.1", port=port, threaded=True)


if __name__ == "__main__":
    main()
