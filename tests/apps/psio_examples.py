"""An app of our own that makes the calls python-socketio's WSGI examples make (its
examples/server/wsgi ``app.py``, ``latency.py`` and ``fiddle.py``, app.py's admin UI too), with
``import greensio as socketio``: the regression test that those examples run on greensio.

Run as python-socketio's examples run: under ``gunicorn -k gevent``, or by its own ``__main__``,
which picks the server from ``sio.async_mode`` as they do (Werkzeug's ``app.run(threaded=True)``
for 'threading', gevent's pywsgi with gevent-websocket's handler when importable for 'gevent').
``GREENSIO_EXAMPLE_TICK`` sets the background task's period (the examples' 10 s).
"""

from __future__ import annotations

import os
import sys

import flask

import greensio as socketio

async_mode = None
sio = socketio.Server(async_mode=async_mode, cors_allowed_origins=None)
app = flask.Flask(__name__)
app.wsgi_app = socketio.WSGIApp(sio, app.wsgi_app)
app.config["SECRET_KEY"] = "secret!"
instrument = True  # app.py: the admin UI (https://admin.socket.io) on /admin
admin_login = {"username": "admin", "password": "python"}
if instrument:
    sio.instrument(auth=admin_login)
TICK = float(os.environ.get("GREENSIO_EXAMPLE_TICK", "10"))
ticker = None


def tick_forever():
    count = 0
    while True:
        sio.sleep(TICK)
        count += 1
        sio.emit("my_response", {"data": "Server generated event", "count": count})


@app.route("/")
def index():
    global ticker
    if ticker is None:
        ticker = sio.start_background_task(tick_forever)
    return f"examples on {sio.async_mode}"


@sio.event
def connect(sid, environ, auth=None):
    sio.emit("my_response", {"data": "Connected", "count": 0}, room=sid)
    if auth:  # fiddle.py: several arguments in one emit
        sio.emit("hello", (1, 2, {"hello": auth.get("name", "you")}), to=sid)


@sio.event
def disconnect(sid):
    print("Client disconnected", flush=True)


@sio.event
def my_event(sid, message):
    sio.emit("my_response", {"data": message["data"]}, room=sid)


@sio.event
def my_broadcast_event(sid, message):
    sio.emit("my_response", {"data": message["data"]})


@sio.event
def join(sid, message):
    sio.enter_room(sid, message["room"])
    sio.emit("my_response", {"data": "Entered room: " + message["room"]}, room=sid)


@sio.event
def leave(sid, message):
    sio.leave_room(sid, message["room"])
    sio.emit("my_response", {"data": "Left room: " + message["room"]}, room=sid)


@sio.event
def close_room(sid, message):
    sio.emit("my_response", {"data": "Room " + message["room"] + " closing"}, room=message["room"])
    sio.close_room(message["room"])


@sio.event
def my_room_event(sid, message):
    sio.emit("my_response", {"data": message["data"]}, room=message["room"])


@sio.event
def disconnect_request(sid):
    sio.disconnect(sid)


@sio.event
def ping_from_client(sid):  # latency.py
    sio.emit("pong_from_server", room=sid)


def main(port: int) -> None:
    if sio.async_mode == "threading":
        app.run(host="127.0.0.1", port=port, threaded=True)
    elif sio.async_mode == "gevent":
        from gevent import pywsgi

        try:
            from geventwebsocket.handler import WebSocketHandler
        except ImportError:
            pywsgi.WSGIServer(("127.0.0.1", port), app).serve_forever()
        else:
            pywsgi.WSGIServer(
                ("127.0.0.1", port), app, handler_class=WebSocketHandler
            ).serve_forever()


if __name__ == "__main__":
    main(int(sys.argv[1]))
