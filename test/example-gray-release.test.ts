// The README's third command, `npm run start:gray` (examples/gray-release/start.js), on free
// ports: it must print the gray lane for user 12345 and the base lane otherwise.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

const start = fileURLToPath(new URL('../examples/gray-release/start.js', import.meta.url));

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

it('prints which instance served each hop, with and without X-User-Id: 12345', async () => {
  const [gateway, base, gray, backend] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const env = { ...process.env, GATEWAY_PORT: String(gateway), SERVICE_BASE_PORT: String(base), SERVICE_GRAY_PORT: String(gray), BACKEND_PORT: String(backend) };
  // As `npm run start:gray` runs it: plain node on the built packages (npm test builds first).
  const child = spawn(process.execPath, [start], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => void (out += String(chunk)));
  child.stderr.on('data', (chunk: Buffer) => void (out += String(chunk)));
  try {
    await new Promise<void>((resolve, reject) => {
      // A bound on a hung demo, not a speed check: four processes start on a machine that may be busy.
      const timer = setTimeout(() => reject(new Error(`no demo output within 120 s:\n${out}`)), 120_000);
      child.stdout.on('data', () => out.includes('Press Ctrl+C') && (clearTimeout(timer), resolve()));
      child.on('exit', () => (clearTimeout(timer), reject(new Error(`the demo exited:\n${out}`))));
    });
    const [grayRun, plainRun] = out.split('GET /index').slice(1);
    assert.match(grayRun!, /X-User-Id: 12345[\s\S]*service-gray \(Koa :\d+\)[\s\S]*backend-base \(Fastify :\d+\)[\s\S]*baggage at the backend: OpenSergo-Label=gray/);
    assert.match(plainRun!, /no X-User-Id[\s\S]*service-base \(Koa :\d+\)[\s\S]*backend-base[\s\S]*baggage at the backend: \(none\)/);
  } finally {
    child.kill('SIGTERM');
  }
});
