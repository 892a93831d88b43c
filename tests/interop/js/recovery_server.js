#!/usr/bin/env node
// Node's socket.io server with connection state recovery on: the control for the wire format of
// tests/server/test_recovery.py. Prints `LISTENING <port>`; on 'burst' n it emits 'e' 0..n-1 to
// the sender.
"use strict";

const http = require("http");
const { Server } = require("socket.io");

const httpServer = http.createServer();
const io = new Server(httpServer, {
  connectionStateRecovery: { maxDisconnectionDuration: 120000, skipMiddlewares: true },
});
io.on("connection", (socket) => {
  socket.on("burst", (n) => {
    for (let i = 0; i < n; i++) socket.emit("e", i);
  });
});
httpServer.listen(0, "127.0.0.1", () => {
  process.stdout.write(`LISTENING ${httpServer.address().port}\n`);
});
