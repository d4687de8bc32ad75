// Following a node:http call's outcome adds an 'error' listener to the request; that must not
// change what happens to an error the application does not listen for: without a listener,
// Node throws it (the process exits), with one, the listener gets it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs a request to `port` through `agent` ('governed': createAgent with a rule on the call; 'plain': Node's). */
async function run(agent: 'governed' | 'plain', listens: boolean, port: number): Promise<{ code: number | null; out: string; err: string }> {
  const script = `
    import { request, globalAgent } from 'node:http';
    import { createEngine } from '@opensergo/core';
    import { createAgent } from '@opensergo/client';
    const FT = 'fault-tolerance.opensergo.io/v1alpha1';
    const rules = [
      { apiVersion: FT, kind: 'ConcurrencyLimitStrategy', metadata: { name: 'c' }, spec: { maxConcurrency: 5, limitMode: 'Local' } },
      { apiVersion: FT, kind: 'FaultToleranceRule', metadata: { name: 'r' }, spec: { targets: [{ targetResourceName: 'GET:http://127.0.0.1:${port}/**' }], strategies: [{ name: 'c' }] } },
    ];
    const engine = createEngine({ logger: false, rules });
    const agent = ${agent === 'governed' ? 'createAgent({ engine })' : 'globalAgent'};
    const req = request({ host: '127.0.0.1', port: ${port}, path: '/x', agent });
    ${listens ? "req.on('error', (e) => { console.log('heard', e.code, engine.metrics().resources.length); engine.close(); });" : ''}
    req.end();
  `;
  const child = spawn(process.execPath, ['--conditions=opensergo-source', '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: new URL('../../..', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, out, err };
}

describe('an outgoing node:http call whose error the application does not listen for', () => {
  it('ends the process with that error, through createAgent as through Node’s own agent', async () => {
    const port = await closedPort();
    for (const agent of ['plain', 'governed'] as const) {
      const { code, err } = await run(agent, false, port);
      assert.notEqual(code, 0, `${agent}: the process ended with the error`);
      assert.match(err, /ECONNREFUSED/, `${agent}: stderr names it`);
    }
  });

  it('reaches a listener the application added, and the process goes on', async () => {
    const port = await closedPort();
    const { code, out } = await run('governed', true, port);
    assert.equal(code, 0);
    assert.match(out, /^heard ECONNREFUSED/);
  });
});
