// The benchmark application (bench/servers/app.py) on Node's socket.io v4.
// Usage: node bench/servers/node_server.js PORT
'use strict';
const http = require('node:http');
const { Server } = require('socket.io');

const port = Number(process.argv[2]);
const ROOM = 'all';

const httpServer = http.createServer((req, res) => {
  // socket.io answers /socket.io/ itself; everything else (the readiness probe) is a 404
  if (!req.url.startsWith('/socket.io/')) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('Not Found');
  }
});
const io = new Server(httpServer);  // defaults: polling + websocket, no permessage-deflate

function ackOf(args) {
  return typeof args[args.length - 1] === 'function' ? args.pop() : null;
}

io.on('connection', (socket) => {
  socket.on('echo', (...args) => {
    const ack = ackOf(args);
    if (ack) ack(...args);
  });
  socket.on('join', (...args) => {
    const ack = ackOf(args);
    socket.join(ROOM);
    if (ack) ack(true);
  });
  socket.on('broadcast', (...args) => {
    const ack = ackOf(args);
    const spec = args[0];
    const count = Number(spec.n);
    for (let i = 0; i < count; i++) io.to(ROOM).emit('fanout', spec.payload);
    if (ack) ack(count);
  });
});

httpServer.listen(port, '127.0.0.1', 1024, () => {
  console.log(`LISTENING ${httpServer.address().port}`);
});
