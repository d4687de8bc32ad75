// The request context through AsyncLocalStorage (issue 15, item 1): `currentContext()` from core
// returns the governed request's context anywhere below the handler, identically on every
// adapter — after awaits, in timers, in callbacks of streams the handler made, and when the
// handler runs from the request body's own events (callback-style body parsing).
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { currentContext, type RequestContext } from '@opensergo/core';
import { ADAPTERS, send, withApp, type Behaviour } from './harness.js';

const RULES = `
apiVersion: traffic.opensergo.io/v1alpha1
kind: TrafficLabelRule
metadata: { name: gray }
spec:
  trafficLabel: gray
  match: [{ type: header, key: x-user-id, condition: "==", value: 12345 }]
---
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: RateLimitStrategy
metadata: { name: generous }
spec: { metricType: RequestAmount, limitMode: Local, threshold: 1000000, statDuration: 1s }
---
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: FaultToleranceRule
metadata: { name: limited }
spec:
  targets: [{ targetResourceName: '/ctx/limited/{id}' }]
  strategies: [{ name: generous }]
`;

const seen = (): Behaviour => ({ body: currentContext() ?? null });
const later = <T>(fn: () => T, ms = 5): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(fn()), ms));

const routes = [
  { path: '/ctx/echo' },
  { path: '/ctx/sync', behaviour: seen },
  { path: '/ctx/limited/:id', behaviour: seen },
  { path: '/ctx/await', behaviour: async () => (await later(() => 0), await Promise.resolve(), seen()) },
  { path: '/ctx/timer', behaviour: () => later(seen) },
  {
    path: '/ctx/stream',
    behaviour: () =>
      new Promise<Behaviour>((resolve) => {
        const stream = Readable.from(['a', 'b']);
        let last: RequestContext | undefined;
        stream.on('data', () => (last = currentContext()));
        stream.on('end', () => setImmediate(() => resolve({ body: { data: last ?? null, end: currentContext() ?? null } })));
      }),
  },
  { method: 'POST' as const, path: '/ctx/body', readsBody: true, behaviour: seen },
];

const GRAY = { 'x-user-id': '12345' };

for (const adapter of ADAPTERS) {
  describe(`currentContext() on ${adapter.name}`, () => {
    it('is the request context in the handler, after awaits and in timers', async () => {
      await withApp(adapter, { rules: RULES, requestContext: true }, routes, async ({ port }) => {
        for (const path of ['/ctx/sync', '/ctx/await', '/ctx/timer']) {
          const gray = JSON.parse((await send(port, path, { headers: GRAY })).body) as RequestContext;
          assert.deepEqual(gray, { resource: path, trafficLabel: 'gray', trafficLabels: ['gray'] }, path);
          const base = JSON.parse((await send(port, path)).body) as RequestContext;
          assert.deepEqual(base, { resource: path, trafficLabels: [] }, path);
        }
        const limited = JSON.parse((await send(port, '/ctx/limited/7', { headers: GRAY })).body) as RequestContext;
        assert.equal(limited.resource, '/ctx/limited/{id}');
        assert.equal(limited.trafficLabel, 'gray');
      });
    });

    it('is there in callbacks of a stream the handler made', async () => {
      await withApp(adapter, { rules: RULES, requestContext: true }, routes, async ({ port }) => {
        const body = JSON.parse((await send(port, '/ctx/stream', { headers: GRAY })).body) as Record<string, RequestContext>;
        assert.equal(body['data']?.trafficLabel, 'gray');
        assert.equal(body['end']?.trafficLabel, 'gray');
      });
    });

    it('is there when the handler runs from the request body events, and each request sees its own', async () => {
      await withApp(adapter, { rules: RULES, requestContext: true }, routes, async ({ port }) => {
        const headers = { 'content-type': 'text/plain' };
        // Concurrent requests on several connections, gray and base interleaved.
        const replies = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            send(port, '/ctx/body', { method: 'POST', body: 'x'.repeat(100 + i), headers: i % 2 ? { ...headers, ...GRAY } : headers }),
          ),
        );
        replies.forEach((reply, i) => {
          const context = JSON.parse(reply.body) as RequestContext | null;
          assert.equal(context?.resource, '/ctx/body', `request ${i}`);
          assert.equal(context?.trafficLabel, i % 2 ? 'gray' : undefined, `request ${i}`);
        });
      });
    });

    it('is undefined outside a request', () => {
      assert.equal(currentContext(), undefined);
    });
  });
}

// Labels arriving from outside must be tokens (SPEC §7): anything else never reaches a handler.
const UNTOKENS: [string, Record<string, string>][] = [
  ['CR/LF (percent-encoded in baggage)', { baggage: 'OpenSergo-Label=gray%0D%0Ax-evil%3A%201' }],
  ['non-ASCII', { baggage: 'OpenSergo-Label=gr%C3%A4y' }],
  ['longer than 64 bytes', { 'x-opensergo-traffic': 'g'.repeat(65) }],
  ['a space inside', { 'x-opensergo-traffic': 'gray lane' }],
];

for (const adapter of ADAPTERS) {
  describe(`incoming labels on ${adapter.name}`, () => {
    it('drops labels that are not tokens, and keeps at most 8', async () => {
      await withApp(adapter, { rules: RULES }, routes, async ({ port }) => {
        for (const [what, headers] of UNTOKENS) {
          const context = JSON.parse((await send(port, '/ctx/echo', { headers })).body) as { opensergo: RequestContext };
          assert.deepEqual(context.opensergo.trafficLabels, [], what);
        }
        const nine = Array.from({ length: 9 }, (_, i) => `l${i}`).join(',');
        const many = JSON.parse((await send(port, '/ctx/echo', { headers: { 'x-opensergo-traffic': `${nine},bad label` } })).body) as { opensergo: RequestContext };
        assert.deepEqual(many.opensergo.trafficLabels, ['l0', 'l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7']);
      });
    });
  });
}
