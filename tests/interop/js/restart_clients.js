#!/usr/bin/env node
// Many official socket.io-client clients, in one process, through server restarts
// (tests/interop/test_gunicorn_restarts.py, tests/apps/restarts_gunicorn.py).
//
//   node restart_clients.js <url> <clients> <transportsJSON> <rounds> <acksFile>
//
// Connects <clients> clients, then for each round: every client emits "record" (acked), a tenth
// of them also "slow" (a handler that sleeps 1 s, then acks), and it prints {"ready": round, "pid"}.
// The test restarts the server and writes a line on stdin (after the restart began, or ended:
// the times are measured from the first disconnect); the clients meanwhile keep
// emitting "record" (one every 0.5 s each, buffered by the client while disconnected). The
// round ends when every client has seen a disconnect and is connected again, and has had one
// more "record" acked: it prints {"round": ..., "reasons", times in ms, "slow" acks}. At the end
// the numbers of every acked "record" go to <acksFile> (one a line) and {"done": ...} is printed.
// Every wait is bounded (GREENSIO_TEST_UNIT scales them); a failure prints {"error"} and exits 1.
"use strict";

const fs = require("fs");
const readline = require("readline");
const { io } = require("socket.io-client");

const UNIT_MS = 1000 * Number(process.env.GREENSIO_TEST_UNIT || "1");
const CONNECT_MS = 30 * UNIT_MS;
const RESTART_MS = 40 * UNIT_MS;
const ACK_MS = 8 * UNIT_MS;
const TRICKLE_MS = 500;

const [url, countText, transportsJSON, roundsText, acksFile] = process.argv.slice(2);
const count = Number(countText);
const transports = JSON.parse(transportsJSON);
const rounds = Number(roundsText);
const sockets = [];
const acked = [];
const pending = new Set();
let reasons = {};
let firstCloseAt = 0;
let lastCloseAt = 0;
let lastConnectAt = 0;
let nextNumber = 0;
let sent = 0;
let timedOut = 0;

function finish(code, line) {
  for (const socket of sockets) socket.disconnect();
  process.stdout.write(JSON.stringify(line) + "\n", () => process.exit(code));
}

function fail(message) {
  finish(1, { error: message });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition, ms, what) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// One "record" emit: resolves true once acked with its number, false when the ack times out.
function record(socket) {
  const number = nextNumber++;
  sent++;
  const done = new Promise((resolve) => {
    socket.timeout(ACK_MS).emit("record", number, (err, answer) => {
      if (!err && answer === number) {
        acked.push(number);
        resolve(true);
      } else {
        timedOut++;
        resolve(false);
      }
    });
  });
  pending.add(done);
  done.then(() => pending.delete(done));
  return done;
}

function call(socket, event) {
  return new Promise((resolve, reject) => {
    socket.timeout(ACK_MS).emit(event, (err, answer) => (err ? reject(err) : resolve(answer)));
  });
}

const stdinLines = [];
readline.createInterface({ input: process.stdin }).on("line", (line) => stdinLines.push(line));

async function main() {
  for (let i = 0; i < count; i++) {
    const socket = io(url, {
      transports,
      forceNew: true,
      reconnectionDelay: 300,
      reconnectionDelayMax: 2000,
    });
    socket.disconnects = 0;
    socket.connects = 0;
    socket.on("connect", () => {
      socket.connects++;
      lastConnectAt = Date.now();
    });
    socket.on("disconnect", (reason) => {
      socket.disconnects++;
      firstCloseAt = firstCloseAt || Date.now();
      lastCloseAt = Date.now();
      socket.lastReason = reason;
      reasons[reason] = (reasons[reason] || 0) + 1;
    });
    sockets.push(socket);
  }
  const started = Date.now();
  await until(() => sockets.every((s) => s.connected), CONNECT_MS, "every client to connect");
  const connectMs = Date.now() - started;
  let trickling = true;
  const trickle = (async () => {
    while (trickling) {
      for (const socket of sockets) record(socket);
      await sleep(TRICKLE_MS);
    }
  })();
  const results = [];
  for (let round = 1; round <= rounds; round++) {
    const first = await Promise.all(sockets.map((socket) => record(socket)));
    if (!first.every(Boolean)) throw new Error(`round ${round}: a record before the restart was not acked`);
    reasons = {};
    firstCloseAt = 0;
    const before = sockets.map((s) => [s.disconnects, s.connects]);
    // Slow handlers: running when the restart comes; their acks must come before the close.
    const slow = sockets.filter((_, i) => i % 10 === 0).map((socket) => {
      const at = socket.disconnects;
      return new Promise((resolve) => {
        socket.timeout(ACK_MS).emit("slow", (err) => resolve(!err && socket.disconnects === at));
      });
    });
    const pid = await call(sockets[0], "pid");
    process.stdout.write(JSON.stringify({ ready: round, pid }) + "\n");
    const lines = stdinLines.length;
    await until(() => stdinLines.length > lines, RESTART_MS, "the test's go");
    await until(() => sockets.every((s, i) => s.disconnects > before[i][0]), RESTART_MS, "every disconnect");
    await until(
      () => sockets.every((s, i) => s.connected && s.connects > before[i][1]),
      RESTART_MS,
      "every client to reconnect"
    );
    // From the first close the server made: until the last one, and until the last reconnect.
    const allClosedMs = lastCloseAt - firstCloseAt;
    const reconnectedMs = lastConnectAt - firstCloseAt;
    const after = await Promise.all(sockets.map((socket) => record(socket)));
    const slowAcked = (await Promise.all(slow)).filter(Boolean).length;
    results.push({
      round,
      reasons,
      allClosedMs,
      reconnectedMs,
      acked_after: after.filter(Boolean).length,
      slow: slow.length,
      slow_acked_before_close: slowAcked,
      pid_after: await call(sockets[0], "pid"),
    });
    process.stdout.write(JSON.stringify(results[results.length - 1]) + "\n");
  }
  trickling = false;
  await trickle;
  await Promise.all([...pending]);
  fs.writeFileSync(acksFile, acked.join("\n") + "\n");
  finish(0, { done: results, connectMs, sent, acked: acked.length, timed_out: timedOut });
}

main().catch((err) => fail(String(err && err.stack ? err.stack : err)));
