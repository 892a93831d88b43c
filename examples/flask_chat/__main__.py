"""Serve the chat on gevent's own WSGI server: ``python -m examples.flask_chat [PORT]``.

An entry point, so it monkey-patches before anything else is imported (gunicorn's gevent worker does
the same for itself). PORT 0 lets the kernel pick a free port; the line printed says which.
"""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

from gevent.pywsgi import WSGIServer  # noqa: E402

from examples.flask_chat.app import app  # noqa: E402


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    server = WSGIServer(("127.0.0.1", port), app)
    server.start()  # binds now, so the port printed is the real one
    print(f"chat on http://127.0.0.1:{server.server_port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
