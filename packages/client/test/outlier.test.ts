// Outlier instances (SPEC §7, issue 16): an instance that fails in a row is ejected for a
// growing time and probed back, never the last one; through fetch (undici) and axios
// (node:http) against three real servers, on a fake clock.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import axios from 'axios';
import { fetch } from 'undici';
import { createEngine, FakeClock, isOpenSergoError, type Engine } from '@opensergo/core';
import { createAgent, createDispatcher, type ClientOptions } from '../src/index.js';
import { doc, rateLimit, rules } from '../../core/test/helpers/yaml.js';
import { instance, stopAll, type Instance } from './support.js';

/** One call: the status the caller saw, or 'failed' when it failed (a timeout). */
type Call = (url: string, timeoutMs?: number) => Promise<number | 'failed'>;

function transports(options: ClientOptions): { list: [string, Call][]; close(): Promise<void> } {
  const dispatcher = createDispatcher(options);
  const httpAgent = createAgent(options);
  const failed = (): 'failed' => 'failed';
  return {
    list: [
      [
        'fetch',
        async (url, timeoutMs) => {
          const signal = timeoutMs === undefined ? null : AbortSignal.timeout(timeoutMs);
          return fetch(url, { dispatcher, signal }).then(async (reply) => (await reply.arrayBuffer(), reply.status), failed);
        },
      ],
      ['axios', (url, timeoutMs) => axios.get(url, { httpAgent, proxy: false, validateStatus: () => true, timeout: timeoutMs ?? 0 }).then((reply) => reply.status, failed)],
    ],
    close: async () => {
      await dispatcher.close();
      await httpAgent.close();
    },
  };
}

