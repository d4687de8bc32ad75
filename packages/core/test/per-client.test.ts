// Per-client limits (issue 17): `limitBy` on RateLimit, Throttling and ConcurrencyLimit
// strategies, engine-level with a fake clock. The six adapters are in test/conformance-per-client.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createEngine, FakeClock, isOpenSergoError, requestView, type Decision, type Engine } from '../src/index.js';
import { compileRules, documentsFromValues } from '../src/rules/load.js';
import type { OpenSergoOptions } from '../src/options.js';

const FT = 'fault-tolerance.opensergo.io/v1alpha1';

function strategyDoc(kind: string, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: FT, kind, metadata: { name }, spec };
}

const ruleDoc = (strategy: string, target = '/api/**'): Record<string, unknown> => ({
  apiVersion: FT,
  kind: 'FaultToleranceRule',
  metadata: { name: `rule-${strategy}` },
  spec: { targets: [{ targetResourceName: target }], strategies: [{ name: strategy }] },
});

const perClientRate = (extra: Record<string, unknown>, threshold = 5): Record<string, unknown>[] => [
  strategyDoc('RateLimitStrategy', 'per-client', { metricType: 'RequestAmount', limitMode: 'Local', threshold, statDuration: '1m', ...extra }),
  ruleDoc('per-client'),
];

function engineWith(rules: readonly unknown[], options: OpenSergoOptions = {}): { engine: Engine; clock: FakeClock } {
  const clock = new FakeClock();
  return { engine: createEngine({ rules, clock, logger: false, ...options }), clock };
}

function decide(engine: Engine, headers: Record<string, string> = {}, address = '127.0.0.1', path = '/api/items'): Decision {
  const decision = engine.enter(requestView('GET', path, headers, { remoteAddress: address }));
  assert.ok(!(decision instanceof Promise), '!(decision instanceof Promise)');
  return decision;
}

/** How many of `n` requests pass. */
function passes(engine: Engine, n: number, headers: Record<string, string> = {}, address = '127.0.0.1'): number {
  let passed = 0;
  for (let i = 0; i < n; i++) if (decide(engine, headers, address).type === 'pass') passed++;
  return passed;
}

