"""Serve the chat on gevent's WSGI server with gevent-websocket's handler in front:
``python -m examples.flask_chat.serve_geventwebsocket [PORT]``.

For setups that already run gevent-websocket: its handler accepts the WebSocket itself and hands
it to greensio as ``environ['wsgi.websocket']``. Without it (``python -m examples.flask_chat``),
greensio takes the socket over and frames it itself, which is faster.
"""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

from gevent.pywsgi import WSGIServer  # noqa: E402
from geventwebsocket.handler import WebSocketHandler  # noqa: E402

from examples.flask_chat.app import app  # noqa: E402


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    server = WSGIServer(("127.0.0.1", port), app, handler_class=WebSocketHandler)
    server.start()
    print(f"chat on http://127.0.0.1:{server.server_port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
