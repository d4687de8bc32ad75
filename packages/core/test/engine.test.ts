import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { faultToleranceRule, rateLimitStrategy } from './helpers/rate-limit-rules.js';
import { createEngine, FakeClock, fieldsBesideLength, propagationHeaders, requestView, type Decision, type Engine } from '../src/index.js';

function decide(engine: Engine, method: string, url: string, headers: Record<string, string> = {}): Decision {
  const decision = engine.enter(requestView(method, url, headers));
  assert.ok(!(decision instanceof Promise), 'memory-store rate limits decide synchronously');
  return decision;
}

const strategy = rateLimitStrategy;
const rule = faultToleranceRule;

describe('engine', () => {
  it('gives every (target, strategy) pair its own counter', () => {
    const rules = [strategy('two', 2), rule('r', ['/a', '/b'], ['two'])].join('\n---');
    const engine = createEngine({ rules, clock: new FakeClock(), logger: false });
    for (const path of ['/a', '/a', '/b', '/b']) assert.equal(decide(engine, 'GET', path).type, 'pass', path);
    assert.equal(decide(engine, 'GET', '/a').type, 'block');
    assert.equal(decide(engine, 'GET', '/b').type, 'block');
  });

  it('requires a request to pass every rule that matches it, and gives back what a later check refused', () => {
    const rules = [
      strategy('wide', 5),
      strategy('narrow', 1),
      rule('all', ['/api/**'], ['wide']),
      rule('one', ['GET:/api/items/{id}'], ['narrow']),
    ].join('\n---');
    const engine = createEngine({ rules, clock: new FakeClock(), logger: false });
    assert.equal(decide(engine, 'GET', '/api/items/1').type, 'pass');
    const blocked = decide(engine, 'GET', '/api/items/2');
    assert.equal(blocked.type, 'block');
    // the wide limit's admission for the blocked request was taken back: 4 more fit
    for (let i = 0; i < 4; i++) assert.equal(decide(engine, 'POST', '/api/other').type, 'pass', `post ${i}`);
    assert.equal(decide(engine, 'POST', '/api/other').type, 'block');
  });

  it("hands adapters a blocked response's headers but content-length as a flat list, the response reading as before", () => {
    const rules = [strategy('one', 1), rule('r', ['/a'], ['one'])].join('\n---');
    const engine = createEngine({ rules, clock: new FakeClock(), logger: false, rateLimitHeaders: true });
    decide(engine, 'GET', '/a');
    const blocked = decide(engine, 'GET', '/a');
    assert.ok(blocked.type === 'block', 'the second request on a limit of one is blocked');
    const { response } = blocked;
    const expected = Object.entries(response.headers).filter(([name]) => name !== 'content-length').flat();
    assert.deepEqual(fieldsBesideLength(response), expected);
    assert.ok(expected.includes('retry-after') && expected.includes('ratelimit'), 'Retry-After and the RateLimit fields are there');
    assert.deepEqual(Object.keys(response), ['statusCode', 'headers', 'body']);
    const elsewhere = { statusCode: 503, headers: { 'content-length': '2', 'x-why': 'busy' }, body: 'no' };
    assert.deepEqual(fieldsBesideLength(elsewhere), ['x-why', 'busy'], 'a response built outside the engine');
  });

  it('warns once that Global without a shared store is per process', () => {
    const warnings: string[] = [];
    const logger = { info() {}, error() {}, warn: (m: string) => warnings.push(m) };
    createEngine({ rules: [strategy('g', 1, 'Global'), rule('r', ['/a', '/b'], ['g'])].join('\n---'), logger });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /RateLimitStrategy\/g has limitMode Global .* not shared.*this process alone/);
  });

  it('costs the same with 10,000 rules for other resources', () => {
    const docs = [strategy('s', 1e9)];
    for (let i = 0; i < 10_000; i++) docs.push(rule(`r${i}`, [`/other/${i}`, `/p/${i}/{id}`], ['s']));
    const engine = createEngine({ rules: docs.join('\n---'), logger: false });
    // Not a timing assertion: the index answers from one map lookup plus a trie walk of the
    // path's own segments, so a miss touches no rule.
    const d = decide(engine, 'GET', '/foo/bar');
    assert.equal(d.type, 'pass');
    assert.equal(d.context.resource, '/foo/bar');
    assert.equal(decide(engine, 'GET', '/p/9999/x').context.resource, '/p/9999/{id}');
  });

  it('labels from rules come after incoming labels and travel on in baggage', () => {
    const rules = `
apiVersion: traffic.opensergo.io/v1alpha1
kind: TrafficLabelRule
metadata: { name: beta }
spec:
  trafficLabel: beta
  match: [{ type: query, key: beta, condition: exists }]`;
    const engine = createEngine({ rules, logger: false });
    const d = decide(engine, 'GET', '/x?beta', { 'x-opensergo-traffic': 'gray' });
    assert.deepEqual(d.context.trafficLabels, ['gray', 'beta']);
    assert.deepEqual(propagationHeaders(d.context.trafficLabels), {
      baggage: 'OpenSergo-Label=gray%2Cbeta',
      'x-opensergo-traffic': 'gray,beta',
    });
  });
});

describe('createEngine options', () => {
  it('rejects options it cannot honour, with ERR_OPENSERGO_OPTIONS_INVALID', async () => {
    const { isOpenSergoError } = await import('../src/index.js');
    const bad: unknown[] = [{ rules: 42 }, { rules: '', rulesFile: 'x.yaml' }, { rulesFile: '' }, { app: '' }];
    for (const options of bad) {
      assert.throws(
        () => createEngine({ ...(options as object), logger: false }),
        (e: unknown) => isOpenSergoError(e, 'ERR_OPENSERGO_OPTIONS_INVALID'),
        JSON.stringify(options),
      );
    }
  });

  it('names the file it cannot read', async () => {
    const { isOpenSergoError } = await import('../src/index.js');
    assert.throws(
      () => createEngine({ rulesFile: '/nonexistent/opensergo.yaml', logger: false }),
      (e: unknown) => isOpenSergoError(e, 'ERR_OPENSERGO_RULES_FILE_UNREADABLE') && /\/nonexistent\/opensergo\.yaml/.test(e.message),
    );
  });
});

describe('resource name', () => {
  it('is the most specific matching target, whatever the check order', () => {
    const rules = [
      strategy('s', 100),
      rule('wide', ['/api/**'], ['s']),
      rule('param', ['/api/items/{id}'], ['s']),
      rule('method', ['GET:/api/items/{id}'], ['s']),
      rule('exact', ['/api/items/special'], ['s']),
    ].join('\n---');
    const engine = createEngine({ rules, logger: false });
    assert.equal(decide(engine, 'GET', '/api/items/special').context.resource, '/api/items/special');
    assert.equal(decide(engine, 'GET', '/api/items/7').context.resource, 'GET:/api/items/{id}');
    assert.equal(decide(engine, 'POST', '/api/items/7').context.resource, '/api/items/{id}');
    assert.equal(decide(engine, 'POST', '/api/other').context.resource, '/api/**');
    assert.equal(decide(engine, 'GET', '/elsewhere/X').context.resource, '/elsewhere/x', 'unmatched: the normalised path');
  });
});
