// Per-client limits (issue 17) on every adapter: "5 per minute for each client", told apart by
// X-Forwarded-For behind a trusted proxy, by real loopback source addresses, by IPv6 network
// and by an API key header. A fake clock that stands still: every window is the same minute.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express4 from 'express4';
import express5 from 'express5';
import { FakeClock, type OpenSergoOptions } from '@opensergo/core';
import type { AddressInfo } from 'node:net';
import Koa2 from 'koa2';
import Koa3 from 'koa3';
import fastify4 from 'fastify4';
import fastify5 from 'fastify5';
import { opensergo } from '@opensergo/express';
import { opensergo as koaOpenSergo } from '@opensergo/koa';
import { opensergo as fastifyOpenSergo } from '@opensergo/fastify';
import { ADAPTERS, send, serve, withApp } from './harness.js';

const FT = 'fault-tolerance.opensergo.io/v1alpha1';
const routes = [{ path: '/api/items' }];

function perClient(limitBy: string, extra = ''): string {
  return `apiVersion: ${FT}
kind: RateLimitStrategy
metadata: { name: five-per-client }
spec: { metricType: RequestAmount, limitMode: Local, threshold: 5, statDuration: 1m, limitBy: ${limitBy}${extra} }
---
apiVersion: ${FT}
kind: FaultToleranceRule
metadata: { name: api }
spec: { targets: [{ targetResourceName: '/api/**' }], strategies: [{ name: five-per-client }] }`;
}

/** Statuses of `n` requests sent one after another. */
async function statuses(port: number, n: number, options: Parameters<typeof send>[2] = {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send(port, '/api/items', options)).status);
  return out;
}

const FIVE_THEN_REFUSED = [200, 200, 200, 200, 200, 429];
const options = (rules: string, extra: OpenSergoOptions = {}): OpenSergoOptions => ({ rules, clock: new FakeClock(), ...extra });

