#!/usr/bin/env node
// The official socket.io-client against tests/apps/recovery.py (connection state recovery).
// Used by tests/server/test_recovery.py.
//
//   node recovery_client.js <url> <scenario> <transportsJSON> [waitMs] [otherUrl]
//
// Scenarios: "recover" (the transport is closed under the client, it reconnects), "server_drop"
// (the server fails the transport, the client reconnects), "late" (the
// same, reconnecting after waitMs: past the window), "leave" (socket.disconnect(), then connect
// again). With otherUrl (another node of the cluster, on the same Redis: test_recovery_nodes.py)
// the client comes back there: "nodes" (that node emits to the lost sid and its room first,
// through 'away'), "nodes_server_drop" (the same after node A fails the transport),
// "nodes_unknown" (the same, with a pid no node knows). Prints ONE JSON line of observations and exits 0, or {"error": ...} and exits 1.
// Every wait is bounded (GREENSIO_TEST_UNIT scales them).
"use strict";

const { io } = require("socket.io-client");

const UNIT_MS = 1000 * Number(process.env.GREENSIO_TEST_UNIT || "1");
const STEP_MS = 5 * UNIT_MS;

const observed = { events: [] };
process.on("unhandledRejection", () => {});

function finish(code, line) {
  process.stdout.write(JSON.stringify(line) + "\n", () => process.exit(code));
}

function withTimeout(promise, what, ms = STEP_MS) {
  let timer;
  const expiry = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

function next(emitter, event) {
  return withTimeout(new Promise((resolve) => emitter.once(event, (...args) => resolve(args))), `'${event}'`);
}

function ask(socket, event, ...args) {
  return withTimeout(new Promise((resolve) => socket.emit(event, ...args, (reply) => resolve(reply))),
    `the ack of '${event}'`);
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Until the server says it keeps this pid's session (asked over a second connection).
async function untilKept(url, transports, pid) {
  const other = io(url, { transports, forceNew: true, reconnection: false });
  try {
    await next(other, "connect");
    for (let i = 0; i < 100; i++) {
      if (await ask(other, "kept", pid)) return true;
      await delay(50);
    }
    return false;
  } finally {
    other.close();
  }
}

// Have the node at url emit to the lost sid and its room (asked over a connection of its own).
async function awayFrom(url, transports, lostSid, room) {
  const other = io(url, { transports, forceNew: true, reconnection: false });
  try {
    await next(other, "connect");
    return await ask(other, "away", lostSid, room);
  } finally {
    other.close();
  }
}

async function main() {
  const [url, scenario, transportsJSON, waitMs, otherUrl] = process.argv.slice(2);
  const transports = JSON.parse(transportsJSON);
  const socket = io(url, { transports, forceNew: true, reconnection: false, timeout: STEP_MS });
  socket.onAny((event, ...args) => observed.events.push([event, ...args]));
  await next(socket, "connect");
  observed.first = { id: socket.id, recovered: socket.recovered, pid: socket._pid };
  observed.join = await ask(socket, "join", "r1");
  await ask(socket, "burst", 3);
  const deadline = Date.now() + STEP_MS;
  while (observed.events.length < 3 && Date.now() < deadline) await delay(20);
  observed.offset = socket._lastOffset;
  const gone = next(socket, "disconnect");
  if (scenario === "leave") {
    socket.disconnect();
  } else if (scenario === "server_drop" || scenario === "nodes_server_drop") {
    socket.emit("drop_transport");
  } else {
    socket.io.engine.close();
  }
  observed.disconnect_reason = (await gone)[0];
  const back = otherUrl || url;
  if (scenario !== "leave") observed.kept = await untilKept(back, transports, socket._pid);
  if (otherUrl) {
    observed.away = await awayFrom(otherUrl, transports, observed.first.id, "r1");
    socket.io.uri = otherUrl; // as a load balancer would: the next node
  }
  if (scenario === "nodes_unknown") socket._pid = "no-such-pid";
  if (waitMs && Number(waitMs)) await delay(Number(waitMs));
  observed.events_before = observed.events.length;
  socket.connect();
  await next(socket, "connect");
  observed.second = { id: socket.id, recovered: socket.recovered };
  observed.state = await ask(socket, "state");
  // Missed events come before the CONNECT reply; the client gives them right after 'connect'.
  observed.after = observed.events.slice(observed.events_before);
  socket.close();
  finish(0, observed);
}

main().catch((err) => finish(1, { error: String(err && err.stack || err), observed }));
