import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TestControlPlane } from './control-plane-server.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/start-and-close.ts', import.meta.url));

/**
 * Runs the fixture; resolves with its exit code and output. Fails if it is still alive `lingerLimitMs` after "closed" (start-up under load may
 * be slow, so the whole run gets a generous limit of its own).
 */
function run(args: string[], lingerLimitMs: number): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['--conditions=opensergo-source', '--import', 'tsx', FIXTURE, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  return new Promise((resolve, reject) => {
    const kill = (why: string): void => {
      child.kill('SIGKILL');
      reject(new Error(`${why} (output: ${JSON.stringify(stdout)})`));
    };
    const overall = setTimeout(() => kill('the fixture did not finish within 30 s'), 30_000);
    let linger: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!stdout.includes('closed') || linger) return;
      linger = setTimeout(() => kill(`the process was still alive ${lingerLimitMs} ms after close()`), lingerLimitMs);
    });
    child.on('exit', (code) => {
      clearTimeout(overall);
      clearTimeout(linger);
      resolve({ code, stdout });
    });
  });
}

test('after close() on a connected source that applied a push, nothing keeps the process alive', async (t) => {
  const server = await new TestControlPlane().start();
  t.after(() => server.stop());
  // Once the child has subscribed, push it something: it closes after applying it.
  void server.waitForSubscriptions(5).then(() => server.push({ kind: 'fault-tolerance.opensergo.io/v1alpha1/RateLimitStrategy', data: [], responseId: 'p-1' }));
  const { code, stdout } = await run([server.endpoint, 'update'], 3_000);
  assert.equal(code, 0);
  assert.equal(stdout.trim(), 'closed');
});

test('after close() on a source waiting to reconnect, nothing keeps the process alive', async () => {
  const probe = await new TestControlPlane().start();
  const endpoint = probe.endpoint;
  probe.stop();
  const { code, stdout } = await run([endpoint, 'disconnected'], 3_000);
  assert.equal(code, 0);
  assert.equal(stdout.trim(), 'closed');
});
