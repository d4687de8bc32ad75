// engine.metrics(), block events, dry run and explain on the engine alone (issue 18).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEngine, FakeClock, isOpenSergoError, parseRulesText, requestView, type Engine, type RuleMetrics } from '../src/index.js';

const FT = 'fault-tolerance.opensergo.io/v1alpha1';

const rules = ({ dryRun = '' } = {}): string => `
apiVersion: ${FT}
kind: RateLimitStrategy
metadata: { name: five }
spec: { metricType: RequestAmount, limitMode: Local, threshold: 5, statDuration: 1s }
---
apiVersion: ${FT}
kind: CircuitBreakerStrategy
metadata: { name: errors }
spec: { strategy: ErrorRequestRatio, triggerRatio: 50%, statDuration: 10s, recoveryTimeout: 5s, minRequestAmount: 2 }
---
apiVersion: ${FT}
kind: ThrottlingStrategy
metadata: { name: paced }
spec: { minIntervalOfRequests: 100ms, queueTimeout: 1s }
---
apiVersion: ${FT}
kind: FaultToleranceRule
metadata:
  name: api-rule
${dryRun}
spec:
  targets: [{ targetResourceName: 'GET:/api/{id}' }]
  strategies: [{ name: five }, { name: errors }]
---
apiVersion: ${FT}
kind: FaultToleranceRule
metadata: { name: paced-rule }
spec:
  targets: [{ targetResourceName: '/paced' }]
  strategies: [{ name: paced }]
`;

const get = (url: string, headers: Record<string, string> = {}) => requestView('GET', url, headers);

function row(engine: Engine, rule: string, kind: RuleMetrics['kind']): RuleMetrics {
  const found = engine.metrics().resources.find((r) => r.rule === rule && r.kind === kind);
  assert.ok(found, `${rule} ${kind}`);
  return found;
}

async function withEngine(options: Parameters<typeof createEngine>[0], body: (engine: Engine, clock: FakeClock) => Promise<void> | void) {
  const clock = new FakeClock(10_000);
  const engine = createEngine({ logger: false, clock, ...options });
  try {
    await body(engine, clock);
  } finally {
    await engine.close();
  }
}

