#!/usr/bin/env node
// Several official socket.io-client clients against the seed's ChatNamespace/GameNamespace server
// (tests/apps/seed_server.py), its AsyncChatNamespace/AsyncGameNamespace server
// (tests/apps/seed_async_server.py), or the Server-API app (tests/apps/server_api.py).
//
//   node seed_clients.js <url> <scenario> <transportsJSON>
//
// Prints ONE JSON line of observations and exits 0, or {"error": ...} and exits 1. Every wait is
// bounded (GREENSIO_TEST_UNIT scales them).
"use strict";

const { io } = require("socket.io-client");

const UNIT_MS = 1000 * Number(process.env.GREENSIO_TEST_UNIT || "1");
const STEP_MS = 3 * UNIT_MS;
const QUIET_MS = 0.5 * UNIT_MS;

const [url, scenario, transportsJSON] = process.argv.slice(2);
const transports = JSON.parse(transportsJSON || '["websocket"]');
const sockets = [];

function finish(code, line) {
  for (const socket of sockets) socket.disconnect();
  process.stdout.write(JSON.stringify(line) + "\n", () => process.exit(code));
}

// A client that records every event it receives, in order.
function client(namespace, options = {}) {
  const socket = io(url + namespace, { transports, reconnection: false, forceNew: true, ...options });
  socket.seen = [];
  socket.onAny((event, ...args) => socket.seen.push([event, ...args]));
  sockets.push(socket);
  return socket;
}

function connected(socket) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no connect")), STEP_MS);
    socket.once("connect", () => { clearTimeout(timer); resolve(); });
    socket.once("connect_error", (err) => { clearTimeout(timer); reject(err); });
  });
}

function waitFor(socket, event, count = 1) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + STEP_MS;
    const check = () => {
      const found = socket.seen.filter(([name]) => name === event);
      if (found.length >= count) return resolve(found[count - 1].slice(1));
      if (Date.now() > deadline) return reject(new Error(`no ${count}x ${event}; seen ${JSON.stringify(socket.seen)}`));
      setTimeout(check, 10);
    };
    check();
  });
}

const quiet = () => new Promise((resolve) => setTimeout(resolve, QUIET_MS));
const count = (socket, event) => socket.seen.filter(([name]) => name === event).length;

const scenarios = {
  async chat() {
    const [alice, bob, carol] = [client("/chat"), client("/chat"), client("/chat")];
    await Promise.all([alice, bob, carol].map(connected));
    const out = { welcome: await waitFor(alice, "welcome") };
    alice.emit("join_room", { room: "r1" });
    out.alice_status = await waitFor(alice, "status");
    bob.emit("join_room", { room: "r1" });
    out.alice_user_joined = await waitFor(alice, "user_joined");
    out.bob_id = bob.id;
    bob.emit("set_username", { username: "bob" });
    out.username_set = await waitFor(bob, "username_set");
    bob.emit("chat_message", { message: "in r1", room: "r1" });
    out.alice_message = (await waitFor(alice, "message"))[0];
    await quiet();
    out.bob_user_joined = count(bob, "user_joined");
    out.carol_messages = count(carol, "message");
    bob.emit("leave_room", { room: "r1" });
    out.alice_user_left = await waitFor(alice, "user_left");
    await quiet();
    out.bob_user_left = count(bob, "user_left");
    return out;
  },

  async game() {
    const [host, guest, bystander] = [client("/game"), client("/game"), client("/game")];
    await Promise.all([host, guest, bystander].map(connected));
    host.emit("create_game", { game_id: "g1" });
    const out = { created: await waitFor(host, "game_created") };
    guest.emit("join_game", { game_id: "g1" });
    out.host_joined = await waitFor(host, "player_joined");
    out.guest_started = await waitFor(guest, "game_started");
    out.host_started = await waitFor(host, "game_started");
    out.guest_id = guest.id;
    await quiet();
    out.bystander_events = bystander.seen.map(([name]) => name);
    return out;
  },

  // The seed's AsyncChatNamespace: lobby welcome, rooms with skip_sid, the session's username
  // (none set: 'Anonymous'), and an awaited handler's return value as the ack.
  async async_chat() {
    const [alice, bob, carol] = [client("/chat"), client("/chat"), client("/chat")];
    await Promise.all([alice, bob, carol].map(connected));
    const out = { welcome: await waitFor(alice, "welcome") };
    alice.emit("join_room", { room: "r1" });
    out.alice_status = await waitFor(alice, "status");
    bob.emit("join_room", { room: "r1" });
    out.alice_user_joined = await waitFor(alice, "user_joined");
    out.bob_id = bob.id;
    bob.emit("chat_message", { message: "in r1", room: "r1" });
    out.alice_message = (await waitFor(alice, "message"))[0];
    carol.emit("chat_message", { message: "to the lobby" });
    out.bob_lobby_message = (await waitFor(bob, "message", 2))[0];
    out.user_info = await carol.timeout(STEP_MS).emitWithAck("get_user_info", { user_id: 7 });
    await quiet();
    out.bob_user_joined = count(bob, "user_joined");
    out.carol_messages = count(carol, "message");
    return out;
  },

  // The seed's AsyncGameNamespace: its asyncio.Lock, and the task it starts with
  // asyncio.create_task, which emits game_update a second later.
  async async_game() {
    const [host, guest, bystander] = [client("/game"), client("/game"), client("/game")];
    await Promise.all([host, guest, bystander].map(connected));
    host.emit("create_game", { game_id: "g1" });
    const out = { created: await waitFor(host, "game_created") };
    guest.emit("join_game", { game_id: "g1" });
    out.host_joined = await waitFor(host, "player_joined");
    out.guest_started = await waitFor(guest, "game_started");
    out.host_update = await waitFor(host, "game_update");
    out.guest_update = await waitFor(guest, "game_update");
    out.guest_id = guest.id;
    await quiet();
    out.bystander_events = bystander.seen.map(([name]) => name);
    return out;
  },

  // Server.call() answered by the JS client's ack callback, and one client's events in order.
  async api() {
    const socket = client("/");
    socket.on("question", (data, ack) => ack(["js", data]));
    await connected(socket);
    const out = {};
    out.call = await socket.timeout(STEP_MS).emitWithAck("call_me_back", { n: 7 });
    for (let i = 0; i < 30; i++) socket.emit("seq", i);
    const deadline = Date.now() + STEP_MS;
    do {
      out.seq = await socket.timeout(STEP_MS).emitWithAck("get_seq");
    } while (out.seq.length < 30 && Date.now() < deadline);
    out.rooms = await socket.timeout(STEP_MS).emitWithAck("my_rooms");
    out.id = socket.id;
    return out;
  },
};

const overall = setTimeout(() => finish(1, { error: "overall timeout" }), 10 * UNIT_MS);
scenarios[scenario]().then(
  (result) => { clearTimeout(overall); finish(0, result); },
  (err) => { clearTimeout(overall); finish(1, { error: String(err && err.message ? err.message : err) }); },
);