describe('limitBy: clientIp', () => {
  it('threshold 5 per minute holds per client: A is refused at its 6th while B and C each still get 5', () => {
    const { engine } = engineWith(perClientRate({ limitBy: { type: 'clientIp' } }));
    assert.equal(passes(engine, 6, {}, '10.0.0.1'), 5);
    assert.equal(passes(engine, 6, {}, '10.0.0.2'), 5);
    assert.equal(passes(engine, 6, {}, '10.0.0.3'), 5);
  });

  it('Retry-After is for the client’s own window, and the block names the client', () => {
    const { engine, clock } = engineWith(perClientRate({ limitBy: { type: 'clientIp' } }));
    const blocked: (string | undefined)[] = [];
    engine.events.on('request:blocked', (event) => blocked.push(event.clientKey));
    assert.equal(passes(engine, 5, {}, '10.0.0.1'), 5); // at 0 s
    clock.advance(40_000);
    assert.equal(passes(engine, 5, {}, '10.0.0.2'), 5); // at 40 s
    const a = decide(engine, {}, '10.0.0.1');
    const b = decide(engine, {}, '10.0.0.2');
    assert.ok(a.type === 'block' && b.type === 'block', "a.type === 'block' && b.type === 'block'");
    assert.equal(a.response.headers['retry-after'], '20');
    assert.equal(b.response.headers['retry-after'], '60');
    assert.deepEqual(blocked, ['10.0.0.1', '10.0.0.2']);
  });

  it('without trustProxy, X-Forwarded-For is ignored: random values on every request are one client', () => {
    const { engine } = engineWith(perClientRate({ limitBy: { type: 'clientIp' } }));
    let passed = 0;
    for (let i = 0; i < 10; i++) if (decide(engine, { 'x-forwarded-for': `198.51.100.${i}` }, '10.0.0.1').type === 'pass') passed++;
    assert.equal(passed, 5);
  });

  it('IPv4-mapped IPv6 and IPv4 are one client; two IPv6 clients in one /56 share a budget', () => {
    const { engine } = engineWith(perClientRate({ limitBy: { type: 'clientIp' } }));
    assert.equal(passes(engine, 3, {}, '::ffff:1.2.3.4') + passes(engine, 3, {}, '1.2.3.4'), 5);
    assert.equal(passes(engine, 3, {}, '2001:db8:0:1a0::1') + passes(engine, 3, {}, '2001:db8:0:1ff:abcd::2'), 5);
    assert.equal(passes(engine, 5, {}, '2001:db8:0:200::1'), 5, 'the next /56 is another client');
  });

  it('ipv6Subnet: 64 tells the two /64s apart', () => {
    const { engine } = engineWith(perClientRate({ limitBy: { type: 'clientIp' } }), { ipv6Subnet: 64 });
    assert.equal(passes(engine, 5, {}, '2001:db8:0:1a0::1'), 5);
    assert.equal(passes(engine, 5, {}, '2001:db8:0:1ff::1'), 5);
  });

  it('overrides name addresses as written; an IPv6 override holds for its /56', () => {
    const overrides = [
      { value: '10.0.0.9', threshold: 0 },
      { value: '2001:db8::1', threshold: 7 },
    ];
    const { engine } = engineWith(perClientRate({ limitBy: { type: 'clientIp' }, limitByOverrides: overrides }));
    assert.equal(passes(engine, 3, {}, '10.0.0.9'), 0, 'a known abuser gets 0');
    assert.equal(passes(engine, 10, {}, '2001:db8:0:ff::5'), 7);
  });

  it('two IPv6 overrides in one /56 are one client: the first holds, and a warning names both', () => {
    const warnings: string[] = [];
    const overrides = [
      { value: '2001:db8::1', threshold: 0 },
      { value: '2001:db8:0:2::1', threshold: 100 },
      { value: '2001:db8:1::1', threshold: 2 },
    ];
    const { engine } = engineWith(perClientRate({ limitBy: { type: 'clientIp' }, limitByOverrides: overrides }), {
      logger: { info() {}, error() {}, warn: (m) => warnings.push(m) },
    });
    assert.equal(passes(engine, 3, {}, '2001:db8:0:2::1'), 0, 'the block of 2001:db8::1 holds for its /56');
    assert.equal(passes(engine, 3, {}, '2001:db8:1::9'), 2, 'an override in another /56 is its own');
    assert.deepEqual(warnings, [
      'RateLimitStrategy/per-client: limitByOverrides "2001:db8::1" and "2001:db8:0:2::1" are one client, 2001:db8::/56 (ipv6Subnet 56); the first holds, "2001:db8:0:2::1" is ignored',
    ]);
    warnings.length = 0;
    const by64 = engineWith(perClientRate({ limitBy: { type: 'clientIp' }, limitByOverrides: overrides }), {
      ipv6Subnet: 64,
      logger: { info() {}, error() {}, warn: (m) => warnings.push(m) },
    }).engine;
    assert.equal(passes(by64, 3, {}, '2001:db8:0:2::1'), 3, 'with ipv6Subnet 64 the second is a client of its own');
    assert.deepEqual(warnings, []);
  });
});

