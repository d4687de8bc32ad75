// Every adapter hears an admitted response's end on its socket and on Node's
// `http.server.response.finish` channel (core's `exitWhenResponseEnds`,
// packages/core/src/response-end.ts), not through a listener on the response. These pin that
// it reports what the response's own 'close' would, and frees each permit once, on keep-alive
// and pipelined connections, with two engines on one response, and when the client goes away
// before the handler answers.
import assert from 'node:assert/strict';
import { Agent, request, type RequestListener } from 'node:http';
import { connect as http2Connect, createServer as createHttp2Server, constants as http2Constants } from 'node:http2';
import { connect, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import express5 from 'express5';
import Koa3 from 'koa3';
import fastify5 from 'fastify5';
import type { Engine } from '@opensergo/core';
import { opensergo as expressOpenSergo } from '@opensergo/express';
import { opensergo as koaOpenSergo } from '@opensergo/koa';
import { opensergo as fastifyOpenSergo } from '@opensergo/fastify';
import { concurrency, rule, rules, throttling } from '../packages/core/test/helpers/yaml.js';
import { ADAPTERS, serve, withApp, type Route } from './harness.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const oneAtATime = (name: string): string => rules(concurrency(`${name}-one`, 1), rule(name, ['/work/**'], [`${name}-one`]));

/** In flight, finished or failed (abandoned ones are neither), and failed, over every rule's rows. */
function outcomes(engine: Engine): { inFlight: number; ended: number; failed: number } {
  const rows = engine.metrics().resources;
  return {
    inFlight: rows.reduce((sum, r) => sum + r.inFlight, 0),
    ended: rows.reduce((sum, r) => sum + r.duration.count, 0),
    failed: rows.reduce((sum, r) => sum + r.failed, 0),
  };
}

/** GET `path` on a keep-alive `agent`: the status. */
const get = (port: number, path: string, agent: Agent): Promise<number> =>
  new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });

/** Writes `count` pipelined GETs of `path` on one connection; resolves with the statuses read. */
const pipelined = (port: number, path: string, count: number): Promise<string[]> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const statuses = text.match(/HTTP\/1\.1 \d+/g) ?? [];
      if (statuses.length === count && text.endsWith('}')) {
        socket.end();
        resolve(statuses.map((s) => s.slice(9)));
      }
    });
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(count));
  });

/** `/work/<status>` answers that status after `wait(i)` ms, `i` counting the requests served. */
function working(wait: (i: number) => number = () => 0): Route[] {
  let served = 0;
  return [200, 201, 503].map((status) => ({ path: `/work/${status}`, behaviour: () => ({ status, delayMs: wait(served++) }) }));
}

for (const adapter of ADAPTERS) {
  describe(`admitted responses' ends on ${adapter.name}`, () => {
    it('keep-alive: each response finished with its status frees the permit for the next on the connection', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        await withApp(adapter, { rules: oneAtATime('keep') }, working(), async ({ port, engine }) => {
          const statuses = [];
          for (const status of [200, 503, 200, 201]) statuses.push(await get(port, `/work/${status}`, agent));
          assert.deepEqual(statuses, [200, 503, 200, 201]);
          await sleep(20);
          assert.deepEqual(outcomes(engine), { inFlight: 0, ended: 4, failed: 1 });
        });
      } finally {
        agent.destroy();
      }
    });

    it('pipelined requests on one connection: every response finished, every permit freed once', async () => {
      const yaml = rules(concurrency('three', 3), rule('piped', ['/work/**'], ['three']));
      // The first answers last: the later responses wait in Node's queue behind it.
      await withApp(adapter, { rules: yaml }, working((i) => (i === 0 ? 60 : 5)), async ({ port, engine }) => {
        assert.deepEqual(await pipelined(port, '/work/200', 3), ['200', '200', '200']);
        await sleep(20);
        assert.deepEqual(outcomes(engine), { inFlight: 0, ended: 3, failed: 0 });
        assert.deepEqual(await pipelined(port, '/work/200', 3), ['200', '200', '200'], 'no permit left held');
      });
    });

    it('the client goes away before the handler answers: abandoned when the connection closes, not finished later', async () => {
      await withApp(adapter, { rules: oneAtATime('gone') }, working((i) => (i === 0 ? 150 : 0)), async ({ port, engine }) => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        socket.write('GET /work/200 HTTP/1.1\r\nHost: x\r\n\r\n');
        await sleep(40);
        socket.destroy();
        await sleep(40);
        assert.deepEqual(outcomes(engine), { inFlight: 0, ended: 0, failed: 0 }, 'abandoned while the handler still runs');
        await sleep(150); // the handler answers into the closed connection
        assert.deepEqual(outcomes(engine), { inFlight: 0, ended: 0, failed: 0 }, 'and nothing more');
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        assert.equal(await get(port, '/work/200', agent), 200, 'the permit is free');
        agent.destroy();
      });
    });
  });
}

