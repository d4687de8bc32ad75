// AdaptiveOverloadProtectionStrategy on every adapter (issue 3): under a CPU-bound load a rule
// with a low threshold sheds with 503 within a couple of seconds, and stops once the load stops.
// The load is a busy loop in this process (the server's own event loop), in 200 ms slices.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countingClock } from '../packages/core/test/helpers/counting-clock.js';
import { adaptive, rule, rules } from '../packages/core/test/helpers/yaml.js';
import { ADAPTERS, send, withApp } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function cpuLoad(): { stop(): void } {
  let running = true;
  const slice = (): void => {
    if (!running) return;
    const end = performance.now() + 200;
    while (performance.now() < end);
    setTimeout(slice, 10);
  };
  setTimeout(slice, 0);
  return { stop: () => void (running = false) };
}

/** Polls `path` until it answers `status`; returns the elapsed ms, or fails after `withinMs`. */
async function until(port: number, path: string, status: number, withinMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const reply = await send(port, path);
    const elapsed = performance.now() - started;
    if (reply.status === status) {
      if (status === 503) assert.equal(reply.headers['retry-after'], '1');
      return elapsed;
    }
    if (elapsed > withinMs) assert.fail(`${path} still answered ${reply.status} after ${elapsed.toFixed(0)} ms`);
    await sleep(50);
  }
}

const yaml = rules(
  adaptive('lag', 'EventLoopDelay', '80ms'),
  // Low: on a busy 2-core host a busy loop may get a fifth of a core; idle polling gets ~1%.
  adaptive('cpu', 'CpuPercentage', '10%'),
  rule('lag', ['/lag'], ['lag']),
  rule('cpu', ['/cpu'], ['cpu']),
);

for (const adapter of ADAPTERS) {
  describe(`AdaptiveOverloadProtectionStrategy on ${adapter.name}`, () => {
    it('EventLoopDelay and CpuPercentage shed with 503 under a CPU-bound load and stop after it', async () => {
      await withApp(adapter, { rules: yaml }, [{ path: '/lag' }, { path: '/cpu' }], async ({ port, engine }) => {
        const events: string[] = [];
        engine.events.on('overload:state', (e) => events.push(`${e.strategy}:${e.shedding ? 'on' : 'off'}`));
        assert.equal((await send(port, '/lag')).status, 200);
        assert.equal((await send(port, '/cpu')).status, 200);
        const load = cpuLoad();
        try {
          await Promise.all([until(port, '/lag', 503, 3_000), until(port, '/cpu', 503, 3_000)]);
        } finally {
          load.stop();
        }
        await Promise.all([until(port, '/lag', 200, 3_000), until(port, '/cpu', 200, 3_000)]);
        for (const name of ['lag', 'cpu']) {
          // one start and one stop; a noisy host may add a flicker in between, never two in a row
          const mine = events.filter((e) => e.startsWith(name));
          assert.equal(mine[0], `${name}:on`);
          assert.equal(mine.at(-1), `${name}:off`);
          assert.ok(mine.every((e, i) => i === 0 || e !== mine[i - 1]), mine.join(' '));
        }
      });
    });

    const closesWithServer = adapter.name.startsWith('fastify'); // the only framework with a close hook
    const shutdown = closesWithServer
      ? 'closing the server closes the engine: no sampling timer is left'
      : 'the sampling timer stops with engine.close()';
    it(shutdown, async () => {
      const clock = countingClock();
      const app = await adapter.start({ rules: yaml, clock, logger: false }, [{ path: '/lag' }]);
      assert.equal((await send(app.port, '/lag')).status, 200);
      assert.equal(clock.live, 1, 'one sampler for both adaptive rules');
      await app.close();
      if (closesWithServer) assert.equal(clock.live, 0);
      await app.engine.close();
      assert.equal(clock.live, 0);
    });
  });
}