describe('limitBy: header, query, cookie, trafficLabel', () => {
  it('header X-API-Key with an override: the internal key gets 1,000, others 5, requests without it share one budget', () => {
    const { engine } = engineWith(
      perClientRate({ limitBy: { type: 'header', key: 'X-API-Key' }, limitByOverrides: [{ value: 'internal', threshold: 1000 }] }),
    );
    assert.equal(passes(engine, 1001, { 'x-api-key': 'internal' }), 1000);
    assert.equal(passes(engine, 6, { 'x-api-key': 'k1' }), 5);
    assert.equal(passes(engine, 6, { 'x-api-key': 'k2' }), 5);
    assert.equal(passes(engine, 3, {}, '10.0.0.1') + passes(engine, 3, {}, '10.0.0.2'), 5, 'no header: one shared budget');
  });

  it('a number written as an override value matches the header text', () => {
    const { engine } = engineWith(perClientRate({ limitBy: { type: 'header', key: 'x-user' }, limitByOverrides: [{ value: 12345, threshold: 1 }] }));
    assert.equal(passes(engine, 3, { 'x-user': '12345' }), 1);
  });

  it('query parameter and cookie', () => {
    const byQuery = engineWith(perClientRate({ limitBy: { type: 'query', key: 'api_key' } }, 2)).engine;
    const q = (key: string) => byQuery.enter(requestView('GET', `/api/x?api_key=${key}`, {})) as Decision;
    assert.deepEqual([q('a'), q('a'), q('a'), q('b')].map((d) => d.type), ['pass', 'pass', 'block', 'pass']);
    const byCookie = engineWith(perClientRate({ limitBy: { type: 'cookie', key: 'session' } }, 1)).engine;
    assert.equal(passes(byCookie, 2, { cookie: 'session=s1' }), 1);
    assert.equal(passes(byCookie, 2, { cookie: 'theme=dark; session=s2' }), 1);
  });

  it('trafficLabel: each lane has its own budget', () => {
    const labelRule = {
      apiVersion: 'traffic.opensergo.io/v1alpha1',
      kind: 'TrafficLabelRule',
      metadata: { name: 'gray' },
      spec: { selector: { app: 'a' }, trafficLabel: 'gray', match: [{ condition: '==', type: 'header', key: 'X-User-Id', value: 12345 }] },
    };
    const { engine } = engineWith([...perClientRate({ limitBy: { type: 'trafficLabel' } }, 2), labelRule]);
    assert.equal(passes(engine, 3, { 'x-user-id': '12345' }), 2);
    assert.equal(passes(engine, 3), 2);
  });

  it('values longer than 128 characters are counted by their digest, each its own client', () => {
    const { engine } = engineWith(perClientRate({ limitBy: { type: 'header', key: 'x-token' } }, 1));
    const blocked: (string | undefined)[] = [];
    engine.events.on('request:blocked', (event) => blocked.push(event.clientKey));
    assert.equal(passes(engine, 2, { 'x-token': 'a'.repeat(5000) }), 1);
    assert.equal(passes(engine, 2, { 'x-token': 'b'.repeat(5000) }), 1);
    assert.equal(blocked.length, 2);
    for (const key of blocked) assert.match(key!, /^sha256:[\w-]{43}$/);
  });
});

