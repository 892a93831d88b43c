#!/usr/bin/env node
// Run one interop scenario with the official socket.io-client against a server on 127.0.0.1.
//
//   node run_client.js <url> <scenario> <transportsJSON>
//
// Prints ONE JSON line of observations on stdout and exits 0, or prints {"error": ..., "observed": ...}
// and exits 1. The Python tests assert on the observations; this script judges as little as it can.
// Bytes are reported as {"$bytes": "<hex>", "$type": "<constructor>"} so Python can compare them exactly.
// Every wait is bounded; the whole run is bounded by OVERALL_MS (GREENSIO_TEST_UNIT scales both).
"use strict";

const { io } = require("socket.io-client");

const UNIT_MS = 1000 * Number(process.env.GREENSIO_TEST_UNIT || "1");
const STEP_MS = 3 * UNIT_MS;
const OVERALL_MS = 10 * UNIT_MS;

const UNICODE = "héllo wörld ✓ 日本語 🎉";
const CLIENT_BLOB = {
  buf: Buffer.from([0, 1, 2, 255]),
  nested: { list: [Buffer.from("xyz"), { deep: Buffer.from([0]) }], text: "plain ✓" },
  empty: Buffer.alloc(0),
};

const observed = {};

// Promises created ahead of the event they wait for (e.g. 'welcome' before 'connect') may reject after
// the scenario already failed for another reason; main() reports that first failure, so ignore the rest.
process.on("unhandledRejection", () => {});

function finish(code, line) {
  process.stdout.write(JSON.stringify(line) + "\n", () => process.exit(code));
}

function isBytes(value) {
  return Buffer.isBuffer(value) || value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

function toBuffer(value) {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

// JSON-safe copy of received data: bytes become tagged hex, undefined becomes null.
function describe(value) {
  if (value === undefined) return null;
  if (isBytes(value)) return { $bytes: toBuffer(value).toString("hex"), $type: value.constructor.name };
  if (Array.isArray(value)) return value.map(describe);
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const [key, item] of Object.entries(value)) out[key] = describe(item);
    return out;
  }
  return value;
}

// Deep equality where bytes must be Buffers with identical contents.
function sameBytes(expected, actual) {
  if (Buffer.isBuffer(expected)) return Buffer.isBuffer(actual) && expected.equals(actual);
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.length === actual.length
      && expected.every((item, i) => sameBytes(item, actual[i]));
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return false;
    const keys = Object.keys(expected);
    return keys.length === Object.keys(actual).length && keys.every((k) => sameBytes(expected[k], actual[k]));
  }
  return expected === actual;
}

