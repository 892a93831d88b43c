// Load generator for bench/run.py: raw Engine.IO v4 / Socket.IO v5 text protocol, over `ws` for
// WebSocket and raw keep-alive HTTP/1.1 connections (node:net) for long-polling. It does not use greensio, nor any
// Socket.IO client library, so every contender meets the same client.
//
// Usage: node bench/loadgen.js SCENARIO --port P --pid SERVER_PID [--option value ...]
//   echo      acked echo over WebSocket         --clients --messages --warmup --payload --deadline
//   fanout    room broadcast to many sockets    --clients --broadcasts --payload --deadline
//   relay     acked echo through another client --pairs --messages --warmup --payload --deadline
//   idle      server RSS per idle connection    --levels 2000,10000 --concurrency --settle
//   connrate  handshake + namespace connects/s  --connections --concurrency --deadline
//   pollecho  acked echo over long-polling      --clients --messages --warmup --payload --deadline
// Every scenario is bounded by a message (or connection) count and by deadlines: --deadline for the
// measured phase, --setup-deadline for connecting. The result is one JSON object on the last
// stdout line; progress and errors go to stderr. The server's CPU time (utime + stime) and RSS are
// read from /proc/SERVER_PID around the measured phase only.
//
// A cluster (several server processes): --ports P1,P2 instead of --port, and --pid PID1,PID2 (the
// CPU time is their sum; RSS is read from the first). WebSocket clients are dealt to the ports in
// turn (client i to port i mod n); fanout's controller connects to the first.
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const WebSocket = require('ws');

const RS = '\x1e'; // Engine.IO v4 polling payload separator

// ---------------------------------------------------------------------------------------------
// options and /proc

function parseOptions(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`bad option ${argv[i]}`);
    opts[argv[i].slice(2)] = argv[i + 1];
  }
  return opts;
}

const scenario = process.argv[2];
const opts = parseOptions(process.argv.slice(3));
const num = (name, dflt) => (opts[name] === undefined ? dflt : Number(opts[name]));
const PORTS = String(opts.ports || opts.port || '').split(',').filter(Boolean).map(Number);
const PORT = PORTS[0];
const PIDS = String(opts.pid || '').split(',').filter(Boolean).map(Number);
const PID = PIDS[0];
const CLK_TCK = num('clk-tck', 100);
const SETUP_DEADLINE_MS = num('setup-deadline', 60) * 1000;
const HOST = '127.0.0.1';
const wsUrl = (port) => `ws://${HOST}:${port}/socket.io/?EIO=4&transport=websocket`;

function log(...parts) {
  process.stderr.write(`[loadgen ${scenario}] ${parts.join(' ')}\n`);
}

/** utime + stime of the server processes (all of a cluster's), in seconds. */
function serverCpu() {
  let total = 0;
  for (const pid of PIDS) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
    total += (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  }
  return total;
}