/** A server with two governances of their own engines in front of one `/work/200` handler. */
const twoEngines: Record<string, (first: string, second: string) => Promise<{ handler: RequestListener; engines: Engine[] }>> = {
  async express(first, second) {
    const app = express5();
    const governances = [expressOpenSergo({ rules: first, logger: false }), expressOpenSergo({ rules: second, logger: false })];
    for (const governance of governances) app.use(governance);
    app.get('/work/200', (_req, res) => void setTimeout(() => res.send('{}'), 0));
    return { handler: app, engines: governances.map((g) => g.engine) };
  },
  async koa(first, second) {
    const app = new Koa3();
    const governances = [koaOpenSergo({ rules: first, logger: false }), koaOpenSergo({ rules: second, logger: false })];
    for (const governance of governances) app.use(governance as unknown as Parameters<typeof app.use>[0]);
    app.use(async (ctx) => {
      await sleep(0);
      ctx.body = {};
    });
    return { handler: app.callback(), engines: governances.map((g) => g.engine) };
  },
  async fastify(first, second) {
    const app = fastify5({ logger: false });
    await app.register(fastifyOpenSergo, { rules: first, logger: false });
    let engines: Engine[] = [app.opensergoEngine];
    await app.register(async (child) => {
      await child.register(fastifyOpenSergo, { rules: second, logger: false });
      engines = [...engines, child.opensergoEngine];
      child.get('/work/200', async () => {
        await sleep(0);
        return {};
      });
    });
    await app.ready();
    return { handler: (req, res) => app.routing(req, res), engines };
  },
};

for (const [name, start] of Object.entries(twoEngines)) {
  it(`two engines on one response (${name}): both hear its end`, async () => {
    const { handler, engines } = await start(oneAtATime('first'), oneAtATime('second'));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await serve(handler, async (port) => {
        for (let i = 0; i < 3; i++) assert.equal(await get(port, '/work/200', agent), 200);
        await sleep(20);
        for (const engine of engines) assert.deepEqual(outcomes(engine), { inFlight: 0, ended: 3, failed: 0 });
      });
    } finally {
      agent.destroy();
      await Promise.all(engines.map((engine) => engine.close()));
    }
  });
}

/** GETs `path` `count` times, one after another, on one HTTP/2 session: the statuses. */
async function http2Gets(port: number, path: string, count: number): Promise<number[]> {
  const session = http2Connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  try {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) {
      statuses.push(
        await new Promise<number>((resolve, reject) => {
          const stream = session.request({ ':path': path });
          let status = 0;
          stream.on('response', (headers) => (status = Number(headers[':status'])));
          stream.on('error', reject);
          stream.resume();
          stream.on('end', () => resolve(status));
        }),
      );
    }
    return statuses;
  } finally {
    session.close();
  }
}

