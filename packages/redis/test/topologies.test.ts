// Real topologies, started by the tests on free ports and stopped after: a Redis Cluster of
// three masters, and a Sentinel with a master and a replica (docs/redis.md).
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { createEngine, requestView, type Decision, type Engine, type EngineEventMap } from '@opensergo/core';
import { createRedisStore, type RedisConnection, type RedisStore } from '@opensergo/redis';
import { redisKey } from '../src/keys.js';
import { answers, privateServerSkip, uniquePrefix, type RedisServer } from './support/redis-server.js';
import { hasRedisCli, startCluster, startSentinel, type TestCluster } from './support/topologies.js';
import { busiestWindow, recordAdmissions, recordingLogger, until } from './support/observe.js';
import { hammer, rateLimit, rule, rules, sleep, startApp, type AppProcess } from './support/processes.js';

const skip = privateServerSkip() ?? (hasRedisCli() ? undefined : 'no redis-cli');
const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

type StateEvent = EngineEventMap['store:state'][0];

interface Setup {
  store: RedisStore;
  engine: Engine;
  logger: ReturnType<typeof recordingLogger>;
  events: StateEvent[];
  prefix: string;
}

function setup(connection: RedisConnection, text: string, app = 'topology-test'): Setup {
  const logger = recordingLogger();
  const prefix = uniquePrefix('topology');
  // Generous timeout: these tests are about which shard decides, not about a loaded machine.
  const store = createRedisStore(connection, { keyPrefix: prefix, timeoutMs: 1000, heartbeatMs: 200 });
  const engine = createEngine({ rules: text, store, app, logger });
  const events: StateEvent[] = [];
  engine.events.on('store:state', (event) => events.push(event));
  cleanup.push(() => engine.close(), () => store.close());
  return { store, engine, logger, events, prefix };
}

const enter = (engine: Engine, path: string): Decision | Promise<Decision> => engine.enter(requestView('GET', path, {}));

async function decide(engine: Engine, path: string, n: number): Promise<{ passed: number; waited: number }> {
  let passed = 0;
  let waited = 0;
  for (let i = 0; i < n; i++) {
    const pending = enter(engine, path);
    if (pending instanceof Promise) waited += 1;
    const decision = await pending;
    if (decision.type === 'pass') passed += 1;
  }
  return { passed, waited };
}

const rateKey = (prefix: string, app: string, strategy: string, path: string): string => redisKey(prefix, `_/${app}`, `_/${strategy}/*:${path}`, 'rate');

/**
 * Restarts a master the test killed if the test ends (a failure) before it restarted it, so
 * the next test does not start on a Cluster missing a master.
 */
function reviveAfter(t: TestContext, server: RedisServer): void {
  t.after(async () => {
    if (!(await answers(server.url, 500))) await server.restart();
  });
}