function withTimeout(promise, what, ms = STEP_MS) {
  let timer;
  const expiry = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

// Resolves with the listener's arguments the next time `event` fires.
function next(emitter, event, ms = STEP_MS) {
  return withTimeout(new Promise((resolve) => emitter.once(event, (...args) => resolve(args))), `'${event}'`, ms);
}

// Emits with an ack callback; resolves with all the ack's arguments.
function ask(socket, event, ...args) {
  const acked = new Promise((resolve) => socket.emit(event, ...args, (...reply) => resolve(reply)));
  return withTimeout(acked, `the ack of '${event}'`);
}

// A fresh client (no shared Manager, no reconnection) that records the Socket.IO packets it decodes,
// so observations show wire order, not only what the client chose to deliver.
function open(url, transports, opts = {}) {
  const socket = io(url, { transports, forceNew: true, reconnection: false, timeout: STEP_MS, ...opts });
  const order = [];
  const wire = [];
  // The Engine.IO handshake's transport; by 'connect' an upgrade may already have happened.
  socket.io.once("open", () => { observed.transport_at_open = transportName(socket); });
  socket.io.on("packet", (p) => wire.push({ type: p.type, nsp: p.nsp, event: Array.isArray(p.data) ? p.data[0] : null }));
  socket.on("connect", () => order.push("connect"));
  socket.on("connect_error", () => order.push("connect_error"));
  socket.on("disconnect", () => order.push("disconnect"));
  return { socket, order, wire };
}

function transportName(socket) {
  const engine = socket.io.engine;
  return engine && engine.transport ? engine.transport.name : null;
}

async function connected(client) {
  if (!client.socket.connected) {
    const failed = next(client.socket, "connect_error").then(([err]) => {
      throw new Error(`connect_error: ${err && err.message}`);
    });
    await Promise.race([next(client.socket, "connect"), failed]);
  }
  return client.socket;
}

// Waits for an Engine.IO upgrade to `name` unless the transport already is `name`.
async function upgradedTo(socket, name) {
  if (transportName(socket) !== name) {
    const [transport] = await next(socket.io.engine, "upgrade");
    return transport.name;
  }
  return name;
}

const scenarios = {
  // Connect to '/' with auth; 'welcome' is emitted inside the server's connect handler.
  async connect(url, transports) {
    const client = open(url, transports, { auth: { user: "ada", n: 1 } });
    const welcome = next(client.socket, "welcome").then(([data]) => {
      client.order.push("welcome");
      return data;
    });
    const socket = await connected(client);
    observed.sid_at_connect = socket.id;
    observed.welcome = describe(await welcome);
    observed.order = [...client.order];
    observed.wire = [...client.wire];
    observed.sid = socket.id;
    observed.transport = transportName(socket);
    socket.disconnect();
  },

  // Ack with several arguments, unicode included, returned by the server handler.
  async echo(url, transports) {
    const socket = await connected(open(url, transports));
    observed.ack = describe(await ask(socket, "echo", UNICODE, 42, { nested: ["ü", null, true, 1.5] }, ["a", 2]));
    observed.single = describe(await ask(socket, "echo", "one"));
    observed.transport = transportName(socket);
    socket.disconnect();
  },

  // Client -> server event, answered by a server -> client event.
  async events(url, transports) {
    const socket = await connected(open(url, transports));
    const back = next(socket, "echo_event");
    socket.emit("echo_event", { text: UNICODE, list: [1, 2, 3] });
    observed.echo_event = describe(await back);
    observed.transport = transportName(socket);
    socket.disconnect();
  },

  // Nested Buffers both ways: the server acks with its own nested bytes and the data it received.
  async binary(url, transports) {
    const socket = await connected(open(url, transports));
    const ack = await ask(socket, "binary", CLIENT_BLOB);
    observed.ack_length = ack.length;
    observed.server_blob = describe(ack[0]);
    observed.echoed = describe(ack[1]);
    observed.echo_exact = sameBytes(CLIENT_BLOB, ack[1]);
    observed.transport = transportName(socket);
    socket.disconnect();
  },

  // Server -> client event with an ack; the server reports the client's ack arguments as 'answer'.
  async ask_client(url, transports) {
    const socket = await connected(open(url, transports));
    const question = new Promise((resolve) => {
      socket.once("question", (data, ack) => {
        observed.ack_is_function = typeof ack === "function";
        ack(UNICODE, { n: 1 }, [2, 3]);
        resolve(data);
      });
    });
    const answer = next(socket, "answer");
    socket.emit("ask_client", { q: "why ✓?" });
    observed.question = describe(await withTimeout(question, "'question'"));
    observed.answer = describe(await answer);
    observed.transport = transportName(socket);
    socket.disconnect();
  },

  // A server event with several arguments.
  async multi(url, transports) {
    const socket = await connected(open(url, transports));
    const args = next(socket, "multi");
    socket.emit("multi");
    observed.args = describe(await args);
    observed.transport = transportName(socket);
    socket.disconnect();
  },

  // Custom namespace with the right token: connect, welcome, ack.
  async private_ok(url, transports) {
    const client = open(`${url}/private`, transports, { auth: { token: "secret" } });
    const welcome = next(client.socket, "welcome").then(([data]) => data);
    const socket = await connected(client);
    observed.connected = socket.connected;
    observed.sid = socket.id;
    observed.welcome = describe(await welcome);
    observed.ack = describe(await ask(socket, "echo", UNICODE, { ok: true }));
    observed.wire = [...client.wire];
    observed.transport = transportName(socket);
    socket.disconnect();
  },

  // Custom namespace with a wrong token: connect_error carries the server's message.
  async private_refused(url, transports) {
    await refusal(open(`${url}/private`, transports, { auth: { token: "wrong" } }));
  },

  // Connect handler on '/' refuses: connect_error carries message and data.
  async refused(url, transports) {
    await refusal(open(url, transports, { auth: { refuse: true } }));
  },

  // The server disconnects the client from '/'.
  async server_disconnect(url, transports) {
    const socket = await connected(open(url, transports));
    const gone = next(socket, "disconnect");
    socket.emit("disconnect_me");
    const [reason] = await gone;
    observed.reason = reason;
    observed.connected = socket.connected;
    observed.active = socket.active;
    socket.close();
  },

  // Start on polling, upgrade to WebSocket, then prove the upgraded connection still carries acks.
  async upgrade(url, transports) {
    if (!transports.includes("websocket")) throw new Error("the upgrade scenario needs websocket in transports");
    const client = open(url, transports);
    const socket = await connected(client);
    observed.upgraded_to = await upgradedTo(socket, "websocket");
    observed.ack = describe(await ask(socket, "echo", "after upgrade ✓"));
    observed.order = [...client.order];
    observed.transport = transportName(socket);
    socket.disconnect();
  },
};

async function refusal(client) {
  const welcome = [];
  client.socket.on("welcome", (data) => welcome.push(data));
  const [err] = await next(client.socket, "connect_error");
  observed.message = err.message;
  observed.data = describe(err.data);
  observed.connected = client.socket.connected;
  observed.welcome = welcome;
  observed.order = [...client.order];
  client.socket.close();
}

async function main() {
  const [url, name, transportsJson] = process.argv.slice(2);
  const scenario = scenarios[name];
  if (!url || !scenario) {
    throw new Error(`usage: run_client.js <url> <${Object.keys(scenarios).join("|")}> <transportsJSON>`);
  }
  const transports = JSON.parse(transportsJson || '["polling", "websocket"]');
  Object.assign(observed, { scenario: name, transports });
  await withTimeout(scenario(url, transports), `scenario '${name}'`, OVERALL_MS);
  return observed;
}

main().then(
  (result) => finish(0, result),
  (err) => finish(1, { error: String(err && err.message ? err.message : err), observed }),
);
