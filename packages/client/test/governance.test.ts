// Fault tolerance on outgoing calls (SPEC §7, issue 16): FaultToleranceRules whose targets name
// outgoing calls govern them through createDispatcher (fetch) and createAgent (axios) alike,
// against a real local backend. The engine's clock is fake: "slow" is the backend advancing it.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Readable } from 'node:stream';
import axios, { type AxiosResponse } from 'axios';
import { fetch, request } from 'undici';
import { createEngine, FakeClock, isOpenSergoError, requestView, type Engine } from '@opensergo/core';
import { concurrency, doc, errorBreaker, rateLimit, rule, rules, throttling } from '../../core/test/helpers/yaml.js';
import { createAgent, createDispatcher, type ClientOptions } from '../src/index.js';
import { backend, type Backend } from './backend.js';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | undefined>;
}
type Send = (url: string, init?: { signal?: AbortSignal; method?: string }) => Promise<Reply>;

interface Client {
  readonly name: string;
  readonly send: Send;
  /** Starts a call and hands back its response with the body unread, and a way to drop it. */
  readonly open: (url: string, signal?: AbortSignal) => Promise<{ status: number; read(): Promise<string>; abandon(): void }>;
  close(): Promise<void>;
}

function fetchClient(options: ClientOptions): Client {
  const dispatcher = createDispatcher(options);
  return {
    name: 'fetch',
    send: async (url, init) => {
      const response = await fetch(url, { dispatcher, ...init });
      return { status: response.status, body: await response.text(), headers: Object.fromEntries(response.headers) };
    },
    open: async (url, signal) => {
      const response = await fetch(url, { dispatcher, ...(signal ? { signal } : {}) });
      return { status: response.status, read: () => response.text(), abandon: () => void response.body?.cancel() };
    },
    close: () => dispatcher.close(),
  };
}

function axiosClient(options: ClientOptions): Client {
  const httpAgent = createAgent(options);
  const base = { httpAgent, proxy: false as const, validateStatus: () => true };
  return {
    name: 'axios',
    send: async (url, init) => {
      const response: AxiosResponse<string> = await axios.request({ url, ...base, responseType: 'text', ...init });
      return { status: response.status, body: response.data, headers: response.headers as Record<string, string> };
    },
    open: async (url, signal) => {
      const response = await axios.get(url, { ...base, responseType: 'stream', ...(signal ? { signal } : {}) });
      const stream = response.data as NodeJS.ReadableStream & { destroy(): void };
      return {
        status: response.status,
        read: async () => {
          let text = '';
          for await (const chunk of stream) text += String(chunk);
          return text;
        },
        abandon: () => stream.destroy(),
      };
    },
    close: () => httpAgent.close(),
  };
}

const CLIENTS = [fetchClient, axiosClient];
const opened: { close(): Promise<void> }[] = [];
afterEach(() => Promise.all(opened.splice(0).map((o) => o.close())));

async function setup(yaml: string, make: (o: ClientOptions) => Client, apps: (b: Backend) => NonNullable<ClientOptions['instances']>, extra: Partial<ClientOptions> = {}) {
  const clock = new FakeClock();
  const server = await backend(clock);
  const engine: Engine = createEngine({ rules: yaml, clock, logger: false });
  const client = make({ engine, instances: apps(server), ...extra });
  opened.push(client, server, engine);
  return { clock, server, engine, client };
}

const backendDown = doc(
  'HttpRequestFallbackAction',
  'backend-down',
  `{ behavior: ReturnProvidedResponse, behaviorDesc: { responseStatusCode: 503, responseContentBody: 'backend unavailable', responseAdditionalHeaders: [{ key: X-Fallback, value: breaker }] } }`,
);
const slowBreaker = doc(
  'CircuitBreakerStrategy',
  'slow-backend',
  `{ strategy: SlowRequestRatio, triggerRatio: '60%', statDuration: 10s, recoveryTimeout: 5s, minRequestAmount: 2, slowConditions: { maxAllowedRt: 200ms } }`,
);
const breakerRule = doc(
  'FaultToleranceRule',
  'backend-breaker',
  `{ targets: [{ targetResourceName: 'GET:http://backend/**' }], strategies: [{ name: slow-backend }], fallbackAction: backend-down }`,
);

