// The dashboard mounted on Koa and Fastify: the page, and the first frames of its event stream.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import Koa from 'koa';
import Fastify from 'fastify';
import { createEngine, requestView, type Engine } from '@opensergo/core';
import { dashboard, fastifyDashboard, koaDashboard } from '@opensergo/dashboard';

const RULES = `
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: RateLimitStrategy
metadata: { name: one }
spec: { metricType: RequestAmount, limitMode: Local, threshold: 1, statDuration: 1s }
---
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: FaultToleranceRule
metadata: { name: r }
spec: { targets: [{ targetResourceName: /foo }], strategies: [{ name: one }] }
`;

/** The page, then the `history` and first `snapshot` frames of the event stream. */
async function check(base: string, engine: Engine): Promise<void> {
  engine.enter(requestView('GET', '/foo', {}));
  engine.enter(requestView('GET', '/foo', {}));
  const html = await fetch(`${base}/opensergo`);
  assert.equal(html.status, 200);
  assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(await html.text(), /new EventSource\(location\.pathname\b/, 'the stream is found under the address the page was loaded from');
  const controller = new AbortController();
  const events = await fetch(`${base}/opensergo/events`, { signal: controller.signal });
  assert.match(events.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = events.body!.getReader();
  let text = '';
  while (!text.includes('event: snapshot')) text += new TextDecoder().decode((await reader.read()).value);
  controller.abort();
  const data = /event: snapshot\ndata: (.*)\n/.exec(text)![1]!;
  const snapshot = JSON.parse(data) as { resources: { resource: string; passed: number; blocked: number }[] };
  assert.deepEqual(snapshot.resources.map(({ resource, passed, blocked }) => ({ resource, passed, blocked })), [{ resource: '/foo', passed: 1, blocked: 1 }]);
  assert.equal((await fetch(`${base}/other`)).status, 404);
}

describe('dashboard on Koa and Fastify', () => {
  it('is Koa middleware that answers its own paths only', async () => {
    const engine = createEngine({ rules: RULES, logger: false });
    const app = new Koa();
    app.use(koaDashboard(engine));
    const server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await check(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, engine);
    } finally {
      server.closeAllConnections();
      server.close();
      await engine.close();
    }
  });

  it('mounts on Fastify', async () => {
    const engine = createEngine({ rules: RULES, logger: false });
    const app = Fastify();
    fastifyDashboard(app, engine);
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await check(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, engine);
    } finally {
      app.server.closeAllConnections();
      await app.close();
      await engine.close();
    }
  });

  it('gives a page opened later the rates sampled since a page first opened', async () => {
    const engine = createEngine({ rules: RULES, logger: false });
    const handler = dashboard(engine, { intervalMs: 20 });
    const server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/opensergo/events`;
    /** The data of the stream's first `history` frame. */
    const history = async (): Promise<{ at: number; resources: { resource: string; passed: number }[] }[]> => {
      const controller = new AbortController();
      const reader = (await fetch(url, { signal: controller.signal })).body!.getReader();
      let text = '';
      while (!/event: history\ndata: .*\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      return JSON.parse(/event: history\ndata: (.*)\n/.exec(text)![1]!) as never;
    };
    try {
      assert.deepEqual(await history(), [], 'nothing is sampled before a page opens');
      engine.enter(requestView('GET', '/foo', {}));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const later = await history();
      assert.ok(later.length > 0, 'later.length > 0');
      assert.deepEqual(later.at(-1)!.resources, [{ resource: '/foo', passed: 1, blocked: 0 }]);
    } finally {
      handler.close();
      server.closeAllConnections();
      server.close();
      await engine.close();
    }
  });
});
