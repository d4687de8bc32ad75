// Label routing over discovered instances (SPEC §4, §7), through fetch (undici) and axios
// (node:http) alike, against real servers. The calls run in a request context made with
// `runInContext`, as a handler's calls would.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import axios from 'axios';
import { fetch } from 'undici';
import { createEngine, FakeClock, isOpenSergoError, runInContext, type Engine, type RequestContext } from '@opensergo/core';
import { createAgent, createDispatcher, type ClientOptions } from '../src/index.js';
import { instance, stopAll, type Instance, type Seen } from './support.js';

const gray: RequestContext = { resource: '/index', trafficLabel: 'gray', trafficLabels: ['gray'] };
const plain: RequestContext = { resource: '/index', trafficLabel: undefined, trafficLabels: [] };

type Caller = (url: string, context: RequestContext | undefined, headers?: Record<string, string>) => Promise<Seen>;

/** A fetch caller and an axios caller over the same options. */
function callers(options: ClientOptions): { callers: [string, Caller][]; noticed(port: number): Promise<void>; close(): Promise<void> } {
  const dispatcher = createDispatcher(options);
  const httpAgent = createAgent(options);
  const within = <T>(context: RequestContext | undefined, fn: () => Promise<T>): Promise<T> => (context ? runInContext(context, fn) : fn());
  return {
    callers: [
      ['fetch', (url, context, headers) => within(context, async () => (await (await fetch(url, { dispatcher, headers: headers ?? {} })).json()) as Seen)],
      ['axios', (url, context, headers) => within(context, async () => (await axios.get(url, { httpAgent, proxy: false, headers: headers ?? {} })).data as Seen)],
    ],
    /**
     * Resolves once node:http has seen the keep-alive sockets to `port` close. A call written on
     * a pooled socket at the moment its instance closes it fails with "socket hang up" in any
     * node:http agent (undici checks the socket first): that call was in flight at the stop.
     */
    noticed: async (port) => {
      for (let i = 0; i < 1000 && Object.keys(httpAgent.freeSockets).some((name) => name.includes(`:${port}:`)); i++) {
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    close: async () => {
      await dispatcher.close();
      await httpAgent.close();
    },
  };
}

describe('label routing through createDispatcher (fetch) and createAgent (axios)', () => {
  let engine: Engine;
  let base: Instance;
  let base2: Instance;
  let grayOne: Instance;
  before(async () => {
    engine = createEngine({ logger: false, app: 'gateway' });
    [base, base2, grayOne] = await Promise.all([instance('base'), instance('base2'), instance('gray')]);
  });
  after(async () => {
    await stopAll([base, base2, grayOne]);
    await engine.close();
  });

  it('sends labelled calls to the labelled instances and the rest to the unlabelled ones, round robin, with the labels on', async () => {
    const { callers: list, close } = callers({ engine, instances: { service: [{ url: base.url }, { url: base2.url }, { url: grayOne.url, labels: ['gray'] }] } });
    try {
      for (const [name, call] of list) {
        const grayCalls = await Promise.all([1, 2, 3].map(() => call('http://service/index?q=1', gray)));
        for (const seen of grayCalls) {
          assert.deepEqual(seen, { instance: 'gray', path: '/index?q=1', host: 'service', baggage: 'OpenSergo-Label=gray', traffic: 'gray' }, name);
        }
        const plainCalls = [];
        for (let i = 0; i < 4; i++) plainCalls.push(await call('http://service/index', plain));
        assert.deepEqual(plainCalls.map((s) => s.instance).sort(), ['base', 'base', 'base2', 'base2'], name);
        for (const seen of plainCalls) assert.equal(seen.baggage, null, name);
      }
    } finally {
      await close();
    }
  });

  it('falls back to unlabelled instances without a labelled one, and to any instance without an unlabelled one', async () => {
    const onlyBase = callers({ engine, instances: { service: [{ url: base.url }] } });
    const onlyGray = callers({ engine, instances: { service: [{ url: grayOne.url, labels: ['gray'] }] } });
    try {
      for (const [name, call] of onlyBase.callers) {
        const seen = await call('http://service/x', gray);
        assert.equal(seen.instance, 'base', name);
        assert.equal(seen.baggage, 'OpenSergo-Label=gray', `${name}: the label travels on to the next hop`);
      }
      for (const [name, call] of onlyGray.callers) assert.equal((await call('http://service/x', plain)).instance, 'gray', name);
    } finally {
      await onlyBase.close();
      await onlyGray.close();
    }
  });

  it('merges the label into baggage already on the call, and replaces label headers a caller passed along', async () => {
    const { callers: list, close } = callers({ engine, instances: { service: [{ url: base.url }, { url: grayOne.url, labels: ['gray'] }] } });
    try {
      for (const [name, call] of list) {
        const merged = await call('http://service/x', gray, { baggage: 'userId=7,OpenSergo-Label=blue' });
        assert.equal(merged.baggage, 'userId=7,OpenSergo-Label=gray', name);
        const forwarded = await call('http://service/x', plain, { 'x-opensergo-traffic': 'gray', baggage: 'OpenSergo-Label=gray;p=1, k=v' });
        assert.deepEqual([forwarded.instance, forwarded.traffic, forwarded.baggage], ['base', null, 'k=v'], name);
      }
    } finally {
      await close();
    }
  });

  it('calls a host that discovery does not know unchanged, and routes calls outside any request by the labels written on them', async () => {
    const { callers: list, close } = callers({ engine, instances: { service: [{ url: base.url }, { url: grayOne.url, labels: ['gray'] }] } });
    try {
      for (const [name, call] of list) {
        assert.equal((await call(`${base2.url}/direct`, gray)).instance, 'base2', name);
        const own = await call('http://service/x', undefined, { 'x-opensergo-traffic': 'gray' });
        assert.deepEqual([own.instance, own.traffic], ['gray', 'gray'], name);
      }
    } finally {
      await close();
    }
  });

  it('fails a call to a known callee with no live instance with ERR_OPENSERGO_NO_INSTANCE naming it, and a label that is not a token with ERR_OPENSERGO_LABEL_INVALID', async () => {
    const { callers: list, close } = callers({ engine, instances: { backend: [] } });
    const causeOf = (err: unknown): unknown => (err as { cause?: unknown }).cause ?? err;
    try {
      for (const [name, call] of list) {
        await assert.rejects(call('http://backend/x', gray), (err) => {
          const cause = causeOf(err);
          return isOpenSergoError(cause, 'ERR_OPENSERGO_NO_INSTANCE') && /"backend"/.test(cause.message);
        }, name);
        await assert.rejects(call(`${base.url}/x`, undefined, { 'x-opensergo-traffic': 'gray lane' }), (err) => isOpenSergoError(causeOf(err), 'ERR_OPENSERGO_LABEL_INVALID'), name);
      }
    } finally {
      await close();
    }
  });

  it('keeps balancing round robin over the instances left while one is left out as unreachable', async () => {
    const clock = new FakeClock(1_000);
    const local = createEngine({ logger: false, clock });
    const down = await instance('down');
    const { callers: list, noticed, close } = callers({ engine: local, instances: { service: [{ url: base.url }, { url: base2.url }, { url: down.url }] } });
    try {
      await down.stop();
      for (const [name, call] of list) {
        await noticed(down.port);
        // One turn over the three finds the stopped one; its call moves on.
        for (let i = 0; i < 3; i++) assert.notEqual((await call('http://service/x', plain)).instance, 'down', name);
        const served: string[] = [];
        for (let i = 0; i < 6; i++) served.push((await call('http://service/x', plain)).instance);
        assert.deepEqual(served.filter((n) => n === 'down'), [], name);
        assert.equal(served.filter((n) => n === 'base').length, 3, `${name}: ${served.join(' ')}`);
        assert.equal(served.filter((n) => n === 'base2').length, 3, `${name}: ${served.join(' ')}`);
      }
    } finally {
      await close();
      await local.close();
    }
  });

  it('keeps an unreachable instance left out when discovery hands out a new list that still has it', async () => {
    const clock = new FakeClock(1_000);
    const local = createEngine({ logger: false, clock });
    const down = await instance('down');
    const entry = (url: string): { url: string; labels: string[]; attributes: Record<string, string> } => ({ url, labels: [], attributes: {} });
    let listed = [entry(down.url), entry(base.url)];
    // A source like the Redis registry: a new list (new objects) whenever membership changes.
    const discovery = { name: 'changing', instances: (app: string) => (app === 'service' ? listed : undefined) };
    const { callers: list, noticed, close } = callers({ engine: local, discovery });
    try {
      for (const [name, call] of list) {
        await down.stop();
        await noticed(down.port);
        listed = [entry(down.url), entry(base.url)];
        for (let i = 0; i < 2; i++) assert.equal((await call('http://service/x', plain)).instance, 'base', `${name}: call ${i}`);
        await down.start();
        listed = [entry(down.url), entry(base.url), entry(base2.url)];
        for (let i = 0; i < 4; i++) assert.notEqual((await call('http://service/x', plain)).instance, 'down', `${name}: call ${i} after the update, within unreachableMs`);
      }
    } finally {
      await close();
      await down.stop().catch(() => {});
      await local.close();
    }
  });

  it('moves a call with a body, streamed or not, off an instance that refuses it (fetch streams every body)', async () => {
    const down = await instance('down');
    await down.stop();
    const dispatcher = createDispatcher({ engine, instances: { service: [{ url: down.url }, { url: base.url }] } });
    const stream = (): ReadableStream => new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('streamed')), c.close()) });
    try {
      for (const [kind, body] of [['string', () => '{"a":1}'], ['bytes', () => new TextEncoder().encode('bytes')], ['stream', stream]] as const) {
        // A new dispatcher's first call goes to the first instance, the stopped one.
        const fresh = createDispatcher({ engine, instances: { service: [{ url: down.url }, { url: base.url }] } });
        try {
          const reply = await fetch('http://service/x', { dispatcher: fresh, method: 'POST', body: body(), duplex: 'half' });
          assert.equal(((await reply.json()) as Seen).instance, 'base', kind);
        } finally {
          await fresh.close();
        }
      }
      const { request } = await import('undici');
      const { Readable } = await import('node:stream');
      const reply = await request('http://service/x', { dispatcher, method: 'POST', body: Readable.from(['read', 'able']) });
      assert.equal(((await reply.body.json()) as Seen).instance, 'base', 'undici request with a Readable');
    } finally {
      await dispatcher.close();
    }
  });

  it('moves calls off a stopped instance without failing them, and back once it is up again', async () => {
    const clock = new FakeClock(1_000);
    const local = createEngine({ logger: false, clock });
    const lane = await instance('lane-gray');
    const { callers: list, noticed, close } = callers({ engine: local, unreachableMs: 2_000, instances: { service: [{ url: base.url }, { url: lane.url, labels: ['gray'] }] } });
    try {
      for (const [name, call] of list) {
        assert.equal((await call('http://service/x', gray)).instance, 'lane-gray', name);
        await lane.stop();
        await noticed(lane.port);
        for (let i = 0; i < 5; i++) assert.equal((await call('http://service/x', gray)).instance, 'base', `${name}: call ${i} after the stop`);
        await lane.start();
        assert.equal((await call('http://service/x', gray)).instance, 'base', `${name}: still left out`);
        clock.advance(2_000);
        assert.equal((await call('http://service/x', gray)).instance, 'lane-gray', `${name}: tried again after unreachableMs`);
      }
    } finally {
      await close();
      await lane.stop().catch(() => {});
      await local.close();
    }
  });
});
