import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Block, type Ticket } from '../src/strategies/guard.js';
import { AdaptiveOverload, createAdaptiveOverloadGuard } from '../src/strategies/adaptive-overload.js';
import type { AdaptiveOverloadProtectionStrategy } from '../src/rules/types.js';
import { abandoned, failed, finished, meta, testContext, type TestContext } from './helpers/guard-context.js';

function adaptive(c: TestContext, fields: Partial<AdaptiveOverloadProtectionStrategy> = {}): AdaptiveOverload {
  const strategy: AdaptiveOverloadProtectionStrategy = {
    ...meta('overload'),
    kind: 'AdaptiveOverloadProtectionStrategy',
    metricType: 'EventLoopDelay',
    triggerThreshold: 100,
    adaptiveStrategy: 'NONE',
    ...fields,
  };
  return createAdaptiveOverloadGuard(strategy, c) as AdaptiveOverload;
}

const admitted = (guard: AdaptiveOverload, c: TestContext): Ticket => {
  const result = guard.enter(c.clock.now());
  assert.ok(!(result instanceof Block), 'expected admission');
  return result;
};
const shed = (guard: AdaptiveOverload, c: TestContext): Block => {
  const result = guard.enter(c.clock.now());
  assert.ok(result instanceof Block, 'expected shedding');
  return result;
};
const overloadEvents = (c: TestContext) => c.seen.filter(([name]) => name === 'overload:state').map(([, p]) => p);

describe('AdaptiveOverloadProtectionStrategy', () => {
  it('NONE sheds while the sampled metric is over the threshold, with one event per change', () => {
    const c = testContext({ target: '/busy' });
    const guard = adaptive(c);
    assert.equal(guard.tracksOutcome, false, 'NONE needs no outcomes, so no entry per request');
    c.values.EventLoopDelay = 250;
    admitted(guard, c); // not sampled yet: the metric is never read per request
    c.clock.advance(500);
    for (let i = 0; i < 50; i++) {
      const block = shed(guard, c);
      assert.equal(block.kind, 'AdaptiveOverloadProtectionStrategy');
      assert.equal(block.retryAfterMs, 500, 'until the next sample');
    }
    c.values.EventLoopDelay = 100; // equal is not over
    c.clock.advance(500);
    for (let i = 0; i < 50; i++) admitted(guard, c);
    assert.deepEqual(overloadEvents(c), [
      { target: '/busy', strategy: 'overload', metric: 'EventLoopDelay', shedding: true, value: 250, threshold: 100 },
      { target: '/busy', strategy: 'overload', metric: 'EventLoopDelay', shedding: false, value: 100, threshold: 100 },
    ]);
  });

  it('reads CpuPercentage as a ratio and SystemLoad as a load average', () => {
    const c = testContext();
    const cpu = adaptive(c, { metricType: 'CpuPercentage', triggerThreshold: 0.7 });
    const load = adaptive(c, { metricType: 'SystemLoad', triggerThreshold: 4 });
    c.values.CpuPercentage = 0.71;
    c.values.SystemLoad = 3.9;
    c.clock.advance(500);
    shed(cpu, c);
    admitted(load, c);
    c.values.SystemLoad = 4.5;
    c.clock.advance(500);
    shed(load, c);
  });

  it('BBR sheds only requests beyond max completed-per-second × min response time', () => {
    const c = testContext();
    const guard = adaptive(c, { adaptiveStrategy: 'BBR' });
    assert.equal(guard.tracksOutcome, true);
    // 10 completions per 100 ms (100/s), the fastest taking 20 ms: capacity 100 × 0.02 = 2
    for (let bucket = 0; bucket < 5; bucket++) {
      for (let i = 0; i < 10; i++) {
        const at = c.clock.now();
        const ticket = admitted(guard, c);
        ticket.exit(finished(), at - 20 - i, at);
      }
      c.clock.advance(100);
    }
    const held = [admitted(guard, c), admitted(guard, c), admitted(guard, c), admitted(guard, c)];
    assert.equal(guard.inFlight, 4, 'not over the threshold: everything passes');
    c.values.EventLoopDelay = 500;
    c.clock.advance(500 - (c.clock.now() % 500));
    assert.ok(guard.shedding, 'guard.shedding');
    shed(guard, c);
    const at = c.clock.now();
    held.pop()!.exit(finished(), at - 30, at);
    held.pop()!.cancel(at, at);
    assert.equal(guard.inFlight, 2);
    held.push(admitted(guard, c));
    shed(guard, c);
    for (const ticket of held) ticket.exit(failed(), at, c.clock.now());
    assert.equal(guard.inFlight, 0);
  });

  it('BBR with nothing completing lets one request through at a time while over', () => {
    const c = testContext();
    const guard = adaptive(c, { adaptiveStrategy: 'BBR' });
    c.values.EventLoopDelay = 500;
    c.clock.advance(500);
    const a = admitted(guard, c);
    const b = admitted(guard, c);
    shed(guard, c);
    a.exit(abandoned, 0, c.clock.now());
    b.exit(abandoned, 0, c.clock.now());
    assert.equal(guard.inFlight, 0, 'abandoned requests leave in-flight');
  });

  it('guards share the engine sampler: one probe per metric, stopped with the last guard', () => {
    const c = testContext();
    const guards = [adaptive(c), adaptive(c), adaptive(c, { metricType: 'CpuPercentage', triggerThreshold: 0.5 })];
    assert.deepEqual(c.running, { EventLoopDelay: 1, CpuPercentage: 1, SystemLoad: 0 });
    assert.equal(c.clock.pendingTimers, 1, 'one sampling timer');
    guards[0]!.dispose();
    assert.equal(c.running.EventLoopDelay, 1);
    guards[1]!.dispose();
    guards[2]!.dispose();
    assert.deepEqual(c.running, { EventLoopDelay: 0, CpuPercentage: 0, SystemLoad: 0 });
    assert.equal(c.clock.pendingTimers, 0, 'no sampling without guards');
  });

  it('dispose while shedding reports that shedding stopped', () => {
    const c = testContext();
    const guard = adaptive(c);
    c.values.EventLoopDelay = 500;
    c.clock.advance(500);
    guard.dispose();
    assert.deepEqual(
      overloadEvents(c).map((e) => (e as { shedding: boolean }).shedding),
      [true, false],
    );
    admitted(guard, c);
  });
});