describe('maxTrackedValues', () => {
  it('1,000,000 distinct addresses against maxTrackedValues 100,000: at most 100,000 remembered, and a client seen recently keeps its count', () => {
    const { engine } = engineWith(perClientRate({ limitBy: { type: 'clientIp' }, maxTrackedValues: 100_000 }, 3));
    const regular = '192.0.2.1';
    let regularPassed = 0;
    for (let i = 0; i < 1_000_000; i++) {
      decide(engine, {}, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      if (i % 50_000 === 0 && decide(engine, {}, regular).type === 'pass') regularPassed++;
    }
    assert.equal(regularPassed, 3, 'the regular client was never forgotten: 3 of its 20 requests passed');
    const [row] = engine.metrics().resources;
    assert.equal(row!.trackedValues, 100_000);
    assert.equal(decide(engine, {}, '10.0.0.0').type, 'pass', 'the first address was forgotten long ago: it starts afresh');
  });

  it('a remembered value keeps only its own characters, not the 8 KB query, header or cookie it was read from', async () => {
    // V8 keeps a substring as a view of the string it was cut from: a value remembered as such
    // would hold its whole request line or header, 8 KB a client instead of a few dozen bytes.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const pad = 'p'.repeat(8 * 1024);
    const clients = 2_000;
    const cases: [string, Record<string, unknown>, (id: string, i: number) => [string, Record<string, string>, string]][] = [
      ['query', { type: 'query', key: 'id' }, (id) => [`/api/items?id=${id}&pad=${pad}`, {}, '127.0.0.1']],
      ['cookie that is no percent-encoding', { type: 'cookie', key: 'id' }, (id) => ['/api/items', { cookie: `id=${id}%zz; pad=${pad}` }, '127.0.0.1']],
      ['X-Forwarded-For behind trustProxy: 1', { type: 'clientIp' }, (_id, i) => ['/api/items', { 'x-forwarded-for': `${pad}, 203.113.${100 + (i >> 7)}.${100 + (i & 127)}` }, '10.0.0.1']],
      ['incoming traffic label', { type: 'trafficLabel' }, (id) => ['/api/items', { 'x-opensergo-traffic': `${id}, ${pad}` }, '127.0.0.1']],
    ];
    for (const [name, limitBy, request] of cases) {
      const { engine } = engineWith(perClientRate({ limitBy }, 1), { trustProxy: 1 });
      const send = (i: number): Decision => {
        const [url, headers, address] = request(`client-number-${String(i).padStart(8, '0')}`, i);
        const decision = engine.enter(requestView('GET', url, headers, { remoteAddress: address }));
        assert.ok(!(decision instanceof Promise), '!(decision instanceof Promise)');
        return decision;
      };
      gc();
      const before = process.memoryUsage().heapUsed;
      let passed = 0;
      for (let i = 0; i < clients; i++) if (send(i).type === 'pass') passed++;
      gc();
      const grown = process.memoryUsage().heapUsed - before;
      assert.equal(passed, clients, `${name}: each of the ${clients} clients had its first request admitted`);
      assert.equal(engine.metrics().resources[0]!.trackedValues, clients, `${name}: ${clients} values remembered`);
      assert.equal(send(7).type, 'block', `${name}: a client's second request is refused`);
      // 2,000 × 8 KB would be 16 MB; the values and their windows take well under 2 MB.
      assert.ok(grown < 4 * 1024 * 1024, `${name}: ${clients} remembered values took ${(grown / 1024 / 1024).toFixed(1)} MB`);
      await engine.close();
    }
  });
});

describe('limitBy on ThrottlingStrategy and ConcurrencyLimitStrategy', () => {
  it('throttling spaces each client’s requests on its own timeline, with its override interval', async () => {
    const spec = {
      minIntervalOfRequests: '1s',
      queueTimeout: '0ms',
      limitBy: { type: 'header', key: 'x-client' },
      limitByOverrides: [{ value: 'fast', minIntervalOfRequests: '0ms' }],
    };
    const { engine } = engineWith([strategyDoc('ThrottlingStrategy', 't', spec), ruleDoc('t')]);
    assert.equal(passes(engine, 2, { 'x-client': 'a' }), 1);
    assert.equal(passes(engine, 2, { 'x-client': 'b' }), 1);
    assert.equal(passes(engine, 5, { 'x-client': 'fast' }), 5);
  });

  it('concurrency: each client holds its own permits, given back when its requests end', () => {
    const spec = { maxConcurrency: 1, limitMode: 'Local', limitBy: { type: 'clientIp' }, limitByOverrides: [{ value: '10.0.0.9', threshold: 2 }] };
    const { engine } = engineWith([strategyDoc('ConcurrencyLimitStrategy', 'c', spec), ruleDoc('c')]);
    const first = decide(engine, {}, '10.0.0.1');
    assert.equal(first.type, 'pass');
    assert.equal(decide(engine, {}, '10.0.0.1').type, 'block');
    assert.equal(decide(engine, {}, '10.0.0.2').type, 'pass');
    assert.deepEqual([decide(engine, {}, '10.0.0.9').type, decide(engine, {}, '10.0.0.9').type, decide(engine, {}, '10.0.0.9').type], ['pass', 'pass', 'block']);
    assert.equal(engine.metrics().resources[0]!.permits, 4);
    if (first.type === 'pass') first.entry!.exit({ type: 'finished', statusCode: 200 });
    assert.equal(decide(engine, {}, '10.0.0.1').type, 'pass');
  });

  it('a request a later check refuses gives its client’s admission back', () => {
    const rules = [
      ...perClientRate({ limitBy: { type: 'clientIp' } }, 2),
      strategyDoc('ConcurrencyLimitStrategy', 'none', { maxConcurrency: 0, limitMode: 'Local' }),
      ruleDoc('none', '/api/closed'),
    ];
    const { engine } = engineWith(rules);
    for (let i = 0; i < 3; i++) assert.equal(decide(engine, {}, '10.0.0.1', '/api/closed').type, 'block');
    assert.equal(passes(engine, 3, {}, '10.0.0.1'), 2, 'the refused requests took nothing from the client’s budget');
  });
});

describe('RateLimit header fields (rateLimitHeaders) with limitBy', () => {
  it('carry the client’s own quota and its partition key pk, the same for the same client and never the raw value', () => {
    const { engine } = engineWith(perClientRate({ limitBy: { type: 'header', key: 'x-api-key' } }, 2), { rateLimitHeaders: true });
    const a1 = decide(engine, { 'x-api-key': 'secret-a' });
    const a2 = decide(engine, { 'x-api-key': 'secret-a' });
    const b1 = decide(engine, { 'x-api-key': 'secret-b' });
    const a3 = decide(engine, { 'x-api-key': 'secret-a' });
    const fields = (d: Decision) => (d.type === 'pass' ? d.headers! : d.response.headers);
    const pk = (d: Decision) => /;pk=(:[A-Za-z0-9+/=]+:)/.exec(fields(d)['ratelimit']!)![1];
    assert.match(fields(a1)['ratelimit']!, /^"per-client";r=1;t=60;pk=:[A-Za-z0-9+/]{16}:$/);
    assert.match(fields(a1)['ratelimit-policy']!, /^"per-client";q=2;w=60;pk=:/);
    assert.match(fields(a2)['ratelimit']!, /;r=0;/);
    assert.match(fields(b1)['ratelimit']!, /;r=1;/);
    assert.equal(a3.type, 'block');
    assert.match(fields(a3)['ratelimit']!, /;r=0;/);
    assert.equal(pk(a1), pk(a3));
    assert.notEqual(pk(a1), pk(b1));
    assert.ok(!JSON.stringify(fields(a1)).includes('secret'), "!JSON.stringify(fields(a1)).includes('secret')");
  });
});

describe('limitBy rules are checked at load', () => {
  const problems = (spec: Record<string, unknown>, kind = 'RateLimitStrategy'): string[] => {
    const base: Record<string, Record<string, unknown>> = {
      RateLimitStrategy: { metricType: 'RequestAmount', limitMode: 'Local', threshold: 5, statDuration: '1s' },
      ThrottlingStrategy: { minIntervalOfRequests: '1s', queueTimeout: '0ms' },
      ConcurrencyLimitStrategy: { maxConcurrency: 1, limitMode: 'Local' },
    };
    try {
      compileRules(documentsFromValues([strategyDoc(kind, 's', { ...base[kind], ...spec })], 'inline'), { app: undefined, namespace: undefined });
    } catch (error) {
      assert.ok(isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID'), "isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID')");
      return error.problems.map((p) => `${p.field}: ${p.message}`);
    }
    return [];
  };

  it('says what is missing, extra or unknown', () => {
    assert.deepEqual(problems({ limitBy: { type: 'header' } }), ['spec.limitBy.key: missing; limitBy header needs the header name, e.g. key: X-API-Key']);
    assert.deepEqual(problems({ limitBy: { type: 'clientIp', key: 'x' } }), ['spec.limitBy.key: limitBy clientIp takes no key; remove it']);
    assert.match(problems({ limitBy: { type: 'ip' } })[0]!, /^spec\.limitBy\.type: expected one of clientIp, header, query, cookie, trafficLabel/);
    assert.deepEqual(problems({ limitByOverrides: [{ value: 'a', threshold: 1 }] }), [
      'spec.limitByOverrides: only used with limitBy (a per-client limit); add limitBy or remove limitByOverrides',
    ]);
    assert.deepEqual(problems({ maxTrackedValues: 10 }), ['spec.maxTrackedValues: only used with limitBy (a per-client limit); add limitBy or remove maxTrackedValues']);
    assert.match(problems({ limitBy: { type: 'clientIp' }, maxTrackedValues: 0 })[0]!, /^spec\.maxTrackedValues: expected a whole number ≥ 1/);
  });

  it('overrides: each value once, an address for clientIp, the field of the strategy’s kind', () => {
    const twice = [{ value: 'a', threshold: 1 }, { value: 'a', threshold: 2 }];
    assert.deepEqual(problems({ limitBy: { type: 'header', key: 'k' }, limitByOverrides: twice }), [
      'spec.limitByOverrides[1].value: the value "a" is overridden twice; keep one',
    ]);
    assert.deepEqual(problems({ limitBy: { type: 'clientIp' }, limitByOverrides: [{ value: 'internal', threshold: 1 }] }), [
      'spec.limitByOverrides[0].value: expected an IP address for limitBy clientIp, such as "10.0.0.7" or "2001:db8::1", got "internal"',
    ]);
    assert.match(problems({ limitBy: { type: 'clientIp' }, limitByOverrides: [{ value: '10.0.0.1' }] })[0]!, /^spec\.limitByOverrides\[0\]\.threshold: missing/);
    assert.match(
      problems({ limitBy: { type: 'clientIp' }, limitByOverrides: [{ value: '10.0.0.1', threshold: 1 }] }, 'ThrottlingStrategy')[0]!,
      /^spec\.limitByOverrides\[0\].*minIntervalOfRequests/,
    );
    assert.deepEqual(problems({ limitBy: { type: 'clientIp' }, limitByOverrides: [{ value: '10.0.0.1', threshold: 2 }] }, 'ConcurrencyLimitStrategy'), []);
    // One address written two ways is one client: the later override would silently replace the first.
    for (const [first, second, canonical] of [
      ['10.0.0.1', '::ffff:10.0.0.1', '10.0.0.1'],
      ['2001:db8::1', '2001:DB8:0:0::1', '2001:db8::1'],
      ['2001:db8::1', '[2001:db8::1]', '2001:db8::1'],
    ]) {
      assert.deepEqual(
        problems({ limitBy: { type: 'clientIp' }, limitByOverrides: [{ value: first, threshold: 0 }, { value: second, threshold: 9 }] }),
        [`spec.limitByOverrides[1].value: the address "${second}" is overridden twice (it is ${canonical}, as limitByOverrides[0]); keep one`],
        second,
      );
    }
  });
});

describe('client addresses', () => {
  it('compileTrust: hop counts, CIDRs, range names (IPv4-mapped peers too), functions; a bad entry is a TypeError', async () => {
    const { compileTrust } = await import('../src/client/client-address.js');
    assert.deepEqual([0, 1, 2].map((hop) => compileTrust(2)('203.0.113.1', hop)), [true, true, false]);
    const ranges = compileTrust('loopback, 10.0.0.0/8');
    assert.deepEqual(['127.0.0.5', '::ffff:127.0.0.1', '::1', '10.9.9.9', '11.0.0.1', 'garbage'].map((a) => ranges(a, 0)), [true, true, true, true, false, false]);
    assert.equal(compileTrust(['fc00::/7'])('fd12::1', 3), true);
    assert.equal(compileTrust(false)('127.0.0.1', 0), false);
    assert.throws(() => compileTrust('10.0.0.0/33'), /"10\.0\.0\.0\/33" is not an IP address, a CIDR/);
  });

  it('trustProxy: the walk reads X-Forwarded-For right to left, and no Forwarded header a client wrote', () => {
    const rules = perClientRate({ limitBy: { type: 'clientIp' } }, 1);
    const trusted = engineWith(rules, { trustProxy: '10.0.0.0/8' }).engine;
    // A proxy appending to X-Forwarded-For passes a client's own Forwarded on untouched.
    assert.equal(blockedKey(trusted, { forwarded: 'for=198.51.100.1', 'x-forwarded-for': '192.0.2.9' }), '192.0.2.9', 'Forwarded is not read');
    assert.equal(blockedKey(trusted, { 'x-forwarded-for': '198.51.100.2, 10.1.1.1' }), '198.51.100.2', 'a trusted hop passes on to the next');
    assert.equal(blockedKey(trusted, { 'x-forwarded-for': '203.0.113.3:8080' }), '203.0.113.3', 'a port is dropped');
    assert.equal(blockedKey(trusted, { 'x-forwarded-for': '192.0.2.4' }, '198.51.100.9'), '198.51.100.9', 'an untrusted peer’s header is ignored');
    // Express's req.ip (proxy-addr) skips empty list entries; an empty hop would be the shared empty value.
    const twoHops = engineWith(rules, { trustProxy: 2 }).engine;
    assert.equal(blockedKey(twoHops, { 'x-forwarded-for': '198.51.100.3,,203.0.113.5' }), '198.51.100.3', 'an empty entry is no hop');
    assert.equal(blockedKey(twoHops, { 'x-forwarded-for': '198.51.100.4, 203.0.113.6, ' }), '198.51.100.4', 'nor is a trailing one');
  });

  it("a framework's own reading of the client (ipSource) counts when trustProxy is not given, and trustProxy overrides it", () => {
    const rules = perClientRate({ limitBy: { type: 'clientIp' } }, 1);
    const keyOf = (engine: Engine, ip: string): string | undefined => {
      let key: string | undefined;
      const listener = (event: { clientKey: string | undefined }): void => void (key = event.clientKey);
      engine.events.on('request:blocked', listener);
      for (let i = 0; i < 2; i++) engine.enter(requestView('GET', '/api/items', {}, { remoteAddress: '10.0.0.1' }, undefined, undefined, { ip }));
      engine.events.off('request:blocked', listener);
      return key;
    };
    assert.equal(keyOf(engineWith(rules).engine, '203.0.113.77'), '203.0.113.77');
    assert.equal(keyOf(engineWith(rules).engine, '::ffff:203.0.113.78'), '203.0.113.78', 'grouped as every address is');
    assert.equal(keyOf(engineWith(rules, { trustProxy: false }).engine, '203.0.113.79'), '10.0.0.1');
  });

  it('forwardedHeader: forwarded reads RFC 7239 for= (quoted, bracketed, with ports) and no X-Forwarded-For; another name reads its list', () => {
    const rules = perClientRate({ limitBy: { type: 'clientIp' } }, 1);
    const rfc = engineWith(rules, { trustProxy: '10.0.0.0/8', forwardedHeader: 'Forwarded' }).engine;
    assert.equal(blockedKey(rfc, { forwarded: 'for=198.51.100.1;proto=https, for="[2001:db8::7]:4711";by=10.0.0.2', 'x-forwarded-for': '192.0.2.9' }), '2001:db8::/56');
    assert.equal(blockedKey(rfc, { 'x-forwarded-for': '192.0.2.8' }), '10.0.0.1', 'X-Forwarded-For is not read');
    const custom = engineWith(rules, { trustProxy: 1, forwardedHeader: 'x-client-chain' }).engine;
    assert.equal(blockedKey(custom, { 'x-client-chain': '203.0.113.50, 198.51.100.60', 'x-forwarded-for': '192.0.2.7' }), '198.51.100.60');
    assert.throws(() => engineWith(rules, { forwardedHeader: 'x forwarded' as string }), /ERR_OPENSERGO_OPTIONS|forwardedHeader/);
  });
});

/** The client key of the request refused when the same request is sent twice under a limit of 1. */
function blockedKey(engine: Engine, headers: Record<string, string>, address = '10.0.0.1'): string | undefined {
  let key: string | undefined;
  const listener = (event: { clientKey: string | undefined }): void => void (key = event.clientKey);
  engine.events.on('request:blocked', listener);
  decide(engine, headers, address);
  decide(engine, headers, address);
  engine.events.off('request:blocked', listener);
  return key;
}
