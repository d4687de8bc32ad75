// Strategies together through the engine: SPEC order, giving back what a later check refused,
// exactly-once exits, events, and a close that leaves nothing behind.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createEngine,
  createMemoryStore,
  FakeClock,
  requestView,
  type Decision,
  type Engine,
  type Entry,
  type Store,
} from '../src/index.js';
import type { Outcome, Ticket } from '../src/strategies/guard.js';
import { adaptive, concurrency, doc, errorBreaker, rateLimit, rule, rules, slowBreaker, throttling } from './helpers/yaml.js';

function decide(engine: Engine, path: string): Decision {
  const d = engine.enter(requestView('GET', path, {}));
  assert.ok(!(d instanceof Promise), 'decided synchronously');
  return d;
}

function pass(engine: Engine, path: string): Entry {
  const d = decide(engine, path);
  assert.equal(d.type, 'pass', `${path} should pass`);
  assert.ok(d.type === 'pass' && d.entry, 'an entry to report the outcome to');
  return d.entry;
}

function block(engine: Engine, path: string): Decision & { type: 'block' } {
  const d = decide(engine, path);
  assert.equal(d.type, 'block', `${path} should be refused`);
  return d as Decision & { type: 'block' };
}

describe('strategies composed', () => {
  it('10,000 requests, a third abandoned and a third failing, leave in-flight at exactly 0', () => {
    const clock = new FakeClock();
    const engine = createEngine({ rules: rules(concurrency('c', 64), rule('r', ['/x'], ['c'])), clock, logger: false });
    const open: Entry[] = [];
    for (let i = 0; i < 10_000; i++) {
      // keep up to 64 in flight, ending them in a shuffled order
      while (open.length >= 64) {
        const entry = open.splice((i * 7919) % open.length, 1)[0]!;
        const kind = i % 3;
        entry.exit(kind === 0 ? { type: 'abandoned' } : kind === 1 ? { type: 'failed', error: new Error('x') } : { type: 'finished', statusCode: 200 });
        entry.exit({ type: 'finished', statusCode: 200 }); // a second report (e.g. 'close' after a failure) is ignored
      }
      open.push(pass(engine, '/x'));
      clock.advance(0.1);
    }
    for (const entry of open) entry.exit({ type: 'abandoned' });
    for (let i = 0; i < 64; i++) pass(engine, '/x');
    block(engine, '/x');
  });

  it('runs checks in SPEC order: an open breaker refuses before a rate limit counts the request', () => {
    const clock = new FakeClock();
    const yaml = rules(rateLimit('rl', 6), errorBreaker('cb'), rule('r', ['/x'], ['rl', 'cb']));
    const engine = createEngine({ rules: yaml, clock, logger: false });
    for (let i = 0; i < 4; i++) pass(engine, '/x').exit({ type: 'finished', statusCode: 500 });
    for (let i = 0; i < 10; i++) assert.equal(block(engine, '/x').kind, 'CircuitBreakerStrategy');
    clock.advance(1_000);
    pass(engine, '/x').exit({ type: 'finished', statusCode: 200 });
    pass(engine, '/x');
    assert.equal(block(engine, '/x').kind, 'RateLimitStrategy', '6 admitted: the 10 refused by the breaker were never counted');
  });

  it('a probe refused by a later check frees the probe slot: no verdict, the next request probes', () => {
    const clock = new FakeClock();
    const states: string[] = [];
    // the breaker guards /x; one concurrency permit is shared by every path
    const yaml = rules(errorBreaker('cb'), concurrency('one', 1), rule('cb', ['/x'], ['cb']), rule('one', ['/**'], ['one']));
    const engine = createEngine({ rules: yaml, clock, logger: false });
    engine.events.on('breaker:state', (e) => states.push(e.state));
    for (let i = 0; i < 4; i++) pass(engine, '/x').exit({ type: 'failed', error: new Error('x') });
    assert.equal(block(engine, '/x').kind, 'CircuitBreakerStrategy');
    const other = pass(engine, '/y'); // holds the only permit
    clock.advance(1_000);
    for (let i = 0; i < 3; i++) {
      assert.equal(block(engine, '/x').kind, 'ConcurrencyLimitStrategy', 'the probe passed the breaker, not the permit');
    }
    assert.equal(clock.pendingTimers, 0, 'no probe timer is left for a refused probe');
    other.exit({ type: 'finished', statusCode: 200 });
    const probe = pass(engine, '/x');
    assert.equal(block(engine, '/y').kind, 'ConcurrencyLimitStrategy');
    probe.exit({ type: 'finished', statusCode: 200 });
    assert.deepEqual(states, ['open', 'half-open', 'closed']);
    pass(engine, '/x').exit({ type: 'finished', statusCode: 200 });
  });

  it('a permit taken before a throttling refusal is given back', () => {
    const clock = new FakeClock();
    const yaml = rules(concurrency('two', 2), throttling('t', '100ms', '0ms'), rule('r', ['/x'], ['t', 'two']));
    const engine = createEngine({ rules: yaml, clock, logger: false });
    const first = pass(engine, '/x');
    for (let i = 0; i < 5; i++) assert.equal(block(engine, '/x').kind, 'ThrottlingStrategy');
    clock.advance(100);
    pass(engine, '/x');
    clock.advance(100);
    assert.equal(block(engine, '/x').kind, 'ConcurrencyLimitStrategy', 'exactly two permits were held');
    first.exit({ type: 'finished', statusCode: 200 });
    pass(engine, '/x');
  });

  it('a rate-limit admission refused by a later check does not count against the window', () => {
    const clock = new FakeClock();
    const yaml = rules(rateLimit('rl', 2), concurrency('one', 1), rule('r', ['/x'], ['rl', 'one']));
    const engine = createEngine({ rules: yaml, clock, logger: false });
    const first = pass(engine, '/x');
    for (let i = 0; i < 3; i++) assert.equal(block(engine, '/x').kind, 'ConcurrencyLimitStrategy');
    first.exit({ type: 'finished', statusCode: 200 });
    pass(engine, '/x').exit({ type: 'finished', statusCode: 200 });
    assert.equal(block(engine, '/x').kind, 'RateLimitStrategy', 'two admissions in the window, the refused ones uncounted');
  });

  it('a guard handing out its own tickets (as a remote store does) after local guards: all given back, outcomes heard once', () => {
    const clock = new FakeClock();
    const log: string[] = [];
    let held = 0;
    const memory = createMemoryStore();
    // A Global concurrency limit whose permits are separate objects, like @opensergo/redis's.
    const store: Store = {
      ...memory,
      name: 'test',
      globalConcurrencyLimit: () => ({
        order: 3,
        enter: (): Ticket => {
          held += 1;
          const id = held;
          return {
            tracksOutcome: true,
            exit: (outcome: Outcome) => (log.push(`exit ${id} ${outcome.type}`), (held -= 1)),
            cancel: () => (log.push(`cancel ${id}`), (held -= 1)),
          };
        },
        dispose: () => {},
      }),
    };
    const yaml = rules(
      rateLimit('rl', 2),
      doc('ConcurrencyLimitStrategy', 'g', '{ maxConcurrency: 5, limitMode: Global }'),
      throttling('t', '100ms', '0ms'),
      rule('r', ['/x'], ['rl', 'g', 't']),
    );
    const engine = createEngine({ rules: yaml, clock, logger: false, store });
    const first = pass(engine, '/x');
    assert.equal(block(engine, '/x').kind, 'ThrottlingStrategy');
    assert.deepEqual(log, ['cancel 2'], 'the refused request gave back its remote permit');
    first.exit({ type: 'abandoned' });
    first.exit({ type: 'finished', statusCode: 200 });
    assert.deepEqual(log, ['cancel 2', 'exit 1 abandoned'], 'the permit heard the first outcome only');
    assert.equal(held, 0);
    clock.advance(100);
    pass(engine, '/x');
    assert.equal(block(engine, '/x').kind, 'RateLimitStrategy', 'the throttled request did not use up the rate limit');
  });

  it('holds the permit while a request waits in the throttling queue', async () => {
    const clock = new FakeClock();
    const yaml = rules(concurrency('two', 2), throttling('t', '100ms', '1s'), rule('r', ['/x'], ['t', 'two']));
    const engine = createEngine({ rules: yaml, clock, logger: false });
    pass(engine, '/x');
    const waiting = engine.enter(requestView('GET', '/x', {}));
    assert.ok(waiting instanceof Promise, 'waiting instanceof Promise');
    assert.equal(block(engine, '/x').kind, 'ConcurrencyLimitStrategy');
    clock.advance(100);
    assert.equal((await waiting).type, 'pass');
  });

  it('close() releases throttled waiters and leaves no timer: probes, queues and sampling all stop', async () => {
    const clock = new FakeClock();
    const yaml = rules(
      adaptive('busy', 'EventLoopDelay', '10s'),
      errorBreaker('cb'),
      throttling('t', '1s', '10s'),
      rule('r', ['/x'], ['busy', 'cb']),
      rule('q', ['/q'], ['t']),
    );
    const engine = createEngine({ rules: yaml, clock, logger: false });
    assert.equal(clock.pendingTimers, 1, 'the sampler');
    for (let i = 0; i < 4; i++) pass(engine, '/x').exit({ type: 'failed', error: new Error('x') });
    clock.advance(1_000);
    pass(engine, '/x'); // the probe, never finishing
    assert.equal(decide(engine, '/q').type, 'pass');
    const queued = engine.enter(requestView('GET', '/q', {}));
    assert.ok(queued instanceof Promise, 'queued instanceof Promise');
    assert.equal(clock.pendingTimers, 3, 'sampler, probe timeout, throttling queue');
    await engine.close();
    assert.equal(clock.pendingTimers, 0);
    assert.equal((await queued).type, 'pass', 'a request waiting at close is let through, not left hanging');
  });
});
