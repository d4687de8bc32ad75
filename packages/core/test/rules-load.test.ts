import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isOpenSergoError } from '../src/errors.js';
import { compileRules, documentsFromValues, loadRulesFile, loadRulesText, parseRulesText } from '../src/rules/load.js';
import { ANY, docs, fail, load, problem, rateLimit, rule, yaml } from './fixtures/rules/helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/rules/${name}`, import.meta.url));

describe('the launch post (seeds/opensergo-v1alpha1-blog.md) loads as written', () => {
  const path = fixture('launch-post.yaml');

  it('resolves the prod rule to the strategy and fallback that have no namespace', () => {
    const rules = loadRulesFile(path, { app: 'my-app', namespace: 'prod' });
    assert.equal(rules.faultToleranceRules.length, 1);
    const rule = rules.faultToleranceRules[0]!;
    assert.equal(rule.name, 'my-rule');
    assert.equal(rule.namespace, 'prod');
    assert.equal(rule.app, 'my-app');
    assert.deepEqual(rule.targets, ['/foo']);
    assert.equal(rule.strategies.length, 1);
    const strategy = rule.strategies[0]!;
    assert.equal(strategy.kind, 'RateLimitStrategy');
    assert.ok(strategy.kind === 'RateLimitStrategy', "strategy.kind === 'RateLimitStrategy'");
    assert.equal(strategy.limitMode, 'Global');
    assert.equal(strategy.threshold, 10);
    assert.equal(strategy.statDurationMs, 1000);
    assert.equal(strategy.namespace, undefined);
    assert.equal(rule.fallbackAction?.statusCode, 429);
    assert.equal(rule.fallbackAction?.body, 'Blocked by Sentinel');
    assert.deepEqual(rule.fallbackAction?.headers, [['X-Sentinel-Limit', 'foo']]);
    assert.strictEqual(rule.strategies[0], rules.strategies[0], 'the rule holds the same frozen strategy object');
  });

  it('reads the TrafficLabelRule: header key lower-cased, the number 12345 as the string "12345"', () => {
    const rules = loadRulesFile(path, { app: 'my-app', namespace: 'prod' });
    const label = rules.trafficLabelRules[0]!;
    assert.equal(label.trafficLabel, 'gray');
    assert.equal(label.app, 'my-app');
    assert.deepEqual(
      label.match.map((m) => [m.type, m.key, m.condition, m.value]),
      [
        ['header', 'x-user-id', '==', '12345'],
        ['path', undefined, '==', '/index'],
      ],
    );
  });

  it('reads the WorkloadLabelRule, which selects app my-app-gray', () => {
    const rules = loadRulesFile(path, { app: 'my-app-gray', namespace: undefined });
    assert.equal(rules.workloadLabelRules.length, 1);
    assert.deepEqual(rules.workloadLabelRules[0]!.workloadLabels, ['gray']);
    assert.deepEqual(rules.workloadLabelRules[0]!.selector, { app: 'my-app-gray', database: 'foo_db' });
    assert.equal(rules.trafficLabelRules.length, 0, 'the label rule is for my-app');
  });

  it('records where each resource was written', () => {
    const rules = loadRulesFile(path, ANY);
    assert.deepEqual(rules.faultToleranceRules[0]!.location, { file: path, line: 55, column: 1 });
  });
});

describe('a file with several mistakes', () => {
  it('reports all three in one error, with their lines, one message line each', () => {
    const path = fixture('three-mistakes.yaml');
    let error: unknown;
    try {
      loadRulesFile(path, ANY);
    } catch (e) {
      error = e;
    }
    assert.ok(isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID'), "isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID')");
    const found = error.problems.map((p) => [p.line, p.resource, p.field]);
    assert.deepEqual(found, [
      [2, 'RateLimitStrategyy/typo-kind', 'kind'],
      [18, 'RateLimitStrategy/rate-limit-foo', 'spec.threshold'],
      [30, 'FaultToleranceRule/my-rule', 'spec.strategies[1].name'],
    ]);
    assert.match(error.problems[0]!.message, /unknown kind "RateLimitStrategyy".*did you mean "RateLimitStrategy"/);
    assert.equal(error.problems[1]!.message, 'expected a number ≥ 0, got "ten"');
    assert.match(error.problems[2]!.message, /no strategy named "no-such-strategy"/);
    const lines = error.message.split('\n').slice(1);
    assert.equal(lines.length, 3);
    assert.equal(lines[1], `${path}:18:14 RateLimitStrategy/rate-limit-foo spec.threshold: expected a number ≥ 0, got "ten"`);
  });

  it('reports parse problems and rule problems together', () => {
    const text = yaml`
      apiVersion: fault-tolerance.opensergo.io/v1alpha1
      kind: ThrottlingStrategy
      metadata: { name: t }
      spec: { minIntervalOfRequests: 20, queueTimeout: "1s" }
      ---
      key: [unclosed
    `;
    const { problems } = fail(text);
    assert.deepEqual(problems.map((p) => [p.line, p.field]), [
      [4, 'spec.minIntervalOfRequests'],
      [7, 'yaml'],
    ]);
  });
});

