// ThrottlingStrategy on every adapter (issue 3): a burst is smoothed into a queue of requests
// spaced minIntervalOfRequests apart; what would wait beyond queueTimeout is refused at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concurrency, rule, rules, throttling } from '../packages/core/test/helpers/yaml.js';
import { ADAPTERS, send, withApp } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

for (const adapter of ADAPTERS) {
  describe(`ThrottlingStrategy on ${adapter.name}`, () => {
    it('minIntervalOfRequests 100ms, queueTimeout 250ms: of 6 simultaneous, 3 are served ~100 ms apart and 3 refused at once', async () => {
      const handledAt: number[] = [];
      const routes = [{ path: '/smooth', behaviour: () => (handledAt.push(performance.now()), {}) }];
      const yaml = rules(throttling('t', '100ms', '250ms'), rule('r', ['/smooth'], ['t']));
      await withApp(adapter, { rules: yaml }, routes, async ({ port }) => {
        const started = performance.now();
        const replies = await Promise.all(
          Array.from({ length: 6 }, () => send(port, '/smooth').then((reply) => ({ reply, at: performance.now() - started }))),
        );
        const served = replies.filter((x) => x.reply.status === 200);
        const refused = replies.filter((x) => x.reply.status === 429);
        assert.equal(served.length, 3);
        assert.equal(refused.length, 3);
        const lastServed = Math.max(...served.map((x) => x.at));
        for (const { reply, at } of refused) {
          assert.equal(reply.headers['retry-after'], '1');
          assert.ok(at < lastServed - 100, `refused at once (${at.toFixed(0)} ms), not after queueing`);
        }
        // The k-th admission is 100·k ms after the first arrival, itself after `started`; a busy
        // host can only delay a handler further, so bound each start from `started`, not from
        // the previous handler.
        assert.equal(handledAt.length, 3);
        handledAt.forEach((at, k) => {
          const after = at - started;
          assert.ok(after >= 100 * k - 1 && after < 100 * k + 400, `handler ${k} started ${after.toFixed(1)} ms after the burst`);
        });
      });
    });

    it('a client that hangs up while queued does not keep a concurrency permit', async () => {
      const routes = [{ path: '/q' }];
      const yaml = rules(concurrency('one', 1), throttling('t', '150ms', '1s'), rule('r', ['/q'], ['t', 'one']));
      await withApp(adapter, { rules: yaml }, routes, async ({ port }) => {
        assert.equal((await send(port, '/q')).status, 200);
        await send(port, '/q', { abortAfterMs: 30 }); // queued until ~150 ms, holding the permit
        await sleep(250);
        assert.equal((await send(port, '/q')).status, 200, 'the permit came back when it was admitted');
      });
    });
  });
}
