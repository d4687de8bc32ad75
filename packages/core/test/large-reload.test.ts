// Issue 5, "Speed": a reload of 10,000 rules does not stall requests in flight. The reload is
// parsed, validated and compiled a few milliseconds at a time; these tests watch the event loop
// while it happens, and check that the swap is still all or nothing.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createEngine, FakeClock, parseRulesText, type Engine, type RuleSource, type RuleSourceSink } from '../src/index.js';
import { admitted } from './helpers/rate-limit-rules.js';
import { watchedFiles } from './helpers/watched-files.js';

const RULES = 10_000;
/** Far above a slice (a few ms); a reload held the event loop for seconds before it was sliced. */
const MAX_BLOCK_MS = 200;

/** One RateLimitStrategy and `count` FaultToleranceRules on `/other/<i>`, each referencing it. */
function manyRules(threshold: number | string, count = RULES): string {
  const docs = [
    `apiVersion: fault-tolerance.opensergo.io/v1alpha1\nkind: RateLimitStrategy\nmetadata:\n  name: shared\nspec:\n  metricType: RequestAmount\n  limitMode: Local\n  threshold: ${threshold}\n  statDuration: 1s\n`,
  ];
  for (let i = 0; i < count; i++) {
    docs.push(
      `apiVersion: fault-tolerance.opensergo.io/v1alpha1\nkind: FaultToleranceRule\nmetadata:\n  name: rule-${i}\nspec:\n  targets:\n    - targetResourceName: '/other/${i}'\n  strategies:\n    - name: shared\n`,
    );
  }
  return docs.join('---\n');
}

const files = watchedFiles('opensergo-large-');
const setup = (text: string): { file: string; engine: Engine; clock: FakeClock } => files.open(text);

/**
 * Ticks a 1 ms timer until `until` settles. Returns the most CPU time the process used between
 * two ticks (what a block holds the loop for, whatever else the machine is doing; a busy CI
 * machine may pause the process for longer, which says nothing about the reload), the longest
 * wall-clock gap, and how many times the timer ran.
 */
async function watchLoop<T>(until: Promise<T>): Promise<{ value: T; maxCpuMs: number; maxGapMs: number; ticks: number }> {
  const cpuMs = (): number => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  let last = { wall: performance.now(), cpu: cpuMs() };
  let maxCpuMs = 0;
  let maxGapMs = 0;
  let ticks = 0;
  const tick = (): void => {
    const now = { wall: performance.now(), cpu: cpuMs() };
    maxGapMs = Math.max(maxGapMs, now.wall - last.wall);
    maxCpuMs = Math.max(maxCpuMs, now.cpu - last.cpu);
    last = now;
  };
  const timer = setInterval(() => {
    tick();
    ticks++;
  }, 1);
  try {
    const value = await until;
    tick();
    return { value, maxCpuMs, maxGapMs, ticks };
  } finally {
    clearInterval(timer);
  }
}

describe('a reload of 10,000 rules', () => {
  it('through the watched file never holds the event loop for long, and then applies', async () => {
    const { file, engine, clock } = setup(manyRules(2));
    assert.equal(engine.rules.faultToleranceRules.length, RULES);
    assert.equal(admitted(engine, '/other/9999', 5), 2);
    const loaded = once(engine.events, 'rules:loaded');
    writeFileSync(file, manyRules(3));
    const { maxCpuMs, maxGapMs, ticks } = await watchLoop(loaded);
    assert.ok(maxCpuMs < MAX_BLOCK_MS, `the event loop was held for ${maxCpuMs.toFixed(0)} ms of CPU (${maxGapMs.toFixed(0)} ms)`);
    assert.ok(ticks >= 10, `timers ran ${ticks} times during the reload`);
    clock.advance(1000);
    assert.equal(admitted(engine, '/other/9999', 5), 3);
    assert.equal(engine.rules.faultToleranceRules.length, RULES);
  });

  it('that is invalid changes nothing, and does not hold the event loop either', async () => {
    const { file, engine } = setup(manyRules(2));
    const before = engine.rules;
    assert.equal(admitted(engine, '/other/5', 5), 2);
    for (const [broken, line] of [
      [manyRules(3).replace("'/other/9999'", '/other/9999/{id}}'), 100_007],
      [manyRules(3).replace("'/other/9999'", "'/other/9999"), 100_010],
    ] as const) {
      const rejected = once(engine.events, 'rules:rejected');
      writeFileSync(file, broken);
      const { value, maxCpuMs, maxGapMs, ticks } = await watchLoop(rejected);
      const [event] = value as [{ error: Error }];
      assert.match(event.error.message, new RegExp(`opensergo\\.yaml:${line}:`));
      assert.ok(maxCpuMs < MAX_BLOCK_MS, `the event loop was held for ${maxCpuMs.toFixed(0)} ms of CPU (${maxGapMs.toFixed(0)} ms)`);
      assert.ok(ticks >= 10, `timers ran ${ticks} times during the reload`);
      assert.equal(engine.rules, before, 'the rules in force are the same object');
      assert.equal(admitted(engine, '/other/5', 5), 0, 'and their state was kept: the window is still used up');
    }
  });
});

describe('updates that overlap', () => {
  it('a quick update landing while a large one compiles is kept: the large one is compiled again with it', async () => {
    const engine = files.track(createEngine({ rules: [], logger: false }));
    const sinks = new Map<string, RuleSourceSink>();
    const source = (name: string): RuleSource => ({ name, start: (sink) => void sinks.set(name, sink), close: async () => {} });
    engine.addSource(source('large'));
    engine.addSource(source('small'));
    const large = sinks.get('large')!;
    const small = sinks.get('small')!;
    assert.ok(large.updateSliced, 'the engine compiles large updates in slices');
    const documents = (text: string, file: string) => parseRulesText(text, file).documents;
    const pending = large.updateSliced(documents(manyRules(5, 2_000), 'large.yaml'));
    await new Promise((resolve) => setImmediate(resolve));
    const solo = manyRules(7, 1).replaceAll('shared', 'solo').replace('rule-0', 'solo-rule').replace('/other/0', '/solo');
    const quick = small.update(documents(solo, 'small.yaml'));
    assert.equal(quick.ok, true);
    assert.equal(engine.rules.faultToleranceRules.length, 1, 'the quick one is in force at once');
    assert.deepEqual(await pending, { ok: true });
    const names = new Set(engine.rules.faultToleranceRules.map((r) => r.name));
    assert.equal(names.size, 2_001);
    assert.ok(names.has('solo-rule'), 'the quick update survived the large one');
  });
});
