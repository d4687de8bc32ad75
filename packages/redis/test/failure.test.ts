// Redis unreachable, refusing scripts, flushed, killed, hung: every test here starts and
// stops its own redis-server (never the shared one).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createEngine, requestView, type Decision, type Engine, type EngineEventMap } from '@opensergo/core';
import { createRedisStore, type RedisStore } from '@opensergo/redis';
import { freePort, privateServerSkip, startRedisServer, uniquePrefix, type RedisServer } from './support/redis-server.js';
import { recordingLogger, until } from './support/observe.js';
import { concurrencyLimit, rateLimit, rule, rules, sleep } from './support/processes.js';

const skip = privateServerSkip();
const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

type StateEvent = EngineEventMap['store:state'][0];

/** A store, an engine and what they reported, cleaned up after the file. */
function setup(
  url: string,
  text: string,
  options: Parameters<typeof createRedisStore>[1] = {},
): { store: RedisStore; engine: Engine; logger: ReturnType<typeof recordingLogger>; events: StateEvent[] } {
  const logger = recordingLogger();
  // A generous timeout unless a test is about timeouts: a loaded machine must not turn a
  // Redis decision into a local one (by design) where a test counts Redis decisions.
  const store = createRedisStore({ url }, { keyPrefix: uniquePrefix('failure'), timeoutMs: 1000, ...options });
  const engine = createEngine({ rules: text, store, app: 'failure-test', logger });
  const events: StateEvent[] = [];
  engine.events.on('store:state', (event) => events.push(event));
  cleanup.push(() => engine.close(), () => store.close());
  return { store, engine, logger, events };
}

async function server(extra: readonly string[] = [], port?: number): Promise<RedisServer> {
  const started = await startRedisServer(extra, port);
  cleanup.push(() => started.stop());
  return started;
}

const enter = (engine: Engine, path: string): Decision | Promise<Decision> => engine.enter(requestView('GET', path, {}));

/**
 * Decides `n` requests one after another; returns how many passed, the slowest decision, and
 * how many needed a promise (asked Redis) rather than being decided on the spot. `lateMs`:
 * the most any decision came after a plain timer of `timerMs` started with it fired (what a
 * loaded host adds to a timer is in both, so this is what the decision itself added).
 */
async function decideTimed(engine: Engine, path: string, n: number, timerMs = 0): Promise<{ passed: number; slowestMs: number; waited: number; lateMs: number }> {
  let passed = 0;
  let slowestMs = 0;
  let waited = 0;
  let lateMs = 0;
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const timer = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now()), timerMs));
    const pending = enter(engine, path);
    if (pending instanceof Promise) waited += 1;
    const decision = await pending;
    const decidedAt = performance.now();
    slowestMs = Math.max(slowestMs, decidedAt - started);
    lateMs = Math.max(lateMs, decidedAt - (await timer));
    if (decision.type === 'pass') {
      passed += 1;
      decision.entry?.exit({ type: 'finished', statusCode: 200 });
    }
  }
  return { passed, slowestMs, waited, lateMs };
}

const RATE = rules(rateLimit('g', 'Global', 10), rule('r', '/foo', ['g']));

