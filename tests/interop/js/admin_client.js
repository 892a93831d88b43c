// The admin UI's side of the protocol, with the official JS client: node admin_client.js URL
// SCENARIO AUTH_JSON [URL_B]. Prints one JSON line of what it observed. Scenarios:
//   full      - admin connects, a user connects and sends "hello", then the admin's actions; a
//               second user upgrades from polling; a room is closed; the stats' counts add up
//   readonly  - the same actions against a read-only admin: nothing happens to the user
//   refused   - the admin's connect is refused (bad credentials)
//   cluster   - the admin on node URL, a user on each node (URL, URL_B): both nodes' stats,
//               sockets and reports reach the admin, and its actions reach the other node
const { io } = require("socket.io-client");
const [url, scenario, authJson, urlB] = process.argv.slice(2);
const UNIT = Number(process.env.GREENSIO_TEST_UNIT || "1");
const seen = { admin: {}, user: {} };
const opts = { transports: ["websocket"], reconnection: false, forceNew: true };

function done(extra) {
  Object.assign(seen, extra || {});
  console.log(JSON.stringify(seen));
  process.exit(0);
}
// On a timeout, the last reports the admin got say what it waited for in vain.
setTimeout(() => done({ timeout: log.filter(([e]) => e !== "server_stats").slice(-12).map(([e, a]) => [e, ...a.slice(0, 3)]) }),
  25000 * UNIT);

// Resolves when pred(args) holds for an `event` the admin got (already or later).
const log = [];
const waiters = [];
// The aggregatedEvents of every server_stats, summed by type (and the subTypes seen).
const tally = {};
const subTypes = {};
const servers = new Set();
function until(event, pred = () => true) {
  return new Promise((resolve) => {
    const hit = log.find(([e, a]) => e === event && pred(a));
    if (hit) return resolve(hit[1]);
    waiters.push({ event, pred, resolve });
  });
}

const admin = io(url + "/admin", { ...opts, auth: JSON.parse(authJson) });
admin.onAny((event, ...args) => {
  log.push([event, args]);
  if (event === "server_stats") {
    servers.add(args[0].serverId);
    for (const e of args[0].aggregatedEvents || []) {
      tally[e.type] = (tally[e.type] || 0) + e.count;
      if (e.subType) (subTypes[e.type] = subTypes[e.type] || []).push(e.subType);
    }
  }
  for (const w of waiters.slice()) {
    if (w.event === event && w.pred(args)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(args);
    }
  }
});
admin.on("connect_error", (err) => {
  if (scenario === "refused") done({ refused: err.message });
  else done({ connect_error: err.message });
});

async function main() {
  await new Promise((r) => admin.on("connect", r));
  if (scenario === "refused") return done({ refused: null });
  if (scenario === "cluster") return cluster();
  seen.admin.config = (await until("config"))[0];
  const dev = seen.admin.config.supportedFeatures.includes("ALL_EVENTS");
  if (dev) seen.admin.all_sockets = (await until("all_sockets"))[0];
  seen.admin.first_stats = (await until("server_stats"))[0];
  const user = io(url, opts);
  const userEvents = [];
  user.onAny((event, ...args) => userEvents.push([event, args]));
  const userGone = new Promise((r) => user.on("disconnect", (reason) => r(reason)));
  await new Promise((r) => user.on("connect", r));
  const id = user.id;
  seen.user.id = id;
  if (dev) seen.admin.socket_connected = (await until("socket_connected", (a) => a[0].id === id))[0];
  await new Promise((r) => { user.once("reply", r); user.emit("hello", { x: 1 }); });
  if (dev) seen.admin.room_joined = await until("room_joined", (a) => a[2] === id && a[1] === "r1");
  if (dev) {
    seen.admin.event_received = await until("event_received", (a) => a[1] === id);
    seen.admin.event_sent = await until("event_sent", (a) => a[1] === id);
  }
  // Stats keep coming, counting the user and its events.
  const stamp = seen.admin.first_stats.uptime;
  seen.admin.later_stats = (await until("server_stats", (a) => a[0].uptime > stamp &&
    a[0].clientsCount >= 2))[0];

  const got = new Promise((r) => user.on("from_admin", (...args) => r(args)));
  admin.emit("emit", "/", id, "from_admin", 1, { two: 2 });
  admin.emit("join", "/", "r2", id);
  if (scenario === "full") {
    seen.user.from_admin = await got;
    seen.admin.joined_r2 = await until("room_joined", (a) => a[1] === "r2");
    seen.user.rooms_after_join = await user.emitWithAck("rooms");
    admin.emit("leave", "/", "r2", id);
    seen.admin.left_r2 = await until("room_left", (a) => a[1] === "r2");
    seen.user.rooms_after_leave = await user.emitWithAck("rooms");
    admin.emit("_disconnect", "/", false, id);
    seen.user.disconnect_reason = await userGone;
    seen.admin.socket_disconnected = await until("socket_disconnected", (a) => a[1] === id);
    await more();
  } else {
    admin.emit("leave", "/", "r1", id);
    admin.emit("_disconnect", "/", false, id);
    // Two more stats rounds (seconds), for the refused actions to have been handled, then ask.
    const n = log.filter(([e]) => e === "server_stats").length;
    await until("server_stats", () => log.filter(([e]) => e === "server_stats").length >= n + 2);
    seen.user.rooms_after = await user.emitWithAck("rooms");
    seen.user.connected = user.connected;
    seen.user.events = userEvents.map(([e]) => e);
    user.disconnect();
  }
  admin.disconnect();
  done();
}

