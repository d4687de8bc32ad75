// ConcurrencyLimitStrategy on every adapter (issue 3): permits held until the response ends,
// the client hangs up or the handler fails, and released exactly once.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { concurrency, rule, rules } from '../packages/core/test/helpers/yaml.js';
import { ADAPTERS, send, withApp, type Reply } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const count = (replies: readonly Reply[], status: number): number => replies.filter((r) => r.status === status).length;

const twoAtOnce = rules(concurrency('two', 2), rule('r', ['/work'], ['two']));
const slowRoute = [{ path: '/work', behaviour: () => ({ delayMs: 300 }) }];

for (const adapter of ADAPTERS) {
  describe(`ConcurrencyLimitStrategy on ${adapter.name}`, () => {
    it('maxConcurrency 2 with a 300 ms handler: of 5 simultaneous requests 2 succeed and 3 get 429', async () => {
      await withApp(adapter, { rules: twoAtOnce }, slowRoute, async ({ port }) => {
        const started = performance.now();
        const pending = Array.from({ length: 5 }, () => send(port, '/work').then((r) => ({ r, at: performance.now() - started })));
        const replies = await Promise.all(pending);
        assert.equal(count(replies.map((x) => x.r), 200), 2);
        const refused = replies.filter((x) => x.r.status === 429);
        assert.equal(refused.length, 3);
        const firstServed = Math.min(...replies.filter((x) => x.r.status === 200).map((x) => x.at));
        for (const { r, at } of refused) {
          assert.equal(r.headers['retry-after'], '1');
          assert.ok(at < firstServed, `refused at once (${at.toFixed(0)} ms), not after a handler (${firstServed.toFixed(0)} ms)`);
        }
      });
    });

    it('when 2 clients hang up after 50 ms, 2 new requests are admitted at once', async () => {
      await withApp(adapter, { rules: twoAtOnce }, slowRoute, async ({ port }) => {
        const hungUp = [send(port, '/work', { abortAfterMs: 50 }), send(port, '/work', { abortAfterMs: 50 })];
        await Promise.all(hungUp);
        await sleep(80); // the server sees the connections close (the handlers run until ~300 ms)
        const started = performance.now();
        const next = await Promise.all([send(port, '/work'), send(port, '/work'), send(port, '/work')]);
        assert.equal(count(next, 200), 2, 'the abandoned handlers (still running) hold no permit');
        assert.equal(count(next, 429), 1, 'and exactly two were freed');
        assert.ok(performance.now() - started < 1_500, 'admitted without waiting for the abandoned handlers');
      });
    });

    it('a client that pipelines 2 requests and hangs up frees both permits, the queued response included', async () => {
      await withApp(adapter, { rules: twoAtOnce }, slowRoute, async ({ port }) => {
        // Both are admitted at once; the second's response waits behind the first's, and Node
        // never emits 'close' on such a queued response when the connection goes.
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        socket.write('GET /work HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(2));
        await sleep(50);
        socket.destroy();
        await sleep(80); // the server sees the connection close (the handlers run until ~300 ms)
        const next = await Promise.all([send(port, '/work'), send(port, '/work'), send(port, '/work')]);
        assert.equal(count(next, 200), 2, `both pipelined requests gave their permits back: ${next.map((r) => r.status).join(',')}`);
        assert.equal(count(next, 429), 1, 'and exactly two were freed');
      });
    });

    it('after abandoned, failing and finished requests every permit is free again', async () => {
      const yaml = rules(concurrency('three', 3), rule('r', ['/c/**'], ['three']));
      const routes = [
        { path: '/c/ok', behaviour: () => ({ delayMs: 20 }) },
        { path: '/c/fail', behaviour: () => ({ delayMs: 20, throws: true }) },
        { path: '/c/error', behaviour: () => ({ delayMs: 20, status: 500 }) },
        { path: '/c/hang', behaviour: () => ({ delayMs: 150 }) },
        { path: '/c/slow', behaviour: () => ({ delayMs: 200 }) },
      ];
      await withApp(adapter, { rules: yaml }, routes, async ({ port }) => {
        for (let round = 0; round < 8; round++) {
          const replies = await Promise.all([
            send(port, '/c/hang', { abortAfterMs: 30 }),
            send(port, '/c/fail'),
            round % 2 ? send(port, '/c/ok') : send(port, '/c/error'),
          ]);
          assert.equal(count(replies, 429), 0, `round ${round}: ${replies.map((r) => r.status).join(',')}`);
          await sleep(30); // let the server see the hung-up connection close
        }
        const last = await Promise.all([send(port, '/c/slow'), send(port, '/c/slow'), send(port, '/c/slow'), send(port, '/c/slow')]);
        assert.equal(count(last, 200), 3, 'three permits free');
        assert.equal(count(last, 429), 1, 'and no more: none was released twice');
      });
    });
  });
}