it('Fastify over HTTP/2 (h2c): a response whose socket is the session’s still frees its permit when it ends', async () => {
  // Node publishes no `http.server.response.finish` for HTTP/2 responses, whose `socket` is a
  // proxy of the session's: waiting on the channel would hold the permit for good.
  const app = fastify5({ logger: false, http2: true });
  await app.register(fastifyOpenSergo, { rules: oneAtATime('h2'), logger: false });
  app.get('/work/200', async () => ({}));
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const port = (app.server.address() as AddressInfo).port;
    assert.deepEqual(await http2Gets(port, '/work/200', 3), [200, 200, 200], 'each request admitted: the one permit came back every time');
    await sleep(20);
    assert.deepEqual(outcomes(app.opensergoEngine), { inFlight: 0, ended: 3, failed: 0 });
  } finally {
    await app.close();
  }
});

/**
 * An HTTP/2 request whose client cancels its stream (RST_STREAM) after `afterMs`, or once the
 * first bytes of the response arrived when `afterMs` is undefined.
 */
function http2Cancel(port: number, path: string, afterMs?: number): Promise<void> {
  const session = http2Connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  const stream = session.request({ ':path': path });
  stream.on('error', () => {});
  return new Promise((resolve) => {
    const cancel = (): void => {
      stream.close(http2Constants.NGHTTP2_CANCEL);
      session.close();
      resolve();
    };
    if (afterMs === undefined) stream.once('data', cancel);
    else setTimeout(cancel, afterMs);
  });
}

/** A server-sent-events body that sends one event and stays open. */
function oneEvent(): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) this.push('data: tick\n\n');
      sent = true;
    },
  });
}

/** Koa 3 and Fastify 5 over HTTP/2 (h2c), `/work/stream` answering one event and staying open; Express has no HTTP/2. */
const http2Apps: Record<string, (yaml: string) => Promise<{ port: number; engine: Engine; close: () => Promise<void> }>> = {
  async koa(yaml) {
    const app = new Koa3();
    app.silent = true; // the body's pipeline fails when the client cancels
    const governance = koaOpenSergo({ rules: yaml, logger: false });
    app.use(governance as unknown as Parameters<typeof app.use>[0]);
    app.use((ctx) => {
      ctx.body = ctx.path === '/work/stream' ? oneEvent() : {};
    });
    const server = createHttp2Server(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return { port, engine: governance.engine, close: () => new Promise((resolve) => server.close(() => resolve())) };
  },
  async fastify(yaml) {
    const app = fastify5({ logger: false, http2: true });
    await app.register(fastifyOpenSergo, { rules: yaml, logger: false });
    app.get('/work/200', async () => ({}));
    app.get('/work/stream', (_request, reply) => void reply.send(oneEvent()));
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { port: (app.server.address() as AddressInfo).port, engine: app.opensergoEngine, close: () => app.close() };
  },
};

for (const [name, start] of Object.entries(http2Apps)) {
  describe(`HTTP/2 (h2c) on ${name}`, () => {
    it('a client that cancels its stream mid-response: abandoned, not finished, and the permit is free', async () => {
      const { port, engine, close } = await start(oneAtATime('h2-cancel'));
      try {
        await http2Cancel(port, '/work/stream');
        await sleep(50); // the server hears the RST_STREAM
        assert.deepEqual(outcomes(engine), { inFlight: 0, ended: 0, failed: 0 }, 'the client left: no response time, no status');
        assert.deepEqual(await http2Gets(port, '/work/200', 1), [200]);
      } finally {
        await close();
        await engine.close();
      }
    });

    it('a client that leaves while its request waits in a throttling queue gives its permit back', async () => {
      // One at a time, one admission per 300 ms: the second request waits for its slot holding
      // the permit, and its client cancels before the slot comes.
      const yaml = rules(concurrency('one', 1), throttling('paced', '300ms', '2s'), rule('h2-queue', ['/work/**'], ['one', 'paced']));
      const { port, engine, close } = await start(yaml);
      try {
        assert.deepEqual(await http2Gets(port, '/work/200', 1), [200]);
        await http2Cancel(port, '/work/200', 80);
        await sleep(600); // its slot came and went; the next slot is free
        assert.deepEqual(await http2Gets(port, '/work/200', 1), [200], 'the permit of the request that left was given back');
        await sleep(20);
        assert.equal(outcomes(engine).inFlight, 0);
      } finally {
        await close();
        await engine.close();
      }
    });
  });
}