describe('engine.metrics()', () => {
  it('counts per (target, strategy) of each rule, and shows a breaker opening and its failures', () =>
    withEngine({ rules: rules() }, (engine, clock) => {
      for (let i = 0; i < 2; i++) {
        const d = engine.enter(get(`/api/${i}`));
        assert.ok(!(d instanceof Promise) && d.type === 'pass' && d.entry, "!(d instanceof Promise) && d.type === 'pass' && d.entry");
        clock.advance(30);
        d.entry.exit({ type: 'finished', statusCode: 500 });
      }
      const breaker = row(engine, 'api-rule', 'CircuitBreakerStrategy');
      assert.equal(breaker.breaker, 'open');
      assert.equal(breaker.resource, 'GET:/api/{id}');
      assert.equal(breaker.passed, 2);
      assert.equal(breaker.failed, 2);
      assert.equal(breaker.inFlight, 0);
      assert.equal(breaker.duration.count, 2);
      assert.equal(breaker.duration.sumMs, 60);
      // 30 ms falls in the 50 ms bucket: cumulative counts are 0 up to 25 ms, then 2.
      const buckets = engine.metrics().durationBucketsMs;
      assert.deepEqual(breaker.duration.cumulative.slice(0, 4), [0, 0, 0, 2]);
      assert.equal(buckets[3], 50);
      assert.equal(breaker.duration.cumulative.at(-1), 2);
      const refused = engine.enter(get('/api/3'));
      assert.ok(!(refused instanceof Promise) && refused.type === 'block', "!(refused instanceof Promise) && refused.type === 'block'");
      assert.equal(row(engine, 'api-rule', 'CircuitBreakerStrategy').blocked, 1);
      assert.equal(row(engine, 'api-rule', 'RateLimitStrategy').blocked, 0, 'the breaker refused first; the rate limit never saw it');
    }));

  it('counts requests in flight until they end', () =>
    withEngine({ rules: rules() }, (engine) => {
      const d = engine.enter(get('/api/1'));
      assert.ok(!(d instanceof Promise) && d.type === 'pass', "!(d instanceof Promise) && d.type === 'pass'");
      assert.equal(row(engine, 'api-rule', 'RateLimitStrategy').inFlight, 1);
      d.entry?.exit({ type: 'abandoned' });
      const after = row(engine, 'api-rule', 'RateLimitStrategy');
      assert.equal(after.inFlight, 0);
      assert.equal(after.duration.count, 0, 'an abandoned request has no response time');
    }));

  it('shows the throttling queue', () =>
    withEngine({ rules: rules() }, async (engine, clock) => {
      engine.enter(get('/paced'));
      const waiting = [engine.enter(get('/paced')), engine.enter(get('/paced'))];
      assert.ok(waiting.every((d) => d instanceof Promise), 'waiting.every((d) => d instanceof Promise)');
      assert.equal(row(engine, 'paced-rule', 'ThrottlingStrategy').queued, 2);
      clock.advance(200);
      await Promise.all(waiting);
      assert.equal(row(engine, 'paced-rule', 'ThrottlingStrategy').queued, 0);
      assert.equal(row(engine, 'paced-rule', 'ThrottlingStrategy').passed, 3);
    }));

  it("follows a rate limit's outcomes only with outcomeMetrics: 'all'", async () => {
    const limitOnly = rules().replace('[{ name: five }, { name: errors }]', '[{ name: five }]');
    await withEngine({ rules: limitOnly }, (engine) => {
      const d = engine.enter(get('/api/1'));
      assert.ok(!(d instanceof Promise) && d.type === 'pass', "!(d instanceof Promise) && d.type === 'pass'");
      assert.equal(d.entry, undefined, 'a rate limit alone needs no outcome');
    });
    await withEngine({ rules: limitOnly, outcomeMetrics: 'all' }, (engine, clock) => {
      const d = engine.enter(get('/api/1'));
      assert.ok(!(d instanceof Promise) && d.type === 'pass' && d.entry, "!(d instanceof Promise) && d.type === 'pass' && d.entry");
      clock.advance(7);
      d.entry.exit({ type: 'failed', error: new Error('x') });
      const r = row(engine, 'api-rule', 'RateLimitStrategy');
      assert.equal(r.failed, 1);
      assert.equal(r.duration.sumMs, 7);
    });
  });

  it('keeps counting across a reload that changes the threshold, and drops a removed rule', () =>
    withEngine({ rules: rules() }, (engine) => {
      for (let i = 0; i < 7; i++) engine.enter(get('/api/1'));
      const before = row(engine, 'api-rule', 'RateLimitStrategy');
      assert.equal(before.passed, 5);
      assert.equal(before.blocked, 2);
      const raised = rules().replace('threshold: 5,', 'threshold: 50,');
      assert.equal(engine.update('inline', parseRulesText(raised, 'raised.yaml').documents).ok, true);
      engine.enter(get('/api/1'));
      const kept = row(engine, 'api-rule', 'RateLimitStrategy');
      assert.equal(kept.passed, 6, 'the count went on from 5');
      assert.equal(kept.blocked, 2);
      const result = engine.update('inline', [], undefined);
      assert.equal(result.ok, true);
      assert.equal(engine.metrics().resources.length, 0);
    }));

  it('reports the rules in force, their sources and the store', () =>
    withEngine({ rules: rules() }, (engine) => {
      const snapshot = engine.metrics();
      assert.equal(snapshot.rules.faultToleranceRules, 2);
      assert.equal(snapshot.rules.source, 'inline');
      assert.deepEqual(snapshot.store, {
        name: 'memory',
        shared: false,
        available: true,
        reason: undefined,
        unavailableShards: [],
        lateDecisions: { local: 0, refused: 0 },
      });
      engine.events.emit('store:state', { store: 'memory', available: false, reason: 'down' });
      assert.equal(engine.metrics().store.available, false);
      assert.equal(engine.metrics().store.reason, 'down');
    }));

  it('follows each shard of a store, and counts decisions taken because a reply was late', () =>
    withEngine({ rules: rules() }, (engine) => {
      engine.events.emit('store:state', { store: 'redis', available: false, reason: 'a down', shard: '10.0.0.1:6379' });
      engine.events.emit('store:state', { store: 'redis', available: false, reason: 'b down', shard: '10.0.0.2:6379' });
      engine.events.emit('store:state', { store: 'redis', available: true, shard: '10.0.0.1:6379' });
      assert.equal(engine.metrics().store.available, false, 'one shard is still down');
      assert.deepEqual(engine.metrics().store.unavailableShards, ['10.0.0.2:6379']);
      assert.equal(engine.metrics().store.reason, 'b down');
      engine.events.emit('store:state', { store: 'redis', available: true, shard: '10.0.0.2:6379' });
      assert.equal(engine.metrics().store.available, true);
      engine.events.emit('store:late', { store: 'redis', key: 'k', requests: 3, decided: 'local' });
      engine.events.emit('store:late', { store: 'redis', key: 'k', requests: 2, decided: 'refused' });
      assert.deepEqual(engine.metrics().store.lateDecisions, { local: 3, refused: 2 });
    }));
});

