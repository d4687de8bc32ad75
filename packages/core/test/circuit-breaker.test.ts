import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Block, type Outcome, type Ticket } from '../src/strategies/guard.js';
import { CircuitBreaker, createCircuitBreakerGuard } from '../src/strategies/circuit-breaker.js';
import type { CircuitBreakerStrategy } from '../src/rules/types.js';
import { abandoned, failed, finished, meta, testContext, type TestContext } from './helpers/guard-context.js';

function breaker(c: TestContext, fields: Partial<CircuitBreakerStrategy> = {}): CircuitBreaker {
  const strategy: CircuitBreakerStrategy = {
    ...meta('breaker'),
    kind: 'CircuitBreakerStrategy',
    strategy: 'ErrorRequestRatio',
    triggerRatio: 0.5,
    statDurationMs: 1_000,
    recoveryTimeoutMs: 1_000,
    minRequestAmount: 4,
    maxAllowedRtMs: undefined,
    errorStatusCodes: undefined,
    ...fields,
  };
  return createCircuitBreakerGuard(strategy, c) as CircuitBreaker;
}

const slow = (c: TestContext, fields: Partial<CircuitBreakerStrategy> = {}) =>
  breaker(c, { strategy: 'SlowRequestRatio', maxAllowedRtMs: 50, ...fields });

function admit(guard: CircuitBreaker, c: TestContext): { ticket: Ticket; at: number } {
  const result = guard.enter(c.clock.now());
  assert.ok(!(result instanceof Block), `expected admission, breaker is ${guard.state}`);
  return { ticket: result, at: c.clock.now() };
}

/** Runs one request through the breaker: admitted now, ends `rtMs` later with `outcome`. */
function request(guard: CircuitBreaker, c: TestContext, outcome: Outcome, rtMs = 10): void {
  const { ticket, at } = admit(guard, c);
  c.clock.advance(rtMs);
  ticket.exit(outcome, at, c.clock.now());
}

function refused(guard: CircuitBreaker, c: TestContext): Block {
  const result = guard.enter(c.clock.now());
  assert.ok(result instanceof Block, `expected a refusal, breaker is ${guard.state}`);
  assert.equal(result.kind, 'CircuitBreakerStrategy');
  return result;
}

const states = (c: TestContext) => c.seen.filter(([name]) => name === 'breaker:state').map(([, p]) => (p as { state: string }).state);

