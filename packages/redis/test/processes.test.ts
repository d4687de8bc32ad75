// What a user must see (issue 4), with real service processes (test/fixtures/app.ts, an
// Express app) sharing one Redis and hammered over HTTP.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisKey } from '../src/keys.js';
import { privateServerSkip, sharedRedisUrl, startRedisServer, uniquePrefix } from './support/redis-server.js';
import { busiestWindow, recordAdmissions } from './support/observe.js';
import { concurrencyLimit, get, hammer, rateLimit, rule, rules, sleep, startApp, type AppProcess } from './support/processes.js';

const url = await sharedRedisUrl();
const apps: AppProcess[] = [];
const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  await Promise.all(apps.map((a) => a.signal('SIGKILL')));
  for (const step of cleanup.reverse()) await step();
});

async function startApps(n: number, env: Record<string, string>): Promise<AppProcess[]> {
  const started = await Promise.all(Array.from({ length: n }, () => startApp(env)));
  apps.push(...started);
  return started;
}

/** Admissions of each port whose response arrived in [from, to). */
const admittedPer = (samples: { port: number; status: number; at: number }[], ports: readonly number[], from: number, to: number): number[] =>
  ports.map((port) => samples.filter((s) => s.port === port && s.status === 200 && s.at >= from && s.at < to).length);

const rateKey = (prefix: string, strategy: string, kind: 'rate' | 'permits' = 'rate'): string =>
  redisKey(prefix, '_/multi-process-test', `_/${strategy}/*:/foo`, kind);