describe('YAML syntax errors', () => {
  it('are problems with their line, and the other documents are still read', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\n---\nkind: RateLimitStrategy\n\tmetadata: x\n';
    const { documents, problems } = parseRulesText(text, 'bad.yaml');
    assert.deepEqual(documents.map((d) => d.unreadable ?? false), [false, true], 'the broken one is kept only as unreadable');
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.line, 5);
    assert.match(problems[0]!.message, /a tab in the indentation/);
    assert.equal(problems[0]!.resource, 'document 2');
    assert.match(problems[0]!.message, /^invalid YAML: /);
  });

  it('duplicate keys are syntax errors, not silently overwritten', () => {
    const p = problem('apiVersion: v1\nkind: ConfigMap\nkind: Secret\n');
    assert.equal(p.line, 3);
    assert.match(p.message, /the key "kind" appears twice/);
  });
});

describe('documents that are not rules', () => {
  it('skips other API groups (a Deployment in the same file) silently', () => {
    const text = yaml`
      apiVersion: apps/v1
      kind: Deployment
      metadata: { name: web }
      spec: { replicas: 2 }
      ---
      apiVersion: v1
      kind: Service
      metadata: { name: web }
    `;
    const rules = load(text);
    assert.equal(rules.strategies.length + rules.faultToleranceRules.length, 0);
  });

  it('skips empty and comment-only documents', () => {
    const text = '---\n# nothing here\n---\n\n---\napiVersion: fault-tolerance.opensergo.io/v1alpha1\nkind: ConcurrencyLimitStrategy\nmetadata: { name: c }\nspec: { maxConcurrency: 8, limitMode: Local }\n---\n';
    const { documents, problems } = parseRulesText(text, 'x.yaml');
    assert.deepEqual(problems, []);
    assert.equal(documents.length, 1);
    assert.equal(documents[0]!.index, 3);
    assert.equal(load(text).strategies.length, 1);
    assert.equal(load('').strategies.length, 0);
    assert.equal(load('# only a comment\n').strategies.length, 0);
  });

  it('reports a misspelt OpenSergo group, an unknown version, and a kind in the wrong group', () => {
    const { problems } = fail(yaml`
      apiVersion: fault-tolerence.opensergo.io/v1alpha1
      kind: RateLimitStrategy
      metadata: { name: a }
      ---
      apiVersion: fault-tolerance.opensergo.io/v1beta1
      kind: RateLimitStrategy
      metadata: { name: b }
      ---
      apiVersion: traffic.opensergo.io/v1alpha1
      kind: RateLimitStrategy
      metadata: { name: c }
    `);
    assert.deepEqual(problems.map((p) => [p.line, p.field]), [
      [1, 'apiVersion'],
      [5, 'apiVersion'],
      [9, 'apiVersion'],
    ]);
    assert.match(problems[0]!.message, /did you mean "fault-tolerance.opensergo.io"/);
    assert.match(problems[1]!.message, /unknown version "v1beta1".*expected fault-tolerance.opensergo.io\/v1alpha1/);
    assert.match(problems[2]!.message, /belongs to fault-tolerance.opensergo.io\/v1alpha1/);
  });

  it('reports an OpenSergo kind whose apiVersion lost its domain (fault-tolerance/v1alpha1, v1alpha1, v1): never skips a rule silently', () => {
    const { problems } = fail(yaml`
      apiVersion: fault-tolerance/v1alpha1
      kind: FaultToleranceRule
      metadata: { name: r }
      ---
      apiVersion: v1alpha1
      kind: RateLimitStrategy
      metadata: { name: a }
      ---
      apiVersion: v1
      kind: TrafficLabelRule
      metadata: { name: l }
      ---
      apiVersion: traffic.example.com/v1
      kind: TrafficRouter
      metadata: { name: someone-elses }
    `);
    assert.deepEqual(problems.map((p) => [p.line, p.field]), [
      [1, 'apiVersion'],
      [5, 'apiVersion'],
      [9, 'apiVersion'],
    ]);
    assert.match(problems[0]!.message, /expected fault-tolerance\.opensergo\.io\/v1alpha1 for kind FaultToleranceRule, got "fault-tolerance\/v1alpha1"/);
    assert.match(problems[1]!.message, /expected fault-tolerance\.opensergo\.io\/v1alpha1 for kind RateLimitStrategy, got "v1alpha1"/);
    assert.match(problems[2]!.message, /expected traffic\.opensergo\.io\/v1alpha1 for kind TrafficLabelRule, got "v1"/);
  });

  it('a misspelt metadata.namespace or labels is a problem (it would widen the scope); what kubectl prints is ignored', () => {
    const { problems } = fail(docs(rateLimit('a', { extra: [] }).replace('  name: a', '  name: a\n  nmespace: prod'), rateLimit('b').replace('  name: b', '  name: b\n  lables: { app: my-app }')));
    assert.deepEqual(problems.map((p) => [p.line, p.field]), [
      [5, 'metadata.nmespace'],
      [16, 'metadata.lables'],
    ]);
    assert.match(problems[0]!.message, /unknown field "nmespace" \(did you mean "namespace"\?\)/);
    assert.match(problems[1]!.message, /unknown field "lables" \(did you mean "labels"\?\)/);
    const kubectl = rateLimit('c').replace('  name: c', '  name: c\n  uid: 6f1c\n  resourceVersion: "42"\n  generation: 1\n  creationTimestamp: "2026-01-01T00:00:00Z"\n  annotations: { a: b }\n  managedFields: []\n  finalizers: []');
    assert.equal(load(kubectl).strategies.length, 1);
  });

  it('a misspelt spec.selector.app is a problem too (the rule would apply to every app)', () => {
    const p = problem(docs(rateLimit('a'), rule('r', ['a']).replace('spec:\n', 'spec:\n  selector: { ap: my-app }\n')));
    assert.equal(p.field, 'spec.selector.ap');
    assert.match(p.message, /unknown selector label "ap" \(did you mean "app"\?\)/);
    assert.equal(load(docs(rateLimit('a'), rule('r', ['a']).replace('spec:\n', 'spec:\n  selector: { app: my-app, version: v2, az: eu-1 }\n'))).faultToleranceRules.length, 1);
  });

  it('reports a document that is not a mapping, or has no apiVersion', () => {
    const { problems } = fail('just a string\n---\nkind: RateLimitStrategy\nmetadata: { name: x }\n');
    assert.deepEqual(problems.map((p) => [p.line, p.resource, p.field]), [
      [1, 'document 1', ''],
      [3, 'RateLimitStrategy/x', 'apiVersion'],
    ]);
    assert.match(problems[1]!.message, /missing; expected fault-tolerance.opensergo.io\/v1alpha1/);
  });
});

