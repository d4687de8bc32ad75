// Full-link gray release (issue 15): gateway (Express) → service (Koa, a base and a gray
// instance) → backend (Fastify, base only), on loopback, with the launch post's
// TrafficLabelRule at the gateway. No handler touches a label header: the request context
// and @opensergo/client carry the lane from hop to hop.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import express from 'express5';
import Koa from 'koa3';
import fastify from 'fastify5';
import axios from 'axios';
import { fetch } from 'undici';
import { opensergo as expressOpenSergo } from '@opensergo/express';
import { opensergo as koaOpenSergo } from '@opensergo/koa';
import { opensergo as fastifyOpenSergo } from '@opensergo/fastify';
import { createAgent, createDispatcher } from '@opensergo/client';
import { send } from './harness.js';

const rulesFile = fileURLToPath(new URL('../examples/opensergo.yaml', import.meta.url));

interface Hop {
  instance: string;
  baggage: string | null;
  next?: Hop;
}

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe('full-link gray release: gateway (Express) → service (Koa base + gray) → backend (Fastify base)', () => {
  const servers: Server[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  let gateway = 0;
  let serviceBasePort = 0;

  before(async () => {
    // backend: Fastify, one base instance, answers who it is and the baggage it received
    const backend = fastify({ logger: false });
    await backend.register(fastifyOpenSergo, { app: 'backend', logger: false });
    backend.get('/data', async (request) => ({ instance: 'backend-base', baggage: request.headers.baggage ?? null }));
    await backend.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => backend.close());
    const backendUrl = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`;

    // service: Koa, a base and a gray instance, each calling the backend with axios (node:http)
    const service = async (name: string, workloadLabels: string[]): Promise<string> => {
      const governance = koaOpenSergo({ app: 'service', workloadLabels, logger: false });
      const httpAgent = createAgent({ engine: governance.engine, instances: { backend: [{ url: backendUrl }] } });
      closers.push(() => httpAgent.close(), () => governance.engine.close());
      const app = new Koa();
      app.use(governance as unknown as Koa.Middleware);
      app.use(async (ctx) => {
        const next = (await axios.get('http://backend/data', { httpAgent, proxy: false })).data as Hop;
        ctx.body = { instance: name, baggage: ctx.get('baggage') || null, next };
      });
      const server = createServer(app.callback());
      servers.push(server);
      return `http://127.0.0.1:${await listen(server)}`;
    };
    const serviceBase = await service('service-base', []);
    serviceBasePort = Number(new URL(serviceBase).port);
    const serviceGray = await service('service-gray', ['gray']);

    // gateway: Express at the edge, with the launch post's rules, calling the service with fetch
    const governance = expressOpenSergo({ rulesFile, app: 'my-app', trustIncomingLabels: false, logger: false });
    const dispatcher = createDispatcher({
      engine: governance.engine,
      instances: { service: [{ url: serviceBase }, { url: serviceGray, labels: ['gray'] }] },
    });
    closers.push(() => dispatcher.close(), () => governance.engine.close());
    const app = express();
    app.use(governance);
    app.get('/index', async (_req, res, next) => {
      try {
        res.json({ instance: 'gateway', next: await (await fetch('http://service/page', { dispatcher })).json() });
      } catch (error) {
        next(error);
      }
    });
    const server = createServer(app);
    servers.push(server);
    gateway = await listen(server);
  });

  after(async () => {
    await Promise.all(servers.map(close));
    for (const closer of closers) await closer();
  });

  const path = async (headers: Record<string, string> = {}): Promise<Hop> => {
    const reply = await send(gateway, '/index', { headers });
    assert.equal(reply.status, 200, reply.body);
    return JSON.parse(reply.body) as Hop;
  };

  it('sends user 12345 on /index through the gray service, and the backend receives the gray baggage', async () => {
    const hops = await path({ 'X-User-Id': '12345' });
    assert.equal(hops.next?.instance, 'service-gray');
    assert.equal(hops.next?.baggage, 'OpenSergo-Label=gray');
    assert.equal(hops.next?.next?.instance, 'backend-base', 'the backend has no gray instance: the base one serves');
    assert.equal(hops.next?.next?.baggage, 'OpenSergo-Label=gray', 'the label travels on past a hop without a gray instance');
  });

  it('keeps every other request on base instances, without labels', async () => {
    for (const headers of [{}, { 'X-User-Id': '54321' }]) {
      for (let i = 0; i < 4; i++) {
        const hops = await path(headers);
        assert.equal(hops.next?.instance, 'service-base');
        assert.equal(hops.next?.baggage, null);
        assert.equal(hops.next?.next?.instance, 'backend-base');
        assert.equal(hops.next?.next?.baggage, null);
      }
    }
  });

  it('does not let a client outside choose its lane at the edge', async () => {
    const hops = await path({ baggage: 'OpenSergo-Label=gray', 'x-opensergo-traffic': 'gray' });
    assert.equal(hops.next?.instance, 'service-base');
    assert.equal(hops.next?.next?.baggage, null);
  });

  it('never passes on an incoming label that is not a token', async () => {
    for (const baggage of ['OpenSergo-Label=gray%0D%0Ax-evil%3A1', `OpenSergo-Label=${'g'.repeat(65)}`, 'OpenSergo-Label=gr%C3%A4y']) {
      const reply = await send(serviceBasePort, '/page', { headers: { baggage } });
      const hops = JSON.parse(reply.body) as Hop;
      assert.equal(hops.next?.baggage, null, baggage);
    }
  });
});