describe('block events', () => {
  it('are built only while someone listens', () =>
    withEngine({ rules: rules() }, (engine) => {
      assert.equal(engine.events.hearsBlocked, false);
      const listener = (): void => {};
      engine.events.on('request:blocked', listener);
      assert.equal(engine.events.hearsBlocked, true);
      engine.events.off('request:blocked', listener);
      assert.equal(engine.events.hearsBlocked, false);
      engine.events.once('request:would-block', listener);
      assert.equal(engine.events.hearsWouldBlock, true);
      engine.events.emit('request:would-block', {} as never);
      assert.equal(engine.events.hearsWouldBlock, false, 'a once listener that fired is gone');
      engine.events.on('request:blocked', listener);
      engine.events.removeAllListeners();
      assert.equal(engine.events.hearsBlocked, false);
      engine.events.on('request:blocked', listener);
      assert.equal(engine.events.hearsBlocked, true, 'still tracked after removeAllListeners()');
    }));
});

describe('dry run', () => {
  it('engine-wide: admits what every rule would block, counts and reports it', () =>
    withEngine({ rules: rules(), dryRun: true }, (engine) => {
      const would: string[] = [];
      engine.events.on('request:would-block', (e) => would.push(`${e.rule}/${e.kind}`));
      const decisions = Array.from({ length: 8 }, () => engine.enter(get('/api/1')));
      assert.ok(decisions.every((d) => !(d instanceof Promise) && d.type === 'pass'), "decisions.every((d) => !(d instanceof Promise) && d.type === 'pass')");
      assert.deepEqual(would, ['api-rule/RateLimitStrategy', 'api-rule/RateLimitStrategy', 'api-rule/RateLimitStrategy']);
      assert.equal(row(engine, 'api-rule', 'RateLimitStrategy').wouldBlock, 3);
    }));

  it('gives back nothing it did not take: a dry-run refusal before a real one leaves the counts right', () =>
    withEngine({ rules: rules({ dryRun: '  annotations: { opensergo.io/dry-run: "true" }' }) }, (engine, clock) => {
      // Open the (dry-run) breaker, then keep sending: the rate limit still counts what it admits.
      for (let i = 0; i < 2; i++) {
        const d = engine.enter(get('/api/1'));
        assert.ok(!(d instanceof Promise) && d.type === 'pass', "!(d instanceof Promise) && d.type === 'pass'");
        d.entry?.exit({ type: 'finished', statusCode: 500 });
      }
      clock.advance(1);
      for (let i = 0; i < 5; i++) {
        const d = engine.enter(get('/api/1'));
        assert.ok(!(d instanceof Promise) && d.type === 'pass', "!(d instanceof Promise) && d.type === 'pass'");
        d.entry?.exit({ type: 'finished', statusCode: 200 });
      }
      const breaker = row(engine, 'api-rule', 'CircuitBreakerStrategy');
      assert.equal(breaker.breaker, 'open');
      assert.equal(breaker.wouldBlock, 5);
      assert.equal(breaker.inFlight, 0);
      assert.equal(row(engine, 'api-rule', 'RateLimitStrategy').wouldBlock, 2, 'the limit of 5 was reached by the 6th and 7th');
    }));

  it('refuses an annotation value that is neither "true" nor "false", naming the field', () => {
    try {
      createEngine({ logger: false, rules: rules({ dryRun: '  annotations: { opensergo.io/dry-run: "yes" }' }) });
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(isOpenSergoError(error), 'isOpenSergoError(error)');
      assert.match(error.message, /inline:21:40 FaultToleranceRule\/api-rule metadata\.annotations\["opensergo\.io\/dry-run"\]: expected "true" or "false", got "yes"/);
    }
  });
});

describe('engine.explain()', () => {
  it('names the resource, the labels and every check in check order', () =>
    withEngine({ rules: rules() }, (engine) => {
      const explained = engine.explain(get('/API/7/'));
      assert.equal(explained.resource, 'GET:/api/{id}');
      assert.equal(explained.path, '/api/7');
      assert.deepEqual(
        explained.checks.map((c) => `${c.rule} ${c.strategy} ${c.kind} ${c.fallback}`),
        ['api-rule errors CircuitBreakerStrategy default', 'api-rule five RateLimitStrategy default'],
      );
      assert.deepEqual(engine.explain(get('/nothing')).checks, []);
    }));
});
