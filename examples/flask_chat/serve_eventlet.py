"""Serve the chat on eventlet's WSGI server: ``python -m examples.flask_chat.serve_eventlet
[PORT]``.

eventlet is legacy (its maintainers discourage new use): prefer gevent. An entry point, so it
monkey-patches before anything else is imported; ``async_mode=None`` then picks eventlet.
"""

import eventlet

eventlet.monkey_patch()

import sys  # noqa: E402

from eventlet import wsgi  # noqa: E402

from examples.flask_chat.app import app  # noqa: E402


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    listener = eventlet.listen(("127.0.0.1", port))
    print(f"chat on http://127.0.0.1:{listener.getsockname()[1]}/", flush=True)
    wsgi.server(listener, app)


if __name__ == "__main__":
    main()
