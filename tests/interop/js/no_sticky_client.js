#!/usr/bin/env node
// node no_sticky_client.js <url> <count> <transportsJSON>: <count> clients of tests/apps/no_sticky.py;
// each asks 'whoami', echoes 0..4 (acks and the 'echoed' events, in order), waits for the upgrade
// when websocket is allowed, then asks 'whoami' again. Prints one JSON line; every wait is bounded.
"use strict";
const { io } = require("socket.io-client");
const UNIT_MS = 1000 * Number(process.env.GREENSIO_TEST_UNIT || "1");
const [url, count, transports] = [process.argv[2], Number(process.argv[3]), JSON.parse(process.argv[4])];
setTimeout(() => { console.log(JSON.stringify({ error: "overall timeout" })); process.exit(1); }, 40 * UNIT_MS);

function one() {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports, reconnection: false, timeout: 10 * UNIT_MS });
    const seen = { echoed: [], acks: [] };
    socket.on("echoed", (d) => seen.echoed.push(d));
    socket.on("connect_error", (e) => reject(new Error("connect_error " + e.message)));
    socket.on("connect", async () => {
      try {
        seen.first = await socket.timeout(10 * UNIT_MS).emitWithAck("whoami");
        for (let n = 0; n < 5; n++) seen.acks.push(await socket.timeout(10 * UNIT_MS).emitWithAck("echo", n));
        if (transports.includes("websocket")) {
          const deadline = Date.now() + 15 * UNIT_MS;
          while (socket.io.engine.transport.name !== "websocket" && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        seen.last = await socket.timeout(10 * UNIT_MS).emitWithAck("whoami");
        seen.transport = socket.io.engine.transport.name;
        socket.disconnect();
        resolve(seen);
      } catch (e) { reject(e); }
    });
  });
}

Promise.all(Array.from({ length: count }, one)).then(
  (all) => { console.log(JSON.stringify(all)); process.exit(0); },
  (e) => { console.log(JSON.stringify({ error: String(e) })); process.exit(1); },
);
