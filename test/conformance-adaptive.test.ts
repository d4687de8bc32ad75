// AdaptiveOverloadProtectionStrategy on every adapter (issue 3): under a CPU-bound load a rule
// with a low threshold sheds with 503, and stops once the load stops.
// The load is a busy loop in this process (the server's own event loop), in 600 ms slices.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { countingClock } from '../packages/core/test/helpers/counting-clock.js';
import { adaptive, rule, rules } from '../packages/core/test/helpers/yaml.js';
import { ADAPTERS, send, withApp } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A CPU-bound load. The event loop is really blocked (EventLoopDelay sees that on any host),
 * but how much CPU a busy loop gets is the scheduler's to give: a tenth of a core on a loaded
 * host, below any threshold a test could choose. So while the load runs, process.cpuUsage
 * also counts its wall time as 90% of a core; the probe, the sampler, the guard and the
 * adapter run as in production (the probe is checked against the real process.cpuUsage in
 * core's system-metrics tests). `restore()` puts process.cpuUsage back.
 */
function cpuLoad(): { stop(): void; restore(): void } {
  let running = true;
  const startedAt = performance.now();
  let stoppedAt: number | undefined;
  const real = process.cpuUsage.bind(process);
  const addedUs = (): number => 900 * ((stoppedAt ?? performance.now()) - startedAt);
  const cpuUsage = mock.method(process, 'cpuUsage', (previous?: NodeJS.CpuUsage): NodeJS.CpuUsage => {
    const now = real();
    const user = now.user + addedUs();
    return previous === undefined ? { user, system: now.system } : { user: user - previous.user, system: now.system - previous.system };
  });
  const slice = (): void => {
    if (!running) return;
    const end = performance.now() + 600;
    while (performance.now() < end);
    setTimeout(slice, 10);
  };
  setTimeout(slice, 0);
  return {
    stop: () => {
      running = false;
      stoppedAt = performance.now();
    },
    restore: () => cpuUsage.mock.restore(),
  };
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
  // Between the load's 600 ms slices and what a loaded host's scheduling adds to an idle loop.
  adaptive('lag', 'EventLoopDelay', '300ms'),
  // Between the load's 90% (cpuLoad) and idle polling's ~1%.
  adaptive('cpu', 'CpuPercentage', '50%'),
  rule('lag', ['/lag'], ['lag']),
  rule('cpu', ['/cpu'], ['cpu']),
);

for (const adapter of ADAPTERS) {
  describe(`AdaptiveOverloadProtectionStrategy on ${adapter.name}`, () => {
    it('EventLoopDelay and CpuPercentage shed with 503 under a CPU-bound load and stop after it', async () => {
      await withApp(adapter, { rules: yaml }, [{ path: '/lag' }, { path: '/cpu' }], async ({ port, engine }) => {
        // Not shedding before the load (a loaded host may delay a first sample's loop a while).
        await Promise.all([until(port, '/lag', 200, 30_000), until(port, '/cpu', 200, 30_000)]);
        const events: string[] = [];
        engine.events.on('overload:state', (e) => events.push(`${e.strategy}:${e.shedding ? 'on' : 'off'}`));
        const load = cpuLoad();
        try {
          // Bounds on a hang, not speed checks: a sample comes every 500 ms.
          try {
            await Promise.all([until(port, '/lag', 503, 30_000), until(port, '/cpu', 503, 30_000)]);
          } finally {
            load.stop();
          }
          await Promise.all([until(port, '/lag', 200, 30_000), until(port, '/cpu', 200, 30_000)]);
        } finally {
          load.restore();
        }
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
