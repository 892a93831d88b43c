#!/usr/bin/env node
// The reference Socket.IO v4 server (the official `socket.io` package) for greensio's client tests.
//
//   node reference_server.js [--port N] [--transports polling,websocket] [--ping-interval S]
//                            [--ping-timeout S] [--parser default|msgpack]
//                            [--tls-cert cert.pem --tls-key key.pem]
//
// Listens on 127.0.0.1 (port 0: any free port; HTTPS when given a certificate and key) and prints `LISTENING <port>` once it accepts
// connections, as tests/support/serve.py does. Times are in seconds, as in the Python apps. The same
// options may come from the environment: GREENSIO_REF_PORT, GREENSIO_REF_TRANSPORTS,
// GREENSIO_REF_PING_INTERVAL, GREENSIO_REF_PING_TIMEOUT, GREENSIO_REF_PARSER, GREENSIO_REF_TLS_CERT,
// GREENSIO_REF_TLS_KEY (argv wins).
//
// Its events mirror tests/apps/client_peer.py exactly (which is tests/apps/interop.py plus a few):
//
// Namespace '/':
//   connect        auth {refuse: true} is refused: CONNECT_ERROR {message: 'refused', data: {reason: 'bad'}};
//                  otherwise emits 'welcome' {sid, auth}
//   echo           acks with its arguments unchanged
//   echo_event     emits 'echo_event' with the same data back to the sender
//   binary         acks with a nested object holding bytes, plus what it received
//   ask_client     emits 'question' with a callback; the client's ack comes back as 'answer' [args]
//   multi          emits 'multi' with three arguments
//   disconnect_me  the server disconnects the sender (a namespace DISCONNECT, not a transport close)
//   close_me       the server disconnects the sender and closes the connection (disconnect(true))
// Namespace '/private':
//   connect        requires auth {token: 'secret'} (else CONNECT_ERROR {message: 'unauthorized'});
//                  emits 'welcome' like '/'
//   echo, echo_event   as on '/'
// Both namespaces:
//   headers(name)  acks with the value of request header `name` (no argument when absent)
//   kick           the server disconnects the sender from this namespace
//   emit_later(delay, event, data)   emits `event` with `data` to the sender `delay` seconds later
// Never handled (so never acked), on purpose: 'never_acked'.
"use strict";

const fs = require("fs");
const http = require("http");
const https = require("https");
const { Server } = require("socket.io");

function option(name, fallback) {
  const flag = `--${name}`;
  const at = process.argv.indexOf(flag);
  if (at !== -1 && at + 1 < process.argv.length) return process.argv[at + 1];
  const env = process.env[`GREENSIO_REF_${name.toUpperCase().replace(/-/g, "_")}`];
  return env !== undefined && env !== "" ? env : fallback;
}

const port = Number(option("port", "0"));
const transports = option("transports", "polling,websocket").split(",").filter(Boolean);
const pingInterval = Math.round(1000 * Number(option("ping-interval", "25")));
const pingTimeout = Math.round(1000 * Number(option("ping-timeout", "20")));
const parserName = option("parser", "default");
const tlsCert = option("tls-cert", "");
const tlsKey = option("tls-key", "");

const SERVER_BLOB = { blob: Buffer.from([0x00, 0x01, 0xff]), list: [Buffer.from("ab"), { x: Buffer.from("cd") }] };
const PRIVATE = "/private";

const options = { transports, pingInterval, pingTimeout, serveClient: false };
if (parserName === "msgpack") options.parser = require("socket.io-msgpack-parser");

const httpServer = tlsCert
  ? https.createServer({ cert: fs.readFileSync(tlsCert), key: fs.readFileSync(tlsKey) })
  : http.createServer();
const io = new Server(httpServer, options);

// Splits a handler's arguments into (data args, ack or null), as a Python handler sees them.
function split(args) {
  const last = args[args.length - 1];
  return typeof last === "function" ? [args.slice(0, -1), last] : [args, null];
}

function on(socket, event, handler) {
  socket.on(event, (...raw) => {
    const [args, ack] = split(raw);
    const result = handler(...args);
    // A Python handler's return value is its ack: undefined is no argument, an array is several.
    if (ack) {
      if (result === undefined) ack();
      else if (Array.isArray(result)) ack(...result);
      else ack(result);
    }
  });
}

function commonHandlers(socket) {
  on(socket, "echo", (...args) => args);
  on(socket, "echo_event", (data) => { socket.emit("echo_event", data); });
  on(socket, "headers", (name) => socket.handshake.headers[String(name).toLowerCase()]);
  on(socket, "kick", () => { socket.disconnect(); });
  on(socket, "emit_later", (delay, event, data) => {
    setTimeout(() => socket.emit(event, data), 1000 * delay);
  });
}

// --- namespace '/' ------------------------------------------------------------------------------
io.use((socket, next) => {
  const auth = socket.handshake.auth;
  if (auth && auth.refuse === true && Object.keys(auth).length === 1) {
    const err = new Error("refused");
    err.data = { reason: "bad" };
    return next(err);
  }
  return next();
});

io.on("connection", (socket) => {
  socket.emit("welcome", { sid: socket.id, auth: socket.handshake.auth });
  commonHandlers(socket);
  on(socket, "binary", (data) => [SERVER_BLOB, data]);
  on(socket, "ask_client", (data) => {
    socket.emit("question", data, (...answer) => socket.emit("answer", answer));
  });
  on(socket, "multi", () => { socket.emit("multi", 1, "two", { three: 3 }); });
  on(socket, "disconnect_me", () => { socket.disconnect(); });
  on(socket, "close_me", () => { socket.disconnect(true); });
});

// --- namespace '/private' -----------------------------------------------------------------------
const priv = io.of(PRIVATE);
priv.use((socket, next) => {
  const auth = socket.handshake.auth || {};
  if (auth.token === "secret" && Object.keys(auth).length === 1) return next();
  return next(new Error("unauthorized"));
});
priv.on("connection", (socket) => {
  socket.emit("welcome", { sid: socket.id, auth: socket.handshake.auth });
  commonHandlers(socket);
});

httpServer.listen(port, "127.0.0.1", () => {
  process.stdout.write(`LISTENING ${httpServer.address().port}\n`);
});

process.on("SIGTERM", () => process.exit(0));
