// Three loopback HTTP servers standing in for three instances of one callee, in a process of
// their own so that the client's CPU time is the client's alone. Prints their ports as JSON.
import { createServer } from 'node:http';

const body = '{"ok":true}';
const ports = [];
for (let i = 0; i < 3; i++) {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports.push(server.address().port);
}
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.on('SIGTERM', () => process.exit(0));
