import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRules, parseRulesText } from '../src/rules/load.js';
import type { LocatedDocument } from '../src/rules/source.js';
import { ANY, docs, fail, load, problem, rateLimit, rule, yaml } from './fixtures/rules/helpers.js';

const fallback = (name: string, namespace?: string) =>
  [
    'apiVersion: fault-tolerance.opensergo.io/v1alpha1',
    'kind: HttpRequestFallbackAction',
    'metadata:',
    `  name: ${name}`,
    ...(namespace === undefined ? [] : [`  namespace: ${namespace}`]),
    'spec:',
    '  behavior: ReturnProvidedResponse',
    '  behaviorDesc: { responseStatusCode: 503 }',
  ].join('\n');
const concurrency = (name: string) =>
  ['apiVersion: fault-tolerance.opensergo.io/v1alpha1', 'kind: ConcurrencyLimitStrategy', `metadata: { name: ${name} }`, 'spec: { maxConcurrency: 4, limitMode: Local }'].join('\n');

describe('references', () => {
  it('resolve within the namespace, or to documents without namespace', () => {
    const rules = load(docs(rateLimit('a', { namespace: 'prod' }), rateLimit('b'), fallback('f'), rule('r', ['a', 'b'], { namespace: 'prod', fallback: 'f' })));
    const r = rules.faultToleranceRules[0]!;
    assert.deepEqual(r.strategies.map((s) => [s.name, s.namespace]), [
      ['a', 'prod'],
      ['b', undefined],
    ]);
    assert.equal(r.fallbackAction?.name, 'f');
  });

  it('accept a kind on strategies and { name, kind } for fallbackAction', () => {
    const text = docs(rateLimit('same'), concurrency('same'), fallback('f'), rule('r', ['name: same, kind: ConcurrencyLimitStrategy'], { fallback: '{ name: f, kind: HttpRequestFallbackAction }' }));
    const r = load(text).faultToleranceRules[0]!;
    assert.equal(r.strategies[0]!.kind, 'ConcurrencyLimitStrategy');
    assert.equal(r.fallbackAction?.name, 'f');
  });

  it('a dangling strategy or fallback is a problem at the reference', () => {
    const { problems } = fail(docs(rateLimit('a'), rule('r', ['a', 'missing'], { fallback: 'nope' })));
    assert.deepEqual(problems.map((p) => [p.line, p.resource, p.field]), [
      [20, 'FaultToleranceRule/r', 'spec.strategies[1].name'],
      [21, 'FaultToleranceRule/r', 'spec.fallbackAction'],
    ]);
    assert.equal(problems[0]!.message, 'no strategy named "missing" without namespace');
    assert.equal(problems[1]!.message, 'no fallback action named "nope" without namespace');
  });

  it('a dangling reference says where a strategy of that name does exist', () => {
    const otherNs = problem(docs(rateLimit('a', { namespace: 'dev' }), rule('r', ['a'], { namespace: 'prod' })));
    assert.equal(otherNs.message, 'no strategy named "a" in namespace "prod" or without namespace (one exists in namespace "dev")');
    const noNs = problem(docs(rateLimit('a', { namespace: 'dev' }), rule('r', ['a'])));
    assert.match(noNs.message, /a rule without namespace only reaches definitions without namespace/);
    const otherKind = problem(docs(rateLimit('a'), rule('r', ['name: a, kind: ThrottlingStrategy'])));
    assert.equal(otherKind.message, 'no ThrottlingStrategy named "a" without namespace (there is a RateLimitStrategy with that name)');
  });

  it('is ambiguous when the same name exists in the namespace and without namespace', () => {
    const p = problem(docs(rateLimit('a', { namespace: 'prod' }), rateLimit('a'), rule('r', ['a'], { namespace: 'prod' })));
    assert.equal(p.field, 'spec.strategies[0].name');
    assert.match(p.message, /^"a" is ambiguous: it could mean RateLimitStrategy\/a in namespace "prod" \(rules.yaml:1:1\) or RateLimitStrategy\/a without namespace \(rules.yaml:12:1\); rename one of them$/);
  });

  it('is ambiguous when two kinds share the name and the reference gives no kind', () => {
    const p = problem(docs(rateLimit('same'), concurrency('same'), rule('r', ['same'])));
    assert.match(p.message, /could mean RateLimitStrategy\/same .* or ConcurrencyLimitStrategy\/same .*; add kind to the reference/);
  });

  it('does not report a reference to a broken strategy twice', () => {
    const p = problem(docs(rateLimit('a', { extra: ['bogus: 1'] }), rule('r', ['a'])));
    assert.equal(p.field, 'spec.bogus');
  });

  it('a strategy listed twice in one rule is a problem', () => {
    assert.match(problem(docs(rateLimit('a'), rule('r', ['a', 'a']))).message, /listed twice/);
  });
});

