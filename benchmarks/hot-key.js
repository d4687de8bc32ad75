// One hot key, many instances: what a Global rate limit costs Redis, and how exact it stays.
//
// Simulates `--instances` instances (default 100) in this process, each with its own Redis
// store and connection, all limiting the same key to `--limit` admissions per `--window` ms,
// offered `--demand` × the limit in total (spread evenly, every event-loop iteration). Prints
// admissions per second, Redis CPU (INFO cpu, used_cpu_sys + used_cpu_user, before and after),
// Redis calls (INFO commandstats), the key's memory (MEMORY USAGE, largest sample) and the
// fullest and emptiest window, in 1 ms slots (an admission handed out from a lease is timed
// when the instance handed it out; one decided in Redis, at the Redis time of its decision).
// Then the same instances with rate-limiter-flexible's RateLimiterRedis, each instance keeping
// `--rlf-inflight` consume() calls in flight (it makes one Redis call per request, so it is
// driven as fast as it goes rather than at the demand rate).
//
// Redis: a private redis-server on a free port (so its CPU is this run's alone) when the
// binary exists, else BENCH_REDIS_URL / REDIS_URL / 127.0.0.1:6379.
//
//   npm run build && node benchmarks/hot-key.js [--instances 100] [--limit 1200000]
//     [--window 1000] [--demand 1.25] [--seconds 10] [--only opensergo|rlf]
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { Block, systemClock } from '@opensergo/core';
import { createRedisStore } from '@opensergo/redis';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '100' },
    limit: { type: 'string', default: '1200000' },
    window: { type: 'string', default: '1000' },
    demand: { type: 'string', default: '1.25' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    only: { type: 'string' },
    'rlf-inflight': { type: 'string', default: '4' },
  },
});
const INSTANCES = Number(values.instances);
const LIMIT = Number(values.limit);
const WINDOW_MS = Number(values.window);
const DEMAND = Number(values.demand) * (LIMIT / WINDOW_MS); // requests per ms, all instances
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);

const quiet = { info() {}, warn() {}, error() {} };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A private redis-server (stopped at exit), or the shared one. */
async function redisUrl() {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    return { url: process.env.BENCH_REDIS_URL || process.env.REDIS_URL || 'redis://127.0.0.1:6379', stop() {} };
  }
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--maxclients', '10000'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => 50 });
  for (let i = 0; i < 100; i++) {
    if (await probe.ping().then(() => true, () => false)) break;
    await sleep(50);
  }
  probe.disconnect();
  return { url, stop: () => child.kill('SIGTERM') };
}

/** Redis TIME (ms) minus performance.now() on this host, from the tightest of a few probes. */
async function redisClockOffset(admin) {
  let best = { spread: Infinity, offset: 0 };
  for (let i = 0; i < 20; i++) {
    const before = performance.now();
    const [seconds, micros] = await admin.time();
    const after = performance.now();
    const offset = Number(seconds) * 1000 + Number(micros) / 1000 - (before + after) / 2;
    if (after - before < best.spread) best = { spread: after - before, offset };
  }
  return best.offset;
}

async function redisCpu(admin) {
  const info = await admin.info('cpu');
  const field = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_sys') + field('used_cpu_user');
}

async function commandCalls(admin) {
  const info = await admin.info('commandstats');
  let calls = 0;
  for (const match of info.matchAll(/^cmdstat_(\w+):calls=(\d+),usec=(\d+)/gm)) {
    if (!['info', 'memory', 'config', 'ping', 'client'].includes(match[1])) calls += Number(match[2]);
  }
  return calls;
}