/** VmRSS of the server process, in KiB. */
function serverRssKb() {
  const status = fs.readFileSync(`/proc/${PID}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) : NaN;
}

const nowMs = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Measures the load generator's own CPU use over a phase (to tell when it, not the server, is the
 * bottleneck): the fraction of one core it used. */
function selfCpu() {
  const start = process.cpuUsage();
  const t0 = nowMs();
  return () => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000 / Math.max(1e-9, nowMs() - t0);
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; stops starting new ones
 * once `deadline` (ms, performance.now()) has passed. Resolves to the number of tasks run. */
async function pool(count, concurrency, deadline, task) {
  let next = 0;
  async function worker() {
    while (next < count && nowMs() < deadline) await task(next++);
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return next;
}

// ---------------------------------------------------------------------------------------------
// Socket.IO client over one WebSocket (namespace '/')

class WsClient {
  constructor(port = PORT) {
    this.port = port;
    this.url = wsUrl(port);
    this.sid = null; // the namespace sid, from the server's CONNECT
    this.acks = new Map();
    this.nextId = 1;
    this.onEvent = null; // (raw '42...' packet) => void
    this.closed = false;
  }

  /** Opens the WebSocket and connects to namespace '/'; resolves on the server's CONNECT. */
  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, { perMessageDeflate: false });
      this.ws = ws;
      let connected = false;
      ws.on('message', (data) => {
        const msg = data.toString();
        switch (msg.charCodeAt(0)) {
          case 0x34: // '4' message: a Socket.IO packet
            this.onPacket(msg, () => {
              connected = true;
              resolve(this);
            }, reject);
            break;
          case 0x32: // '2' ping
            ws.send('3');
            break;
          case 0x30: // '0' open
            ws.send('40');
            break;
          default: // '1' close, '6' noop
            break;
        }
      });
      ws.on('error', (err) => {
        if (!connected) reject(err);
        else log('socket error', err.message);
      });
      ws.on('close', () => {
        this.closed = true;
        if (!connected) reject(new Error('closed before CONNECT'));
        for (const settle of this.acks.values()) settle(null);
        this.acks.clear();
      });
    });
  }

  onPacket(msg, onConnect, onRefused) {
    const type = msg.charCodeAt(1);
    if (type === 0x32 /* '2' event */) {
      if (msg.charCodeAt(2) >= 0x30 && msg.charCodeAt(2) <= 0x39) this.answer(msg);
      else if (this.onEvent) this.onEvent(msg);
    } else if (type === 0x33 /* '3' ack */) {
      let end = 2;
      while (end < msg.length && msg.charCodeAt(end) >= 0x30 && msg.charCodeAt(end) <= 0x39) end++;
      const id = Number(msg.slice(2, end));
      const settle = this.acks.get(id);
      if (settle) {
        this.acks.delete(id);
        settle(msg);
      }
    } else if (type === 0x30 /* '0' connect */) {
      const sid = /"sid":"([^"]+)"/.exec(msg);
      if (sid) this.sid = sid[1];
      onConnect();
    } else if (type === 0x34 /* '4' connect error */) {
      onRefused(new Error(`CONNECT refused: ${msg}`));
    }
  }

  /** An event asking for an ack (`42<id>["<event>",<args>]`, as `call()` sends): acked with its own
   * arguments, as the servers' `echo` handler does. */
  answer(msg) {
    let end = 2;
    while (end < msg.length && msg.charCodeAt(end) >= 0x30 && msg.charCodeAt(end) <= 0x39) end++;
    const comma = msg.indexOf(',', end);
    this.answered = (this.answered || 0) + 1;
    this.ws.send(`43${msg.slice(2, end)}[${comma < 0 ? ']' : msg.slice(comma + 1)}`);
  }

  /** Emits `42<id>[<event>,<argsJson>]`; resolves to the raw ack packet (null if the socket closed). */
  emitWithAck(event, argsJson) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.acks.set(id, resolve);
      this.ws.send(`42${id}["${event}",${argsJson}]`);
    });
  }

  /** A clean goodbye, as socket.io-client's disconnect(): DISCONNECT, then a WebSocket close. */
  close(timeoutMs = 2000) {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.ws.terminate();
        resolve(false);
      }, timeoutMs);
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
      try {
        this.ws.send('41');
        this.ws.close(1000);
      } catch (err) {
        this.ws.terminate();
      }
    });
  }

  terminate() {
    if (!this.closed) this.ws.terminate();
  }
}

async function connectMany(count, concurrency, deadlineMs, setup) {
  const clients = [];
  const deadline = nowMs() + deadlineMs;
  let failures = 0;
  let firstError = null;
  await pool(count, concurrency, deadline, async (i) => {
    const client = new WsClient(PORTS[i % PORTS.length]);
    if (setup) setup(client);
    try {
      await withTimeout(client.connect(), Math.max(1, deadline - nowMs()), 'connect');
      clients.push(client);
    } catch (err) {
      failures++;
      firstError = firstError || err.message;
      client.terminate?.();
    }
  });
  if (clients.length < count) {
    throw new Error(
      `connected ${clients.length}/${count} (${failures} failed, first: ${firstError || 'deadline'})`,
    );
  }
  return clients;
}

function payloadOf(bytes) {
  return JSON.stringify('x'.repeat(Math.max(0, bytes)));
}

// ---------------------------------------------------------------------------------------------
// scenarios

async function echo() {
  const clients = num('clients', 50);
  const perClient = num('messages', 400);
  const warmup = num('warmup', 20);
  const deadlineMs = num('deadline', 20) * 1000;
  const payload = payloadOf(num('payload', 64));
  const expectedAckLen = (id) => 2 + String(id).length + payload.length + 2;

  const socks = await connectMany(clients, clients, SETUP_DEADLINE_MS);
  for (let i = 0; i < warmup; i++) await Promise.all(socks.map((s) => s.emitWithAck('echo', payload)));

  const latencies = new Float64Array(clients * perClient);
  let count = 0;
  let bad = 0;
  const loadgenCpu = selfCpu();
  const cpu0 = serverCpu();
  const t0 = nowMs();
  const deadline = t0 + deadlineMs;
  await Promise.all(
    socks.map(async (sock) => {
      for (let i = 0; i < perClient && nowMs() < deadline; i++) {
        const id = sock.nextId;
        const start = nowMs();
        const ack = await sock.emitWithAck('echo', payload);
        if (ack === null) throw new Error('socket closed during echo');
        latencies[count++] = nowMs() - start;
        if (ack.length !== expectedAckLen(id)) bad++;
      }
    }),
  );
  const elapsed = (nowMs() - t0) / 1000;
  const cpu = serverCpu() - cpu0;
  const ownCpu = loadgenCpu();
  const sorted = latencies.subarray(0, count).sort();
  socks.forEach((s) => s.terminate());
  return {
    messages: count,
    expected: clients * perClient,
    complete: count === clients * perClient,
    bad_acks: bad,
    elapsed_s: elapsed,
    msg_per_s: count / elapsed,
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    server_cpu_us_per_msg: (cpu * 1e6) / count,
    server_cpu_util: cpu / elapsed,
    loadgen_cpu_util: ownCpu,
  };
}

async function fanout() {
  const clients = num('clients', 1000);
  const broadcasts = num('broadcasts', 500);
  const deadlineMs = num('deadline', 30) * 1000;
  const concurrency = num('concurrency', 100);
  const payload = payloadOf(num('payload', 100));
  const prefix = '42["fanout",';
  const expected = clients * broadcasts;

  let total = 0;
  let lastDelivery = 0;
  let bad = 0;
  let finish;
  const done = new Promise((resolve) => {
    finish = resolve;
  });
  const socks = await connectMany(clients, concurrency, SETUP_DEADLINE_MS, (client) => {
    client.received = 0;
    client.onEvent = (msg) => {
      if (!msg.startsWith(prefix)) return;
      if (msg.length !== prefix.length + payload.length + 1) bad++;
      client.received++;
      lastDelivery = nowMs();
      if (++total === expected) finish();
    };
  });
  const setupDeadline = nowMs() + SETUP_DEADLINE_MS;
  await pool(socks.length, concurrency, setupDeadline, async (i) => {
    const ack = await withTimeout(socks[i].emitWithAck('join', '1'), SETUP_DEADLINE_MS, 'join');
    if (ack === null) throw new Error('socket closed during join');
  });
  const [controller] = await connectMany(1, 1, SETUP_DEADLINE_MS); // on the first port

  const loadgenCpu = selfCpu();
  const cpu0 = serverCpu();
  const t0 = nowMs();
  let ackedAt = null;
  const acked = controller
    .emitWithAck('broadcast', JSON.stringify({ n: broadcasts, payload: JSON.parse(payload) }))
    .then(() => {
      ackedAt = nowMs();
    });
  let timer;
  const timedOut = await Promise.race([
    done.then(() => false),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(true), deadlineMs);
    }),
  ]);
  clearTimeout(timer);
  const end = timedOut ? nowMs() : lastDelivery;
  const cpu = serverCpu() - cpu0;
  const ownCpu = loadgenCpu();
  // the controller's ack says when the server's handler had emitted every broadcast
  if (ackedAt === null && !timedOut) await withTimeout(acked, 5000, 'broadcast ack').catch(() => {});
  const elapsed = (end - t0) / 1000;
  const perClient = socks.map((s) => s.received);
  socks.forEach((s) => s.terminate());
  controller.terminate();
  return {
    deliveries: total,
    expected,
    complete: total === expected,
    timed_out: timedOut,
    bad_packets: bad,
    elapsed_s: elapsed,
    deliveries_per_s: total / elapsed,
    broadcast_ack_s: ackedAt === null ? null : (ackedAt - t0) / 1000,
    min_per_client: Math.min(...perClient),
    max_per_client: Math.max(...perClient),
    server_cpu_us_per_delivery: total ? (cpu * 1e6) / total : null,
    server_cpu_util: cpu / elapsed,
    loadgen_cpu_util: ownCpu,
  };
}

/** Acked echo through a second client: a caller emits `relay` (target sid, payload); the server's
 * handler does `call("echo", payload, to=target)`, the target acks with the payload, and the
 * handler acks the caller with it. With two ports every target is a client of the other node, so
 * the call and its ack cross the broker: half the callers are on each node. */
async function relay() {
  const pairs = num('pairs', 50);
  const perCaller = num('messages', 400);
  const warmup = num('warmup', 20);
  const deadlineMs = num('deadline', 20) * 1000;
  const payload = payloadOf(num('payload', 64));
  const expectedAckLen = (id) => 2 + String(id).length + payload.length + 2;

  const socks = await connectMany(2 * pairs, 2 * pairs, SETUP_DEADLINE_MS);
  const on = (port) => socks.filter((s) => s.port === port);
  const [a, b] = [on(PORTS[0]), on(PORTS[PORTS.length - 1])];
  if (PORTS.length === 1) a.splice(pairs), b.splice(0, pairs);
  const half = Math.floor(pairs / 2);
  const couples = [];
  for (let j = 0; j < pairs; j++) couples.push(j < half ? [a[j], b[j]] : [b[j], a[j]]);
  if (couples.some(([caller, target]) => !caller || !target || !target.sid)) {
    throw new Error(`could not pair ${pairs} callers with targets (${a.length} + ${b.length} clients)`);
  }
  const args = couples.map(([, target]) => `"${target.sid}",${payload}`);
  for (let i = 0; i < warmup; i++) {
    await Promise.all(couples.map(([caller], k) => caller.emitWithAck('relay', args[k])));
  }

  const latencies = new Float64Array(pairs * perCaller);
  let count = 0;
  let bad = 0;
  const loadgenCpu = selfCpu();
  const cpu0 = serverCpu();
  const t0 = nowMs();
  const deadline = t0 + deadlineMs;
  await Promise.all(
    couples.map(async ([caller], k) => {
      for (let i = 0; i < perCaller && nowMs() < deadline; i++) {
        const id = caller.nextId;
        const start = nowMs();
        const ack = await caller.emitWithAck('relay', args[k]);
        if (ack === null) throw new Error('socket closed during relay');
        latencies[count++] = nowMs() - start;
        if (ack.length !== expectedAckLen(id)) bad++;
      }
    }),
  );
  const elapsed = (nowMs() - t0) / 1000;
  const cpu = serverCpu() - cpu0;
  const ownCpu = loadgenCpu();
  const sorted = latencies.subarray(0, count).sort();
  const answered = couples.reduce((sum, [, target]) => sum + (target.answered || 0), 0);
  socks.forEach((s) => s.terminate());
  return {
    messages: count,
    expected: pairs * perCaller,
    complete: count === pairs * perCaller,
    bad_acks: bad,
    answered_by_targets: answered,
    elapsed_s: elapsed,
    msg_per_s: count / elapsed,
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    server_cpu_us_per_msg: (cpu * 1e6) / count,
    server_cpu_util: cpu / elapsed,
    loadgen_cpu_util: ownCpu,
  };
}

async function idle() {
  const levels = String(opts.levels || '2000,10000').split(',').map(Number);
  const concurrency = num('concurrency', 100);
  const settleMs = num('settle', 2) * 1000;

  // warm-up: a few clients connect, echo and leave, so lazy imports and caches are in the baseline
  const warm = await connectMany(10, 10, SETUP_DEADLINE_MS);
  await Promise.all(warm.map((s) => s.emitWithAck('echo', '"warm"')));
  await Promise.all(warm.map((s) => s.close()));
  await sleep(settleMs);
  const baseline = serverRssKb();

  const socks = [];
  const results = [];
  for (const level of levels) {
    const t0 = nowMs();
    socks.push(...(await connectMany(level - socks.length, concurrency, SETUP_DEADLINE_MS)));
    const connectS = (nowMs() - t0) / 1000;
    await sleep(settleMs);
    const rss = serverRssKb();
    const dropped = socks.filter((s) => s.closed).length;
    if (dropped) log(`${dropped} idle connections were closed by the server`);
    results.push({
      connections: socks.length,
      dropped,
      rss_kb: rss,
      kb_per_conn: (rss - baseline) / socks.length,
      connect_s: connectS,
    });
    log(`${socks.length} idle: RSS ${rss} KiB (baseline ${baseline} KiB)`);
  }
  socks.forEach((s) => s.terminate());
  return { baseline_rss_kb: baseline, levels: results };
}

async function connrate() {
  const total = num('connections', 2000);
  const concurrency = num('concurrency', 50);
  const deadlineMs = num('deadline', 30) * 1000;
  const latencies = [];
  let unclean = 0;
  let failures = 0;
  let firstError = null;

  const loadgenCpu = selfCpu();
  const cpu0 = serverCpu();
  const t0 = nowMs();
  const deadline = t0 + deadlineMs;
  await pool(total, concurrency, deadline, async () => {
    const client = new WsClient();
    const start = nowMs();
    try {
      await withTimeout(client.connect(), Math.max(1, deadline - nowMs()), 'connect');
    } catch (err) {
      failures++;
      firstError = firstError || err.message;
      client.terminate();
      return;
    }
    latencies.push(nowMs() - start);
    if (!(await client.close())) unclean++;
  });
  const elapsed = (nowMs() - t0) / 1000;
  const cpu = serverCpu() - cpu0;
  const ownCpu = loadgenCpu();
  latencies.sort((a, b) => a - b);
  return {
    connections: latencies.length,
    expected: total,
    complete: latencies.length === total,
    failures,
    first_error: firstError,
    unclean_closes: unclean,
    elapsed_s: elapsed,
    conn_per_s: latencies.length / elapsed,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    server_cpu_us_per_conn: latencies.length ? (cpu * 1e6) / latencies.length : null,
    server_cpu_util: cpu / elapsed,
    loadgen_cpu_util: ownCpu,
  };
}

// ---------------------------------------------------------------------------------------------
// Socket.IO client over HTTP long-polling (keep-alive; at most one GET and one POST in flight)

/** One keep-alive HTTP/1.1 connection over a raw socket: one request at a time, responses with
 * Content-Length or chunked bodies. node:http costs the client about as much CPU per request as
 * the servers under test spend, which made this scenario client-bound; this costs a fraction. */
class RawHttpConnection {
  constructor() {
    this.sock = null;
    this.buf = Buffer.alloc(0);
    this.pending = null; // {resolve, reject}
  }

  ensure() {
    if (this.sock && !this.sock.destroyed) return;
    this.buf = Buffer.alloc(0);
    this.sock = net.connect({ host: HOST, port: PORT });
    this.sock.setNoDelay(true);
    this.sock.on('data', (chunk) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      this.parse();
    });
    const fail = (err) => {
      const pending = this.pending;
      this.pending = null;
      this.sock = null;
      if (pending) pending.reject(err || new Error('connection closed'));
    };
    this.sock.on('error', fail);
    this.sock.on('close', () => fail(null));
  }

  request(method, path, body) {
    this.ensure();
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\n`;
    if (body !== undefined) {
      head += `Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
    }
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.sock.write(head + '\r\n' + (body === undefined ? '' : body));
    });
  }

  parse() {
    if (!this.pending) return;
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const lines = this.buf.toString('latin1', 0, end).split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    let length = -1;
    let chunked = false;
    let close = false;
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      const name = lines[i].slice(0, colon).trim().toLowerCase();
      const value = lines[i].slice(colon + 1).trim().toLowerCase();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding' && value.includes('chunked')) chunked = true;
      else if (name === 'connection' && value.includes('close')) close = true;
    }
    let body;
    let consumed;
    if (chunked) {
      const parts = [];
      let pos = end + 4;
      for (;;) {
        const lineEnd = this.buf.indexOf('\r\n', pos);
        if (lineEnd < 0) return;
        const size = parseInt(this.buf.toString('latin1', pos, lineEnd), 16);
        if (this.buf.length < lineEnd + 2 + size + 2) return;
        if (size === 0) {
          consumed = lineEnd + 4; // no trailers from these servers
          break;
        }
        parts.push(this.buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        pos = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts).toString('utf8');
    } else {
      if (length < 0) length = 0;
      if (this.buf.length < end + 4 + length) return;
      body = this.buf.toString('utf8', end + 4, end + 4 + length);
      consumed = end + 4 + length;
    }
    this.buf = this.buf.subarray(consumed);
    const pending = this.pending;
    this.pending = null;
    if (close) {
      this.sock.removeAllListeners('close');
      this.sock.destroy();
      this.sock = null;
    }
    if (status !== 200) pending.reject(new Error(`${status}: ${body}`));
    else pending.resolve(body);
  }

  destroy() {
    if (this.sock) this.sock.destroy();
    this.sock = null;
  }
}

// Socket.IO client over HTTP long-polling (keep-alive; at most one GET and one POST in flight,
// each on its own connection)

class PollClient {
  constructor() {
    this.getConn = new RawHttpConnection();
    this.postConn = new RawHttpConnection();
    this.acks = new Map();
    this.nextId = 1;
    this.queue = [];
    this.posting = false;
    this.open = true;
    this.errors = 0;
    this.requestCount = 0;
  }

  request(method, body) {
    const sid = this.sid ? `&sid=${this.sid}` : '';
    const path = `/socket.io/?EIO=4&transport=polling${sid}&t=${this.requestCount++}`;
    return (method === 'GET' ? this.getConn : this.postConn).request(method, path, body);
  }

  async connect() {
    const open = await this.request('GET');
    if (!open.startsWith('0')) throw new Error(`bad handshake: ${open.slice(0, 80)}`);
    this.sid = JSON.parse(open.slice(1)).sid;
    this.connected = new Promise((resolve) => {
      this.onConnect = resolve;
    });
    this.send('40');
    this.pollLoop();
    await this.connected;
    return this;
  }

  async pollLoop() {
    while (this.open) {
      let body;
      try {
        body = await this.request('GET');
      } catch (err) {
        if (this.open) {
          this.errors++;
          log('poll error', err.message);
          this.open = false;
        }
        break;
      }
      for (const packet of body.split(RS)) this.onPacket(packet);
    }
    for (const settle of this.acks.values()) settle(null);
    this.acks.clear();
  }

  onPacket(packet) {
    if (packet === '2') this.send('3');
    else if (packet.startsWith('43')) {
      let end = 2;
      while (end < packet.length && packet.charCodeAt(end) >= 0x30 && packet.charCodeAt(end) <= 0x39) end++;
      const id = Number(packet.slice(2, end));
      const settle = this.acks.get(id);
      if (settle) {
        this.acks.delete(id);
        settle(packet);
      }
    } else if (packet.startsWith('40')) this.onConnect();
    else if (packet === '1') this.open = false;
  }

  send(packet) {
    this.queue.push(packet);
    if (!this.posting) this.flush();
  }

  async flush() {
    this.posting = true;
    while (this.queue.length && this.open) {
      const body = this.queue.join(RS);
      this.queue = [];
      try {
        await this.request('POST', body);
      } catch (err) {
        this.errors++;
        log('post error', err.message);
        this.open = false;
      }
    }
    this.posting = false;
  }

  emitWithAck(event, argsJson) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.acks.set(id, resolve);
      this.send(`42${id}["${event}",${argsJson}]`);
    });
  }

  close() {
    this.open = false;
    this.getConn.destroy();
    this.postConn.destroy();
  }
}

async function pollecho() {
  const clients = num('clients', 20);
  const perClient = num('messages', 100);
  const warmup = num('warmup', 5);
  const deadlineMs = num('deadline', 20) * 1000;
  const payload = payloadOf(num('payload', 64));

  const polls = await withTimeout(
    Promise.all(Array.from({ length: clients }, () => new PollClient().connect())),
    SETUP_DEADLINE_MS,
    'polling connect',
  );
  for (let i = 0; i < warmup; i++) await Promise.all(polls.map((p) => p.emitWithAck('echo', payload)));

  const latencies = [];
  const loadgenCpu = selfCpu();
  const cpu0 = serverCpu();
  const t0 = nowMs();
  const deadline = t0 + deadlineMs;
  await Promise.all(
    polls.map(async (poll) => {
      for (let i = 0; i < perClient && nowMs() < deadline && poll.open; i++) {
        const start = nowMs();
        const ack = await poll.emitWithAck('echo', payload);
        if (ack === null) break;
        latencies.push(nowMs() - start);
      }
    }),
  );
  const elapsed = (nowMs() - t0) / 1000;
  const cpu = serverCpu() - cpu0;
  const ownCpu = loadgenCpu();
  const errors = polls.reduce((sum, p) => sum + p.errors, 0);
  polls.forEach((p) => p.close());
  latencies.sort((a, b) => a - b);
  return {
    messages: latencies.length,
    expected: clients * perClient,
    complete: latencies.length === clients * perClient,
    http_errors: errors,
    elapsed_s: elapsed,
    msg_per_s: latencies.length / elapsed,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    server_cpu_us_per_msg: latencies.length ? (cpu * 1e6) / latencies.length : null,
    server_cpu_util: cpu / elapsed,
    loadgen_cpu_util: ownCpu,
  };
}

// ---------------------------------------------------------------------------------------------

const SCENARIOS = { echo, fanout, relay, idle, connrate, pollecho };

async function main() {
  const run = SCENARIOS[scenario];
  if (!run || !PORT || !PID) {
    process.stderr.write(`usage: node loadgen.js {${Object.keys(SCENARIOS).join('|')}} --port P --pid PID\n`);
    process.exit(2);
  }
  const result = await run();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`[loadgen ${scenario}] FAILED: ${err.stack || err}\n`);
  process.exit(1);
});
