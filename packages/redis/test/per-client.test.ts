// Global per-client limits (issue 17 item 3) with real service processes (fixtures/app.ts)
// sharing one Redis: each client's budget holds across the three, and a client that is over
// its budget costs no Redis call until its window has room again.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisKey } from '../src/keys.js';
import { sharedRedisUrl, uniquePrefix } from './support/redis-server.js';
import { busiestWindow, monitorCommands, recordAdmissions } from './support/observe.js';
import { rule, rules, startApp, type AppProcess } from './support/processes.js';

const url = await sharedRedisUrl();
const apps: AppProcess[] = [];
const connections: Redis[] = [];
const monitors: { close(): void }[] = [];
after(async () => {
  for (const connection of connections) connection.disconnect();
  for (const monitor of monitors) monitor.close();
  agent.destroy();
  await Promise.all(apps.map((a) => a.signal('SIGKILL')));
});

const perClient = (name: string, threshold: number): string => `
apiVersion: fault-tolerance.opensergo.io/v1alpha1
kind: RateLimitStrategy
metadata: { name: ${name} }
spec: { metricType: RequestAmount, limitMode: Global, threshold: ${threshold}, statDuration: 1s, limitBy: { type: header, key: X-Client } }`;

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
/** A request's status; 0 for a connection error or no answer within 5 s. */
function get(port: number, client: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/foo', agent, headers: { 'x-client': client }, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * Each client sends to every port, two at a time per port, until at least `ms` have passed and
 * each client has been refused `refusals` times (however slowly this machine serves them), or
 * 60 s at most; statuses per client, and how long it took.
 */
async function hammer(ports: readonly number[], clients: readonly string[], ms: number, refusals: number) {
  const statuses = new Map(clients.map((c) => [c, [] as number[]]));
  const started = performance.now();
  const refused = (client: string): number => statuses.get(client)!.filter((s) => s === 429).length;
  const done = (): boolean => {
    const elapsed = performance.now() - started;
    return elapsed > 60_000 || (elapsed >= ms && clients.every((c) => refused(c) >= refusals));
  };
  const loop = async (port: number, client: string): Promise<void> => {
    while (!done()) statuses.get(client)!.push(await get(port, client));
  };
  await Promise.all(ports.flatMap((port) => clients.flatMap((client) => [loop(port, client), loop(port, client)])));
  return { statuses, seconds: (performance.now() - started) / 1000 };
}

describe('Global per-client limits on three processes sharing one Redis', { skip: url === undefined }, () => {
  it('10/s per client: no client gets more than 10 in any second in total, and a blocked client costs no Redis call', async (t) => {
    const prefix = uniquePrefix('per-client');
    const env = { REDIS_URL: url!, KEY_PREFIX: prefix, TIMEOUT_MS: '1000', RULES: rules(perClient('ten', 10), rule('r', '/foo', ['ten'])) };
    const three = await Promise.all([startApp(env), startApp(env), startApp(env)]);
    apps.push(...three);
    const keyOf = (client: string): string => redisKey(prefix, '_/multi-process-test', `_/ten/*:/foo?${client}`, 'rate');
    const redis = new Redis(url!);
    connections.push(redis);
    const calls = new Map<string, number>([
      ['a', 0],
      ['b', 0],
    ]);
    // Calls from the processes: scripts (EVALSHA, EVAL) and commands (a ZREM giving an
    // admission back); not the commands a script runs inside Redis (MONITOR shows those too),
    // nor this test's own polling.
    const monitor = await monitorCommands(url!, ({ args, source, database }) => {
      const command = args[0]!.toLowerCase();
      if (database === 'lua' || source === 'lua' || command === 'zrange') return;
      for (const [client] of calls) if (args.includes(keyOf(client))) calls.set(client, calls.get(client)! + 1);
    });
    monitors.push(monitor);
    const logs = ['a', 'b'].map((client) => recordAdmissions(redis, keyOf(client)));
    const { statuses, seconds } = await hammer(
      three.map((a) => a.port),
      ['a', 'b'],
      3000,
      300,
    );
    const [a, b] = (await Promise.all(logs.map((log) => log.stop()))).map((seen) => [...seen.values()]);
    for (const connection of connections) connection.disconnect();
    monitor.close();

    for (const [client, times] of [
      ['a', a!],
      ['b', b!],
    ] as const) {
      const got = statuses.get(client)!;
      const admitted = got.filter((s) => s === 200).length;
      const refused = got.filter((s) => s === 429).length;
      assert.deepEqual([...new Set(got)].sort(), [200, 429], `${client}: only admissions and 429s`);
      assert.ok(busiestWindow(times, 1_000_000) <= 10, `${client}: busiest second admitted ${busiestWindow(times, 1_000_000)} (Redis log)`);
      // Admissions are decided in Redis; a batch that waits past TIMEOUT_MS on this loaded
      // machine is decided locally, on the process's share (docs/redis.md): a few at most.
      assert.ok(admitted <= times.length + 3, `${client}: admissions were decided in Redis (${admitted} admitted, ${times.length} logged)`);
      const windows = Math.ceil(seconds) + 1;
      assert.ok(admitted >= 10 && admitted <= 10 * windows, `${client}: at most 10 per second, ${admitted} in ${seconds.toFixed(1)} s`);
      // While a client's window is full, each process refuses it locally until the time Redis
      // named: its calls are those that admitted something, plus about one per process when a
      // window's room comes back, not one per refused request.
      const redisCalls = calls.get(client)!;
      assert.ok(refused >= 300, `${client}: hammered: ${refused} refused`);
      assert.ok(redisCalls <= admitted + 3 * 2 * windows, `${client}: ${redisCalls} Redis calls for ${admitted} admissions and ${refused} refusals`);
      t.diagnostic(`${client}: ${admitted} admitted, ${refused} refused, ${redisCalls} Redis calls in ${seconds.toFixed(1)} s, busiest second ${busiestWindow(times, 1_000_000)}`);
    }
    await Promise.all(three.map((app) => app.signal('SIGTERM')));
  });
});