for (const make of CLIENTS) {
  const name = make === fetchClient ? 'fetch' : 'axios';

  describe(`outgoing calls through ${name}`, { timeout: 60_000 }, () => {
    it('a SlowRequestRatio breaker opens on a slow backend, answers with the fallback without calling it, probes once, and closes on recovery', async () => {
      const { clock, server, client } = await setup(rules(slowBreaker, backendDown, breakerRule), make, (b) => ({ backend: [{ url: b.url }] }));
      assert.equal((await client.send('http://backend/users/1')).body, 'from backend');
      server.mode = 'slow';
      for (let i = 0; i < 2; i++) assert.equal((await client.send('http://backend/users/1')).status, 200);
      const hits = server.hits;
      const refused = await client.send('http://backend/users/2');
      assert.deepEqual([refused.status, refused.body, refused.headers['x-fallback']], [503, 'backend unavailable', 'breaker']);
      assert.equal(server.hits, hits, 'the open breaker answered without touching the backend');
      server.mode = 'ok';
      clock.advance(5000);
      const probes = await Promise.all([1, 2, 3].map(() => client.send('http://backend/users/3')));
      assert.equal(server.hits, hits + 1, 'exactly one probe reached the backend');
      assert.deepEqual(probes.map((r) => r.status).sort(), [200, 503, 503]);
      const after = await Promise.all([1, 2, 3].map(() => client.send('http://backend/users/4')));
      assert.deepEqual(after.map((r) => r.status), [200, 200, 200], 'the breaker closed');
      assert.equal((await client.send('http://backend/users/1', {})).body, 'from backend');
      assert.equal(server.hits, hits + 5);
    });

    it('a rate limit of 5 on http://api.example.com/**: of 20 quick calls, 5 reach the server and 15 are refused locally', async () => {
      const yaml = rules(rateLimit('five', 5), rule('vendor-quota', ['http://api.example.com/**'], ['five']));
      const { server, client } = await setup(yaml, make, (b) => ({ 'api.example.com': [{ url: b.url }] }));
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => client.send(`http://api.example.com/geocode?q=${i}`)));
      assert.equal(server.hits, 5);
      assert.equal(replies.filter((r) => r.status === 200).length, 5);
      const refused = replies.filter((r) => r.status === 429);
      assert.equal(refused.length, 15);
      assert.ok(refused.every((r) => r.headers['retry-after'] !== undefined), "refused.every((r) => r.headers['retry-after'] !== undefined)");
    });

    it("the callee's 5xx and refused connections are failures for an ErrorRequestRatio breaker", async () => {
      const gone = await backend();
      await gone.close(); // nothing listens on its port now
      const yaml = rules(errorBreaker('errors'), rule('backend-errors', ['http://backend/**'], ['errors']), rule('gone-errors', [`${gone.url}/**`], ['errors']));
      const { server, client } = await setup(yaml, make, (b) => ({ backend: [{ url: b.url }] }));
      server.mode = 'fail';
      for (let i = 0; i < 4; i++) assert.equal((await client.send('http://backend/x')).status, 500);
      const hits = server.hits;
      assert.equal((await client.send('http://backend/x')).status, 503);
      assert.equal(server.hits, hits);
      for (let i = 0; i < 4; i++) await assert.rejects(client.send(`${gone.url}/x`));
      assert.equal((await client.send(`${gone.url}/x`)).status, 503, 'opened by connection errors: refused locally, no connection tried');
    });

    it('a connection reset after the response headers is a failure for an ErrorRequestRatio breaker, as one before them is', async () => {
      const yaml = rules(errorBreaker('errors'), rule('backend-errors', ['http://backend/**'], ['errors']));
      const { server, client } = await setup(yaml, make, (b) => ({ backend: [{ url: b.url }] }), { outlierDetection: false });
      server.mode = 'cut';
      for (let i = 0; i < 4; i++) await assert.rejects(client.open('http://backend/x').then((call) => call.read()));
      const hits = server.hits;
      server.mode = 'ok';
      assert.equal((await client.send('http://backend/x')).status, 503, 'opened by the resets: refused locally');
      assert.equal(server.hits, hits);
    });

    it('a refused HEAD call gets the fallback status and headers without a body, as from a callee', async () => {
      const yaml = rules(rateLimit('none', 0), rule('closed', ['http://backend/**'], ['none']));
      const { server, client } = await setup(yaml, make, (b) => ({ backend: [{ url: b.url }] }));
      const reply = await client.send('http://backend/x', { method: 'HEAD' });
      assert.deepEqual([reply.status, reply.body, reply.headers['retry-after']], [429, '', '10']);
      assert.equal(server.hits, 0);
    });

    it("with onBlock: 'reject', a refused call fails with ERR_OPENSERGO_BLOCKED carrying the kind and rule", async () => {
      const yaml = rules(rateLimit('none', 0), rule('closed', ['http://backend/**'], ['none']));
      const { client } = await setup(yaml, make, (b) => ({ backend: [{ url: b.url }] }), { onBlock: 'reject' });
      const error = await client.send('http://backend/x').then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
      // fetch's TypeError and axios's AxiosError wrap it (axios copies its name and code, not
      // its fields): the guard must not take the wrapper for it
      assert.equal(isOpenSergoError(error, 'ERR_OPENSERGO_BLOCKED'), false, `${String(error)} carries no kind`);
      const blocked = (error as { cause?: unknown }).cause;
      assert.ok(isOpenSergoError(blocked, 'ERR_OPENSERGO_BLOCKED'), String(error));
      assert.equal(blocked.kind, 'RateLimitStrategy');
      assert.equal(blocked.rule, 'FaultToleranceRule/closed');
    });

    it('under a ThrottlingStrategy, calls wait their turn (on the engine clock) and all reach the backend', async () => {
      const yaml = rules(throttling('spaced', '100ms', '1s'), rule('spaced-calls', ['http://backend/**'], ['spaced']));
      const { clock, server, client } = await setup(yaml, make, (b) => ({ backend: [{ url: b.url }] }));
      const reached = async (n: number): Promise<void> => {
        for (let i = 0; i < 2000 && server.hits < n; i++) await new Promise((resolve) => setTimeout(resolve, 2));
        assert.equal(server.hits, n);
      };
      const calls = Promise.all([1, 2, 3].map((i) => client.send(`http://backend/job/${i}`)));
      await reached(1);
      clock.advance(100);
      await reached(2);
      clock.advance(100);
      await reached(3);
      assert.deepEqual((await calls).map((r) => r.status), [200, 200, 200]);
    });

    describe('a concurrency permit is released exactly once however the call ends', () => {
      const yaml = rules(concurrency('one', 1), rule('one-at-a-time', ['http://backend/**'], ['one']));

      async function check(end: (server: Backend, client: Client) => Promise<void>): Promise<void> {
        const { server, client, engine } = await setup(yaml, make, (b) => ({ backend: [{ url: b.url }] }));
        await end(server, client);
        // node:http says a request closed on a tick after axios has rejected its promise
        const ours = () => engine.metrics().resources.find((r) => r.rule === 'one-at-a-time')!;
        for (let i = 0; i < 100 && ours().inFlight !== 0; i++) await new Promise((resolve) => setImmediate(resolve));
        const metrics = ours();
        assert.equal(metrics.inFlight, 0);
        assert.equal(metrics.permits, 0);
        // the permit is back, once: one call passes while another is held, the next is refused
        server.mode = 'hold';
        const first = client.send('http://backend/a');
        await server.holding(server.held.length + 1);
        assert.equal((await client.send('http://backend/b')).status, 429);
        server.held.pop()!.end('done');
        assert.equal((await first).status, 200);
      }

      it('body read', () =>
        check(async (server, client) => {
          server.mode = 'hold-body';
          const call = await client.open('http://backend/a');
          assert.equal((await client.send('http://backend/b')).status, 429, 'the body is still coming: the permit is held');
          server.held.pop()!.end('end');
          assert.equal((await call.read()).length, 64 * 1024 + 3);
        }));

      it('body abandoned', () =>
        check(async (server, client) => {
          server.mode = 'hold-body';
          const call = await client.open('http://backend/a');
          call.abandon();
          server.mode = 'ok';
          for (let i = 0; i < 200 && (await client.send('http://backend/b').then((r) => r.status)) === 429; i++) await new Promise((r) => setTimeout(r, 5));
          server.held.splice(0).forEach((res) => res.destroy());
        }));

      it('abort', () =>
        check(async (server, client) => {
          server.mode = 'hold';
          const controller = new AbortController();
          const call = client.open('http://backend/a', controller.signal);
          await server.holding(1);
          controller.abort();
          await assert.rejects(call);
          server.held.splice(0).forEach((res) => res.destroy());
        }));

      it('error', () =>
        check(async (server, client) => {
          server.mode = 'drop';
          await assert.rejects(client.send('http://backend/a'));
        }));
    });
  });
}

