// ThrottlingStrategy on every adapter (issue 3): a burst is smoothed into a queue of requests
// spaced minIntervalOfRequests apart; what would wait beyond queueTimeout is refused at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concurrency, rule, rules, throttling } from '../packages/core/test/helpers/yaml.js';
import { FakeClock } from '@opensergo/core';
import { ADAPTERS, send, withApp, type Reply } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

for (const adapter of ADAPTERS) {
  describe(`ThrottlingStrategy on ${adapter.name}`, () => {
    it('minIntervalOfRequests 100ms, queueTimeout 250ms: of 6 simultaneous, 3 are served 100 ms apart and 3 refused at once', async () => {
      // A fake clock that stands still until the test moves it: the six requests arrive at the
      // same instant however slowly this machine delivers them, so the assertions below hold
      // on a loaded machine too (arrival order decides only which three are refused).
      const clock = new FakeClock();
      const handledAt: number[] = [];
      const routes = [{ path: '/smooth', behaviour: () => (handledAt.push(clock.now()), {}) }];
      const yaml = rules(throttling('t', '100ms', '250ms'), rule('r', ['/smooth'], ['t']));
      await withApp(adapter, { rules: yaml, clock }, routes, async ({ port }) => {
        const replies: Reply[] = [];
        const waiting: { count: number; resolve: () => void }[] = [];
        const arrived = (count: number): Promise<void> =>
          new Promise((resolve) => (replies.length >= count ? resolve() : waiting.push({ count, resolve })));
        for (let i = 0; i < 6; i++) {
          void send(port, '/smooth').then((reply) => {
            replies.push(reply);
            for (const w of waiting) if (replies.length === w.count) w.resolve();
          });
        }
        // One is served at once, two wait in the queue (slots at 100 and 200 ms), three would
        // wait beyond 250 ms: four replies means all six were decided.
        await arrived(4);
        assert.deepEqual(replies.map((r) => r.status).sort(), [200, 429, 429, 429]);
        for (const reply of replies.filter((r) => r.status === 429)) assert.equal(reply.headers['retry-after'], '1');
        assert.deepEqual(handledAt, [0], 'the queued two are not served before their slots');
        clock.advance(100);
        await arrived(5);
        assert.equal(replies[4]!.status, 200);
        clock.advance(100);
        await arrived(6);
        assert.equal(replies[5]!.status, 200);
        assert.deepEqual(handledAt, [0, 100, 200]);
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
