// examples/per-client (issue 17 item 5): the migration page's example, run as a user runs it
// (`node examples/per-client/<framework>.js`, PORT=0), on each framework.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { send } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));

for (const framework of ['express', 'koa', 'fastify']) {
  describe(`examples/per-client/${framework}.js`, () => {
    let app: ChildProcess;
    let port: number;

    before(async () => {
      app = spawn(process.execPath, ['--conditions=opensergo-source', '--import', 'tsx', `examples/per-client/${framework}.js`], {
        cwd: root,
        env: { ...process.env, PORT: '0' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const said: string[] = [];
      const lines = createInterface({ input: app.stdout! });
      const listening = new Promise<number>((resolve) =>
        lines.on('line', (line) => {
          said.push(line);
          const match = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(line);
          if (match) resolve(Number(match[1]));
        }),
      );
      const exited = once(app, 'exit').then(() => assert.fail(`the example exited; it said: ${said.join('\n')}`));
      port = await Promise.race([listening, exited]);
    });

    after(() => {
      app.kill('SIGTERM');
    });

    it('5 per minute per client address: the 6th from 127.0.0.2 gets the JSON 429, 127.0.0.3 still gets 5', async () => {
      const from = (localAddress: string) => send(port, '/api/items', { localAddress });
      const a = [];
      for (let i = 0; i < 6; i++) a.push(await from('127.0.0.2'));
      assert.deepEqual(a.map((r) => r.status), [200, 200, 200, 200, 200, 429]);
      assert.equal(a[5]!.body, '{"error":"Too many requests, please try again later."}');
      assert.match(String(a[5]!.headers['content-type']), /^application\/json/);
      assert.match(String(a[5]!.headers['retry-after']), /^(59|60|61)$/);
      assert.match(String(a[0]!.headers['ratelimit']), /^"five-per-ip";r=4;t=6[01];pk=:/);
      assert.equal((await from('127.0.0.3')).status, 200);
    });

    it('5 per minute per X-API-Key: the internal key gets more, a revoked key none, and keyless requests share one budget', async () => {
      const key = async (value: string | undefined, n: number) => {
        const statuses: number[] = [];
        for (let i = 0; i < n; i++) statuses.push((await send(port, '/partner/orders', value ? { headers: { 'x-api-key': value } } : {})).status);
        return statuses;
      };
      assert.deepEqual(await key('internal-service', 8), [200, 200, 200, 200, 200, 200, 200, 200]);
      assert.deepEqual(await key('partner-1', 6), [200, 200, 200, 200, 200, 429]);
      assert.deepEqual(await key('revoked-key', 1), [429]);
      assert.deepEqual(await key(undefined, 6), [200, 200, 200, 200, 200, 429]);
    });
  });
}
