import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LabelMatch } from '../src/rules/types.js';
import { fail, load, problem, yaml } from './fixtures/rules/helpers.js';

/** A TrafficLabelRule whose match list is `matches` (flow mappings, one per line). */
function labelRule(...matches: string[]): string {
  return [
    'apiVersion: traffic.opensergo.io/v1alpha1',
    'kind: TrafficLabelRule',
    'metadata: { name: l }',
    'spec:',
    '  trafficLabel: gray',
    '  match:',
    ...matches.map((m) => `    - ${m}`),
  ].join('\n');
}
const matches = (...m: string[]): readonly LabelMatch[] => load(labelRule(...m)).trafficLabelRules[0]!.match;

describe('TrafficLabelRule match', () => {
  it('reads numbers that YAML typed as numbers as the strings written', () => {
    const m = matches(
      '{ type: header, key: X-User-Id, condition: "==", value: 12345 }',
      '{ type: query, key: uid, condition: "==", value: 007 }',
      '{ type: cookie, key: v, condition: "==", value: 1.50 }',
    );
    assert.deepEqual(m.map((x) => x.value), ['12345', '007', '1.50']);
  });

  it('turns param into query, lower-cases header keys, keeps query and cookie keys, upper-cases methods', () => {
    const m = matches(
      '{ type: param, key: Uid, condition: "==", value: a }',
      '{ type: header, key: X-Canary, condition: exists }',
      '{ type: cookie, key: Lane, condition: prefix, value: g }',
      '{ type: method, condition: "==", value: post }',
    );
    assert.deepEqual(
      m.map((x) => [x.type, x.key, x.condition, x.value]),
      [
        ['query', 'Uid', '==', 'a'],
        ['header', 'x-canary', 'exists', undefined],
        ['cookie', 'Lane', 'prefix', 'g'],
        ['method', undefined, '==', 'POST'],
      ],
    );
  });

  it('compiles regex conditions anchored to the whole value', () => {
    const [path, method] = matches('{ type: path, condition: regex, value: "/api/v[0-9]+" }', '{ type: method, condition: regex, value: "get|head" }');
    assert.ok(path!.regex!.test('/api/v2'), "path!.regex!.test('/api/v2')");
    assert.ok(!path!.regex!.test('/api/v2/users'), 'anchored at the end');
    assert.ok(!path!.regex!.test('/x/api/v2'), 'anchored at the start');
    assert.ok(method!.regex!.test('GET'), 'method regexes ignore case');
    assert.equal(path!.regex!.source, '/api/v[0-9]+', 'kept as written');
  });

  it('reports an invalid regex at its value', () => {
    const p = problem(labelRule('{ type: header, key: x, condition: regex, value: "([a-z" }'));
    assert.equal(p.field, 'spec.match[0].value');
    assert.equal(p.line, 7);
    assert.match(p.message, /^expected a regular expression with RE2 semantics, got "\(\[a-z": not a regular expression RE2 reads: missing closing \]/);
  });

  it('refuses what needs backtracking at load, naming the construct (SPEC §4: RE2 semantics)', () => {
    const message = (regex: string) => problem(labelRule(`{ type: header, key: x, condition: regex, value: '${regex}' }`)).message;
    assert.match(message('(a)\\1'), /a backreference \(`\\1`, `\\k<name>`\) needs backtracking/);
    assert.match(message('(?=a)a'), /lookaround .* needs backtracking/);
    assert.match(message('(?<!a)b'), /lookaround/);
    assert.match(message('(?>a)'), /an atomic group/);
    assert.match(message('a++'), /a possessive quantifier/);
  });

  it('matches (a+)+$ in linear time: a 1 MB value is refused at once, 4 KB in milliseconds', () => {
    const [m] = matches('{ type: header, key: x, condition: regex, value: "(a+)+$" }');
    assert.equal(m!.regex!.test(`${'a'.repeat(29)}!`), false);
    assert.equal(m!.regex!.test('a'.repeat(4096)), true, 'values up to 4,096 characters are matched');
    assert.equal(m!.regex!.test('a'.repeat(4097)), false, 'longer values never match');
    assert.equal(m!.regex!.test('a'.repeat(1 << 20)), false);
  });

  it('reads JavaScript spellings RE2 lacks as JavaScript does', () => {
    const [m] = matches('{ type: header, key: x, condition: regex, value: "caf\\u00e9|(?<n>tea)" }');
    assert.ok(m!.regex!.test('café'), "m!.regex!.test('café')");
    assert.ok(m!.regex!.test('tea'), "m!.regex!.test('tea')");
  });

  it('requires key for header, query and cookie, and refuses it for path and method', () => {
    const { problems } = fail(labelRule('{ type: header, condition: "==", value: a }', '{ type: path, key: x, condition: "==", value: /a }'));
    assert.deepEqual(problems.map((p) => [p.line, p.field]), [
      [7, 'spec.match[0].key'],
      [8, 'spec.match[1].key'],
    ]);
    assert.match(problems[0]!.message, /missing; expected the header name/);
    assert.match(problems[1]!.message, /not used for type path/);
  });

  it('a misspelt type with its key is one problem, at the type ("headers": did you mean "header"), not also "key not used"', () => {
    const p = problem(labelRule('{ type: headers, key: X-User-Id, condition: "==", value: "12345" }'));
    assert.equal(p.field, 'spec.match[0].type');
    assert.match(p.message, /got "headers" \(did you mean "header"\?\)/);
  });

  it('requires value except for exists, where it is refused', () => {
    const { problems } = fail(labelRule('{ type: header, key: a, condition: "==" }', '{ type: header, key: b, condition: exists, value: x }'));
    assert.deepEqual(problems.map((p) => p.field), ['spec.match[0].value', 'spec.match[1].value']);
  });

  it('rejects a header name that is not a token, an unknown condition and a boolean value', () => {
    const { problems } = fail(
      labelRule('{ type: header, key: "x user", condition: "==", value: a }', '{ type: header, key: y, condition: equals, value: a }', '{ type: header, key: z, condition: "==", value: true }'),
    );
    assert.deepEqual(problems.map((p) => p.field), ['spec.match[0].key', 'spec.match[1].condition', 'spec.match[2].value']);
    assert.match(problems[1]!.message, /expected one of ==, !=, prefix, suffix, contains, regex, exists, got "equals"/);
    assert.match(problems[2]!.message, /expected a string or a number.*got true/);
  });

  it('requires at least one match', () => {
    const p = problem(labelRule().replace('  match:', '  match: []'));
    assert.equal(p.field, 'spec.match');
    assert.match(p.message, /at least one match condition.*got an empty list/);
  });
});

