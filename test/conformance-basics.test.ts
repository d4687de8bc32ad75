// Behaviour every adapter must share: default fallbacks, start-up failure on bad rules,
// label propagation, method and parameter targets (issue 2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, isOpenSergoError } from '@opensergo/core';
import { limitedTarget } from '../packages/core/test/helpers/rate-limit-rules.js';
import { ADAPTERS, echoed, send, withApp } from './harness.js';

const limit = (target: string, threshold: number): string => limitedTarget('limit', target, threshold, '10s');

const BROKEN = `
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: RateLimitStrategyy
metadata: { name: typo }
spec: {}
---
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: RateLimitStrategy
metadata: { name: limit }
spec:
  metricType: RequestAmount
  limitMode: Local
  threshold: ten
  statDuration: 1s
---
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: FaultToleranceRule
metadata: { name: rule }
spec:
  targets: [{ targetResourceName: /foo }]
  strategies: [{ name: does-not-exist }]
`;

for (const adapter of ADAPTERS) {
  describe(`basics on ${adapter.name}`, () => {
    it('answers 429 with Retry-After when a rule has no fallbackAction', async () => {
      const clock = new FakeClock();
      await withApp(adapter, { rules: limit('/foo', 1), clock }, [{ path: '/foo' }], async ({ port }) => {
        assert.equal((await send(port, '/foo')).status, 200);
        clock.advance(2_500);
        const blocked = await send(port, '/foo');
        assert.equal(blocked.status, 429);
        assert.equal(blocked.headers['retry-after'], '8', 'the admission leaves the 10 s window 7.5 s from now');
        assert.match(String(blocked.headers['content-type']), /^text\/plain; charset=utf-8/);
      });
    });

    it('refuses to start with invalid rules, naming every problem', async () => {
      await assert.rejects(
        adapter.start({ rules: BROKEN, logger: false }, []),
        (error: unknown) => {
          assert.ok(isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID'), "isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID')");
          assert.equal(error.problems.length, 3, error.message);
          assert.match(error.message, /inline:3:\d+ .*RateLimitStrategyy/);
          assert.match(error.message, /inline:13:\d+ .*threshold/);
          assert.match(error.message, /inline:21:\d+ .*does-not-exist/);
          return true;
        },
      );
    });

    it('refuses to start with trustIncomingLabels: "false", naming the option', async () => {
      await assert.rejects(
        adapter.start({ trustIncomingLabels: 'false', logger: false } as never, []),
        (error: unknown) => isOpenSergoError(error, 'ERR_OPENSERGO_OPTIONS_INVALID') && /`trustIncomingLabels` must be true or false/.test(error.message),
      );
    });

    it('guards only the method a METHOD: target names, plus HEAD for GET', async () => {
      const clock = new FakeClock();
      const routes = [{ path: '/items/:id' }, { path: '/items/:id', method: 'POST' as const }];
      await withApp(adapter, { rules: limit('GET:/items/{id}', 2), clock }, routes, async ({ port }) => {
        assert.equal((await send(port, '/items/1')).status, 200);
        assert.equal(echoed(await send(port, '/items/2'))?.resource, 'GET:/items/{id}');
        assert.equal((await send(port, '/items/3', { method: 'HEAD' })).status, 429);
        assert.equal((await send(port, '/items/4')).status, 429);
        assert.equal((await send(port, '/items/1', { method: 'POST' })).status, 200);
      });
    });

    it('keeps labels a request arrives with, and drops them at the edge', async () => {
      const baggage = { baggage: 'userId=1,OpenSergo-Label=canary' };
      await withApp(adapter, {}, [{ path: '/x' }], async ({ port }) => {
        assert.equal(echoed(await send(port, '/x', { headers: baggage }))?.trafficLabel, 'canary');
        const viaHeader = echoed(await send(port, '/x', { headers: { 'x-opensergo-traffic': 'blue' } }));
        assert.deepEqual(viaHeader?.trafficLabels, ['blue']);
      });
      await withApp(adapter, { trustIncomingLabels: false }, [{ path: '/x' }], async ({ port }) => {
        assert.equal(echoed(await send(port, '/x', { headers: baggage }))?.trafficLabel, undefined);
      });
    });

    it('governs a WebSocket handshake no `upgrade` listener takes like any other request', async () => {
      // Node hands an Upgrade request to the app when the server has no 'upgrade' listener
      // (with one, ws's, it never reaches the middleware: docs/rules.md).
      const handshake = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
      await withApp(adapter, { rules: limit('/ws', 0) }, [{ path: '/ws' }, { path: '/home' }], async ({ port }) => {
        assert.equal((await send(port, '/ws', { headers: handshake })).status, 429);
        assert.equal((await send(port, '/home', { headers: handshake })).status, 200);
      });
    });

    it('blocks everything with threshold 0, and leaves unrelated paths alone', async () => {
      await withApp(adapter, { rules: limit('/api/**', 0) }, [{ path: '/api/a/b' }, { path: '/home' }], async ({ port }) => {
        assert.equal((await send(port, '/api/a/b')).status, 429);
        assert.equal((await send(port, '/api')).status, 429);
        assert.equal((await send(port, '/home')).status, 200);
      });
    });
  });
}
