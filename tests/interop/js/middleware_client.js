#!/usr/bin/env node
// The official socket.io-client against tests/apps/middlewares.py (sio.use, on_any, on_any_outgoing,
// except_rooms). Used by tests/server/test_middlewares.py.
//
//   node middleware_client.js <url> <scenario> <transportsJSON>
//
// Prints ONE JSON line of observations and exits 0, or {"error": ..., "observed": ...} and exits 1.
// Every wait is bounded (GREENSIO_TEST_UNIT scales them).
"use strict";

const { io } = require("socket.io-client");

const UNIT_MS = 1000 * Number(process.env.GREENSIO_TEST_UNIT || "1");
const STEP_MS = 3 * UNIT_MS;
const OVERALL_MS = 10 * UNIT_MS;

const observed = {};
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
  return withTimeout(new Promise((resolve) => socket.emit(event, ...args, (...reply) => resolve(reply))),
    `the ack of '${event}'`);
}

function open(url, transports, auth) {
  return io(url, { transports, auth, forceNew: true, reconnection: false, timeout: STEP_MS });
}

// Resolves with the socket once connected; rejects with the connect_error's message.
function connected(socket) {
  const failed = next(socket, "connect_error").then(([err]) => { throw new Error(`connect_error: ${err.message}`); });
  return Promise.race([next(socket, "connect"), failed]).then(() => socket);
}

// Resolves with {message, data} of the connect_error a refused connection gets.
async function refused(socket) {
  const [err] = await next(socket, "connect_error");
  socket.close();
  return { message: err.message, data: err.data === undefined ? null : err.data };
}

const scenarios = {
  // A middleware refuses with a message and data; another one crashes; a third client passes.
  async refuse(url, transports, tag) {
    observed.refused = await refused(open(url, transports, { tag: `${tag}-r`, refuse: "banned" }));
    observed.crashed = await refused(open(url, transports, { tag: `${tag}-c`, crash: true }));
    const socket = await connected(open(url, transports, { tag: `${tag}-ok` }));
    observed.order = {};
    for (const kind of ["r", "c", "ok"]) [observed.order[kind]] = await ask(socket, "order", `${tag}-${kind}`);
    socket.close();
  },

  // on_any sees every event (with or without a handler), on_any_outgoing everything sent.
  async any(url, transports) {
    const socket = open(url, transports);
    const welcome = next(socket, "welcome");
    await connected(socket);
    await welcome;
    socket.on("question", (text, ack) => ack(`re: ${text}`));
    const message = next(socket, "message");
    observed.hello = await ask(socket, "hello", 1, "two");
    socket.emit("nobody_handles", { x: 1 });
    [observed.answer] = await ask(socket, "send_me", "hey");
    [observed.message] = await message;
    [observed.incoming] = await ask(socket, "report", "incoming");
    [observed.outgoing] = await ask(socket, "report", "outgoing");
    observed.sid = socket.id;
    socket.close();
  },

  // to="a", except_rooms="b": A (in a) gets the news, B (in a and b) and C (in c) do not.
  async except(url, transports, tag) {
    const rooms = { A: [`${tag}a`], B: [`${tag}a`, `${tag}b`], C: [`${tag}c`] };
    const sockets = {};
    const seen = {};
    const done = [];
    for (const [name, joined] of Object.entries(rooms)) {
      const socket = open(url, transports, { rooms: joined });
      seen[name] = [];
      socket.on("news", (data) => seen[name].push(["news", data]));
      done.push(new Promise((resolve) => socket.on("done", (room) => { if (room === `${tag}a`) resolve(); })));
      sockets[name] = await connected(socket);
    }
    observed.acked = await ask(sockets.A, "broadcast", { to: `${tag}a`, except: `${tag}b`, data: "extra!" });
    await withTimeout(Promise.all(done), "'done' on every client");
    observed.seen = seen;
    const [outgoing] = await ask(sockets.B, "report", "outgoing");
    observed.outgoing_b = outgoing;
    for (const socket of Object.values(sockets)) socket.close();
  },
};

async function main() {
  const [url, name, transportsJson, tag] = process.argv.slice(2);
  const scenario = scenarios[name];
  if (!url || !scenario) throw new Error(`usage: middleware_client.js <url> <${Object.keys(scenarios)}> <transports> [tag]`);
  await withTimeout(scenario(url, JSON.parse(transportsJson), tag || "t"), `scenario '${name}'`, OVERALL_MS);
  return observed;
}

main().then(
  (result) => finish(0, result),
  (err) => finish(1, { error: String(err && err.message ? err.message : err), observed }),
);
