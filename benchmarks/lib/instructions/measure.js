// One repeat of one configuration under callgrind: a fresh server process, warmed up without
// counting, then `windows` windows of exactly `n` requests each, counted and dumped one by one.
import { spawn, execFile } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { byCategory, COMPILER, GC, literalRuntimeCalls, parseDump } from './callgrind.js';
import { connect, sendAndClose } from './client.js';

const run = promisify(execFile);
const SERVER = fileURLToPath(new URL('./server.js', import.meta.url));
const control = (pid, ...args) => run('callgrind_control', [...args, String(pid)]);

/**
 * V8 flags every configuration's server runs with, so that the collector's work, and what it
 * makes the rest of V8 do, is alike in every window and every process (docs/benchmarks.md, How the instructions
 * are counted):
 * - no allocation-site pretenuring: Express's young generation survives at ~40 % (objects kept
 *   alive by dead promoted ones until a full collection), so V8 switched allocation sites to
 *   old-space allocation and back, which changes the allocation path of the request's own code
 *   (free lists, linear-area refills, marking-limit checks: ~+1–2.5 k instructions per request
 *   in some windows) and deoptimises the code that allocates;
 * - scavenges only when the young generation is full, not from a scheduled task that runs
 *   wherever the event loop happens to be;
 * - a young generation of fixed size (V8 otherwise grows it as survivors grow);
 * - every collection on the main thread (callgrind runs one thread at a time);
 * - rare full collections: the old generation may grow to 31× what survived the last one
 *   (Express promotes ~17 MB of garbage per 1,500 requests, so a window had a mark-compact
 *   every 2–3 windows, and with it incremental marking's write barriers and the rest of what
 *   marking makes the request's code do: +3–4 k per request in those windows);
 * - fixed seeds for string hashes and for V8's random numbers (symbols' hashes): V8 keeps an
 *   object's property names sorted by hash, so with a random seed the cost of adding a property
 *   and of looking one up without an inline cache changed from process to process; Express
 *   builds new hidden classes for every request (11 properties added per request), which made
 *   its requests cost up to ±1.2 k instructions more or less depending on the process.
 */
export const STEADY_FLAGS = [
  '--no-allocation-site-pretenuring',
  '--no-minor-gc-task',
  '--min-semi-space-size=16',
  '--max-semi-space-size=16',
  '--single-threaded-gc',
  '--heap-growing-percent=3000',
  '--hash-seed=1',
  '--random-seed=1',
];

/**
 * Measures `variant:scenario` once. Steps:
 *   1. `valgrind --tool=callgrind --instr-atstart=no node server.js …`: instrumentation off
 *      (about 4× faster than counting, and nothing counted);
 *   2. from this process, outside valgrind: `churn.connections` connections of
 *      `churn.requests` requests, each closed before the next (so the close path is compiled
 *      before measuring), then one keep-alive connection with `warmup` requests;
 *   3. `callgrind_control -i on`; per window: zero the counters, send `n` requests on that
 *      connection, wait `settle` ms, dump, and split the dump's Ir by function name into GC,
 *      JIT compiler and the rest.
 * @returns {Promise<object[]>} one row per window (Ir per request, by category)
 */
export async function measureOnce({ variant, scenario, rep }, o) {
  const tag = `${variant}-${scenario}-r${rep}`;
  const work = path.join(os.tmpdir(), `instructions-${process.pid}-${tag}`);
  mkdirSync(work, { recursive: true });
  const args = [
    '--tool=callgrind',
    '--instr-atstart=no',
    `--callgrind-out-file=${path.join(work, 'callgrind.out.%p')}`,
    'node',
    // The server is idle for seconds while callgrind_control zeroes and dumps (longer on a
    // loaded machine); V8's memory reducer then runs a full collection that throws compiled
    // code away, and the next windows count recompiling code (seen: +15–30 k on Koa). A busy
    // server is never idle that long.
    '--no-memory-reducer',
    ...STEADY_FLAGS,
    ...(o.perfMap ? ['--perf-basic-prof'] : []),
    SERVER,
    variant,
    scenario,
  ];
  const t0 = performance.now();
  const child = spawn('valgrind', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
  const log = createWriteStream(path.join(o.out, 'logs', `${tag}.log`));
  child.stderr.pipe(log, { end: false });
  const port = await new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      const m = /READY (\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`${tag}: the server exited (${code}) before listening; see ${o.out}/logs/${tag}.log`)));
  });
  const rows = [];
  let client;
  try {
    for (let k = 0; k < o.churn.connections; k++) await sendAndClose(port, o.churn.requests);
    client = await connect(port);
    const warmupStatuses = await client.send(o.warmup);
    const startS = (performance.now() - t0) / 1000;
    // Optimising compilations still queued after the warm-up run on V8's background threads,
    // which valgrind runs one at a time: given a few idle seconds, they finish before the first
    // window instead of inside it (20–50 k compiler instructions per request in Express's first
    // window with 300 ms, and the window's own code not yet optimised).
    await sleep(Math.max(o.settle, 3000));
    await control(child.pid, '-i', 'on');
    for (let w = 0; w < o.windows; w++) {
      await control(child.pid, '-z');
      const statuses = await client.send(o.n);
      await sleep(o.settle);
      await control(child.pid, `--dump=${tag}-w${w}`);
      const dump = path.join(work, `callgrind.out.${child.pid}.${w + 1}`);
      const { fns, total } = parseDump(dump);
      const categories = byCategory(fns);
      const last = w === o.windows - 1;
      if (last || o.keep === 'all') writeFileSync(path.join(o.out, 'dumps', `${tag}-w${w}.callgrind.gz`), gzipSync(readFileSync(dump)));
      rmSync(dump);
      const row = {
        variant,
        scenario,
        rep,
        window: w,
        n: o.n,
        statuses,
        total: total / o.n,
        gc: (categories[GC] ?? 0) / o.n,
        compiler: (categories[COMPILER] ?? 0) / o.n,
        steady: (total - (categories[GC] ?? 0) - (categories[COMPILER] ?? 0)) / o.n,
        literalRuntimeCalls: literalRuntimeCalls(fns) / o.n,
        categories: Object.fromEntries(Object.entries(categories).map(([c, ir]) => [c, ir / o.n])),
        ...(w === 0 ? { warmupStatuses, startS } : {}),
      };
      rows.push(row);
      o.onWindow?.(row);
    }
  } finally {
    await client?.close().catch(() => {});
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    log.end();
    if (o.perfMap) {
      const map = path.join('/tmp', `perf-${child.pid}.map`);
      try {
        writeFileSync(path.join(o.out, 'dumps', `${tag}.perf-map.gz`), gzipSync(readFileSync(map)));
        rmSync(map);
      } catch (e) {
        console.error(`${tag}: no perf map (${e.message})`);
      }
    }
    for (const f of readdirSync(work)) rmSync(path.join(work, f));
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}