describe('three processes sharing one Redis', { skip: url === undefined }, () => {
  it('Global 20/s: no one-second span admits more than 20 in total, and every second admits close to 20', async () => {
    const prefix = uniquePrefix('global');
    // A timeout only a hang reaches: on a loaded 2-core machine a 50 ms hiccup would make a
    // batch decide locally (by design); this test is about exactness while Redis answers.
    const env = { REDIS_URL: url!, KEY_PREFIX: prefix, TIMEOUT_MS: '10000', RULES: rules(rateLimit('g', 'Global', 20), rule('r', '/foo', ['g'])) };
    const three = await startApps(3, env);
    const redis = new Redis(url!);
    const admissions = recordAdmissions(redis, rateKey(prefix, 'g'));
    const started = performance.now();
    const samples = await hammer(three.map((a) => a.port), '/foo', 2, () => performance.now() - started > 5000);
    const seen = await admissions.stop();
    redis.disconnect();

    const statuses = new Set(samples.map((s) => s.status));
    assert.deepEqual([...statuses].sort(), [200, 429], 'only admissions and 429s');
    const ok = samples.filter((s) => s.status === 200).length;
    // Demand well over the limit, so the limit (not what a loaded host can send) set the pace.
    assert.ok(samples.length >= 2 * ok, `hammered: ${samples.length} requests for ${ok} admissions`);
    // Every admission was decided in Redis: no process ever switched to deciding locally, and
    // every admission is in Redis' log (a few more members are reservations that were never
    // used and aged out; they only ever make the count stricter). The log is read by polling,
    // which a starved test process may do less than once a window: then only the first holds.
    const switched = three.filter((a) => a.facts.some((f) => (f.state as { available?: boolean } | undefined)?.available === false));
    assert.equal(switched.length, 0, 'no process switched to deciding locally');
    if (admissions.complete()) assert.ok(seen.size >= ok, `every admission was decided in Redis (${ok} admitted, ${seen.size} logged)`);
    assert.ok(seen.size <= ok + 10, `at most a few unused reservations (${ok} admitted, ${seen.size} logged)`);
    const times = [...seen.values()];
    assert.ok(busiestWindow(times, 1_000_000) <= 20, `busiest second admitted ${busiestWindow(times, 1_000_000)}`);
    const first = Math.min(...times);
    const perSecond = [0, 1, 2, 3].map((k) => times.filter((t) => t >= first + k * 1e6 && t < first + (k + 1) * 1e6).length);
    // The upper bound is exact; the lower one leaves room for a stall of this loaded machine.
    for (const count of perSecond) assert.ok(count >= 14, `each second admits close to 20: ${perSecond.join(', ')}`);
    assert.ok(new Set(samples.filter((s) => s.status === 200).map((s) => s.port)).size === 3, 'all three admit');
    await Promise.all(three.map((a) => a.signal('SIGTERM')));
  });

  it('GlobalToLocal 30/s: about 10 each with three live, about 15 each within seconds of one dying', async () => {
    const prefix = uniquePrefix('g2l');
    const env = { REDIS_URL: url!, KEY_PREFIX: prefix, RULES: rules(rateLimit('g2l', 'GlobalToLocal', 30), rule('r', '/foo', ['g2l'])) };
    const three = await startApps(3, env);
    const count = async (app: AppProcess): Promise<number> => (JSON.parse((await get(app.port, '/instances')).body) as { count: number }).count;
    const waitForCount = async (group: AppProcess[], n: number, ms: number): Promise<number> => {
      const since = Date.now();
      while ((await Promise.all(group.map(count))).some((c) => c !== n)) {
        assert.ok(Date.now() - since < ms, `instance count did not become ${n} within ${ms} ms`);
        await sleep(100);
      }
      return Date.now() - since;
    };
    await waitForCount(three, 3, 5000);

    const ports = three.map((a) => a.port);
    let started = performance.now();
    let samples = await hammer(ports, '/foo', 2, () => performance.now() - started > 3000);
    let per = admittedPer(samples, ports, started + 1000, started + 3000).map((n) => n / 2);
    for (const rate of per) assert.ok(rate >= 7 && rate <= 10.5, `about 10/s each: ${per.join(', ')}`);

    await three[2]!.signal('SIGKILL'); // no goodbye: it drops out when its heartbeat goes stale
    const survivors = three.slice(0, 2);
    const tookMs = await waitForCount(survivors, 2, 6000);
    assert.ok(tookMs < 5000, `adjusted ${tookMs} ms after the kill`);
    started = performance.now();
    samples = await hammer(ports.slice(0, 2), '/foo', 2, () => performance.now() - started > 3000);
    per = admittedPer(samples, ports.slice(0, 2), started + 1000, started + 3000).map((n) => n / 2);
    for (const rate of per) assert.ok(rate >= 11 && rate <= 15.5, `about 15/s each: ${per.join(', ')}`);
    await Promise.all(survivors.map((a) => a.signal('SIGTERM')));
  });

  it('Global concurrency 3: three admitted in total, and a kill -9 gives its permit back within the lease', async () => {
    const prefix = uniquePrefix('conc');
    const leaseMs = 1500;
    const env = { REDIS_URL: url!, KEY_PREFIX: prefix, LEASE_MS: String(leaseMs), TIMEOUT_MS: '1000', RULES: rules(concurrencyLimit('c', 'Global', 3), rule('r', '/slow', ['c'])) };
    const three = await startApps(3, env);
    const results = new Map<number, { status: number } | Error>();
    const inFlight = three.flatMap((app) =>
      [0, 1, 2].map((i) => {
        const id = app.port * 10 + i;
        return get(app.port, '/slow?ms=4500').then(
          (r) => void results.set(id, r),
          (e: Error) => void results.set(id, e),
        );
      }),
    );
    await sleep(600);
    const refused = [...results.values()].filter((r) => !(r instanceof Error) && r.status === 429).length;
    assert.equal(refused, 6, 'nine slow requests, three admitted across the three processes');
    const holders = three.filter((app) => [0, 1, 2].some((i) => !results.has(app.port * 10 + i)));

    await sleep(leaseMs + 300); // past one lease: the holders' leases are being renewed
    for (const app of three) assert.equal((await get(app.port, '/slow?ms=10')).status, 429, 'still three held');

    const victim = holders[0]!;
    await victim.signal('SIGKILL');
    const killedAt = performance.now();
    const survivor = three.find((a) => a !== victim)!;
    let status = 429;
    while (status === 429 && performance.now() - killedAt < leaseMs + 1500) {
      status = (await get(survivor.port, '/slow?ms=10')).status;
      if (status === 429) await sleep(50);
    }
    const backAfter = performance.now() - killedAt;
    assert.equal(status, 200, 'the dead process permit came back');
    assert.ok(backAfter <= leaseMs + 300, `back ${Math.round(backAfter)} ms after kill -9 (lease ${leaseMs} ms)`);
    await Promise.all(inFlight);
    const finished = [...results.values()].filter((r) => !(r instanceof Error) && r.status === 200).length;
    const heldByVictim = [0, 1, 2].filter((i) => results.get(victim.port * 10 + i) instanceof Error).length;
    assert.equal(finished + heldByVictim, 3, 'the other holders ran to the end');
    await Promise.all(three.filter((a) => a !== victim).map((a) => a.signal('SIGTERM')));
  });

  it('Redis killed mid-load and restarted under Global 100/s: no 5xx, no decision waits on the dead Redis, fair share each, and no one-second span over 110 throughout', { skip: privateServerSkip() }, async (t) => {
    const redis = await startRedisServer();
    cleanup.push(() => redis.stop());
    const prefix = uniquePrefix('outage');
    const env = { REDIS_URL: redis.url, KEY_PREFIX: prefix, RULES: rules(rateLimit('g', 'Global', 100), rule('r', '/foo', ['g'])) };
    const three = await startApps(3, env);
    const ports = three.map((a) => a.port);
    let phase: 'global' | 'down' | 'restarted' | 'done' = 'global';
    const start = performance.now();
    const startEpoch = Date.now();
    const load = hammer(ports, '/foo', 2, () => phase === 'done');
    await sleep(2000);
    phase = 'down';
    const killEpoch = Date.now();
    await redis.kill();
    await Promise.all(three.map((a) => a.waitFor((f) => (f.state as { available?: boolean } | undefined)?.available === false, 3000)));
    const localFrom = Date.now();
    await sleep(3000);
    const upAt = performance.now();
    const localTo = Date.now();
    await redis.restart();
    phase = 'restarted';
    await Promise.all(three.map((a) => a.waitFor((f) => (f.state as { available?: boolean } | undefined)?.available === true && a.facts.filter((x) => x.state).length >= 3, 5000)));
    const recoveredIn = performance.now() - upAt;
    const globalFrom = performance.now();
    await sleep(2500);
    phase = 'done';
    const samples = await load;

    assert.equal(samples.filter((s) => s.status >= 500 || s.status === 0).length, 0, 'not one 5xx or failed request');
    // Known down: every decision is taken on the spot, none waits for a Redis that is not there
    // (what made the old p99 small; counted, not timed).
    const stats = await Promise.all(three.map(async (app) => JSON.parse((await get(app.port, '/stats')).body) as { count: number; waited: number; admitted: number[] }));
    for (const app of three) {
      const down = JSON.parse((await get(app.port, `/stats?from=${localFrom}&to=${localTo}`)).body) as { count: number; waited: number };
      assert.ok(down.count > 50, `${down.count} decisions while Redis was down`);
      assert.equal(down.waited, 0, 'no decision waited while Redis was known down');
    }
    // The limit through the failure and the recovery, from the arrival times of the admitted
    // requests (one clock: the processes run on one machine). An arrival time is not the
    // moment Redis admitted (that is up to one event-loop stall later), so on a loaded machine
    // even the healthy phase, exact in Redis, can show a few more than 100 in a span: the
    // failure and recovery are measured against that, and against 110.
    const admitted = stats.flatMap((s) => s.admitted);
    const healthy = busiestWindow(admitted, 1000, startEpoch + 1000, killEpoch);
    const through = busiestWindow(admitted, 1000, killEpoch);
    t.diagnostic(`busiest one-second span of arrivals: ${healthy} while healthy (exact in Redis), ${through} through failure and recovery (limit 100)`);
    assert.ok(through <= Math.max(110, healthy + 10), `busiest one-second span through failure and recovery: ${through} (healthy: ${healthy})`);
    const fair = admittedPer(samples, ports, upAt - 2000, upAt).map((n) => n / 2);
    // At most the fair share (the point), and not far below it (a stalled process on a
    // loaded machine admits nothing while stalled, and a sliding window never catches up).
    for (const rate of fair) assert.ok(rate >= 20 && rate <= 35, `about 100/3 each while down: ${fair.join(', ')}`);
    assert.ok(recoveredIn < 5000, `global again ${Math.round(recoveredIn)} ms after Redis came back`);
    const inLastSecond = samples.filter((s) => s.at >= globalFrom + 1300 && s.at < globalFrom + 2300);
    const lastSecond = inLastSecond.filter((s) => s.status === 200).length;
    // About 100, or all of what a loaded host managed to send in that second when that is less.
    const sent = inLastSecond.length;
    assert.ok(lastSecond >= Math.min(75, sent) && lastSecond <= 110, `about 100 in total per second again, not 100 each: ${lastSecond} of ${sent}`);
    assert.ok(performance.now() - start < 20_000, 'performance.now() - start < 20_000');
    await Promise.all(three.map((a) => a.signal('SIGTERM')));
  });
});