/** Admissions per 1 ms slot since `start`; the fullest and emptiest sliding window. */
class Timeline {
  constructor(seconds) {
    this.start = performance.now();
    this.slots = new Int32Array(Math.ceil((seconds + 5) * 1000));
  }
  add(at, n = 1) {
    const slot = Math.floor(at - this.start);
    if (slot >= 0 && slot < this.slots.length) this.slots[slot] += n;
  }
  windows(from, to) {
    let sum = 0;
    let max = 0;
    let min = Infinity;
    for (let i = from; i < to; i++) {
      sum += this.slots[i];
      if (i - WINDOW_MS >= from) sum -= this.slots[i - WINDOW_MS];
      if (i - from + 1 >= WINDOW_MS) {
        max = Math.max(max, sum);
        min = Math.min(min, sum);
      }
    }
    return { max, min };
  }
}

/** Runs `drive` for warm-up + measured seconds and reports what Redis paid. */
async function measure(label, admin, key, drive) {
  const timeline = new Timeline(WARMUP + SECONDS);
  const counts = { admitted: 0, refused: 0, decidedInRedis: 0 };
  const stop = drive(timeline, counts);
  await sleep(WARMUP * 1000);
  await admin.config('RESETSTAT');
  const cpu0 = await redisCpu(admin);
  const calls0 = await commandCalls(admin);
  const admitted0 = counts.admitted;
  const refused0 = counts.refused;
  const decided0 = counts.decidedInRedis;
  const from = Math.floor(performance.now() - timeline.start);
  const t0 = performance.now();
  let memory = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    await sleep(250);
    memory = Math.max(memory, Number(await admin.memory('USAGE', key)) || 0);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const to = Math.floor(performance.now() - timeline.start);
  const cpu = (await redisCpu(admin)) - cpu0;
  const calls = (await commandCalls(admin)) - calls0;
  const admitted = counts.admitted - admitted0;
  const refused = counts.refused - refused0;
  await stop();
  const { max, min } = timeline.windows(from, to);
  const row = {
    limiter: label,
    'admitted/s': Math.round(admitted / elapsed),
    'refused/s': Math.round(refused / elapsed),
    'Redis CPU (cores)': +(cpu / elapsed).toFixed(3),
    'Redis µs/admission': +((cpu * 1e6) / Math.max(1, admitted)).toFixed(3),
    'Redis calls/s': Math.round(calls / elapsed),
    'key bytes (max)': memory,
    'fullest window / limit': +(max / LIMIT).toFixed(4),
    'emptiest window / limit': +(min / LIMIT).toFixed(4),
    'admitted on the spot': +(1 - (counts.decidedInRedis - decided0) / Math.max(1, admitted)).toFixed(3),
  };
  console.log(JSON.stringify(row));
  return row;
}