describe('Redis failures', { skip }, () => {
  it('an unreachable URL at start-up: a warning naming it, requests served locally at once, global when Redis appears', async () => {
    const port = await freePort();
    const { store, engine, logger, events } = setup(`redis://127.0.0.1:${port}`, RATE);
    await until(() => events.length > 0, 3000, 'the store:state event');
    assert.equal(events[0]!.available, false);
    assert.match(events[0]!.reason!, new RegExp(`cannot connect to redis://127.0.0.1:${port}.*ECONNREFUSED`));
    assert.equal(logger.lines.length, 1);
    assert.match(logger.lines[0]!, /^warn ERR_OPENSERGO_STORE_UNAVAILABLE: redis store unavailable: cannot connect to redis:\/\/127\.0\.0\.1:\d+/);
    assert.match(logger.lines[0]!, /Requests are still served/);
    const decision = enter(engine, '/foo');
    assert.ok(!(decision instanceof Promise), 'no waiting for a Redis that is not there');
    const { passed } = await decideTimed(engine, '/foo', 20);
    assert.equal(passed + 1, 10, 'the local fair share (one instance known: all of it)');

    await server([], port);
    assert.ok(await store.ready(5000), 'connects by itself once Redis answers');
    assert.deepEqual(events.at(-1), { store: 'redis', available: true });
    assert.equal(logger.lines.filter((l) => l.startsWith('warn')).length, 1, 'one line per transition, not per retry');
    // A single URL names the server itself, which may be a replica: not called a master.
    assert.match(logger.lines.find((l) => l.includes('connected to'))!, new RegExp(`connected to redis://127\\.0\\.0\\.1:${port} \\(server 127\\.0\\.0\\.1:${port}\\)`));
  });

  it('a Redis that refuses scripting: a warning naming the problem, and requests still served', async () => {
    const redis = await server(['--rename-command', 'EVAL', '', '--rename-command', 'EVALSHA', '', '--rename-command', 'SCRIPT', '']);
    const { store, engine, logger, events } = setup(redis.url, RATE);
    await until(() => events.length > 0, 3000, 'the store:state event');
    assert.equal(store.available, false);
    assert.match(events[0]!.reason!, /refuses Lua scripting \(ERR unknown command 'evalsha'.*EVALSHA, EVAL or SCRIPT LOAD/);
    assert.match(logger.lines.join('\n'), /ERR_OPENSERGO_STORE_UNAVAILABLE.*refuses Lua scripting/);
    const { passed, waited } = await decideTimed(engine, '/foo', 15);
    assert.equal(passed, 10);
    assert.equal(waited, 0, 'decided locally, on the spot');
  });

  it('an ACL user without scripting: NOPERM named in the warning', async () => {
    const redis = await server();
    const admin = new Redis(redis.url);
    await admin.call('ACL', 'SETUSER', 'noscript', 'on', '>secret', '~*', '+@all', '-@scripting');
    admin.disconnect();
    const { store, events } = setup(`redis://noscript:secret@127.0.0.1:${redis.port}`, RATE);
    await until(() => events.length > 0, 3000, 'the store:state event');
    assert.equal(store.available, false);
    assert.match(events[0]!.reason!, /refuses Lua scripting \(NOPERM/);
  });

  it('an ACL user allowed scripts but not the store\'s keys: the warning says keys, not scripting', async () => {
    const redis = await server();
    const admin = new Redis(redis.url);
    await admin.call('ACL', 'SETUSER', 'nokeys', 'on', '>secret', '~other:*', '+@all');
    admin.disconnect();
    const { store, engine, logger, events } = setup(`redis://nokeys:secret@127.0.0.1:${redis.port}`, RATE);
    // The probe at start-up runs no key: the store connects; the first decision reaches the key and is refused.
    assert.ok(await store.ready(3000), 'the store connected');
    const first = await enter(engine, '/foo');
    assert.equal(first.type, 'pass', 'decided locally, not a failure');
    await until(() => events.some((e) => e.available === false), 3000, 'the store:state event');
    assert.equal(store.available, false);
    const reason = events.find((e) => e.available === false)!.reason!;
    // The key pattern to allow, with the store's key prefix (a test prefix here).
    assert.match(reason, /refuses access to the store's keys \(NOPERM .*\); allow them by ACL: ~opensergo\S*:\*$/);
    assert.doesNotMatch(reason, /scripting/);
    assert.match(logger.lines.join('\n'), /ERR_OPENSERGO_STORE_UNAVAILABLE.*refuses access to the store's keys/);
  });

  it('a Redis error that ends with a full stop reads as one sentence in the warning', async () => {
    const redis = await server();
    const { store, engine, logger } = setup(redis.url, RATE);
    assert.ok(await store.ready(3000), 'the store connected');
    // Writes refused with `NOREPLICAS Not enough good replicas to write.`
    const admin = new Redis(redis.url);
    await admin.config('SET', 'min-replicas-to-write', '1');
    admin.disconnect();
    await until(
      async () => {
        await enter(engine, '/foo');
        return !store.available;
      },
      3000,
      'the store going down',
    );
    const warning = logger.lines.find((l) => l.includes('ERR_OPENSERGO_STORE_UNAVAILABLE'))!;
    assert.match(warning, /NOREPLICAS Not enough good replicas to write.*[^.]\. Requests are still served/);
    assert.doesNotMatch(warning, /\.\./, 'one full stop between the reason and what follows');
  });

  it('only EVAL renamed away is fine: EVALSHA and SCRIPT LOAD carry every decision', async () => {
    const redis = await server(['--rename-command', 'EVAL', '']);
    const { store, engine } = setup(redis.url, RATE);
    assert.ok(await store.ready(3000), 'the store connected');
    const decisions = await Promise.all(Array.from({ length: 15 }, () => enter(engine, '/foo')));
    assert.equal(decisions.filter((d) => d.type === 'pass').length, 10);
  });

  it('survives SCRIPT FLUSH (NOSCRIPT): scripts are loaded again and decisions stay global', async () => {
    const redis = await server();
    const { store, engine, logger } = setup(redis.url, RATE);
    assert.ok(await store.ready(3000), 'the store connected');
    const admin = new Redis(redis.url);
    await admin.script('FLUSH');
    const decisions = await Promise.all(Array.from({ length: 15 }, () => enter(engine, '/foo')));
    assert.equal(decisions.filter((d) => d.type === 'pass').length, 10);
    const [key] = await admin.keys('*:rate');
    assert.equal(await admin.zcard(key!), 10, 'decided in Redis, not locally');
    assert.equal(store.available, true);
    assert.ok(!logger.lines.some((l) => l.startsWith('warn')), "!logger.lines.some((l) => l.startsWith('warn'))");
    admin.disconnect();
  });

  it('Redis killed and restarted: fast local decisions of the fair share, then global again by itself', async () => {
    const redis = await server();
    const text = rules(rateLimit('g', 'Global', 10), concurrencyLimit('c', 'Global', 4), rule('r', '/foo', ['g']), rule('rc', '/c', ['c']));
    const keyPrefix = uniquePrefix('killed');
    const { store, engine, logger, events } = setup(redis.url, text, { heartbeatMs: 200, keyPrefix });
    const peer = createRedisStore({ url: redis.url }, { keyPrefix, app: 'failure-test', heartbeatMs: 200, logger: recordingLogger() });
    cleanup.push(() => peer.close());
    assert.ok(await store.ready(3000), 'the store connected');
    await until(() => store.instanceCount() === 2, 2000, 'two instances registered');
    const held = await enter(engine, '/c'); // a permit in flight when Redis dies
    assert.equal(held.type, 'pass');

    await redis.kill();
    await until(() => events.some((e) => !e.available), 2000, 'the unavailable event');
    assert.match(events.at(-1)!.reason!, /connection to redis:\/\/127\.0\.0\.1:\d+ lost/);
    const { passed, waited } = await decideTimed(engine, '/foo', 30);
    assert.equal(passed, 5, 'threshold 10 / 2 last known instances');
    assert.equal(waited, 0, 'no waiting on a dead Redis');
    const permits = await Promise.all(Array.from({ length: 4 }, () => enter(engine, '/c')));
    assert.equal(permits.filter((d) => d.type === 'pass').length, 1, 'max 4 / 2 instances, one already in flight');
    if (held.type === 'pass') held.entry!.exit({ type: 'finished', statusCode: 200 });

    const downAt = Date.now();
    await redis.restart();
    await until(() => store.available, 5000, 'recovery');
    const recoveredIn = Date.now() - downAt;
    assert.ok(recoveredIn < 3000, `global again ${recoveredIn} ms after Redis came back`);
    assert.deepEqual(events.map((e) => e.available), [true, false, true]);
    assert.equal(logger.lines.filter((l) => /unavailable|available again/.test(l)).length, 2);
    await sleep(1000); // let the local window empty
    const admin = new Redis(redis.url);
    const decisions = await Promise.all(Array.from({ length: 15 }, () => enter(engine, '/foo')));
    assert.equal(decisions.filter((d) => d.type === 'pass').length, 10, 'the whole threshold again: enforced in Redis');
    const [key] = await admin.keys('*:rate');
    assert.equal(await admin.zcard(key!), 10);
    admin.disconnect();
  });

  it('a Redis that hangs: no decision waits longer than the timeout, and it comes back after', async () => {
    const redis = await server();
    const { store, engine, events } = setup(redis.url, RATE, { timeoutMs: 30, heartbeatMs: 200 });
    assert.ok(await store.ready(3000), 'the store connected');
    redis.pause();
    cleanup.push(() => redis.resume());
    const { slowestMs, lateMs, waited } = await decideTimed(engine, '/foo', 20, 30);
    // Decided when a 30 ms timer started with it fires (a loaded host delays both alike), not
    // when Redis answers: nowhere near a reconnect or a hang.
    assert.ok(lateMs < 100, `bounded by the timeout (${lateMs} ms after a 30 ms timer; slowest ${slowestMs} ms)`);
    assert.ok(waited <= 3, `three timeouts, then no more asking (${waited} asked)`);
    assert.equal(store.available, false);
    assert.match(events.at(-1)!.reason!, /did not answer within 30 ms/);
    const { waited: afterwards } = await decideTimed(engine, '/foo', 20);
    assert.equal(afterwards, 0, 'once known down, decided locally on the spot');
    redis.resume();
    await until(() => store.available, 3000, 'recovery after SIGCONT');
  });

  it('permits a late reply took are free as soon as Redis answers again, not at the next lease renewal', async () => {
    const redis = await server();
    const text = rules(concurrencyLimit('c', 'Global', 4), rule('rc', '/c', ['c']));
    // A lease so long that its renewal (every third of it) never comes during the test.
    const { store, engine } = setup(redis.url, text, { timeoutMs: 30, heartbeatMs: 200, leaseMs: 600_000 });
    assert.ok(await store.ready(3000), 'the store connected');
    redis.pause();
    cleanup.push(() => redis.resume());
    // Three rounds of four requests, each one call that gets no answer: refused (the others may
    // hold every permit), and the third failure sends the key local.
    for (let round = 0; round < 3; round++) {
      const decisions = await Promise.all(Array.from({ length: 4 }, () => enter(engine, '/c')));
      assert.deepEqual(decisions.map((d) => d.type), ['block', 'block', 'block', 'block'], `round ${round + 1}`);
    }
    assert.equal(store.available, false);
    // Redis now runs the first round's acquire, late: it grants all 4 permits to requests that
    // were refused long ago.
    redis.resume();
    await until(() => store.available, 5000, 'recovery');
    const admin = new Redis(redis.url);
    const [key] = await admin.keys('*:permits');
    admin.disconnect();
    const decisions = await Promise.all(Array.from({ length: 4 }, () => enter(engine, '/c')));
    assert.equal(decisions.filter((d) => d.type === 'pass').length, 4, `no request runs, so every permit is free (key ${key})`);
    for (const d of decisions) if (d.type === 'pass') d.entry!.exit({ type: 'finished', statusCode: 200 });
  });

  it('an engine that starts using a store already known down reports it down, and why (a wrong password)', async () => {
    const redis = await server();
    const admin = new Redis(redis.url);
    await admin.config('SET', 'requirepass', 'right');
    admin.disconnect();
    const logger = recordingLogger();
    const store = createRedisStore({ url: `redis://:wrong@127.0.0.1:${redis.port}` }, { keyPrefix: uniquePrefix('failure'), logger });
    cleanup.push(() => store.close());
    // The usual start-up: wait (bounded) for Redis, then build the app whatever the answer.
    assert.equal(await store.ready(1000), false);
    await until(() => logger.lines.length > 0, 3000, 'the warning');
    assert.match(logger.lines[0]!, /^warn ERR_OPENSERGO_STORE_UNAVAILABLE: .*cannot connect to redis:\/\/127\.0\.0\.1:\d+: WRONGPASS/);
    const engine = createEngine({ rules: RATE, store, app: 'failure-test', logger: recordingLogger() });
    cleanup.push(() => engine.close());
    const { available, reason } = engine.metrics().store;
    assert.equal(available, false, 'the engine says what the store says');
    assert.match(reason ?? '', /WRONGPASS/);
    const { passed, waited } = await decideTimed(engine, '/foo', 15);
    assert.equal(passed, 10, 'the local fair share');
    assert.equal(waited, 0, 'decided on the spot');
    assert.equal(logger.lines.length, 1, 'one line, not one per reconnect attempt');
  });

  it('a Redis that answers but refuses writes (out of memory, noeviction) keeps the keys local instead of flapping', async () => {
    const redis = await server(['--maxmemory-policy', 'noeviction']);
    // Above 500 a window is counted in buckets, whose script's first write is refused when
    // Redis is out of memory (the admission log's first write, a removal, is not).
    const text = rules(rateLimit('g', 'Global', 1000), rule('r', '/foo', ['g']));
    const { store, engine, events } = setup(redis.url, text, { heartbeatMs: 200 });
    assert.ok(await store.ready(3000), 'the store connected');
    const admin = new Redis(redis.url);
    cleanup.push(() => admin.disconnect());
    for (let i = 0; i < 50; i++) await admin.set(`fill:${i}`, 'x'.repeat(10_000));
    await admin.config('SET', 'maxmemory', '1mb'); // far below what it uses now
    const oomErrors = async (): Promise<number> => Number(/errorstat_OOM:count=(\d+)/.exec(await admin.info('errorstats'))?.[1] ?? 0);
    await until(
      async () => {
        const decisions = await Promise.all(Array.from({ length: 5 }, () => enter(engine, '/foo')));
        assert.equal(decisions.filter((d) => d.type === 'pass').length, 5, 'served, whatever Redis says');
        return events.some((e) => !e.available);
      },
      10_000,
      'the unavailable event',
    );
    assert.match(events.at(-1)!.reason!, /OOM command not allowed/);
    // Recovery needs three good probe replies in a row, a few hundred ms apart. Keep deciding
    // until Redis has refused several more calls: before, its probes were answered every time
    // and the keys went back to Redis, failed again and came back, two log lines a second.
    const refused = await oomErrors();
    await until(
      async () => {
        await Promise.all(Array.from({ length: 5 }, () => enter(engine, '/foo')));
        return events.at(-1)!.available || (await oomErrors()) >= refused + 6;
      },
      20_000,
      'six more refusals',
    );
    assert.deepEqual(events.map((e) => e.available), [true, false], 'down once, and stays down');
    assert.equal(store.available, false);
    assert.match(engine.metrics().store.reason ?? '', /OOM/);
    await admin.config('SET', 'maxmemory', '0');
    await until(() => store.available, 5000, 'recovery once Redis accepts writes again');
    assert.deepEqual(events.map((e) => e.available), [true, false, true]);
  });

  it('close() is bounded and quiet with Redis gone', async () => {
    const redis = await server();
    const store = createRedisStore({ url: redis.url }, { logger: recordingLogger() });
    assert.ok(await store.ready(3000), 'the store connected');
    redis.pause();
    cleanup.push(() => redis.resume());
    const started = Date.now();
    await store.close();
    assert.ok(Date.now() - started < 1500, 'Date.now() - started < 1500');
  });
});
