// The Redis store in one process, against a real Redis (see support/redis-server.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { FakeClock, isOpenSergoError, type Engine } from '@opensergo/core';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '@opensergo/redis';
import { all, counted, enter, fixture, passed } from './support/fixture.js';
import { sharedRedisUrl, uniquePrefix } from './support/redis-server.js';
import { concurrencyLimit, rateLimit, rule, rules, sleep } from './support/processes.js';

const url = await sharedRedisUrl();
const prefix = uniquePrefix('store');
const f = fixture(url, prefix);
let redis: Redis;
const store = (options?: RedisStoreOptions, client?: Redis): RedisStore => f.store(options, client);
const engine = (text: string, withStore: RedisStore, app = 'store-test', clock?: FakeClock): Engine => f.engine(text, withStore, app, clock);

describe('Redis store', { skip: url === undefined }, () => {
  before(() => {
    f.open();
    redis = f.redis;
  });
  after(() => f.close());

  it('admits exactly threshold across instances in one window, and blocks the rest with the time Redis names', async () => {
    const text = rules(rateLimit('g', 'Global', 10), rule('r', '/shared', ['g']));
    const [a, b] = [store(), store()];
    assert.ok(await a.ready(), 'the store connected');
    assert.ok(await b.ready(), 'the store connected');
    const [ea, eb] = [engine(text, a), engine(text, b)];
    const [da, db] = await Promise.all([all(ea, '/shared', 15), all(eb, '/shared', 15)]);
    assert.equal(passed(da) + passed(db), 10);
    for (const d of [...da, ...db]) {
      if (d.type !== 'block') continue;
      assert.equal(d.response.statusCode, 429);
      assert.equal(d.kind, 'RateLimitStrategy');
      assert.ok(Number(d.response.headers['retry-after'] ?? d.response.headers['Retry-After']) <= 1, "Number(d.response.headers['retry-after'] ?? d.response.headers['Retry-After']) <= 1");
    }
  });

  it('slides: each admission leaves the window one window after it was made', async () => {
    const s = store();
    await s.ready();
    // Redis keeps time, so the sleeps are real: a 2 s window leaves ~1 s on either side of each
    // step for a loaded host's stalls (a 400 ms one failed there: 4 fitted after 'sleep(200)').
    const e = engine(rules(rateLimit('slide', 'Global', 4, '2s'), rule('r', '/slide', ['slide'])), s);
    assert.equal(passed(await all(e, '/slide', 2)), 2);
    await sleep(1_000);
    assert.equal(passed(await all(e, '/slide', 4)), 2, 'only 2 more fit in the same 2 s');
    await sleep(1_150); // the first 2 have left, the second 2 have not
    assert.equal(passed(await all(e, '/slide', 4)), 2);
  });

  it('batches concurrent decisions into one script call, and blocked traffic costs no call until the window moves', async () => {
    const client = f.client();
    const counter = counted(client);
    const s = store({}, client);
    await s.ready();
    const e = engine(rules(rateLimit('batch', 'Global', 30), rule('r', '/batch', ['batch'])), s);
    const before = counter.calls;
    assert.equal(passed(await all(e, '/batch', 50)), 30);
    assert.equal(counter.calls - before, 1, 'fifty simultaneous requests, one script call');
    const blocked = enter(e, '/batch');
    assert.ok(!(blocked instanceof Promise), 'a key known to be full is decided without Redis');
    assert.equal(blocked.type, 'block');
    for (let i = 0; i < 1000; i++) enter(e, '/batch');
    assert.equal(counter.calls - before, 1);
    await s.close();
    client.disconnect();
  });

  it('with headroom, decides most of a busy key on the spot from admissions Redis reserved, within the bound', async () => {
    const client = f.client();
    const counter = counted(client);
    const s = store({}, client);
    await s.ready();
    const e = engine(rules(rateLimit('lease', 'Global', 2000), rule('r', '/lease', ['lease'])), s);
    let onTheSpot = 0;
    let asked = 0;
    let admitted = 0;
    const started = performance.now();
    while (performance.now() - started < 400) {
      const decisions = Array.from({ length: 5 }, () => enter(e, '/lease'));
      for (const d of decisions) (d instanceof Promise ? asked++ : onTheSpot++);
      admitted += passed(await Promise.all(decisions));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(onTheSpot > asked, `most decided on the spot (${onTheSpot} on the spot, ${asked} asked Redis)`);
    // A hot key's leases are short (a few round trips), so besides one call per batch there
    // is a call per lease: count requests per call rather than calls per asking batch.
    assert.ok(counter.calls * 5 < onTheSpot + asked, `${counter.calls} calls for ${onTheSpot + asked} requests`);
    assert.ok(admitted <= 2000, 'admitted <= 2000');
    // 2000 a window is a hot key (above EXACT_LOG_MAX): counted in buckets, with their total.
    const [key] = await redis.keys(`${prefix}*/lease/*:window`);
    assert.ok(Number(await redis.hget(key!, 't')) >= admitted, 'every admission is counted in Redis');
    await s.close();
    client.disconnect();
  });

  it('with leases on two instances, the first window still admits at most threshold, and close to it', async () => {
    const text = rules(rateLimit('leases', 'Global', 300), rule('r', '/leases', ['leases']));
    const [a, b] = [store(), store()];
    await Promise.all([a.ready(), b.ready()]);
    const [ea, eb] = [engine(text, a), engine(text, b)];
    const admittedAt: number[] = [];
    const t0 = performance.now();
    const drive = async (e: Engine): Promise<void> => {
      while (performance.now() - t0 < 1100) {
        const decisions = Array.from({ length: 10 }, () => enter(e, '/leases'));
        await Promise.all(
          decisions.map(async (d) => {
            if ((await d).type === 'pass') admittedAt.push(performance.now());
          }),
        );
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all([drive(ea), drive(eb)]);
    const firstWindow = admittedAt.filter((t) => t < t0 + 1000).length;
    assert.ok(firstWindow <= 300, `first window admitted ${firstWindow}`);
    assert.ok(firstWindow >= 250, `first window admitted ${firstWindow}, close to 300`);
  });

  it('reserves nothing once the window is half full: admissions there are decided in Redis', async () => {
    const s = store();
    await s.ready();
    const e = engine(rules(rateLimit('tight', 'Global', 6), rule('r', '/tight', ['tight'])), s);
    let onTheSpot = 0;
    let admitted = 0;
    for (let i = 0; i < 10; i++) {
      const d = enter(e, '/tight');
      if (!(d instanceof Promise)) onTheSpot++;
      if ((await d).type === 'pass') admitted++;
    }
    assert.equal(admitted, 6);
    assert.ok(onTheSpot <= 5, `a full window is refused on the spot, admissions are not (${onTheSpot})`);
  });

  it('takes back an admission when a later check refuses the request', async () => {
    const s = store();
    await s.ready();
    const text = rules(rateLimit('take', 'Global', 5), concurrencyLimit('one', 'Local', 1), rule('r', '/take', ['take', 'one']));
    const e = engine(text, s);
    const first = await enter(e, '/take');
    assert.equal(first.type, 'pass');
    for (let i = 0; i < 10; i++) {
      const refused = await enter(e, '/take');
      assert.equal(refused.type === 'block' && refused.kind, 'ConcurrencyLimitStrategy');
    }
    await sleep(50); // the ZREMs are fire-and-forget
    const [key] = await redis.keys(`${prefix}*take*:rate`);
    assert.equal(await redis.zcard(key!), 1, 'only the admitted request is counted');
    if (first.type === 'pass') first.entry!.exit({ type: 'finished', statusCode: 200 });
    const more = [];
    for (let i = 0; i < 5; i++) {
      const d = await enter(e, '/take');
      more.push(d);
      if (d.type === 'pass') d.entry!.exit({ type: 'finished', statusCode: 200 });
    }
    assert.equal(passed(more), 4);
  });

  it('uses Redis time: instances whose clocks disagree by a day share one window', async () => {
    const text = rules(rateLimit('skew', 'Global', 6), rule('r', '/skew', ['skew']));
    const [a, b] = [store(), store()];
    await Promise.all([a.ready(), b.ready()]);
    const [ea, eb] = [engine(text, a, 'store-test', new FakeClock(0)), engine(text, b, 'store-test', new FakeClock(86_400_000))];
    const [da, db] = await Promise.all([all(ea, '/skew', 5), all(eb, '/skew', 5)]);
    assert.equal(passed(da) + passed(db), 6);
  });

  it('hands out Global concurrency permits across instances and gives each back exactly once', async () => {
    const text = rules(concurrencyLimit('c', 'Global', 3), rule('r', '/c', ['c']));
    const [a, b] = [store(), store()];
    await Promise.all([a.ready(), b.ready()]);
    const [ea, eb] = [engine(text, a), engine(text, b)];
    const [da, db] = await Promise.all([all(ea, '/c', 4), all(eb, '/c', 4)]);
    const admitted = [...da, ...db].filter((d) => d.type === 'pass');
    assert.equal(admitted.length, 3);
    const blocked = [...da, ...db].find((d) => d.type === 'block');
    assert.equal(blocked?.response.statusCode, 429);
    const entry = admitted[0]!.type === 'pass' ? admitted[0]!.entry! : undefined;
    entry!.exit({ type: 'finished', statusCode: 200 });
    entry!.exit({ type: 'finished', statusCode: 200 }); // ignored: released once
    await sleep(30);
    const [key] = await redis.keys(`${prefix}*/c/*:/c}:permits`);
    assert.equal(await redis.zcard(key!), 2);
    assert.equal(passed(await all(ea, '/c', 3)), 1, 'one permit came back, not two');
  });

  it('renews the lease of a long request, so it keeps its permit past the lease time', async () => {
    const s = store({ leaseMs: 300 });
    const other = store({ leaseMs: 300 });
    await Promise.all([s.ready(), other.ready()]);
    const text = rules(concurrencyLimit('long', 'Global', 1), rule('r', '/long', ['long']));
    const [e, eo] = [engine(text, s), engine(text, other)];
    const held = await enter(e, '/long');
    assert.equal(held.type, 'pass');
    await sleep(800);
    assert.equal((await enter(eo, '/long')).type, 'block', 'still held after 2.5 lease times');
    if (held.type === 'pass') held.entry!.exit({ type: 'finished', statusCode: 200 });
    await sleep(30);
    assert.equal((await enter(eo, '/long')).type, 'pass');
  });

  it('counts live instances for GlobalToLocal, and a closed instance leaves at once', async () => {
    const options = { app: 'count-test', heartbeatMs: 100, instanceTtlMs: 400 };
    const three = [store(options), store(options), store(options)];
    await Promise.all(three.map((s) => s.ready()));
    await sleep(250);
    assert.deepEqual(three.map((s) => s.instanceCount()), [3, 3, 3]);
    const text = rules(rateLimit('g2l', 'GlobalToLocal', 30), rule('r', '/g2l', ['g2l']));
    const e = engine(text, three[0]!, 'count-test');
    assert.equal(passed(await all(e, '/g2l', 20)), 10);
    await three[2]!.close();
    await sleep(250);
    assert.deepEqual(three.slice(0, 2).map((s) => s.instanceCount()), [2, 2]);
  });

  it('names keys with a Cluster hash tag (braces in paths escaped) and lets every key expire', async () => {
    const s = store({ app: 'keys-test' });
    await s.ready();
    const e = engine(rules(rateLimit('k', 'Global', 5), concurrencyLimit('kc', 'Global', 5), rule('r', '/items/{id}', ['k', 'kc'])), s, 'keys-test');
    const d = await enter(e, '/items/42');
    const keys = (await redis.keys(`${prefix}{_/keys-test*`)).sort();
    assert.deepEqual(keys, [
      `${prefix}{_/keys-test/_/k/*:/items/%7Bid%7D}:rate`,
      `${prefix}{_/keys-test/_/kc/*:/items/%7Bid%7D}:permits`,
      `${prefix}{_/keys-test}:instances`,
    ]);
    for (const key of keys) assert.ok((await redis.pttl(key)) > 0, `${key} expires`);
    if (d.type === 'pass') d.entry?.exit({ type: 'finished', statusCode: 200 });
  });

  it('reports its state to every engine using it', async () => {
    const s = store();
    const events: unknown[] = [];
    const e = engine(rules(rateLimit('ev', 'GlobalToLocal', 5), rule('r', '/ev', ['ev'])), s);
    e.events.on('store:state', (event) => events.push(event));
    await s.ready();
    assert.deepEqual(events, [{ store: 'redis', available: true }]);
  });

  it('takes your own client (even one made with lazyConnect) and leaves it open on close', async () => {
    const client = f.client({ lazyConnect: true, enableOfflineQueue: false });
    const s = store({}, client);
    assert.ok(await s.ready(3000), 'connected although nothing else asked it to');
    await s.close();
    assert.equal(await client.ping(), 'PONG');
    client.disconnect();
  });

  it('rejects malformed options at creation, listing every problem', () => {
    assert.throws(
      () => createRedisStore({ url: 'localhost:6379' }, { timeoutMs: -1, leaseMs: Number.NaN, keyPrefix: '{app}:' }),
      (error: unknown) =>
        isOpenSergoError(error, 'ERR_OPENSERGO_OPTIONS_INVALID') &&
        /url must start with redis:\/\//.test(error.message) &&
        /timeoutMs must be a positive/.test(error.message) &&
        /leaseMs must be a positive/.test(error.message) &&
        /keyPrefix must be a string without \{ or \}/.test(error.message),
    );
  });
});