describe('WorkloadLabelRule', () => {
  it('requires a non-empty selector', () => {
    const p = problem('apiVersion: traffic.opensergo.io/v1alpha1\nkind: WorkloadLabelRule\nmetadata: { name: w }\nspec:\n  workloadLabels: [gray]\n  selector: {}\n');
    assert.equal(p.field, 'spec.selector');
    assert.equal(p.line, 6);
  });
});

describe('TrafficRouter', () => {
  // The Spring Cloud Alibaba / OpenSergo control plane example.
  const router = yaml`
    apiVersion: traffic.opensergo.io/v1alpha1
    kind: TrafficRouter
    metadata:
      name: service-provider
      namespace: default
      labels:
        app: service-provider
    spec:
      hosts:
        - service-provider
      http:
        - match:
            - headers:
                Tag:
                  exact: v2
              method: { exact: get }
              port: 80
          route:
            - destination:
                host: service-provider
                subset: v2
                port: { number: 8080 }
                fallback:
                  subset: v1
        - route:
            - destination:
                host: service-provider
                subset: v1
  `;

  it('loads the upstream example; header names lower-cased, methods upper-cased, fallback host defaulted', () => {
    const text = router.replace('          port: 80\n', '');
    const r = load(text, { app: 'service-provider', namespace: 'default' }).trafficRouters[0]!;
    assert.equal(r.app, 'service-provider');
    assert.deepEqual(r.hosts, ['service-provider']);
    assert.equal(r.http.length, 2);
    const first = r.http[0]!;
    assert.deepEqual(first.match[0]!.headers, { tag: { exact: 'v2' } });
    assert.deepEqual(first.match[0]!.method, { exact: 'GET' });
    assert.equal(first.match[0]!.uri, undefined);
    assert.equal(first.route[0]!.weight, 100);
    assert.deepEqual(first.route[0]!.destination, {
      host: 'service-provider',
      subset: 'v2',
      port: 8080,
      fallback: { host: 'service-provider', subset: 'v1' },
    });
    assert.deepEqual(r.http[1]!.match, [], 'no match: every request');
  });

  it('refuses the Istio fields it does not implement', () => {
    const p = problem(router);
    assert.equal(p.field, 'spec.http[0].match[0].port');
    assert.equal(p.line, 17);
    assert.match(p.message, /^unknown field "port"; expected one of name, uri, method, headers, queryParams, withoutHeaders, sourceLabels, ignoreUriCase/);
  });

  it('requires exactly one of exact, prefix, regex', () => {
    const { problems } = fail(router.replace('          port: 80\n', '').replace('exact: v2', 'exact: v2\n              prefix: v'));
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.field, 'spec.http[0].match[0].headers.Tag');
    assert.match(problems[0]!.message, /exactly one of exact, prefix, regex/);
  });

  it('reads weights; a missing weight among several destinations is 0; all 0 is an error', () => {
    const split = yaml`
      apiVersion: traffic.opensergo.io/v1alpha1
      kind: TrafficRouter
      metadata: { name: r }
      spec:
        hosts: [svc]
        http:
          - match: [{ uri: { regex: "/API/.*" }, ignoreUriCase: true }]
            route:
              - { destination: { host: svc, subset: v1 }, weight: 90 }
              - { destination: { host: svc, subset: v2 } }
    `;
    const route = load(split).trafficRouters[0]!.http[0]!;
    assert.deepEqual(route.route.map((r) => r.weight), [90, 0]);
    assert.ok(route.match[0]!.uri!.regex!.test('/api/users'), 'ignoreUriCase applies to the uri regex');
    const p = problem(split.replace(', weight: 90', ''));
    assert.equal(p.field, 'spec.http[0].route');
    assert.match(p.message, /weight > 0/);
  });
});
