// A hot key: the bucketed window above EXACT_LOG_MAX admissions per window, against a real
// Redis. Its accuracy is checked on the script itself with explicit Redis times (its test
// argument), so the bound is asserted on the arithmetic, never on this machine's speed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { runScript } from '../src/run-script.js';
import { EXACT_LOG_MAX, WINDOW } from '../src/window-script.js';
import { enter, fixture, passed } from './support/fixture.js';
import { sharedRedisUrl, uniquePrefix } from './support/redis-server.js';
import { rateLimit, rule, rules, sleep } from './support/processes.js';

const url = await sharedRedisUrl();
const prefix = uniquePrefix('hot-key');
const f = fixture(url, prefix);
let redis: Redis;

/** A seeded generator, so a failure replays. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The most admissions in any span of `windowUs` (times sorted ascending). */
function fullest(times: readonly number[], windowUs: number): number {
  let most = 0;
  for (let first = 0, last = 0; last < times.length; last++) {
    while (times[last]! - times[first]! >= windowUs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

interface Reply {
  readonly admitted: number;
  readonly retryMs: number;
  readonly reserved: number;
  readonly bucket: number;
}

describe('Global rate limit on a hot key (bucketed window)', { skip: url === undefined }, () => {
  before(() => {
    f.open();
    redis = f.redis;
  });
  after(() => f.close());

  /** One call of the script at Redis time `nowUs`. */
  async function call(
    key: string,
    nowUs: number,
    o: { limit: number; windowUs: number; n: number; want: number; leaseUs: number; instances: number; back?: [number, number] },
  ): Promise<Reply> {
    const back = o.back ? [o.back[0], 1, o.back[1]] : ['', 0, 0];
    const args = [o.limit, o.windowUs, o.n, 'tok', o.want, o.leaseUs, ...back, o.instances, nowUs];
    const [admitted, , retryMs, reserved, , bucket] = (await runScript(redis, WINDOW, key, args)) as number[];
    // These Redis times run faster than the clock the key's TTL follows; a stall of this
    // machine longer than the TTL must not wipe the window halfway through.
    await redis.persist(key);
    return { admitted: admitted!, retryMs: retryMs!, reserved: reserved!, bucket: bucket! };
  }

  it('never lets any span of the window hold more than the threshold, with leases used at their last moment and handed back', async () => {
    const key = `${prefix}{property}:window`;
    const limit = 2000;
    const windowUs = 1_000_000;
    const instances = 7;
    const next = random(19);
    const leases = Array.from({ length: instances }, () => ({ left: 0, until: 0, bucket: 0 }));
    const admittedAt: number[] = [];
    let now = 1_700_000_000_000_000; // Redis µs
    let refused = 0;
    const start = now;
    while (now - start < 6 * windowUs) {
      now += Math.floor(next() * 3000);
      const lease = leases[Math.floor(next() * instances)]!;
      let n = 1 + Math.floor(next() * 40);
      // Reserved admissions are spent as late as they may be: at the lease's very end.
      while (n > 0 && lease.left > 0 && now <= lease.until) {
        admittedAt.push(lease.until);
        lease.left -= 1;
        n -= 1;
      }
      const back: [number, number] | undefined = lease.left > 0 && now > lease.until ? [lease.bucket, lease.left] : undefined;
      if (back) lease.left = 0;
      const leaseUs = 1000 + Math.floor(next() * 100_000);
      const reply = await call(key, now, { limit, windowUs, n, want: Math.floor(next() * 300), leaseUs, instances, ...(back ? { back } : {}) });
      for (let i = 0; i < reply.admitted; i++) admittedAt.push(now);
      refused += n - reply.admitted;
      if (reply.reserved > 0) {
        if (lease.left > 0) await call(key, now, { limit, windowUs, n: 0, want: 0, leaseUs, instances, back: [lease.bucket, lease.left] });
        Object.assign(lease, { left: reply.reserved, until: now + leaseUs, bucket: reply.bucket });
      }
    }
    admittedAt.sort((a, b) => a - b);
    assert.ok(refused > 0, 'the demand went over the limit');
    assert.ok(fullest(admittedAt, windowUs) <= limit, `fullest span ${fullest(admittedAt, windowUs)} > ${limit}`);
    const perWindow = (admittedAt.length / (now - start)) * windowUs;
    assert.ok(perWindow >= 0.8 * limit, `admitted ${Math.round(perWindow)} per window at saturation, expected most of ${limit}`);
  });

  it('admits a steady flow within one bucket of the threshold, and says exactly when room comes back', async () => {
    const key = `${prefix}{steady}:window`;
    const o = { limit: 1000, windowUs: 1_000_000, want: 0, leaseUs: 0, instances: 1 };
    let now = 1_800_000_000_000_000;
    let admitted = 0;
    let retryMs = 0;
    for (let i = 0; i < 400; i++) {
      now += 5000;
      const reply = await call(key, now, { ...o, n: 20 });
      if (i >= 200) admitted += reply.admitted; // windows 1 s to 2 s in: the steady state
      retryMs = reply.retryMs;
    }
    // 100 buckets of 10 ms; the oldest one a window touches counts whole: 1000 × 100/101.
    assert.ok(admitted >= 990 && admitted <= 1000, `admitted ${admitted} per window`);
    assert.ok(retryMs > 0, 'retryMs > 0');
    const justBefore = await call(key, now + (retryMs - 1) * 1000, { ...o, n: 1 });
    assert.equal(justBefore.admitted, 0, `still full ${retryMs - 1} ms later`);
    const then = await call(key, now + retryMs * 1000, { ...o, n: 1 });
    assert.equal(then.admitted, 1, `room again ${retryMs} ms later, as the script said`);
  });

  it('keeps the exact log up to EXACT_LOG_MAX per window and switches to buckets above it', async () => {
    const s = f.store();
    await s.ready();
    const text = rules(
      rateLimit('low', 'Global', EXACT_LOG_MAX),
      rateLimit('high', 'Global', EXACT_LOG_MAX + 1),
      rule('a', '/low', ['low']),
      rule('b', '/high', ['high']),
    );
    const e = f.engine(text, s, 'hot-key-test');
    const low = await Promise.all(Array.from({ length: EXACT_LOG_MAX + 20 }, () => enter(e, '/low')));
    assert.equal(passed(low), EXACT_LOG_MAX, 'the log stays exact at its largest threshold');
    await Promise.all(Array.from({ length: 10 }, () => enter(e, '/high')));
    const [logKey] = await redis.keys(`${prefix}*/low}:rate`);
    const [bucketKey] = await redis.keys(`${prefix}*/high}:window`);
    assert.equal(await redis.type(logKey!), 'zset');
    assert.equal(await redis.type(bucketKey!), 'hash');
    assert.ok((await redis.hlen(bucketKey!)) < 10, 'a handful of fields, not one per admission');
  });

  it('hands unused leased admissions back, so a finished burst does not keep the window full', async () => {
    const client = f.client();
    const calls: { args: unknown[]; reply: number[] }[] = [];
    const evalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<number[]>;
    (client as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> }).evalsha = async (...args) => {
      const reply = await evalsha(...args);
      if (String(args[2]).endsWith('/giveback}:window')) calls.push({ args, reply });
      return reply;
    };
    const s = f.store({}, client);
    await s.ready();
    const e = f.engine(rules(rateLimit('giveback', 'Global', 100_000), rule('r', '/giveback', ['giveback'])), s, 'hot-key-test');
    let admitted = 0;
    for (let round = 0; round < 20; round++) {
      admitted += passed(await Promise.all(Array.from({ length: 50 }, () => enter(e, '/giveback'))));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const [key] = await redis.keys(`${prefix}*/giveback}:window`);
    const counted = async (): Promise<number> => Number(await redis.hget(key!, 't'));
    const before = await counted();
    assert.ok(before > admitted, `a lease is counted while it may still be used (${before} counted, ${admitted} admitted)`);
    await sleep(150); // past the longest lease (100 ms): what is left of it is of no use any more
    const seen = calls.length;
    assert.equal((await enter(e, '/giveback')).type, 'pass');
    const last = calls.slice(seen).at(-1)!;
    // ARGV 7-9 (after sha, 1, key): the bucket of the lapsed lease and the range left unused.
    const returned = Number(last.args[11]) - Number(last.args[10]) + 1;
    assert.notEqual(last.args[9], '', 'the call after the lease lapsed hands its rest back');
    assert.ok(returned > 0 && returned <= before - admitted, 'returned > 0 && returned <= before - admitted');
    const [admittedNow, , , reservedNow] = last.reply;
    assert.equal(await counted(), before - returned + admittedNow! + reservedNow!, 'Redis counts only what may still be used');
    client.disconnect();
  });
});