describe("refused calls through undici's request", () => {
  function refusing() {
    const yaml = rules(rateLimit('none', 0), rule('closed', ['http://backend/**'], ['none']));
    const engine = createEngine({ rules: yaml, clock: new FakeClock(), logger: false });
    const dispatcher = createDispatcher({ engine, instances: { backend: [{ url: 'http://127.0.0.1:1' }] } });
    opened.push(dispatcher, engine);
    return dispatcher;
  }

  it('a HEAD call has the fallback status and headers and no body, as from a callee', async () => {
    const reply = await request('http://backend/x', { dispatcher: refusing(), method: 'HEAD' });
    assert.deepEqual([reply.statusCode, await reply.body.text(), reply.headers['content-length']], [429, '', '18']);
  });

  it('a call with a stream body has that stream destroyed, as undici does with a call it cannot send', async () => {
    const body = new Readable({ read() {} });
    body.push('upload');
    const reply = await request('http://backend/x', { dispatcher: refusing(), method: 'POST', body });
    assert.equal(reply.statusCode, 429);
    await reply.body.text();
    assert.equal(body.destroyed, true, 'a file stream left open would hold its descriptor');
  });
});

describe('outgoing calls that no rule names', () => {
  it('pass untouched, and inbound middleware never matches outgoing targets', async () => {
    const yaml = rules(rateLimit('none', 0), rule('closed', ['http://backend/**'], ['none']));
    const { client, engine } = await setup(yaml, fetchClient, (b) => ({ other: [{ url: b.url }], backend: [{ url: b.url }] }));
    assert.equal((await client.send('http://other/x')).status, 200);
    assert.equal((await client.send('http://backend/x')).status, 429);
    assert.equal(engine.explain(requestView('GET', '/x', {})).checks.length, 0);
  });
});