// The rest of "full": an upgrade, a closed room, and the counts of the stats.
async function more() {
  const up = io(url, { reconnection: false, forceNew: true }); // polling, then WebSocket
  await new Promise((r) => up.on("connect", r));
  const upId = up.id;
  seen.up = { id: upId };
  seen.admin.up_connected = (await until("socket_connected", (a) => a[0].id === upId))[0];
  seen.admin.up_updated = (await until("socket_updated", (a) => a[0].id === upId))[0];
  await new Promise((r) => { up.once("reply", r); up.emit("hello", { x: 2 }); });
  await until("room_joined", (a) => a[2] === upId && a[1] === "r1");
  seen.up.closed = await up.emitWithAck("close", "r1");
  seen.admin.closed_r1 = await until("room_left", (a) => a[2] === upId && a[1] === "r1");
  seen.up.rooms_after_close = await up.emitWithAck("rooms");
  // 10000 bytes of UTF-8 (5000 characters) in, and (reply, reports) out.
  const big = "\u00e9".repeat(5000);
  await new Promise((r) => { up.once("reply", r); up.emit("hello", { big }); });
  await until("server_stats", () => (tally.bytesIn || 0) >= 10000 && (tally.bytesOut || 0) >= 20000);
  seen.admin.tally_after_big = { ...tally };
  up.disconnect();
  await until("server_stats", () => (tally.rawDisconnection || 0) >= 2);
  seen.admin.tally = tally;
  seen.admin.sub_types = subTypes;
}

async function cluster() {
  seen.admin.config = (await until("config"))[0];
  await until("server_stats", (a) => a[0].serverId === "node-a");
  const userB = io(urlB, opts);
  await new Promise((r) => userB.on("connect", r));
  const userA = io(url, opts);
  await new Promise((r) => userA.on("connect", r));
  seen.user = { a: userA.id, b: userB.id };
  const statsB = (await until("server_stats", (a) => a[0].serverId === "node-b" &&
    a[0].namespaces.some((n) => n.name === "/" && n.socketsCount === 1)))[0];
  seen.admin.stats_b = statsB;
  seen.admin.stats_a = (await until("server_stats", (a) => a[0].serverId === "node-a"))[0];
  seen.admin.b_connected = (await until("socket_connected", (a) => a[0].id === userB.id))[0];
  seen.admin.a_connected = (await until("socket_connected", (a) => a[0].id === userA.id))[0];
  // A second admin, on node A: its all_sockets lists both nodes' sockets.
  const late = io(url + "/admin", { ...opts, auth: JSON.parse(authJson) });
  seen.late = { all_sockets: await new Promise((r) => late.on("all_sockets", r)) };
  late.disconnect();
  // The admin's actions reach node B's socket; node B's reports reach the admin.
  admin.emit("join", "/", "rb", userB.id);
  seen.admin.b_joined = await until("room_joined", (a) => a[1] === "rb" && a[2] === userB.id);
  seen.user.b_rooms = await userB.emitWithAck("rooms");
  await new Promise((r) => { userB.once("reply", r); userB.emit("hello", { from: "b" }); });
  seen.admin.b_received = await until("event_received", (a) => a[1] === userB.id &&
    a[2][0] === "hello");
  // A room closed on node A: node B reports its member leaving it.
  await userA.emitWithAck("close", "rb");
  seen.admin.b_left = await until("room_left", (a) => a[1] === "rb" && a[2] === userB.id);
  seen.user.b_rooms_closed = await userB.emitWithAck("rooms");
  const got = new Promise((r) => userB.on("from_admin", (...args) => r(args)));
  admin.emit("emit", "/", userB.id, "from_admin", "hi");
  seen.user.b_from_admin = await got;
  const goneB = new Promise((r) => userB.on("disconnect", (reason) => r(reason)));
  admin.emit("_disconnect", "/", false, userB.id);
  seen.user.b_reason = await goneB;
  seen.admin.b_disconnected = await until("socket_disconnected", (a) => a[1] === seen.user.b);
  seen.admin.servers = [...servers].sort();
  userA.disconnect();
  admin.disconnect();
  done();
}

main().catch((err) => done({ error: String(err && err.stack || err) }));