for (const adapter of ADAPTERS) {
  describe(`per-client limits on ${adapter.name}`, () => {
    it('behind trustProxy: 1, client A is refused at its 6th request while B and C each still get 5', async () => {
      await withApp(adapter, options(perClient('{ type: clientIp }'), { trustProxy: 1 }), routes, async ({ port }) => {
        const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });
        assert.deepEqual(await statuses(port, 6, from('203.0.113.1')), FIVE_THEN_REFUSED);
        const refused = await send(port, '/api/items', from('203.0.113.1'));
        assert.equal(refused.headers['retry-after'], '60', "Retry-After is for client A's own window");
        assert.deepEqual(await statuses(port, 6, from('203.0.113.2')), FIVE_THEN_REFUSED);
        // A second proxy hop written by the client itself is not believed: C is the rightmost address.
        assert.deepEqual(await statuses(port, 6, from('198.51.100.7, 203.0.113.3')), FIVE_THEN_REFUSED);
      });
    });

    it('behind trustProxy: 1, a Forwarded header the client writes on every request is not read: one client', async () => {
      await withApp(adapter, options(perClient('{ type: clientIp }'), { trustProxy: 1 }), routes, async ({ port }) => {
        const replies: number[] = [];
        // The proxy appends the client's real address to X-Forwarded-For; Forwarded is the client's.
        for (let i = 0; i < 6; i++) replies.push((await send(port, '/api/items', { headers: { 'x-forwarded-for': '203.0.113.1', forwarded: `for=198.51.100.${i}` } })).status);
        assert.deepEqual(replies, FIVE_THEN_REFUSED);
      });
    });

    it('without trustProxy, real source addresses 127.0.0.2 and 127.0.0.3 are two clients', async () => {
      await withApp(adapter, options(perClient('{ type: clientIp }')), routes, async ({ port }) => {
        assert.deepEqual(await statuses(port, 6, { localAddress: '127.0.0.2' }), FIVE_THEN_REFUSED);
        assert.deepEqual(await statuses(port, 6, { localAddress: '127.0.0.3' }), FIVE_THEN_REFUSED);
      });
    });

    it('without trustProxy, a client sending a random X-Forwarded-For on every request is still one client', async () => {
      await withApp(adapter, options(perClient('{ type: clientIp }')), routes, async ({ port }) => {
        const replies: number[] = [];
        for (let i = 0; i < 6; i++) {
          const forged = `${(i * 37) % 256}.${(i * 91) % 256}.1.${i}`;
          replies.push((await send(port, '/api/items', { headers: { 'x-forwarded-for': forged, forwarded: `for=${forged}` } })).status);
        }
        assert.deepEqual(replies, FIVE_THEN_REFUSED);
      });
    });

    it('IPv6 clients in one /56 share a budget; ::ffff:1.2.3.4 and 1.2.3.4 are one client', async () => {
      await withApp(adapter, options(perClient('{ type: clientIp }'), { trustProxy: 'loopback', forwardedHeader: 'forwarded' }), routes, async ({ port }) => {
        const from = (address: string) => ({ headers: { forwarded: `for="[${address}]:4711"` } });
        assert.deepEqual([...(await statuses(port, 3, from('2001:db8:0:1a0::1'))), ...(await statuses(port, 3, from('2001:db8:0:1ff:abcd::2')))], FIVE_THEN_REFUSED);
        assert.deepEqual(await statuses(port, 6, from('2001:db8:0:200::1')), FIVE_THEN_REFUSED, 'the next /56 is another client');
        const v4 = (address: string) => ({ headers: { forwarded: address.includes(':') ? `for="[${address}]"` : `for=${address}` } });
        assert.deepEqual([...(await statuses(port, 3, v4('::ffff:1.2.3.4'))), ...(await statuses(port, 3, v4('1.2.3.4')))], FIVE_THEN_REFUSED);
      });
    });

    it('limitBy header X-API-Key with an override: internal gets 1,000, others 5, requests without it share one budget', async () => {
      const rules = perClient('{ type: header, key: X-API-Key }', ', limitByOverrides: [{ value: internal, threshold: 1000 }]');
      await withApp(adapter, options(rules), routes, async ({ port }) => {
        const key = (value: string) => ({ headers: { 'x-api-key': value } });
        const internal = await statuses(port, 12, key('internal'));
        assert.ok(internal.every((s) => s === 200), 'the internal key is far from its 1,000');
        assert.deepEqual(await statuses(port, 6, key('partner-1')), FIVE_THEN_REFUSED);
        assert.deepEqual(await statuses(port, 6, key('partner-2')), FIVE_THEN_REFUSED);
        const anonymous = [...(await statuses(port, 3, { localAddress: '127.0.0.2' })), ...(await statuses(port, 3, { localAddress: '127.0.0.3' }))];
        assert.deepEqual(anonymous, FIVE_THEN_REFUSED, 'requests without the header share one budget');
      });
    });

    it('limitBy trafficLabel trusts the label a caller sends unless trustIncomingLabels is false: at the edge, a new label on each request is no new budget', async () => {
      const rules = `apiVersion: traffic.opensergo.io/v1alpha1
kind: TrafficLabelRule
metadata: { name: free }
spec: { trafficLabel: free, match: [{ type: header, key: x-plan, condition: "==", value: free }] }
---
${perClient('{ type: trafficLabel }')}`;
      for (const [trustIncomingLabels, passed] of [
        [true, 10],
        [false, 5],
      ] as const) {
        await withApp(adapter, options(rules, { trustIncomingLabels }), routes, async ({ port }) => {
          const replies: number[] = [];
          for (let i = 0; i < 10; i++) replies.push((await send(port, '/api/items', { headers: { 'x-plan': 'free', 'x-opensergo-traffic': `lane-${i}` } })).status);
          assert.equal(replies.filter((s) => s === 200).length, passed, `trustIncomingLabels: ${trustIncomingLabels}`);
        });
      }
    });
  });
}