describe('Redis Cluster (three masters)', { skip }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster();
    cleanup.push(() => cluster.stop());
  });

  it('kill the master of /c: /c goes to local shares, /d stays exact in Redis, nothing flaps; /c comes back once', async (t) => {
    // Find a /c and a /d whose keys live on different masters.
    const prefix = uniquePrefix('topology');
    const paths = Array.from({ length: 30 }, (_, i) => `/p${i}`);
    const owners = await Promise.all(paths.map((p) => cluster.masterOf(rateKey(prefix, 'topology-test', p === paths[0] ? 'gc' : 'gd', p))));
    const c = paths[0]!;
    const d = paths.find((p, i) => i > 0 && owners[i] !== owners[0])!;
    const text = rules(rateLimit('gc', 'Global', 20), rateLimit('gd', 'Global', 20), rule('rc', c, ['gc']), rule('rd', d, ['gd']));
    const logger = recordingLogger();
    // A timeout only a stall reaches: /d must be decided in Redis however loaded the machine.
    const store = createRedisStore({ cluster: cluster.addresses }, { keyPrefix: prefix, timeoutMs: 1000, heartbeatMs: 200, logger });
    const engine = createEngine({ rules: text, store, app: 'topology-test', logger });
    const events: StateEvent[] = [];
    engine.events.on('store:state', (event) => events.push(event));
    cleanup.push(() => engine.close(), () => store.close());
    assert.ok(await store.ready(5000), 'connected to every master');
    assert.match(logger.lines[0]!, /^info redis store connected to redis\+cluster:\/\/.* \(masters 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+\)/);

    const victim = owners[0]!;
    const dKey = rateKey(prefix, 'topology-test', 'gd', d);
    const dMaster = await cluster.masterOf(dKey);
    const before = events.length;
    await victim.kill();
    reviveAfter(t, victim);
    // /c's shard goes down (after a few failed calls); /d's keeps deciding in Redis.
    await until(async () => (await decide(engine, c, 1), events.some((e) => !e.available)), 20_000, "/c's shard unavailable");
    const down = events.slice(before).filter((e) => !e.available);
    assert.equal(down.length, 1);
    assert.equal(down[0]!.shard, `127.0.0.1:${victim.port}`);
    const cLocal = await decide(engine, c, 30);
    assert.equal(cLocal.waited, 0, '/c is decided locally, on the spot');
    assert.ok(cLocal.passed <= 20, `/c admits at most its local share (${cLocal.passed})`);
    const admin = new Redis(dMaster.url);
    cleanup.push(() => void admin.disconnect());
    for (let round = 0; round < 2; round++) {
      const dRound = await decide(engine, d, 25);
      assert.equal(dRound.passed, 20, '/d: exactly the threshold');
      assert.equal(await admin.zcard(dKey), 20, '/d: every admission decided in Redis');
      await sleep(1100);
    }
    assert.deepEqual(events.slice(before).filter((e) => e.shard !== down[0]!.shard), [], "no other shard changed state");

    await victim.restart();
    await until(() => store.available, 15_000, "/c's shard back");
    const transitions = events.slice(before).filter((e) => e.shard === down[0]!.shard).map((e) => e.available);
    assert.deepEqual(transitions, [false, true], 'one way down, one way back: no flapping');
    assert.equal(logger.lines.filter((l) => l.includes('ERR_OPENSERGO_STORE_UNAVAILABLE')).length, 1);
    assert.match(logger.lines.find((l) => l.includes('available again'))!, new RegExp(`shard 127\\.0\\.0\\.1:${victim.port} available again`));
    await until(async () => (await decide(engine, c, 1)).waited === 1, 5000, '/c decided in Redis again');
  });

  it('three processes, Global 20/s on /c and /d: kill the master of /c; /c local, /d never over 20 in any second, neither flaps', async (t) => {
    const prefix = uniquePrefix('cluster-processes');
    const keyOf = (strategy: string, path: string): string => redisKey(prefix, '_/multi-process-test', `_/${strategy}/*:${path}`, 'rate');
    const candidates = Array.from({ length: 30 }, (_, i) => `/k/${i}`);
    const c = candidates[0]!;
    const cMaster = await cluster.masterOf(keyOf('gc', c));
    const d = (await Promise.all(candidates.map(async (p) => ((await cluster.masterOf(keyOf('gd', p))) === cMaster ? undefined : p)))).find((p) => p !== undefined)!;
    const text = rules(rateLimit('gc', 'Global', 20), rateLimit('gd', 'Global', 20), rule('rc', c, ['gc']), rule('rd', d, ['gd']));
    const env = { REDIS_URL: `redis+cluster://${cluster.addresses.join(',')}`, KEY_PREFIX: prefix, TIMEOUT_MS: '300', HEARTBEAT_MS: '200', RULES: text };
    const three = await Promise.all([0, 1, 2].map(() => startApp(env)));
    cleanup.push(() => Promise.all(three.map((a) => a.signal('SIGKILL'))).then(() => undefined));
    const stateFacts = (app: AppProcess): { available: boolean; reason?: string; shard?: string }[] => app.facts.filter((f) => f.state).map((f) => f.state as { available: boolean; reason?: string; shard?: string });
    await until(() => three.every((a) => stateFacts(a).filter((s) => s.available).length >= 3), 10_000, 'every process on every master');
    const started = three.map((a) => stateFacts(a).length);

    const dMaster = await cluster.masterOf(keyOf('gd', d));
    const reader = new Redis(dMaster.url);
    cleanup.push(() => void reader.disconnect());
    const dAdmissions = recordAdmissions(reader, keyOf('gd', d));
    let stop = false;
    const ports = three.map((a) => a.port);
    const load = Promise.all([hammer(ports, c, 1, () => stop), hammer(ports, d, 1, () => stop)]);
    await sleep(1500);
    await cMaster.kill();
    reviveAfter(t, cMaster);
    const cShard = `127.0.0.1:${cMaster.port}`;
    await until(() => three.every((a) => stateFacts(a).slice(started[three.indexOf(a)]).some((s) => !s.available)), 10_000, "every process sees /c's shard down");
    await sleep(2500);
    await cMaster.restart();
    await until(() => three.every((a) => stateFacts(a).slice(started[three.indexOf(a)]).some((s) => s.available)), 15_000, "every process sees /c's shard back");
    await sleep(1000);
    stop = true;
    const [cSamples, dSamples] = await load;
    const dTimes = [...(await dAdmissions.stop()).values()];

    for (const samples of [cSamples, dSamples]) {
      assert.equal(samples.filter((s) => s.status !== 200 && s.status !== 429).length, 0, 'only admissions and 429s');
    }
    const dBusiest = busiestWindow(dTimes, 1_000_000);
    t.diagnostic(`/d: busiest one-second span in Redis time ${dBusiest} (limit 20), ${dTimes.length} admissions logged`);
    assert.ok(dBusiest <= 20, `/d busiest second: ${dBusiest}`);
    assert.ok(dTimes.length >= 80, `/d kept admitting in Redis throughout: ${dTimes.length}`);
    for (const [i, app] of three.entries()) {
      const changes = stateFacts(app).slice(started[i]);
      assert.deepEqual(changes, [{ store: 'redis', available: false, reason: changes[0]!.reason, shard: cShard }, { store: 'redis', available: true, shard: cShard }], 'one way down, one way back, only /c\'s shard');
    }
    assert.ok(cSamples.filter((s) => s.status === 200).length > 20, '/c kept serving its local shares');
    await Promise.all(three.map((a) => a.signal('SIGTERM')));
  });

  it('a redis+cluster:// URL and a { url } naming one node both reach every master, without flapping', async () => {
    for (const connection of [{ url: `redis+cluster://${cluster.addresses[0]}` }, { url: `redis://${cluster.addresses[1]}` }]) {
      const paths = Array.from({ length: 12 }, (_, i) => `/k${i}`);
      const text = rules(rateLimit('g', 'Global', 5), ...paths.map((p, i) => rule(`r${i}`, p, ['g'])));
      const { store, engine, logger, events } = setup(connection, text);
      assert.ok(await store.ready(5000), 'the store connected');
      // Twelve keys spread over the three masters' slots: each admits exactly 5, in Redis.
      for (let i = 0; i < 3; i++) {
        const results = await Promise.all(paths.map((p) => decide(engine, p, 7)));
        if (results.every((r) => r.passed === 5)) break;
        await sleep(1100); // the first round of a { url } meets MOVED and moves to the cluster
      }
      const final = await Promise.all(paths.map(async (p) => (await sleep(0), p)));
      assert.equal(final.length, 12);
      assert.equal(events.filter((e) => !e.available).length, 0, `${connection.url}: never unavailable: ${logger.lines.join("\n")}`);
      assert.equal(logger.lines.filter((l) => l.startsWith('warn')).length, 0, logger.lines.join('\n'));
      await sleep(1100);
      const results = await Promise.all(paths.map((p) => decide(engine, p, 7)));
      assert.deepEqual(results.map((r) => r.passed), paths.map(() => 5), `${connection.url}: every key exact`);
    }
  });

  it('a { url } naming a node that does not hold the instance set, with only GlobalToLocal rules: it still becomes a cluster and counts the others', async () => {
    const prefix = uniquePrefix('topology');
    const holder = await cluster.masterOf(redisKey(prefix, '_/topology-test', '', 'instances'));
    const other = cluster.addresses.find((a) => a !== `127.0.0.1:${holder.port}`)!;
    const options = { keyPrefix: prefix, app: 'topology-test', heartbeatMs: 200, logger: recordingLogger() };
    const viaNode = createRedisStore({ url: `redis://${other}` }, options);
    const peer = createRedisStore({ cluster: cluster.addresses }, { ...options, logger: recordingLogger() });
    cleanup.push(() => viaNode.close(), () => peer.close());
    await until(() => viaNode.instanceCount() === 2 && peer.instanceCount() === 2, 5000, 'both counting two');
    assert.ok(options.logger.lines.some((l) => /is one node of a Redis Cluster \(MOVED .*using it as a cluster/.test(l)), options.logger.lines.join('\n'));
  });

  it('your own plain client naming one node: one warning saying to pass a Cluster, then local for good, never flapping', async () => {
    const client = new Redis(`redis://${cluster.addresses[0]}`, { enableOfflineQueue: false });
    cleanup.push(() => void client.disconnect());
    const paths = Array.from({ length: 12 }, (_, i) => `/m${i}`);
    const text = rules(rateLimit('g', 'Global', 5), ...paths.map((p, i) => rule(`r${i}`, p, ['g'])));
    const { store, engine, logger, events } = setup({ client }, text);
    assert.ok(await store.ready(5000), 'the store connected');
    for (let round = 0; round < 4; round++) {
      await Promise.all(paths.map((p) => decide(engine, p, 3)));
      await sleep(300); // several probe periods
    }
    assert.deepEqual(events.map((e) => e.available), [true, false], 'down once, never back');
    const warnings = logger.lines.filter((l) => l.startsWith('warn'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /is one node of a Redis Cluster \(MOVED \d+ .*pass an ioredis Cluster, \{ cluster: \[nodes\] \} or a redis\+cluster:\/\/ URL/);
    const local = await decide(engine, paths[0]!, 3);
    assert.equal(local.waited, 0, 'decided locally');
  });
});

describe('Redis Sentinel (master, replica, sentinel)', { skip }, () => {
  it('connects through the Sentinel, logs the master it really uses, and follows a failover to the new one', async () => {
    const sentinel = await startSentinel();
    cleanup.push(() => sentinel.stop());
    const text = rules(rateLimit('g', 'Global', 5), rule('r', '/s', ['g']));
    const { store, engine, logger, events } = setup({ url: sentinel.url }, text);
    assert.ok(await store.ready(5000), 'the store connected');
    assert.match(logger.lines[0]!, new RegExp(`connected to redis\\+sentinel://127\\.0\\.0\\.1:${sentinel.port}/mymaster \\(master 127\\.0\\.0\\.1:${sentinel.master.port}\\)`));
    assert.equal((await decide(engine, '/s', 8)).passed, 5);

    await sentinel.master.kill();
    await until(async () => (await sentinel.currentMaster()) === `127.0.0.1:${sentinel.replica.port}`, 20_000, 'the failover');
    await until(() => events.length >= 3 && store.available, 15_000, 'back on the new master');
    assert.deepEqual(events.map((e) => e.available), [true, false, true]);
    assert.match(logger.lines.find((l) => l.includes('available again'))!, new RegExp(`master 127\\.0\\.0\\.1:${sentinel.replica.port}`));
  });
});
