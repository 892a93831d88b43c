// Preloaded (node --import) into the official protocol suites' mocha run by
// tests/conformance/test_official_suites.py, from the suite's copy (so "ws" is the suite's own).
//
// It makes the suites' Node client behave as their other runner, a browser (index.html), does.
// The suites' code and their pinned packages are left as they are. Two defects of that Node
// client lose or break things before any server is involved:
//
// 1. node-fetch 3.2 sends "Connection: close", yet Node 19+'s keep-alive default agent reuses
//    the socket for the next request, which then fails with "socket hang up" when the server
//    closes as it was asked to (node-fetch/node-fetch#1735). Node's own HTTP server hides this
//    by echoing "Connection: close"; gevent's pywsgi closes without saying so. A browser never
//    reuses a connection it asked to close. Here: an agent without keep-alive.
// 2. ws 8.5 emits every message that arrived in one read in one synchronous run, so a suite
//    step that awaits one message and then listens for the next loses the second one when two
//    frames come in one TCP segment (as greensio writes a CONNECT reply and what the connect
//    handler emitted). A browser fires one message event per task; websockets/ws#2160 made ws
//    do the same, "to improve compatibility with the WHATWG standard". Here: each "message" (and
//    the "close" behind them, to keep the order) that comes behind another in one synchronous
//    run is emitted in a task of its own.
// 3. When a fetch response and WebSocket frames become readable in the same turn of Node's event
//    loop, Node may run the response's callback first, and the suite's next step then reads a
//    frame the server had written before it answered the request (seen once in ~40 runs:
//    "ignores HTTP requests with same sid after upgrade" got "3probe", which greensio wrote
//    before the GET's 400, as a raw client confirmed 600 times out of 600). Here: a fetch
//    resolves one task later, so frames already read in that turn are delivered first.
import http from "node:http";
import { WebSocket } from "ws";

http.globalAgent = new http.Agent({ keepAlive: false });

const emit = WebSocket.prototype.emit;
const queued = Symbol("greensio queued events");

// The first event of a synchronous run is emitted at once (a message the suite does not wait
// for is dropped then, as in a browser); the ones behind it follow one per task.
WebSocket.prototype.emit = function (name, ...args) {
  if (name !== "message" && name !== "close") return emit.call(this, name, ...args);
  if (this[queued] !== undefined) {
    this[queued].push([name, args]);
    return true;
  }
  this[queued] = [];
  setImmediate(emitQueued, this);
  return emit.call(this, name, ...args);
};

function emitQueued(socket) {
  const next = socket[queued].shift();
  if (next === undefined) {
    socket[queued] = undefined;
    return;
  }
  setImmediate(emitQueued, socket);
  emit.call(socket, next[0], ...next[1]);
}

// (3) node-imports.js sets globalThis.fetch = node-fetch after this preload ran: wrap it then.
let wrappedFetch = globalThis.fetch;
Object.defineProperty(globalThis, "fetch", {
  configurable: true,
  get() {
    return wrappedFetch;
  },
  set(fetch) {
    wrappedFetch = async (...args) => {
      const response = await fetch(...args);
      await new Promise((resolve) => setImmediate(resolve));
      return response;
    };
  },
});