async function opensergo(url, admin) {
  const prefix = `hot-key:${process.pid}:`;
  // An admission decided in Redis is timed by the Redis time its call's reply names (the
  // member token of the call → that time, on this process's clock), not by when this busy
  // process got round to reading the reply.
  const decidedAt = new Map();
  const offset = await redisClockOffset(admin);
  const clients = Array.from({ length: INSTANCES }, () => {
    const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false });
    const evalsha = client.evalsha.bind(client);
    client.evalsha = (...args) =>
      evalsha(...args).then((reply) => {
        if (String(args[2]).endsWith(':window') || String(args[2]).endsWith(':rate')) decidedAt.set(args[6], reply[1] / 1000 - offset);
        return reply;
      });
    return client;
  });
  const stores = clients.map((client) =>
    // A generous timeout: this measures the hot-key algorithm, not the fallback, and on a
    // loaded machine this one process running 100 instances can stall for a second.
    createRedisStore({ client }, { keyPrefix: prefix, app: 'hot', namespace: 'bench', logger: quiet, timeoutMs: 5000 }),
  );
  await Promise.all(stores.map((s) => s.ready(10_000)));
  await sleep(1500); // every instance has beaten at least once: each sees all the others
  const strategy = { kind: 'RateLimitStrategy', name: 'hot', metricType: 'RequestAmount', limitMode: 'Global', threshold: LIMIT, statDurationMs: WINDOW_MS };
  const events = { emit() {} };
  const guards = stores.map((store) =>
    store.globalRateLimit(strategy, { clock: systemClock, store, logger: quiet, events, key: 'hot/*:/hot', target: '/hot', metrics: undefined }),
  );
  const key = `${prefix}{bench/hot/hot/*:/hot}:${LIMIT > 500 ? 'window' : 'rate'}`;
  let running = true;
  let fallbacks = 0;
  const drive = (timeline, counts) => {
    const owed = new Float64Array(INSTANCES);
    let last = performance.now();
    let share = 0;
    const perInstance = DEMAND / INSTANCES;
    // Ten instances per turn of the event loop, so each one's replies are read about as soon
    // as they would be in a process of its own (one turn for all 100 would delay them all).
    const CHUNK = 10;
    const turn = (first) => {
      if (!running) return;
      const now = performance.now();
      if (first === 0) {
        share = Math.min(50, now - last) * perInstance;
        last = now;
      }
      for (let i = first; i < Math.min(INSTANCES, first + CHUNK); i++) {
        if (!stores[i].available) fallbacks += 1;
        const at = performance.now();
        owed[i] += share;
        const n = Math.floor(owed[i]);
        owed[i] -= n;
        const guard = guards[i];
        for (let j = 0; j < n; j++) {
          const result = guard.enter(at);
          if (result instanceof Promise) {
            result.then((r) => {
              if (r instanceof Block) counts.refused += 1;
              else {
                counts.admitted += 1;
                counts.decidedInRedis += 1;
                timeline.add(decidedAt.get(r.token) ?? performance.now());
              }
            });
          } else if (result instanceof Block) counts.refused += 1;
          else {
            counts.admitted += 1;
            timeline.add(at);
          }
        }
      }
      setImmediate(turn, first + CHUNK >= INSTANCES ? 0 : first + CHUNK);
    };
    turn(0);
    return async () => {
      running = false;
    };
  };
  const row = await measure('opensergo Global', admin, key, drive);
  // Decided locally, from each instance's fair share: the windows above then mix in the
  // fallback's known overshoot (docs/redis.md), not the bucketed window's.
  if (fallbacks) console.log(`# ${fallbacks} instance-turns with the store unavailable (decided locally)`);
  await Promise.all(stores.map((s) => s.close()));
  for (const client of clients) client.disconnect();
  return row;
}

async function rlf(url, admin) {
  const clients = Array.from({ length: INSTANCES }, () => new Redis(url));
  const prefix = `hot-key-rlf:${process.pid}`;
  const limiters = clients.map(
    (storeClient) =>
      new RateLimiterRedis({ storeClient, keyPrefix: prefix, points: LIMIT, duration: WINDOW_MS / 1000, inMemoryBlockOnConsumed: LIMIT }),
  );
  await Promise.all(clients.map((c) => c.ping()));
  let running = true;
  const drive = (timeline, counts) => {
    const worker = async (limiter) => {
      while (running) {
        try {
          await limiter.consume('hot');
          counts.admitted += 1;
          timeline.add(performance.now());
        } catch {
          counts.refused += 1;
        }
      }
    };
    const workers = limiters.flatMap((limiter) => Array.from({ length: Number(values['rlf-inflight']) }, () => worker(limiter)));
    return async () => {
      running = false;
      await Promise.all(workers);
    };
  };
  const row = await measure('rate-limiter-flexible RateLimiterRedis', admin, `${prefix}:hot`, drive);
  for (const c of clients) c.disconnect();
  return row;
}

const redis = await redisUrl();
const admin = new Redis(redis.url);
console.log(
  `# ${INSTANCES} instances, one key, limit ${LIMIT} per ${WINDOW_MS} ms, demand ${values.demand} × limit, ` +
    `${WARMUP} s warm-up + ${SECONDS} s measured, Redis ${redis.url}`,
);
try {
  if (values.only !== 'rlf') await opensergo(redis.url, admin);
  if (values.only !== 'opensergo') await rlf(redis.url, admin);
} finally {
  admin.disconnect();
  redis.stop();
}