describe('kind: List', () => {
  const list = yaml`
    apiVersion: v1
    kind: List
    items:
      - apiVersion: fault-tolerance.opensergo.io/v1alpha1
        kind: ConcurrencyLimitStrategy
        metadata: { name: c1 }
        spec: { maxConcurrency: 8, limitMode: Local }
      - apiVersion: fault-tolerance.opensergo.io/v1alpha1
        kind: ConcurrencyLimitStrategy
        metadata: { name: c2 }
        spec: { maxConcurrency: -1, limitMode: Local }
  `;

  it('is read as its items, and problems point into the list', () => {
    const p = problem(list);
    assert.equal(p.resource, 'ConcurrencyLimitStrategy/c2');
    assert.equal(p.field, 'spec.maxConcurrency');
    assert.equal(p.line, 11);
    assert.equal(p.message, 'expected an integer ≥ 0, got -1');
  });

  it('expands items in order', () => {
    const rules = load(list.replace('maxConcurrency: -1', 'maxConcurrency: 2'));
    assert.deepEqual(rules.strategies.map((s) => s.name), ['c1', 'c2']);
    assert.equal(rules.strategies[1]!.location.line, 8);
  });

  it('a List without items is a problem', () => {
    assert.match(problem('apiVersion: v1\nkind: List\n').message, /expected items/);
  });
});

describe('documentsFromValues (already parsed objects)', () => {
  const value = {
    apiVersion: 'fault-tolerance.opensergo.io/v1alpha1',
    kind: 'RateLimitStrategy',
    metadata: { name: 'r' },
    spec: { metricType: 'RequestAmount', limitMode: 'Local', threshold: 'ten', statDurationSeconds: 1 },
  };

  it('compiles them, reporting line 1 column 1 but still naming resource and field', () => {
    assert.throws(
      () => compileRules(documentsFromValues([value], 'control-plane:cp:10246'), ANY),
      (error: unknown) => {
        assert.ok(isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID'), "isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID')");
        assert.deepEqual(error.problems[0], {
          file: 'control-plane:cp:10246',
          line: 1,
          column: 1,
          resource: 'RateLimitStrategy/r',
          field: 'spec.threshold',
          message: 'expected a number ≥ 0, got "ten"',
        });
        return true;
      },
    );
  });

  it('expands a List and reads numbers as strings', () => {
    const docs = documentsFromValues([{ kind: 'List', apiVersion: 'v1', items: [{ ...value, spec: { ...value.spec, threshold: 3 } }] }, null], 'x');
    assert.equal(docs.length, 1);
    assert.equal(compileRules(docs, ANY).strategies[0]!.name, 'r');
  });
});

