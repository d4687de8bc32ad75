import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { admitted, faultToleranceRule, rateLimitStrategy } from './helpers/rate-limit-rules.js';
import { createEngine, FakeClock, parseResourcePattern, type ResourcePattern } from '../src/index.js';

function parsed(name: string): ResourcePattern {
  const p = parseResourcePattern(name);
  assert.ok(typeof p !== 'string', `${name}: ${String(p)}`);
  return p;
}

describe('resource names that are not incoming paths', () => {
  it('reads outgoing targets (scheme and host, then a path pattern) and free-form names', () => {
    const call = parsed('GET:http://Backend:80/users/{id}');
    assert.deepEqual([call.scope, call.origin, call.method, call.path], ['outgoing', 'http://backend', 'GET', '/users/{id}']);
    const api = parsed('https://api.example.com:8443/**');
    assert.deepEqual([api.scope, api.origin, api.method, api.rest], ['outgoing', 'https://api.example.com:8443', undefined, true]);
    assert.equal(parsed('http://backend').path, '/**', 'a bare origin names every call to it');
    for (const name of ['db:orders.select', 'com.foo.DemoService:sayHello(java.lang.String)', 'queue:emails', 'mysql://orders/select']) {
      const p = parsed(name);
      assert.deepEqual([p.scope, p.path], ['name', name], 'free-form names are kept as written');
    }
    assert.equal(parsed('GET:/users/{id}').scope, 'incoming');
  });

  it('are valid targets, and the inbound middleware never matches them', () => {
    const targets = [
      'GET:http://backend/users/{id}',
      'http://api.example.com/**',
      'db:orders.select',
      'com.foo.DemoService:sayHello(java.lang.String)',
    ];
    const engine = createEngine({ rules: [rateLimitStrategy('closed', 0), faultToleranceRule('outgoing', targets, ['closed'])].join('\n---'), logger: false, clock: new FakeClock() });
    assert.deepEqual(engine.rules.faultToleranceRules[0]!.targets, targets);
    for (const path of ['/users/1', '/backend/users/1', '/http://backend/users/1', '/api.example.com/x', '/db:orders.select', '/']) {
      assert.equal(admitted(engine, path, 3), 3, `${path} is not an outgoing call`);
    }
    // the rule is in force (reported), it just never saw an incoming request
    const reported = engine.metrics().resources.filter((r) => r.rule === 'outgoing');
    assert.deepEqual(reported.map((r) => [r.resource, r.passed, r.blocked]), targets.map((t) => [t, 0, 0]));
  });

  it('a rules file shared with a Java service loads, and only the Node rules apply', () => {
    const rulesFile = fileURLToPath(new URL('./fixtures/rules/java-and-node.yaml', import.meta.url));
    const engine = createEngine({ rulesFile, app: 'node-web', namespace: 'prod', watch: false, logger: false, clock: new FakeClock() });
    assert.deepEqual(engine.rules.faultToleranceRules.map((r) => r.name), ['node-web-hello']);
    // the Java rule (threshold 0 on /hello) would refuse the first; the Node rule admits two
    assert.equal(admitted(engine, '/hello', 3), 2);
    const java = createEngine({ rulesFile, app: 'java-demo', namespace: 'prod', watch: false, logger: false, clock: new FakeClock() });
    assert.deepEqual(java.rules.faultToleranceRules.map((r) => r.name), ['java-demo-provider']);
    assert.equal(admitted(java, '/hello', 1), 0);
  });
});
