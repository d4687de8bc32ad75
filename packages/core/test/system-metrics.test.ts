import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { createEngine, requestView } from '../src/index.js';
import { createSystemMetrics, SYSTEM_PROBES } from '../src/strategies/system-metrics.js';
import { countingClock } from './helpers/counting-clock.js';
import { adaptive, errorBreaker, rule, rules, throttling } from './helpers/yaml.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const spin = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('system metrics', () => {
  it('CpuPercentage: this process\'s CPU time per wall time, 1 = one core', async () => {
    // On a shared host a busy loop gets whatever share the scheduler gives it (a tenth of a
    // core under a heavy load), so each reading is checked against process.cpuUsage measured
    // just outside and just inside the same span: the exact value lies between the two.
    const probe = SYSTEM_PROBES.CpuPercentage();
    const cpuMs = (): number => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    type Mark = { cpu: number; at: number };
    const mark = (): Mark => ({ cpu: cpuMs(), at: performance.now() });
    // The probe's span lies between an inner and an outer one, so its value lies between the
    // inner span's CPU per the outer's wall time and the outer span's CPU per the inner's.
    const within = (value: number, before: [Mark, Mark], after: [Mark, Mark], what: string): void => {
      const [outerStart, innerStart] = before;
      const [innerEnd, outerEnd] = after;
      const low = (innerEnd.cpu - innerStart.cpu) / (outerEnd.at - outerStart.at);
      const high = (outerEnd.cpu - outerStart.cpu) / (innerEnd.at - innerStart.at);
      assert.ok(value >= low - 0.005 && value <= high + 0.005, `${what} ${value} not within [${low}, ${high}]`);
    };
    let outerStart = mark();
    probe.start();
    let innerStart = mark();
    spin(300);
    let innerEnd = mark();
    const busy = probe.read(0);
    within(busy, [outerStart, innerStart], [innerEnd, mark()], 'busy');
    outerStart = mark();
    probe.read(0); // the idle span starts here
    innerStart = mark();
    await sleep(300);
    innerEnd = mark();
    const idle = probe.read(0);
    within(idle, [outerStart, innerStart], [innerEnd, mark()], 'idle');
    probe.stop();
  });

  it('EventLoopDelay: a blocked loop reads as its delay in ms, and recovers', async () => {
    const probe = SYSTEM_PROBES.EventLoopDelay();
    probe.start();
    await sleep(60);
    spin(250);
    await sleep(30);
    const blocked = probe.read(0);
    assert.ok(blocked >= 150, `blocked ${blocked}`);
    // Recovers: a later span without the block reads low again. On a loaded host a span may
    // hold a scheduling delay of its own, so a few spans are read (a bound on a hang only).
    let idle = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 40 && !(idle < 100); i++) {
      await sleep(150);
      idle = probe.read(0);
    }
    assert.ok(idle < 100, `idle ${idle}`);
    probe.stop();
  });

  it('SystemLoad: the 1-minute load average', () => {
    const value = SYSTEM_PROBES.SystemLoad().read(0);
    assert.ok(Number.isFinite(value) && value >= 0, 'Number.isFinite(value) && value >= 0');
  });

  it('samples on a timer only while subscribed', async () => {
    const clock = countingClock();
    const metrics = createSystemMetrics({ clock, intervalMs: 20 });
    let samples = 0;
    const off = metrics.subscribe('CpuPercentage', () => (samples += 1));
    // Timers fire late on a loaded host: wait for two samples (bounded against a hang only).
    for (let waited = 0; samples < 2 && waited < 30_000; waited += 20) await sleep(20);
    assert.ok(samples >= 2, `samples ${samples}`);
    assert.equal(clock.live, 1);
    off();
    assert.equal(clock.live, 0);
    const seen = samples;
    await sleep(50);
    assert.equal(samples, seen);
  });

  it('engine.close() on the real clock leaves no timer', async () => {
    const clock = countingClock();
    const yaml = rules(adaptive('a', 'EventLoopDelay', '1s'), adaptive('b', 'CpuPercentage', '90%', 'BBR'), rule('r', ['/x'], ['a', 'b']));
    const engine = createEngine({ rules: yaml, clock, logger: false });
    const d = engine.enter(requestView('GET', '/x', {}));
    assert.ok(!(d instanceof Promise) && d.type === 'pass', "!(d instanceof Promise) && d.type === 'pass'");
    d.entry?.exit({ type: 'finished', statusCode: 200 });
    assert.equal(clock.live, 1, 'one sampler for both guards');
    await engine.close();
    assert.equal(clock.live, 0);
  });

  it('nothing the engine holds keeps a process alive, even without close()', async () => {
    const yaml = rules(
      adaptive('a', 'EventLoopDelay', '1s'),
      errorBreaker('cb'),
      throttling('t', '5min', '10min'),
      rule('r', ['/x'], ['a', 'cb']),
      rule('q', ['/q'], ['t']),
    );
    const script = `
      import { createEngine, requestView } from '@opensergo/core';
      const engine = createEngine({ logger: false, rules: ${JSON.stringify(yaml)} });
      for (let i = 0; i < 4; i++) engine.enter(requestView('GET', '/x', {})).entry.exit({ type: 'failed', error: new Error() });
      await new Promise((r) => setTimeout(r, 1100));
      engine.enter(requestView('GET', '/x', {})); // a probe that never finishes
      engine.enter(requestView('GET', '/q', {}));
      engine.enter(requestView('GET', '/q', {})); // waits 5 min in the queue
      console.log('started');
    `;
    const started = performance.now();
    const child = spawn(process.execPath, ['--conditions=opensergo-source', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../../..', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(out.trim(), 'started');
    assert.equal(code, 0);
    // Far below the queue's 5 minutes, far above a child's start-up on a loaded host.
    assert.ok(performance.now() - started < 120_000, 'exited without waiting for the queue or the probe');
  });
});