describe('CircuitBreakerStrategy', () => {
  it('SlowRequestRatio: four slow requests open it; Retry-After counts down to one probe; a fast probe closes it', () => {
    const c = testContext({ target: '/slow' });
    const guard = slow(c);
    for (let i = 0; i < 3; i++) request(guard, c, finished(), 100);
    assert.equal(guard.state, 'closed', 'not below minRequestAmount');
    request(guard, c, finished(), 100);
    assert.equal(guard.state, 'open');
    assert.equal(refused(guard, c).retryAfterMs, 1_000);
    c.clock.advance(999);
    assert.equal(refused(guard, c).retryAfterMs, 1);
    c.clock.advance(1);
    const probe = admit(guard, c);
    assert.notEqual(probe.ticket, guard, 'the probe has its own ticket');
    assert.equal(guard.state, 'half-open');
    for (let i = 0; i < 100; i++) assert.equal(refused(guard, c).retryAfterMs, 0, 'exactly one probe');
    c.clock.advance(20);
    probe.ticket.exit(finished(), probe.at, c.clock.now());
    assert.equal(guard.state, 'closed');
    request(guard, c, finished(), 100);
    request(guard, c, finished(), 100);
    assert.equal(guard.state, 'closed', 'fresh statistics: two slow requests are below minRequestAmount');
    assert.deepEqual(states(c), ['open', 'half-open', 'closed']);
    assert.deepEqual(c.seen[0]![1], { target: '/slow', strategy: 'breaker', state: 'open' });
    assert.equal(c.clock.pendingTimers, 0, 'the probe timer was cleared');
  });

  it('a slow, abandoned or never-finishing probe reopens it for another recoveryTimeout', () => {
    const c = testContext();
    const guard = slow(c);
    for (let i = 0; i < 4; i++) request(guard, c, finished(), 100);
    c.clock.advance(1_000);
    request(guard, c, finished(), 60); // slow probe: judged at 50 ms, when it became slow
    assert.equal(guard.state, 'open');
    assert.equal(refused(guard, c).retryAfterMs, 1_000 - 10);
    c.clock.advance(1_000);
    request(guard, c, abandoned, 5);
    assert.equal(guard.state, 'open', 'an abandoned probe proves nothing good');
    c.clock.advance(1_000);
    const hung = admit(guard, c);
    c.clock.advance(49);
    assert.equal(guard.state, 'half-open');
    c.clock.advance(1);
    assert.equal(guard.state, 'open', 'a SlowRequestRatio probe still running at maxAllowedRt is slow');
    assert.equal(refused(guard, c).retryAfterMs, 1_000);
    hung.ticket.exit(finished(), hung.at, c.clock.now());
    assert.equal(guard.state, 'open', 'the late end of a timed-out probe is ignored');
    assert.deepEqual(states(c), ['open', 'half-open', 'open', 'half-open', 'open', 'half-open', 'open']);
  });

  it('ErrorRequestRatio: 500s and failures open it; a probe that never finishes times out after recoveryTimeout', () => {
    const c = testContext();
    const guard = breaker(c);
    request(guard, c, finished(500));
    request(guard, c, failed());
    request(guard, c, finished(404));
    assert.equal(guard.state, 'closed');
    request(guard, c, finished(200));
    assert.equal(guard.state, 'open', '2 errors of 4 is 50%');
    c.clock.advance(1_000);
    const hung = admit(guard, c);
    c.clock.advance(999);
    assert.equal(guard.state, 'half-open');
    c.clock.advance(1);
    assert.equal(guard.state, 'open');
    hung.ticket.exit(finished(), hung.at, c.clock.now());
    assert.equal(guard.state, 'open');
    c.clock.advance(1_000);
    request(guard, c, failed());
    assert.equal(guard.state, 'open', 'a failed probe reopens it');
    c.clock.advance(1_000);
    request(guard, c, finished(503));
    assert.equal(guard.state, 'open', 'an error status probe reopens it');
    c.clock.advance(1_000);
    request(guard, c, finished(201));
    assert.equal(guard.state, 'closed');
    assert.equal(c.clock.pendingTimers, 0);
  });

  it('errorStatusCodes replace the 5xx default; a failed request always counts', () => {
    const c = testContext();
    const guard = breaker(c, { errorStatusCodes: [429, 502] });
    for (let i = 0; i < 4; i++) request(guard, c, finished(500));
    assert.equal(guard.state, 'closed', '500 is not listed');
    request(guard, c, finished(502));
    request(guard, c, finished(429));
    request(guard, c, failed());
    assert.equal(guard.state, 'closed', '3 of 7');
    request(guard, c, failed());
    assert.equal(guard.state, 'open', '4 of 8');
  });

  it('trips at triggerRatio exactly, never on zero errors, never below minRequestAmount', () => {
    const c = testContext();
    const guard = breaker(c, { triggerRatio: 0.6, minRequestAmount: 5 });
    for (const status of [500, 200, 500, 200]) request(guard, c, finished(status));
    request(guard, c, finished(500));
    assert.equal(guard.state, 'open', '3 of 5 is 60%');
    const cz = testContext();
    const z = breaker(cz, { triggerRatio: 0, minRequestAmount: 1 });
    for (let i = 0; i < 10; i++) request(z, cz, finished(200));
    assert.equal(z.state, 'closed');
    request(z, cz, finished(500));
    assert.equal(z.state, 'open');
  });

  it('counts over a sliding window: errors older than statDuration no longer count', () => {
    const c = testContext();
    const guard = breaker(c, { statDurationMs: 1_000 });
    request(guard, c, failed());
    request(guard, c, failed());
    c.clock.advance(1_200);
    request(guard, c, failed());
    request(guard, c, failed());
    assert.equal(guard.state, 'closed', 'the first two left the window');
    assert.equal(guard.window.total, 2);
    request(guard, c, finished(200));
    request(guard, c, finished(200));
    assert.equal(guard.state, 'open', '2 of 4 within one second');
  });

  it('a sliding window, not a fixed one: errors either side of a window edge still count together', () => {
    const c = testContext();
    c.clock.set(1_850);
    const guard = breaker(c, { statDurationMs: 1_000, minRequestAmount: 4, triggerRatio: 1 });
    request(guard, c, failed(), 0);
    request(guard, c, failed(), 0);
    c.clock.set(2_050);
    request(guard, c, failed(), 0);
    request(guard, c, failed(), 0);
    assert.equal(guard.state, 'open');
  });

  it('abandoned requests: unknown for ErrorRequestRatio; for SlowRequestRatio slow once past maxAllowedRt', () => {
    const c = testContext();
    const errors = breaker(c, { minRequestAmount: 2 });
    for (let i = 0; i < 10; i++) request(errors, c, abandoned);
    assert.equal(errors.window.total, 0);
    const cs = testContext();
    const slowGuard = slow(cs, { minRequestAmount: 4 });
    for (let i = 0; i < 4; i++) request(slowGuard, cs, abandoned, 10);
    assert.equal(slowGuard.window.total, 0, 'a client that left early says nothing about speed');
    for (let i = 0; i < 4; i++) request(slowGuard, cs, abandoned, 80);
    assert.equal(slowGuard.state, 'open', 'clients giving up after 80 ms on a 50 ms budget');
  });

  it('requests admitted before the breaker closed again do not count in its fresh statistics', () => {
    const c = testContext();
    const guard = breaker(c, { minRequestAmount: 2 });
    const old = [admit(guard, c), admit(guard, c), admit(guard, c)];
    request(guard, c, failed());
    request(guard, c, failed());
    assert.equal(guard.state, 'open');
    c.clock.advance(1_000);
    request(guard, c, finished());
    assert.equal(guard.state, 'closed');
    for (const o of old) o.ticket.exit(failed(), o.at, c.clock.now());
    assert.equal(guard.state, 'closed');
    assert.equal(guard.window.total, 0);
  });

  it('a cancelled probe frees the probe slot: no verdict, no event, the next request probes', () => {
    const c = testContext();
    const guard = breaker(c, { minRequestAmount: 1, triggerRatio: 1 });
    request(guard, c, failed());
    c.clock.advance(1_000);
    const first = admit(guard, c);
    refused(guard, c);
    first.ticket.cancel(first.at, c.clock.now());
    assert.equal(guard.state, 'half-open');
    assert.equal(c.clock.pendingTimers, 0);
    const second = admit(guard, c);
    refused(guard, c);
    second.ticket.exit(finished(), second.at, c.clock.now());
    assert.equal(guard.state, 'closed');
    first.ticket.exit(failed(), first.at, c.clock.now());
    assert.equal(guard.state, 'closed', 'a cancelled probe has no say');
    assert.deepEqual(states(c), ['open', 'half-open', 'closed']);
  });

  it('dispose clears a running probe timer', () => {
    const c = testContext();
    const guard = breaker(c, { minRequestAmount: 1, triggerRatio: 1 });
    request(guard, c, failed());
    c.clock.advance(1_000);
    admit(guard, c);
    assert.equal(c.clock.pendingTimers, 1);
    guard.dispose();
    assert.equal(c.clock.pendingTimers, 0);
  });
});