describe('duplicate definitions', () => {
  it('the same kind, namespace and name twice is a problem naming both places', () => {
    const p = problem(docs(rateLimit('a'), rateLimit('a')));
    assert.equal(p.line, 14, 'the second metadata.name');
    assert.equal(p.resource, 'RateLimitStrategy/a');
    assert.equal(p.field, 'metadata.name');
    assert.equal(p.message, 'RateLimitStrategy "a" is defined twice without namespace; the other definition is at rules.yaml:1:1');
  });

  it('also across sources compiled together', () => {
    const one = parseRulesText(rateLimit('a', { namespace: 'prod' }), 'a.yaml').documents;
    const two = parseRulesText(docs(concurrency('a'), rateLimit('a', { namespace: 'prod' })), 'b.yaml').documents;
    assert.throws(
      () => compileRules([...one, ...two], ANY),
      (error: { problems: { file: string; line: number; message: string }[] }) => {
        assert.equal(error.problems.length, 1);
        assert.equal(error.problems[0]!.file, 'b.yaml');
        assert.equal(error.problems[0]!.line, 9);
        assert.match(error.problems[0]!.message, /defined twice in namespace "prod"; the other definition is at a.yaml:1:1/);
        return true;
      },
    );
  });

  it('the same name in different kinds or namespaces is not a duplicate', () => {
    assert.equal(load(docs(rateLimit('a'), rateLimit('a', { namespace: 'x' }), concurrency('a'))).strategies.length, 3);
  });
});

describe('scope (SPEC §2)', () => {
  const text = docs(
    rateLimit('for-a', { app: 'a' }),
    rateLimit('for-b', { app: 'b' }),
    rateLimit('in-prod', { namespace: 'prod' }),
    rateLimit('everywhere'),
    yaml`
      apiVersion: fault-tolerance.opensergo.io/v1alpha1
      kind: FaultToleranceRule
      metadata: { name: by-selector }
      spec:
        selector: { app: b }
        targets: [{ targetResourceName: /x }]
        strategies: [{ name: for-a }]
    `,
  );
  const names = (app: string | undefined, namespace: string | undefined) => {
    const rules = load(text, { app, namespace });
    return [...rules.strategies, ...rules.faultToleranceRules].map((r) => r.name);
  };

  it('keeps rules for this app (metadata.labels.app or spec.selector.app) and those naming no app', () => {
    assert.deepEqual(names('a', undefined), ['for-a', 'in-prod', 'everywhere']);
    assert.deepEqual(names('b', undefined), ['for-b', 'in-prod', 'everywhere', 'by-selector']);
  });

  it('keeps rules for this namespace and those naming none', () => {
    assert.deepEqual(names(undefined, 'prod'), ['for-a', 'for-b', 'in-prod', 'everywhere', 'by-selector']);
    assert.deepEqual(names(undefined, 'dev'), ['for-a', 'for-b', 'everywhere', 'by-selector']);
    assert.deepEqual(names('a', 'dev'), ['for-a', 'everywhere']);
  });

  it('with no app and no namespace, everything applies', () => {
    assert.equal(names(undefined, undefined).length, 5);
  });

  it('a rule of another app keeps its resolved strategy (scope filters after resolution)', () => {
    const rule = load(text, { app: 'b', namespace: undefined }).faultToleranceRules[0]!;
    assert.equal(rule.strategies[0]!.name, 'for-a');
  });

  it('validates documents out of scope too: a broken file is broken', () => {
    const broken = docs(rateLimit('x', { app: 'other', extra: ['threshold2: 1'] }));
    assert.equal(fail(broken, { app: 'mine', namespace: undefined }).problems.length, 1);
  });

  it('spec.selector.app and metadata.labels.app must agree', () => {
    const p = problem(text.replace('metadata: { name: by-selector }', 'metadata: { name: by-selector, labels: { app: a } }'));
    assert.equal(p.field, 'spec.selector.app');
    assert.match(p.message, /"b" disagrees with metadata.labels.app "a"/);
  });
});

describe('documents given to compileRules directly', () => {
  it('accept any LocatedDocument implementation', () => {
    const doc: LocatedDocument = {
      value: { apiVersion: 'fault-tolerance.opensergo.io/v1alpha1', kind: 'ThrottlingStrategy', metadata: { name: 't' }, spec: { minIntervalOfRequests: '0ms', queueTimeout: '1s' } },
      file: 'memory',
      index: 1,
      locate: () => ({ line: 7, column: 3 }),
    };
    assert.deepEqual(compileRules([doc], ANY).strategies[0]!.location, { file: 'memory', line: 7, column: 3 });
  });
});