describe('the result', () => {
  it('is deeply frozen, and its frozen regexes still match', () => {
    const rules = load(yaml`
      apiVersion: traffic.opensergo.io/v1alpha1
      kind: TrafficLabelRule
      metadata: { name: l }
      spec:
        trafficLabel: gray
        match:
          - { type: header, key: X-Tag, condition: regex, value: "v[0-9]+" }
    `);
    const match = rules.trafficLabelRules[0]!.match[0]!;
    assert.ok(Object.isFrozen(rules), 'Object.isFrozen(rules)');
    assert.ok(Object.isFrozen(rules.trafficLabelRules), 'Object.isFrozen(rules.trafficLabelRules)');
    assert.ok(Object.isFrozen(rules.trafficLabelRules[0]!.location), 'Object.isFrozen(rules.trafficLabelRules[0]!.location)');
    assert.ok(Object.isFrozen(match), 'Object.isFrozen(match)');
    assert.ok(Object.isFrozen(match.regex), 'Object.isFrozen(match.regex)');
    assert.throws(() => {
      (rules.trafficLabelRules as unknown as unknown[]).push(1);
    }, TypeError);
    assert.ok(match.regex!.test('v12'), "match.regex!.test('v12')");
    assert.ok(match.regex!.test('v12'), 'a frozen regex can be used twice');
    assert.ok(!match.regex!.test('xv12'), "!match.regex!.test('xv12')");
  });
});

describe('loadRulesFile', () => {
  it('throws ERR_OPENSERGO_RULES_FILE_UNREADABLE naming the path, with the cause', () => {
    const path = fixture('does-not-exist.yaml');
    assert.throws(
      () => loadRulesFile(path, ANY),
      (error: unknown) => {
        assert.ok(isOpenSergoError(error, 'ERR_OPENSERGO_RULES_FILE_UNREADABLE'), "isOpenSergoError(error, 'ERR_OPENSERGO_RULES_FILE_UNREADABLE')");
        assert.ok(error.message.includes(path), 'error.message.includes(path)');
        assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOENT');
        return true;
      },
    );
  });

  it('reads the same as loadRulesText', () => {
    const path = fixture('launch-post.yaml');
    assert.deepEqual(loadRulesFile(path, ANY), loadRulesText(readFileSync(path, 'utf8'), path, ANY));
  });
});

describe('file encodings', () => {
  it('a byte-order mark and CRLF line endings change nothing', () => {
    const text = '\uFEFFapiVersion: fault-tolerance.opensergo.io/v1alpha1\r\nkind: HttpRequestFallbackAction\r\nmetadata:\r\n  name: f\r\nspec:\r\n  behavior: ReturnProvidedResponse\r\n  behaviorDesc:\r\n    responseStatusCode: 429\r\n    responseAdditionalHeaders:\r\n      - { key: X-A, value: foo }\r\n';
    const action = load(text).fallbackActions[0]!;
    assert.deepEqual(action.location, { file: 'rules.yaml', line: 1, column: 1 });
    assert.deepEqual(action.headers, [['X-A', 'foo']]);
  });

  it('CR line endings alone (classic Mac) are line breaks, as YAML 1.2 says, not one long comment', () => {
    const text = readFileSync(fixture('launch-post.yaml'), 'utf8');
    assert.ok(text.startsWith('#'), 'the fixture opens with a comment, which swallowed the whole file');
    const cr = text.replaceAll('\n', '\r');
    assert.deepEqual(load(cr), load(text));
    const p = problem(cr.replace('threshold: 10', 'threshold: ten'));
    const line = text.split('\n').findIndex((l) => l.includes('threshold: 10')) + 1;
    assert.deepEqual([p.line, p.column, p.field], [line, 14, 'spec.threshold']);
  });

  it('a byte-order mark at the start of a later document (files joined with cat) changes nothing', () => {
    const text = readFileSync(fixture('launch-post.yaml'), 'utf8');
    const joined = text.replace('\n---\n', '\n---\n\uFEFF');
    assert.notEqual(joined, text);
    assert.deepEqual(load(joined), load(text));
  });
});
