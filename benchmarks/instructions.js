#!/usr/bin/env node
// Instructions per request, counted by valgrind's callgrind: the measure of record for what a
// middleware costs, because it does not move with the machine's speed or load (req/s on the
// shared VMs swings by 2× within an hour; instruction counts repeat within ~1%).
//
//   npm run bench:instructions -- express:bare,express:admit      these configurations
//   npm run bench:instructions -- fastify                          every scenario of the table on Fastify 5
//   node benchmarks/instructions.js koa2:noop,koa2:admit --repeats 5 --jobs 2
//   node benchmarks/instructions.js fastify:noop,fastify:admit --perf-map    + where the instructions go, by JS function
//   node benchmarks/instructions.js --report DIR [DIR…]            the table again from saved windows (of one or more runs)
//   node benchmarks/instructions.js --attribute DIR fastify:admit [fastify:noop]   attribution (of a --perf-map run), or the difference
//
// A configuration is variant:scenario. Variants: express, koa, fastify (Express 5, Koa 3,
// Fastify 5, as installed) and express4, koa2, fastify4 (the repository's aliases);
// scenarios: bare, noop (an empty middleware / onRequest hook: the floor), admit, block, combo,
// many (admit with 10,000 rules for other resources), peer-admit, peer-block (lib/scenarios.js).
// Options: --repeats N (fresh processes per configuration, default 3), --windows N (default 5),
// --n N (requests per window, 2000), --warmup N (10000), --churn KxM (3x300), --settle MS (300),
// --jobs N (processes at once, 1; counts do not depend on load), --keep last|all (dumps kept),
// --out DIR (default benchmarks/results/instructions-<time>).
// Method: lib/instructions/measure.js. Needs valgrind (Debian: apt-get install valgrind) and
// the built packages (`npm run build`; `npm run bench:instructions` builds first).
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { attribute, formatAttribution } from './lib/instructions/attribute.js';
import { measureOnce } from './lib/instructions/measure.js';
import { summarise, table } from './lib/instructions/summary.js';
import { parseConfigs } from './lib/instructions/variants.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    repeats: { type: 'string', default: '3' },
    windows: { type: 'string', default: '5' },
    n: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '10000' },
    churn: { type: 'string', default: '3x300' },
    settle: { type: 'string', default: '300' },
    jobs: { type: 'string', default: '1' },
    keep: { type: 'string', default: 'last' },
    out: { type: 'string' },
    'perf-map': { type: 'boolean', default: false },
    report: { type: 'boolean', default: false },
    attribute: { type: 'boolean', default: false },
  },
});

const readRows = (dir) =>
  readFileSync(path.join(dir, 'windows.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

/** The attribution of `config`'s first repeat's last window in `dir` (a --perf-map run). */
function attributionOf(dir, config) {
  const [variant, scenario] = config.split(':');
  const rows = readRows(dir).filter((r) => r.variant === variant && r.scenario === scenario && r.rep === 0);
  const last = rows[rows.length - 1];
  if (!last) throw new Error(`${config} is not in ${dir}`);
  const tag = `${variant}-${scenario}-r0`;
  const map = path.join(dir, 'dumps', `${tag}.perf-map.gz`);
  if (!existsSync(map)) throw new Error(`${dir} has no perf map for ${config}: measure with --perf-map`);
  return attribute(path.join(dir, 'dumps', `${tag}-w${last.window}.callgrind.gz`), map, last.n);
}

if (o.report) {
  // Runs are told apart, so that repeat 0 of two runs stays two repeats.
  console.log(table(summarise(positionals.flatMap((dir, i) => readRows(dir).map((r) => ({ ...r, rep: `${i}.${r.rep}` }))))));
} else if (o.attribute) {
  const [dir, config, base] = positionals;
  console.log(formatAttribution(attributionOf(dir, config), base ? attributionOf(dir, base) : undefined));
} else {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    console.error('valgrind is needed (Debian/Ubuntu: apt-get install -y valgrind)');
    process.exit(1);
  }
  const configs = parseConfigs(positionals);
  if (!configs.length) {
    console.error('usage: node benchmarks/instructions.js variant:scenario[,…] [options] (see the top of this file)');
    process.exit(2);
  }
  const [churnConnections, churnRequests] = o.churn.split('x').map(Number);
  const out = o.out ?? path.join(here, 'results', `instructions-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(path.join(out, 'logs'), { recursive: true });
  mkdirSync(path.join(out, 'dumps'), { recursive: true });
  const options = {
    out,
    windows: Number(o.windows),
    n: Number(o.n),
    warmup: Number(o.warmup),
    churn: { connections: churnConnections, requests: churnRequests },
    settle: Number(o.settle),
    keep: o.keep,
    perfMap: o['perf-map'],
    onWindow: (row) => {
      appendFileSync(path.join(out, 'windows.jsonl'), JSON.stringify(row) + '\n');
      const k = (x) => Math.round(x).toLocaleString('en');
      console.log(`${row.variant}:${row.scenario} r${row.rep} w${row.window}: ${k(row.steady)} (GC ${k(row.gc)}, compiler ${k(row.compiler)}) ${JSON.stringify(row.statuses)}`);
    },
  };
  writeFileSync(path.join(out, 'meta.json'), JSON.stringify({ started: new Date().toISOString(), argv: process.argv.slice(2), node: process.version, ...options }, null, 1));
  // Repeat-major order: a repeat of every configuration before the next repeat of any.
  const queue = [];
  for (let rep = 0; rep < Number(o.repeats); rep++) for (const c of configs) queue.push({ ...c, rep });
  const failed = [];
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      await measureOnce(job, options).catch((e) => failed.push(`${job.variant}:${job.scenario} r${job.rep}: ${e.message}`));
    }
  };
  await Promise.all(Array.from({ length: Number(o.jobs) }, worker));
  for (const f of failed) console.error(`failed: ${f}`);
  if (!existsSync(path.join(out, 'windows.jsonl'))) process.exit(1);
  const summary = summarise(readRows(out));
  console.log(`\n${table(summary)}\n\nwindows, dumps and server logs: ${out}`);
  writeFileSync(path.join(out, 'summary.json'), JSON.stringify(summary, null, 1));
  if (o['perf-map']) {
    for (const c of configs.filter((c) => c.scenario !== 'bare' && c.scenario !== 'noop')) {
      const base = configs.find((b) => b.variant === c.variant && b.scenario === 'noop');
      const key = `${c.variant}:${c.scenario}`;
      console.log(`\n## ${key}${base ? ' − noop' : ''}\n`);
      console.log(formatAttribution(attributionOf(out, key), base ? attributionOf(out, `${c.variant}:noop`) : undefined));
    }
  }
  if (failed.length) process.exitCode = 1;
}
