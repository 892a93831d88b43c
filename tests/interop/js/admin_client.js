// The admin UI's side of the protocol, with the official JS client: node admin_client.js URL
// SCENARIO AUTH_JSON. Prints one JSON line of what it observed. Scenarios:
//   full      - admin connects, a user connects and sends "hello", then the admin's actions
//   readonly  - the same actions against a read-only admin: nothing happens to the user
//   refused   - the admin's connect is refused (bad credentials)
const { io } = require("socket.io-client");
const [url, scenario, authJson] = process.argv.slice(2);
const UNIT = Number(process.env.GREENSIO_TEST_UNIT || "1");
const seen = { admin: {}, user: {} };
const opts = { transports: ["websocket"], reconnection: false, forceNew: true };

function done(extra) {
  Object.assign(seen, extra || {});
  console.log(JSON.stringify(seen));
  process.exit(0);
}
setTimeout(() => done({ timeout: true }), 25000 * UNIT);

// Resolves when pred(args) holds for an `event` the admin got (already or later).
const log = [];
const waiters = [];
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
main().catch((err) => done({ error: String(err && err.stack || err) }));
