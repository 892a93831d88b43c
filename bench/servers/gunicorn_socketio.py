"""python-socketio for gunicorn; WebSocket needs gevent-websocket's worker
(``-k geventwebsocket.gunicorn.workers.GeventWebSocketWorker``), see bench/README.md."""

import socketio
from app import build

app = build(socketio)
