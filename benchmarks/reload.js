// Reload benchmark: how long a reload of 10,000 rules takes, and what it does to requests in flight.
//
// An Express app with @opensergo/express runs in a child process on a watched rules file of one
// RateLimitStrategy and 10,000 FaultToleranceRules (`/other/<i>`, each referencing it). This
// process rewrites the file a few times with the server idle, then keeps steady keep-alive load
// on guarded routes and rewrites it a few times more, and reports the reload time (file written
// → `rules:loaded`), the server's longest event-loop gap, and request latency during a reload
// against latency without one. Results: docs/benchmarks.md, "Reload".
//
// Usage: npm run build && node benchmarks/reload.js [--rules 10000] [--reloads 5] [--connections 10] [--change threshold|every-rule]
// `--change threshold` (the default) edits one threshold per reload; `every-rule` also renames
// every rule, so that no part of the file is as it was (nothing parsed before can be reused).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machine } from './lib/machine.js';

const API = 'fault-tolerance.opensergo.io/v1alpha1';
const now = () => performance.timeOrigin + performance.now();

/**
 * One RateLimitStrategy and `count` FaultToleranceRules on `/other/<i>` referencing it; `version`
 * is written into every rule's name (so that every document changes).
 */
function reloadRules(count, threshold, version = '') {
  const parts = [
    `apiVersion: ${API}\nkind: RateLimitStrategy\nmetadata:\n  name: bench-rate-limit\nspec:\n  metricType: RequestAmount\n  limitMode: Local\n  threshold: ${threshold}\n  statDuration: 1s\n`,
  ];
  for (let i = 0; i < count; i++) {
    parts.push(
      `apiVersion: ${API}\nkind: FaultToleranceRule\nmetadata:\n  name: rule-${i}${version}\nspec:\n  targets:\n    - targetResourceName: '/other/${i}'\n  strategies:\n    - name: bench-rate-limit\n`,
    );
  }
  return parts.join('---\n');
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else await main();

/** The server: Express + @opensergo/express on the watched file; reports rule events over IPC. */
async function child(file) {
  const { default: express } = await import('express');
  const { opensergo } = await import('@opensergo/express');
  const started = performance.now();
  const governance = opensergo({ rulesFile: file, logger: false });
  const startupMs = performance.now() - started;
  const app = express();
  app.use(governance);
  app.get('/other/:i', (_req, res) => {
    res.json({ ok: true });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  // The longest gap between 1 ms timer ticks, reset by the parent: how long the loop was blocked.
  let last = performance.now();
  let maxGap = 0;
  setInterval(() => {
    const t = performance.now();
    maxGap = Math.max(maxGap, t - last);
    last = t;
  }, 1);
  const { events } = governance.engine;
  events.on('rules:loaded', (e) => process.send({ type: 'loaded', at: now(), rules: e.rules }));
  events.on('rules:rejected', (e) => process.send({ type: 'rejected', at: now(), error: e.error.message }));
  process.on('message', (message) => {
    if (message.type === 'gap') {
      process.send({ type: 'gap', maxGap });
      maxGap = 0;
    } else if (message.type === 'close') {
      void governance.engine.close().then(() => process.exit(0));
    }
  });
  process.send({ type: 'ready', port: server.address().port, startupMs });
}

async function main() {
  const { values } = parseArgs({
    options: {
      rules: { type: 'string', default: '10000' },
      reloads: { type: 'string', default: '5' },
      connections: { type: 'string', default: '10' },
      change: { type: 'string', default: 'threshold' },
    },
  });
  const count = Number(values.rules);
  const reloads = Number(values.reloads);
  const connections = Number(values.connections);
  const dir = mkdtempSync(join(tmpdir(), 'opensergo-reload-'));
  const file = join(dir, 'opensergo.yaml');
  let threshold = 1_000_000;
  writeFileSync(file, reloadRules(count, threshold));

  const server = fork(new URL(import.meta.url), ['--child', file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages = [];
  const waiters = [];
  server.on('message', (m) => {
    const i = waiters.findIndex((w) => w.type === m.type || (w.type === 'loaded' && m.type === 'rejected'));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m);
    else messages.push(m);
  });
  const next = (type) =>
    new Promise((resolve) => {
      const i = messages.findIndex((m) => m.type === type);
      if (i >= 0) resolve(messages.splice(i, 1)[0]);
      else waiters.push({ type, resolve });
    });
  const ready = await next('ready');
  const loadGapMs = async () => {
    server.send({ type: 'gap' });
    return (await next('gap')).maxGap;
  };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Rewrites the file with the next threshold; resolves with the write → `rules:loaded` window. */
  const reload = async () => {
    threshold += 1;
    const text = reloadRules(count, threshold, values.change === 'every-rule' ? `-v${threshold}` : '');
    await loadGapMs();
    const written = now();
    writeFileSync(file, text);
    const event = await next('loaded');
    if (event.type !== 'loaded') throw new Error(`reload rejected: ${event.error}`);
    return { from: written, to: event.at, gap: await loadGapMs() };
  };

  // Reloads of an idle server: the reload's own time.
  const idle = [];
  for (let r = 0; r < reloads; r++) {
    idle.push(await reload());
    await sleep(500);
  }

  // Steady load: `connections` keep-alive loops, one request at a time each.
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const samples = [];
  let running = true;
  let failures = 0;
  const get = (path) =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: ready.port, path, agent }, (res) => {
        if (res.statusCode !== 200) failures++;
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', () => {
        failures++;
        resolve();
      });
    });
  const loops = Array.from({ length: connections }, async (_, c) => {
    for (let i = 0; running; i++) {
      const start = now();
      await get(`/other/${(c * 7919 + i) % count}`);
      samples.push({ start, end: now() });
    }
  });

  await sleep(2000); // warm-up
  const baselineFrom = now();
  await loadGapMs();
  await sleep(5000);
  const baselineTo = now();
  const baselineGap = await loadGapMs();

  const windows = [];
  for (let r = 0; r < reloads; r++) {
    windows.push(await reload());
    await sleep(1500);
  }
  running = false;
  await Promise.all(loops);
  agent.destroy();
  server.send({ type: 'close' });
  await once(server, 'exit');
  rmSync(dir, { recursive: true, force: true });

  const latency = (list) => {
    const ms = list.map((s) => s.end - s.start).sort((a, b) => a - b);
    const at = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? NaN;
    return { requests: ms.length, p50: at(0.5), p99: at(0.99), max: ms.at(-1) ?? NaN };
  };
  const baseline = latency(samples.filter((s) => s.start >= baselineFrom && s.end <= baselineTo));
  // A request is "during a reload" when it was in flight at any moment between write and load.
  const during = latency(samples.filter((s) => windows.some((w) => s.end >= w.from && s.start <= w.to)));
  const reloadMs = windows.map((w) => w.to - w.from);
  const f = (x) => x.toFixed(1);
  const m = machine();
  console.log(`Reload benchmark: ${count} rules, ${reloads} reloads changing ${values.change === 'every-rule' ? 'every rule' : 'one threshold'}, ${connections} keep-alive connections`);
  console.log(`machine: ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}, load average ${m.loadAverage.join(' ')}`);
  console.log(`start-up (createEngine + first load): ${f(ready.startupMs)} ms`);
  const times = (list) => list.map((w) => f(w.to - w.from)).join(', ');
  console.log('reload time, file written → rules:loaded (includes the 100 ms debounce):');
  console.log(`  idle server: ${times(idle)} ms`);
  console.log(`  under load:  ${reloadMs.map(f).join(', ')} ms`);
  console.log('longest event-loop gap in the server:');
  console.log(`  idle server, per reload: ${idle.map((w) => f(w.gap)).join(', ')} ms`);
  console.log(`  under load: ${f(baselineGap)} ms without reload; ${windows.map((w) => f(w.gap)).join(', ')} ms per reload`);
  console.log('request latency (ms)        requests     p50     p99     max');
  for (const [name, l] of [
    ['without reload', baseline],
    ['during reload', during],
  ]) {
    console.log(`${name.padEnd(26)} ${String(l.requests).padStart(9)} ${f(l.p50).padStart(7)} ${f(l.p99).padStart(7)} ${f(l.max).padStart(7)}`);
  }
  console.log(`failed requests: ${failures}`);
}
