import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Block, type GuardResult } from '../src/strategies/guard.js';
import { createThrottlingGuard, type Throttling } from '../src/strategies/throttling.js';
import type { ThrottlingStrategy } from '../src/rules/types.js';
import { meta, testContext, WHOLE_TARGET, type TestContext } from './helpers/guard-context.js';

function throttling(minIntervalMs: number, queueTimeoutMs: number, c: TestContext): Throttling {
  const strategy: ThrottlingStrategy = { ...meta('throttle'), ...WHOLE_TARGET, kind: 'ThrottlingStrategy', minIntervalMs, queueTimeoutMs };
  return createThrottlingGuard(strategy, c) as Throttling;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Enters `n` requests at the current instant; records when each waiting one is admitted. */
function burst(guard: Throttling, c: TestContext, n: number) {
  const admittedAt: number[] = [];
  const blocked: Block[] = [];
  for (let i = 0; i < n; i++) {
    const result = guard.enter(c.clock.now());
    if (result instanceof Promise) void result.then(() => admittedAt.push(c.clock.now()));
    else if (result instanceof Block) blocked.push(result);
    else admittedAt.push(c.clock.now());
  }
  return { admittedAt, blocked };
}

/** Advances in steps, letting promise callbacks run at each step's time. */
async function step(c: TestContext, totalMs: number, stepMs: number): Promise<void> {
  for (let t = 0; t < totalMs - 1e-9; t += stepMs) {
    c.clock.advance(stepMs);
    await flush();
  }
}

describe('ThrottlingStrategy', () => {
  it('of 6 simultaneous requests (100 ms apart, queue 250 ms) serves 3, 100 ms apart, and refuses 3 at once', async () => {
    const c = testContext();
    const guard = throttling(100, 250, c);
    const start = c.clock.now();
    const { admittedAt, blocked } = burst(guard, c, 6);
    assert.equal(blocked.length, 3);
    for (const block of blocked) {
      assert.equal(block.kind, 'ThrottlingStrategy');
      assert.equal(block.retryAfterMs, 50, 'a slot 300 ms away fits the 250 ms queue in 50 ms');
    }
    await step(c, 300, 10);
    assert.deepEqual(admittedAt.map((t) => t - start), [0, 100, 200]);
    assert.equal(guard.waiting, 0);
    assert.equal(c.clock.pendingTimers, 0);
  });

  it('waits on one timer for the whole queue, never a timer per tick', () => {
    const c = testContext();
    const guard = throttling(10, 10_000, c);
    burst(guard, c, 50);
    assert.equal(guard.waiting, 49);
    assert.equal(c.clock.pendingTimers, 1);
  });

  it('keeps sub-millisecond spacing exact: 0.5 ms is 2,000/s, not 1,000/s or unlimited', async () => {
    const c = testContext();
    const guard = throttling(0.5, 1_000, c);
    const start = c.clock.now();
    const { admittedAt, blocked } = burst(guard, c, 2_002);
    assert.equal(blocked.length, 1, 'slots up to 1,000 ms away are queued (2,000 of them), the next is refused');
    assert.ok(Math.abs(blocked[0]!.retryAfterMs - 0.5) < 1e-6, 'Math.abs(blocked[0]!.retryAfterMs - 0.5) < 1e-6');
    await flush();
    assert.equal(admittedAt.length, 1);
    for (let k = 1; k <= 2_000; k++) {
      c.clock.advance(0.5);
      await flush();
      if (admittedAt.length !== k + 1) assert.fail(`after ${k * 0.5} ms expected ${k + 1} admitted, got ${admittedAt.length}`);
    }
    assert.ok(admittedAt.every((t, i) => Math.abs(t - start - i * 0.5) < 1e-6), 'admittedAt.every((t, i) => Math.abs(t - start - i * 0.5) < 1e-6)');
  });

  it('under 2,667 arrivals/s with a 0.5 ms interval admits exactly 2,000/s', async () => {
    const c = testContext();
    const guard = throttling(0.5, 100, c);
    const admittedAt: number[] = [];
    let refused = 0;
    // steps of 1/8 ms (exact in binary): an arrival every 3 steps, a slot every 4
    for (let i = 0; i < 8_000; i++) {
      if (i % 3 === 0) {
        const result = guard.enter(c.clock.now());
        if (result instanceof Block) refused += 1;
        else if (result instanceof Promise) void result.then(() => admittedAt.push(c.clock.now()));
        else admittedAt.push(c.clock.now());
      }
      c.clock.advance(1 / 8);
      await flush();
    }
    await step(c, 200, 1 / 8);
    assert.equal(admittedAt.length + refused, 2_667);
    assert.equal(guard.waiting, 0);
    // 1 s of arrivals, each queued up to 100 ms: slots over 1.1 s at 2,000/s
    assert.ok(Math.abs(admittedAt.length - 2_200) <= 1, `admitted ${admittedAt.length}`);
    for (let i = 1; i < admittedAt.length; i++) {
      assert.equal(admittedAt[i]! - admittedAt[i - 1]!, 0.5, `admissions ${i - 1} and ${i}`);
    }
  });

  it('gives no burst credit after an idle spell', async () => {
    const c = testContext();
    const guard = throttling(100, 1_000, c);
    burst(guard, c, 1);
    c.clock.advance(10_000);
    const start = c.clock.now();
    const { admittedAt } = burst(guard, c, 2);
    await step(c, 100, 10);
    assert.deepEqual(admittedAt.map((t) => t - start), [0, 100]);
  });

  it('with queueTimeout 0 never waits: a request inside the interval is refused with the time left', () => {
    const c = testContext();
    const guard = throttling(100, 0, c);
    assert.ok(!(guard.enter(c.clock.now()) instanceof Block), '!(guard.enter(c.clock.now()) instanceof Block)');
    c.clock.advance(30);
    const refused = guard.enter(c.clock.now());
    assert.ok(refused instanceof Block, 'refused instanceof Block');
    assert.equal(refused.retryAfterMs, 70);
    c.clock.advance(70);
    const result: GuardResult | Promise<GuardResult> = guard.enter(c.clock.now());
    assert.ok(!(result instanceof Promise) && !(result instanceof Block), '!(result instanceof Promise) && !(result instanceof Block)');
  });

  it('with minIntervalOfRequests 0ms admits everything at once, synchronously', () => {
    const c = testContext();
    const guard = throttling(0, 0, c);
    for (let i = 0; i < 100; i++) {
      const result = guard.enter(c.clock.now());
      assert.ok(!(result instanceof Promise) && !(result instanceof Block), '!(result instanceof Promise) && !(result instanceof Block)');
    }
  });

  it('a cancelled admission gives its slot back when nothing was scheduled after it', async () => {
    const c = testContext();
    const guard = throttling(100, 0, c);
    const first = guard.enter(c.clock.now());
    assert.ok(!(first instanceof Promise) && !(first instanceof Block), '!(first instanceof Promise) && !(first instanceof Block)');
    first.cancel(c.clock.now(), c.clock.now());
    const second = guard.enter(c.clock.now());
    assert.ok(!(second instanceof Block), 'the refused request did not use up the interval');
    // an older slot cannot be given back once a later one is scheduled after it
    const q = throttling(100, 1_000, c);
    const a = q.enter(c.clock.now());
    const b = q.enter(c.clock.now());
    assert.ok(b instanceof Promise && !(a instanceof Promise) && !(a instanceof Block), 'b instanceof Promise && !(a instanceof Promise) && !(a instanceof Block)');
    a.cancel(c.clock.now(), c.clock.now());
    const third = q.enter(c.clock.now());
    assert.ok(third instanceof Promise, 'still spaced after the queued request');
    await step(c, 200, 50);
  });

  it('dispose admits every waiting request and leaves no timer', async () => {
    const c = testContext();
    const guard = throttling(100, 1_000, c);
    const { admittedAt } = burst(guard, c, 5);
    guard.dispose();
    await flush();
    assert.equal(admittedAt.length, 5);
    assert.equal(c.clock.pendingTimers, 0);
    assert.ok(!(guard.enter(c.clock.now()) instanceof Promise), 'a disposed guard never queues');
  });
});