describe('outlier instances through createDispatcher (fetch) and createAgent (axios)', () => {
  let a: Instance;
  let b: Instance;
  let c: Instance;
  let clock: FakeClock;
  let engine: Engine;
  before(async () => {
    [a, b, c] = await Promise.all([instance('a'), instance('b'), instance('c')]);
  });
  beforeEach(async () => {
    for (const i of [a, b, c]) i.answer = 200;
    clock = new FakeClock(1_000);
    engine = createEngine({ logger: false, clock });
  });
  after(async () => {
    await stopAll([a, b, c]);
    await engine.close();
  });

  const hits = (): number[] => [a.hits, b.hits, c.hits];
  const since = (before: number[]): number[] => hits().map((n, i) => n - before[i]!);
  async function calls(call: Call, count: number): Promise<(number | 'failed')[]> {
    const statuses: (number | 'failed')[] = [];
    for (let i = 0; i < count; i++) statuses.push(await call('http://service/x'));
    return statuses;
  }

  it('one of three answering 500 gets no calls after 3 failures in a row, and is probed back after baseEjectionMs', async () => {
    const options: ClientOptions = { engine, instances: { service: [{ url: a.url }, { url: b.url }, { url: c.url }] }, outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 10_000 } };
    const { list, close } = transports(options);
    try {
      for (const [name, call] of list) {
        c.answer = 500;
        let start = hits();
        const first = await calls(call, 9);
        assert.deepEqual(since(start), [3, 3, 3], `${name}: round robin until then`);
        assert.equal(first.filter((s) => s === 500).length, 3, name);
        start = hits();
        assert.deepEqual(await calls(call, 10), Array(10).fill(200), name);
        assert.deepEqual(since(start), [5, 5, 0], `${name}: c ejected after its 3rd failure`);

        c.answer = 200;
        clock.advance(9_999);
        start = hits();
        await calls(call, 6);
        assert.equal(since(start)[2], 0, `${name}: still out before baseEjectionMs`);
        clock.advance(1);
        start = hits();
        assert.deepEqual(await calls(call, 6), Array(6).fill(200), name);
        assert.deepEqual(since(start), [2, 2, 2], `${name}: back in the balance, healthy`);
        clock.advance(600_000); // the next scenario starts from a clean record
      }
    } finally {
      await close();
    }
  });

  it('a failed probe ejects again at once, each time for longer (base × ejections, at most maxEjectionMs)', async () => {
    const options: ClientOptions = {
      engine,
      instances: { service: [{ url: a.url }, { url: b.url }, { url: c.url }] },
      outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 10_000, maxEjectionMs: 25_000 },
    };
    const { list, close } = transports(options);
    try {
      for (const [name, call] of list) {
        c.answer = 500;
        await calls(call, 6); // c fails twice: ejected for 10 s
        for (const [ejectedMs, label] of [[10_000, 'first'], [20_000, 'second'], [25_000, 'third, capped']] as const) {
          clock.advance(ejectedMs - 1);
          let start = hits();
          await calls(call, 6);
          assert.equal(since(start)[2], 0, `${name}: ${label} ejection still on`);
          clock.advance(1);
          start = hits();
          await calls(call, 6);
          assert.equal(since(start)[2], 1, `${name}: ${label} ejection over: one probe, which fails`);
        }
        c.answer = 200;
        clock.advance(600_000);
      }
    } finally {
      await close();
    }
  });

  it('a call moved off a refusing instance counts for the instance it then reached', async () => {
    const down = await instance('down');
    await down.stop();
    const options: ClientOptions = {
      engine,
      instances: { service: [{ url: down.url }, { url: a.url }, { url: b.url }, { url: c.url }] },
      outlierDetection: { consecutiveFailures: 1, maxEjectionPercent: 100 },
    };
    const { list, close } = transports(options);
    try {
      for (const [name, call] of list) {
        a.answer = 500;
        // The first call finds `down` refusing and moves on to `a`, which answers 500: ejected.
        assert.equal(await call('http://service/x'), 500, name);
        const start = hits();
        assert.deepEqual(await calls(call, 6), Array(6).fill(200), name);
        assert.equal(since(start)[0], 0, `${name}: ${since(start).join('/')}`);
      }
    } finally {
      await close();
    }
  });

  it('with one instance left, it is never ejected: every call still reaches it', async () => {
    const { list, close } = transports({ engine, instances: { service: [{ url: c.url }] }, outlierDetection: { consecutiveFailures: 2 } });
    try {
      for (const [name, call] of list) {
        c.answer = 500;
        const start = hits();
        assert.deepEqual(await calls(call, 8), Array(8).fill(500), name);
        assert.deepEqual(since(start), [0, 0, 8], name);
      }
    } finally {
      await close();
    }
  });

  it('two of three failing, maxEjectionPercent 100: one is ejected, never both, so one of them always gets calls', async () => {
    const options: ClientOptions = { engine, instances: { service: [{ url: b.url }, { url: c.url }] }, outlierDetection: { consecutiveFailures: 2, maxEjectionPercent: 100 } };
    const { list, close } = transports(options);
    try {
      for (const [name, call] of list) {
        b.answer = 500;
        c.answer = 500;
        await calls(call, 4);
        const start = hits();
        assert.deepEqual(await calls(call, 6), Array(6).fill(500), name);
        const [, toB, toC] = since(start);
        assert.ok((toB === 6 && toC === 0) || (toB === 0 && toC === 6), `${name}: ${toB}/${toC}`);
        clock.advance(600_000);
      }
    } finally {
      await close();
    }
  });

  it('timeouts count as failures: an instance that never answers is ejected', async () => {
    const options: ClientOptions = { engine, instances: { service: [{ url: a.url }, { url: c.url }] }, outlierDetection: { consecutiveFailures: 1 } };
    const { list, close } = transports(options);
    try {
      for (const [name, call] of list) {
        c.answer = 'hang';
        // A bound on a hung call, not a speed check: c never answers, a answers at once.
        const timed = (): Promise<number | 'failed'> => call('http://service/x', 5_000);
        const first = [await timed(), await timed()];
        assert.deepEqual(first.sort(), [200, 'failed'], name);
        const start = hits();
        assert.deepEqual([await timed(), await timed(), await timed()], [200, 200, 200], name);
        assert.deepEqual(since(start), [3, 0, 0], name);
        clock.advance(600_000);
      }
    } finally {
      c.answer = 200;
      await close();
    }
  });

  it('a call a rule refuses (answered locally with a 503) never counts against an instance', async () => {
    const yaml = rules(
      rateLimit('none', 0),
      doc('HttpRequestFallbackAction', 'down', `{ behavior: ReturnProvidedResponse, behaviorDesc: { responseStatusCode: 503, responseContentBody: 'refused here' } }`),
      doc('FaultToleranceRule', 'closed', `{ targets: [{ targetResourceName: 'GET:http://service/closed' }], strategies: [{ name: none }], fallbackAction: down }`),
    );
    const governed = createEngine({ logger: false, clock, rules: yaml });
    const { list, close } = transports({ engine: governed, instances: { service: [{ url: a.url }, { url: c.url }] }, outlierDetection: { consecutiveFailures: 1, maxEjectionPercent: 100 } });
    try {
      for (const [name, call] of list) {
        let start = hits();
        for (let i = 0; i < 4; i++) assert.equal(await call('http://service/closed'), 503, name);
        assert.deepEqual(since(start), [0, 0, 0], `${name}: refused locally, never sent`);
        start = hits();
        assert.deepEqual(await calls(call, 6), Array(6).fill(200), name);
        assert.deepEqual(since(start), [3, 0, 3], `${name}: neither instance was ejected`);
      }
    } finally {
      await close();
      await governed.close();
    }
  });

  it('outlierDetection: false turns it off; malformed options fail with ERR_OPENSERGO_OPTIONS_INVALID naming the field', async () => {
    const { list, close } = transports({ engine, instances: { service: [{ url: a.url }, { url: c.url }] }, outlierDetection: false });
    try {
      for (const [name, call] of list) {
        c.answer = 500;
        const start = hits();
        await calls(call, 20);
        assert.deepEqual(since(start), [10, 0, 10], name);
      }
    } finally {
      await close();
    }
    for (const [outlierDetection, field] of [
      [{ consecutiveFailures: 0 }, 'consecutiveFailures'],
      [{ baseEjectionMs: '30s' }, 'baseEjectionMs'],
      [{ maxEjectionPercent: 150 }, 'maxEjectionPercent'],
      [{ consecutive5xx: 5 }, 'consecutive5xx'],
      [true, 'outlierDetection'],
    ] as const) {
      assert.throws(
        () => createDispatcher({ engine, outlierDetection } as unknown as ClientOptions),
        (err) => isOpenSergoError(err, 'ERR_OPENSERGO_OPTIONS_INVALID') && err.message.includes(field),
        field,
      );
    }
  });
});
