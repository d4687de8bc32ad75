import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { faultToleranceRule, rateLimitStrategy } from './helpers/rate-limit-rules.js';
import { createEngine, FakeClock, guard, isOpenSergoError, runInContext, keepRequestContext, currentContext, type Engine } from '../src/index.js';

const FT = 'apiVersion: fault-tolerance.opensergo.io/v1alpha1';
const doc = (kind: string, name: string, spec: string): string => `${FT}\nkind: ${kind}\nmetadata: { name: ${name} }\nspec: ${spec}`;
const rules = (...docs: string[]): string => docs.join('\n---\n');

const made: Engine[] = [];
afterEach(() => Promise.all(made.splice(0).map((engine) => engine.close())));

function engineWith(text: string): { engine: Engine; clock: FakeClock } {
  const clock = new FakeClock();
  const engine = createEngine({ rules: text, clock, logger: false });
  made.push(engine);
  return { engine, clock };
}

/** A promise resolved from outside, to hold a guarded function open. */
function gate<T = void>(): { promise: Promise<T>; open(value: T): void; fail(error: unknown): void } {
  let open!: (value: T) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => ((open = resolve), (fail = reject)));
  return { promise, open, fail };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

describe('guard(resource, fn)', () => {
  it('resolves to what fn returns, rejects with what it throws, and calls fn as is for a resource no rule names', async () => {
    const { engine } = engineWith(rules(rateLimitStrategy('five', 5), faultToleranceRule('db', ['db:orders'], ['five'])));
    assert.equal(await engine.guard('db:users', () => 7), 7);
    assert.equal(await engine.guard('db:orders', async () => 'rows'), 'rows');
    await assert.rejects(engine.guard('db:orders', () => Promise.reject(new Error('deadlock'))), /deadlock/);
    await assert.rejects(
      engine.guard('db:orders', () => {
        throw new Error('syntax');
      }),
      /syntax/,
    );
  });

  it('applies a rate limit: of 20 quick calls, 5 run and 15 are refused with ERR_OPENSERGO_BLOCKED', async () => {
    const { engine } = engineWith(rules(rateLimitStrategy('five', 5), faultToleranceRule('api', ['vendor:geocode'], ['five'])));
    let ran = 0;
    const results = await Promise.all(Array.from({ length: 20 }, () => settled(engine.guard('vendor:geocode', () => ++ran))));
    assert.equal(ran, 5);
    const refused = results.filter((r) => r.error !== undefined);
    assert.equal(refused.length, 15);
    const error = refused[0]!.error;
    assert.ok(isOpenSergoError(error, 'ERR_OPENSERGO_BLOCKED'), "isOpenSergoError(error, 'ERR_OPENSERGO_BLOCKED')");
    assert.equal(error.kind, 'RateLimitStrategy');
    assert.equal(error.rule, 'FaultToleranceRule/api');
    assert.equal(error.resource, 'vendor:geocode');
    assert.equal(error.response.statusCode, 429);
  });

  it('caps concurrency at 2 of 10 concurrent queries, and a query that throws releases its permit', async () => {
    const { engine } = engineWith(
      rules(doc('ConcurrencyLimitStrategy', 'two', '{ maxConcurrency: 2, limitMode: Local }'), faultToleranceRule('db', ['db:orders'], ['two'])),
    );
    let inQuery = 0;
    let most = 0;
    const gates = Array.from({ length: 10 }, () => gate());
    const calls = gates.map((g) =>
      settled(
        engine.guard('db:orders', async () => {
          most = Math.max(most, ++inQuery);
          try {
            await g.promise;
          } finally {
            inQuery--;
          }
        }),
      ),
    );
    await flush();
    assert.equal(most, 2);
    gates[0]!.fail(new Error('lock timeout'));
    gates[1]!.open();
    const results = await Promise.all(calls);
    assert.match(String(results[0]!.error), /lock timeout/);
    assert.equal(results.filter((r) => isOpenSergoError(r.error, 'ERR_OPENSERGO_BLOCKED')).length, 8);
    // both permits are back, the failed query's too
    const again = [gate(), gate()];
    const next = again.map((g) => engine.guard('db:orders', () => g.promise));
    await assert.rejects(engine.guard('db:orders', () => 'third'), (e) => isOpenSergoError(e, 'ERR_OPENSERGO_BLOCKED') && e.kind === 'ConcurrencyLimitStrategy');
    for (const g of again) g.open();
    await Promise.all(next);
  });

  it('rejects, and gives the permit back, when what fn returns has a `then` that cannot be read (a revoked Proxy)', async () => {
    const { engine } = engineWith(
      rules(doc('ConcurrencyLimitStrategy', 'one', '{ maxConcurrency: 1, limitMode: Local }'), faultToleranceRule('db', ['db:orders'], ['one'])),
    );
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const call = settled(engine.guard('db:orders', () => proxy));
    assert.ok((await call).error instanceof TypeError, 'a rejection, as `await proxy` would be, not a throw');
    assert.equal(await engine.guard('db:orders', () => 'next'), 'next', 'the permit is back');
  });

  it('queues under a ThrottlingStrategy: calls wait their turn instead of being refused', async () => {
    const { engine, clock } = engineWith(
      rules(doc('ThrottlingStrategy', 'spaced', '{ minIntervalOfRequests: 100ms, queueTimeout: 500ms }'), faultToleranceRule('db', ['db:orders'], ['spaced'])),
    );
    const ranAt: number[] = [];
    const calls = Array.from({ length: 4 }, () => engine.guard('db:orders', () => ranAt.push(clock.now())));
    for (let t = 0; t < 300; t += 10) {
      await flush();
      clock.advance(10);
    }
    await Promise.all(calls);
    assert.deepEqual(ranAt, [0, 100, 200, 300]);
  });

  it('opens an ErrorRequestRatio breaker on failures (throws and rejections), answers with the fallback, probes once after recoveryTimeout', async () => {
    const breaker = doc(
      'CircuitBreakerStrategy',
      'errors',
      '{ strategy: ErrorRequestRatio, triggerRatio: 50%, statDuration: 10s, recoveryTimeout: 5s, minRequestAmount: 4 }',
    );
    const { engine, clock } = engineWith(rules(breaker, faultToleranceRule('db', ['db:orders'], ['errors'])));
    const fail = (): Promise<never> => Promise.reject(new Error('down'));
    for (let i = 0; i < 4; i++) await settled(engine.guard('db:orders', i % 2 ? fail : () => {
      throw new Error('down');
    }));
    let called = 0;
    const value = await engine.guard('db:orders', () => ++called, { fallback: (blocked) => `cached (${blocked.kind})` });
    assert.equal(value, 'cached (CircuitBreakerStrategy)');
    assert.equal(called, 0);
    clock.advance(5000);
    const probe = gate<string>();
    const first = engine.guard('db:orders', () => probe.promise);
    await assert.rejects(engine.guard('db:orders', () => 'second'), (e) => isOpenSergoError(e, 'ERR_OPENSERGO_BLOCKED') && e.response.statusCode === 503);
    probe.open('fresh');
    assert.equal(await first, 'fresh');
    assert.equal(await engine.guard('db:orders', () => 'closed again'), 'closed again');
  });

  it("counts a slow call's duration for a SlowRequestRatio breaker", async () => {
    const breaker = doc(
      'CircuitBreakerStrategy',
      'slow',
      '{ strategy: SlowRequestRatio, triggerRatio: 50%, statDuration: 10s, recoveryTimeout: 5s, minRequestAmount: 2, slowConditions: { maxAllowedRt: 200ms } }',
    );
    const { engine, clock } = engineWith(rules(breaker, faultToleranceRule('db', ['db:report'], ['slow'])));
    for (let i = 0; i < 2; i++) {
      const g = gate();
      const call = engine.guard('db:report', () => g.promise);
      clock.advance(300);
      g.open();
      await call;
    }
    await assert.rejects(engine.guard('db:report', () => 'fast'), (e) => isOpenSergoError(e, 'ERR_OPENSERGO_BLOCKED') && e.kind === 'CircuitBreakerStrategy');
  });

  it('matches outgoing-call targets by URL, and the top-level guard uses the first open engine', async () => {
    const { engine } = engineWith(rules(rateLimitStrategy('one', 1), faultToleranceRule('backend', ['GET:http://backend/users/{id}'], ['one'])));
    assert.equal(await guard('GET:http://backend/users/7', () => 'first', { engine }), 'first');
    await assert.rejects(engine.guard('GET:http://BACKEND/users/8', () => 'second'), (e) => isOpenSergoError(e, 'ERR_OPENSERGO_BLOCKED'));
    assert.equal(await engine.guard('POST:http://backend/users/8', () => 'other method'), 'other method');
    const other = createEngine({ logger: false });
    made.push(other);
    assert.equal(await guard('GET:http://backend/users/9', () => 'x', { fallback: () => 'refused' }), 'refused', 'the first engine still open decides');
    await engine.close();
    assert.equal(await guard('GET:http://backend/users/9', () => 'x', { fallback: () => 'refused' }), 'x', 'then the next');
    await other.close();
    await assert.rejects(guard('db:x', () => 1), (e) => isOpenSergoError(e, 'ERR_OPENSERGO_OPTIONS_INVALID') && /no engine/.test(e.message));
  });

  it("inside a governed request, sees the request's labels: in fn (and nested guards), and in what a refusal carries", async () => {
    keepRequestContext();
    const { engine } = engineWith(rules(rateLimitStrategy('one', 1), faultToleranceRule('db', ['db:orders'], ['one'])));
    const request = { resource: '/checkout', trafficLabel: 'gray', trafficLabels: ['gray'] };
    const seen: (string | undefined)[] = [];
    const refusal = await runInContext(request, () =>
      engine.guard('db:orders', async () => {
        seen.push(currentContext()?.trafficLabel);
        return engine.guard('db:orders', () => 'nested', { fallback: (blocked) => blocked });
      }),
    );
    assert.deepEqual(seen, ['gray']);
    assert.ok(typeof refusal !== 'string', "typeof refusal !== 'string'");
    assert.deepEqual(refusal.context.trafficLabels, ['gray']);
    assert.equal(refusal.context.resource, 'db:orders');
  });
});

