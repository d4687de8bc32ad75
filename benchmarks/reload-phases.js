// Where the time of a 10,000-rule reload goes: parse, compile, index, in one process (no server).
// Imports the built core's internals by path (they are not exported).
//
// Usage: npm run build && node benchmarks/reload-phases.js [--rules 10000] [--runs 8]
import { parseArgs } from 'node:util';

const core = new URL('../packages/core/dist/', import.meta.url);
const { parseRulesText, compileRules } = await import(new URL('rules/load.js', core));
const { parseRulesSteps } = await import(new URL('rules/parse-yaml.js', core));
const { ChunkCache } = await import(new URL('rules/parse-fast.js', core));
const { runSync } = await import(new URL('rules/steps.js', core));
const { GuardRegistry } = await import(new URL('guard-registry.js', core));
const { createMemoryStore } = await import(new URL('store/memory-store.js', core));

const { values } = parseArgs({ options: { rules: { type: 'string', default: '10000' }, runs: { type: 'string', default: '8' } } });
const count = Number(values.rules);
const runs = Number(values.runs);
const API = 'fault-tolerance.opensergo.io/v1alpha1';
const text = (threshold) =>
  [
    `apiVersion: ${API}\nkind: RateLimitStrategy\nmetadata:\n  name: rl\nspec:\n  metricType: RequestAmount\n  limitMode: Local\n  threshold: ${threshold}\n  statDuration: 1s\n`,
    ...Array.from(
      { length: count },
      (_, i) =>
        `apiVersion: ${API}\nkind: FaultToleranceRule\nmetadata:\n  name: rule-${i}\nspec:\n  targets:\n    - targetResourceName: '/other/${i}'\n  strategies:\n    - name: rl\n`,
    ),
  ].join('---\n');

const silent = { info() {}, warn() {}, error() {} };
const registry = new GuardRegistry({ clock: { now: () => Date.now() }, store: createMemoryStore(), logger: silent, events: { emit() {} }, caseSensitive: false, trustIncomingLabels: true });
const scope = { app: undefined, namespace: undefined };
const best = { parse: Infinity, compile: Infinity, index: Infinity, total: Infinity, cachedParse: Infinity };
let first;
const cache = new ChunkCache();
for (let run = 0; run < runs; run++) {
  const t0 = performance.now();
  const { documents } = parseRulesText(text(1000 + 2 * run), 'rules.yaml');
  const t1 = performance.now();
  const ruleSet = compileRules(documents, scope);
  const t2 = performance.now();
  registry.compile(ruleSet).commit();
  const t3 = performance.now();
  // A reload where one threshold changed, with the pieces of the previous text cached.
  runSync(parseRulesSteps(text(1000 + 2 * run), 'rules.yaml', cache));
  const t4 = performance.now();
  runSync(parseRulesSteps(text(1001 + 2 * run), 'rules.yaml', cache));
  const current = { parse: t1 - t0, compile: t2 - t1, index: t3 - t2, total: t3 - t0, cachedParse: performance.now() - t4 };
  first ??= current;
  for (const key of Object.keys(best)) best[key] = Math.min(best[key], current[key]);
}
const f = (o) => `parse ${o.parse.toFixed(0)}, compile ${o.compile.toFixed(0)}, index ${o.index.toFixed(0)}, total ${o.total.toFixed(0)} ms; parse of one changed threshold with the cache ${o.cachedParse.toFixed(0)} ms`;
console.log(`${count} rules`);
console.log(`first run: ${f(first)}`);
console.log(`best of ${runs}: ${f(best)}`);