describe("the framework's own proxy setting: per-client limits count the client req.ip / ctx.ip / request.ip names, unless trustProxy is given", () => {
  /** Passed requests of two clients behind one proxy hop, six each. */
  async function twoClients(port: number): Promise<number> {
    const a = await statuses(port, 6, { headers: { 'x-forwarded-for': '203.0.113.1' } });
    const b = await statuses(port, 6, { headers: { 'x-forwarded-for': '198.51.100.7, 203.0.113.2' } });
    return [...a, ...b].filter((s) => s === 200).length;
  }
  /**
   * Passed requests of two clients whose proxy writes each address with the connection's source
   * port (as Azure Application Gateway does: `203.0.113.1:40001`, `[2001:db8::1]:40001`), ten
   * requests each, from a new port every time: the port is no part of the client.
   */
  async function portedClients(port: number): Promise<number[]> {
    const passed: number[] = [];
    for (const address of ['203.0.113.1', '[2001:db8::1]']) {
      const replies: number[] = [];
      for (let i = 0; i < 10; i++) replies.push((await send(port, '/api/items', { headers: { 'x-forwarded-for': `${address}:${40_001 + i}` } })).status);
      passed.push(replies.filter((s) => s === 200).length);
    }
    return passed;
  }
  const cases = [{}, { trustProxy: false }] as const;
  const expected = (extra: OpenSergoOptions): number => (extra.trustProxy === false ? 5 : 10);

  for (const [name, express] of [
    ['express4', express4],
    ['express5', express5],
  ] as const) {
    it(`${name}: app.set('trust proxy', 1)`, async () => {
      for (const extra of cases) {
        const app = express();
        app.set('trust proxy', 1);
        const governance = opensergo({ rules: perClient('{ type: clientIp }'), clock: new FakeClock(), logger: false, ...extra });
        app.use(governance);
        app.get('/api/items', (_req, res) => void res.send('ok'));
        await serve(app, async (port) => assert.equal(await twoClients(port), expected(extra), JSON.stringify(extra))).finally(() => governance.engine.close());
      }
    });

    it(`${name}: app.set('trust proxy', 1), behind a proxy that writes ports`, async () => {
      const app = express();
      app.set('trust proxy', 1);
      const governance = opensergo({ rules: perClient('{ type: clientIp }'), clock: new FakeClock(), logger: false });
      app.use(governance);
      app.get('/api/items', (_req, res) => void res.send('ok'));
      await serve(app, async (port) => assert.deepEqual(await portedClients(port), [5, 5])).finally(() => governance.engine.close());
    });
  }

  for (const [name, Koa] of [
    ['koa2', Koa2 as unknown as typeof Koa3],
    ['koa3', Koa3],
  ] as const) {
    it(`${name}: app.proxy = true with maxIpsCount 1`, async () => {
      for (const extra of cases) {
        const app = new Koa({ proxy: true, maxIpsCount: 1 });
        const governance = koaOpenSergo({ rules: perClient('{ type: clientIp }'), clock: new FakeClock(), logger: false, ...extra });
        app.use(governance);
        app.use((ctx) => void (ctx.body = 'ok'));
        await serve(app.callback(), async (port) => assert.equal(await twoClients(port), expected(extra), JSON.stringify(extra))).finally(() => governance.engine.close());
      }
    });

    it(`${name}: app.proxy = true with maxIpsCount 1, behind a proxy that writes ports`, async () => {
      const app = new Koa({ proxy: true, maxIpsCount: 1 });
      const governance = koaOpenSergo({ rules: perClient('{ type: clientIp }'), clock: new FakeClock(), logger: false });
      app.use(governance);
      app.use((ctx) => void (ctx.body = 'ok'));
      await serve(app.callback(), async (port) => assert.deepEqual(await portedClients(port), [5, 5])).finally(() => governance.engine.close());
    });
  }

  for (const [name, fastify] of [
    ['fastify4', fastify4 as unknown as typeof fastify5],
    ['fastify5', fastify5],
  ] as const) {
    it(`${name}: trustProxy: '127.0.0.1', for routes of an encapsulated plugin`, async () => {
      for (const extra of cases) {
        // A CIDR, not a hop count: Fastify 5.12 ignores forwarding headers under a hop count.
        const app = fastify({ trustProxy: '127.0.0.1' });
        await app.register(fastifyOpenSergo, { rules: perClient('{ type: clientIp }'), clock: new FakeClock(), logger: false, ...extra });
        await app.register(async (child) => void child.get('/api/items', async () => 'ok'));
        await app.listen({ port: 0, host: '127.0.0.1' });
        try {
          assert.equal(await twoClients((app.server.address() as AddressInfo).port), expected(extra), JSON.stringify(extra));
        } finally {
          await app.close();
        }
      }
    });

    it(`${name}: trustProxy: '127.0.0.1', behind a proxy that writes ports`, async () => {
      const app = fastify({ trustProxy: '127.0.0.1' });
      await app.register(fastifyOpenSergo, { rules: perClient('{ type: clientIp }'), clock: new FakeClock(), logger: false });
      app.get('/api/items', async () => 'ok');
      await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        assert.deepEqual(await portedClients((app.server.address() as AddressInfo).port), [5, 5]);
      } finally {
        await app.close();
      }
    });
  }
});