describe('guard(resource, fn, { signal })', () => {
  const one = rules(doc('ConcurrencyLimitStrategy', 'one', '{ maxConcurrency: 1, limitMode: Local }'), faultToleranceRule('db', ['db:orders'], ['one']));
  const breaker = rules(
    doc('CircuitBreakerStrategy', 'errors', '{ strategy: ErrorRequestRatio, triggerRatio: 50%, statDuration: 10s, recoveryTimeout: 5s, minRequestAmount: 4 }'),
    faultToleranceRule('vendor', ['vendor:quotes'], ['errors']),
  );
  const timeout = (): DOMException => new DOMException('The operation timed out.', 'TimeoutError');

  it('already aborted: rejects with its reason, without calling fn or taking a permit', async () => {
    const { engine } = engineWith(one);
    const controller = new AbortController();
    const reason = new Error('the user left');
    controller.abort(reason);
    let called = 0;
    await assert.rejects(engine.guard('db:orders', () => ++called, { signal: controller.signal }), (e) => e === reason);
    await assert.rejects(engine.guard('db:users', () => ++called, { signal: controller.signal }), (e) => e === reason, 'a resource no rule names too');
    assert.equal(called, 0);
    assert.equal(await engine.guard('db:orders', () => 'next'), 'next', 'the permit was never taken');
  });

  it('aborted while fn runs: rejects at once with its reason, fn gets the signal, and the permit is held until fn settles', async () => {
    const { engine } = engineWith(one);
    const controller = new AbortController();
    const work = gate();
    let seen: AbortSignal | undefined;
    const call = engine.guard(
      'db:orders',
      (signal) => {
        seen = signal;
        return work.promise;
      },
      { signal: controller.signal },
    );
    await flush();
    assert.equal(seen, controller.signal, 'fn is called with the signal');
    controller.abort();
    await assert.rejects(call, (e) => (e as Error).name === 'AbortError');
    await assert.rejects(
      engine.guard('db:orders', () => 'second'),
      (e) => isOpenSergoError(e, 'ERR_OPENSERGO_BLOCKED') && e.kind === 'ConcurrencyLimitStrategy',
      'fn still runs: a limit of 1 means one running',
    );
    work.open();
    await flush();
    assert.equal(await engine.guard('db:orders', () => 'after'), 'after', 'released once fn settled');
  });

  it('a resource no rule names: rejects on abort, and fn gets the signal', async () => {
    const { engine } = engineWith(one);
    const controller = new AbortController();
    const call = engine.guard('db:users', (signal) => new Promise((_, reject) => signal!.addEventListener('abort', () => reject(new Error('cancelled by fn')))), {
      signal: controller.signal,
    });
    controller.abort(timeout());
    await assert.rejects(call, (e) => (e as Error).name === 'TimeoutError');
  });

  it('a TimeoutError counts as a failure for a breaker; an abort with another reason counts as neither', async () => {
    const run = async (engine: Engine, reason: () => unknown): Promise<void> => {
      for (let i = 0; i < 4; i++) {
        const controller = new AbortController();
        // fn stops its work when told, as fetch(url, { signal }) would
        const call = engine.guard('vendor:quotes', (signal) => new Promise((_, reject) => signal!.addEventListener('abort', () => reject(signal!.reason))), {
          signal: controller.signal,
        });
        controller.abort(reason());
        await settled(call);
      }
      await flush();
    };
    const timedOut = engineWith(breaker).engine;
    await run(timedOut, timeout);
    await assert.rejects(timedOut.guard('vendor:quotes', () => 'x'), (e) => isOpenSergoError(e, 'ERR_OPENSERGO_BLOCKED') && e.kind === 'CircuitBreakerStrategy');

    for (const reason of [() => undefined, () => new Error('the user left')]) {
      const cancelled = engineWith(breaker).engine;
      await run(cancelled, reason);
      assert.equal(await cancelled.guard('vendor:quotes', () => 'still closed'), 'still closed');
      const stats = cancelled.metrics().resources.find((r) => r.rule === 'vendor')!;
      assert.equal(stats.failed, 0, 'not counted as failures');
    }
  });

  it('under a ThrottlingStrategy, aborted while it waits its turn: rejects at once, and fn never runs', async () => {
    const { engine, clock } = engineWith(
      rules(doc('ThrottlingStrategy', 'spaced', '{ minIntervalOfRequests: 100ms, queueTimeout: 500ms }'), faultToleranceRule('db', ['db:orders'], ['spaced'])),
    );
    const ranAt: number[] = [];
    const controller = new AbortController();
    const first = engine.guard('db:orders', () => ranAt.push(clock.now()));
    const waiting = engine.guard('db:orders', () => ranAt.push(clock.now()), { signal: controller.signal });
    const third = engine.guard('db:orders', () => ranAt.push(clock.now()));
    await flush();
    controller.abort();
    await assert.rejects(waiting, (e) => (e as Error).name === 'AbortError');
    for (let t = 0; t < 300; t += 10) {
      await flush();
      clock.advance(10);
    }
    await Promise.all([first, third]);
    assert.deepEqual(ranAt, [0, 200], 'the aborted call kept its slot (100) and did not run');
  });
});
