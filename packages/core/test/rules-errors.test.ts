// One error contract for rules input (issue 13 item 5, issue 20 item 5): whatever is wrong
// with a rules file or with rule objects (its encoding, a YAML bomb, a structure too deep or
// containing itself, a syntax error, a misspelling), the user gets ERR_OPENSERGO_RULES_INVALID
// with where and what, once, with a hint of the fix where there is an obvious one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createEngine } from '../src/create-engine.js';
import { isOpenSergoError, type OpenSergoError } from '../src/errors.js';
import { compileRules, documentsFromValues, loadRulesFile } from '../src/rules/load.js';
import { ANY, docs, fail, load, problem, rateLimit, rule, yaml } from './fixtures/rules/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'opensergo-rules-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fileWith(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function failFile(path: string): OpenSergoError {
  try {
    loadRulesFile(path, ANY);
  } catch (error) {
    assert.ok(isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID'), `unexpected error: ${String(error)}`);
    return error;
  }
  assert.fail('expected ERR_OPENSERGO_RULES_INVALID');
}

function failObjects(values: unknown[]): OpenSergoError {
  try {
    compileRules(documentsFromValues(values, 'inline'), ANY);
  } catch (error) {
    assert.ok(isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID'), `unexpected error: ${String(error)}`);
    return error;
  }
  assert.fail('expected ERR_OPENSERGO_RULES_INVALID');
}

const RULES = docs(rateLimit('rl'), rule('r', ['rl']));

describe('the encoding of a rules file', () => {
  it('invalid UTF-8 (a Latin-1 é) is refused with its line and column, not read with U+FFFD', () => {
    const bytes = Buffer.concat([Buffer.from(`${RULES}\n# caf`), Buffer.from([0xe9]), Buffer.from(' au lait\n')]);
    const { problems } = failFile(fileWith('latin1.yaml', bytes));
    assert.equal(problems.length, 1);
    const lines = RULES.split('\n').length;
    assert.deepEqual([problems[0]!.line, problems[0]!.column, problems[0]!.field], [lines + 1, 6, 'encoding']);
    assert.match(problems[0]!.message, /not valid UTF-8 \(bytes E9 20 61 75…\).*Latin-1.*save it as UTF-8/);
  });

  it('the column counts characters, not bytes', () => {
    const bytes = Buffer.concat([Buffer.from('# ça — '), Buffer.from([0xff]), Buffer.from('\n')]);
    const { problems } = failFile(fileWith('column.yaml', bytes));
    assert.deepEqual([problems[0]!.line, problems[0]!.column], [1, 8]);
  });

  it('UTF-16 with a byte-order mark is read, as YAML 1.2 and kubectl read it', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(RULES, 'utf16le')]);
    assert.equal(loadRulesFile(fileWith('utf16le.yaml', le), ANY).faultToleranceRules.length, 1);
    const be = Buffer.from(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(RULES, 'utf16le')]).swap16());
    assert.equal(loadRulesFile(fileWith('utf16be.yaml', be), ANY).faultToleranceRules.length, 1);
  });

  it('UTF-16 without a byte-order mark is named as such', () => {
    const { problems } = failFile(fileWith('utf16-no-bom.yaml', Buffer.from(RULES, 'utf16le')));
    assert.equal(problems.length, 1);
    assert.deepEqual([problems[0]!.line, problems[0]!.column], [1, 2]);
    assert.match(problems[0]!.message, /NUL bytes: it is UTF-16 or UTF-32 without a byte-order mark/);
  });

  it('a UTF-8 byte-order mark is fine', () => {
    assert.equal(loadRulesFile(fileWith('bom.yaml', `\uFEFF${RULES}`), ANY).faultToleranceRules.length, 1);
  });

  it('createEngine reports it as ERR_OPENSERGO_RULES_INVALID too', () => {
    const path = fileWith('engine.yaml', Buffer.from([0x6b, 0x3a, 0x20, 0xc3, 0x28, 0x0a]));
    assert.throws(() => createEngine({ rulesFile: path, logger: false, watch: false }), (error: unknown) => {
      assert.ok(isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID'), "isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID')");
      assert.match(error.message, /engine\.yaml:1:4 file encoding: not valid UTF-8 \(bytes C3 28 0A\)/);
      return true;
    });
  });
});

describe('YAML that would exhaust memory or the stack', () => {
  it('an alias bomb is one problem that names it', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`${'abcdefghi'[i]}: &${'abcdefghi'[i]} [${Array(9).fill(`*${'abcdefghi'[i - 1]}`).join(', ')}]`);
    const p = problem(levels.join('\n'));
    assert.equal(p.field, 'yaml');
    assert.match(p.message, /aliases expand to more than 100 nodes \(a "billion laughs" alias bomb\?\)/);
  });

  it('an alias to an anchor of another document is named as such, at the alias, not as an alias bomb', () => {
    // Anchors do not carry across `---`: the rule's `*rl` names nothing in its own document.
    const text = docs(rateLimit('&rl rl'), rule('r', ['*rl']));
    const p = problem(text);
    const line = text.split('\n').findIndex((l) => l.includes('*rl')) + 1;
    assert.deepEqual([p.line, p.column, p.resource, p.field], [line, 13, 'FaultToleranceRule/r', 'yaml']);
    assert.match(p.message, /the alias \*rl names no anchor before it in this document \(anchors do not carry across ---\)/);
    assert.doesNotMatch(p.message, /billion laughs/);
  });

  it('a mapping that contains itself through an alias names the place', () => {
    const p = problem(docs(rateLimit('rl', { extra: ['selector: &s { app: { again: *s } }'] }), rule('r', ['rl'])));
    assert.equal(p.resource, 'RateLimitStrategy/rl');
    assert.equal(p.field, 'spec.selector.app.again');
    assert.match(p.message, /contains itself/);
  });

  it('a structure nested 100 levels deep is refused; 20,000 levels too, without a stack overflow', () => {
    const deep = problem(`${rateLimit('rl')}\n  extra: ${'['.repeat(100)}${']'.repeat(100)}\n`);
    assert.match(deep.message, /nested more than 64 levels deep/);
    const { problems } = fail(`a: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /nested too deeply/);
  });
});

describe('rule objects given as values (the rules option)', () => {
  it('a kind: List that holds itself is a problem, not a RangeError', () => {
    const list: { apiVersion: string; kind: string; items: unknown[] } = { apiVersion: 'v1', kind: 'List', items: [] };
    list.items.push(list);
    const { problems } = failObjects([list]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.field, 'items[0]');
    assert.match(problems[0]!.message, /contains itself/);
  });

  it('lists nested inside lists 20 deep are one problem', () => {
    let value: unknown = { apiVersion: 'v1', kind: 'List', items: [] };
    for (let i = 0; i < 20; i++) value = { apiVersion: 'v1', kind: 'List', items: [value] };
    const { problems } = failObjects([value]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /lists inside lists more than 8 deep/);
  });

  it('a cyclic spec is a problem', () => {
    const spec: Record<string, unknown> = { metricType: 'RequestAmount', limitMode: 'Local', threshold: 1, statDuration: '1s' };
    spec['self'] = spec;
    const { problems } = failObjects([{ apiVersion: 'fault-tolerance.opensergo.io/v1alpha1', kind: 'RateLimitStrategy', metadata: { name: 'x' }, spec }]);
    assert.deepEqual(problems.map((p) => [p.field, /contains itself/.test(p.message)]), [['spec.self', true]]);
  });

  it('values no YAML can hold (a BigInt, a function, a symbol) are problems, not a TypeError', () => {
    const spec = { metricType: 'RequestAmount', limitMode: 'Local', threshold: 10n, statDuration: () => '1s' };
    const { problems } = failObjects([Symbol('doc'), { apiVersion: 'fault-tolerance.opensergo.io/v1alpha1', kind: 'RateLimitStrategy', metadata: { name: 'x' }, spec }]);
    assert.deepEqual(
      problems.map((p) => [p.field, p.message]),
      [
        ['', 'expected an OpenSergo resource (a mapping with apiVersion, kind, metadata, spec), got a symbol (Symbol(doc))'],
        ['spec.threshold', 'expected a number ≥ 0, got 10n (a BigInt; give a number)'],
        ['spec.statDuration', 'expected a duration such as "500ms" or "1s" (<integer><unit>, unit one of ms, s, m, min, minute, h, d), got a function'],
      ],
    );
  });

  it('createEngine turns them into ERR_OPENSERGO_RULES_INVALID', () => {
    const list: { kind: string; items: unknown[] } = { kind: 'List', items: [] };
    list.items.push(list);
    assert.throws(() => createEngine({ rules: [list], logger: false }), (error: unknown) => isOpenSergoError(error, 'ERR_OPENSERGO_RULES_INVALID'));
  });
});

describe('one mistake, one problem (issue 20)', () => {
  it('kind: RateLimitStrategyy gives one problem with "did you mean", not also "no strategy named"', () => {
    const p = problem(docs(rateLimit('rl').replace('kind: RateLimitStrategy', 'kind: RateLimitStrategyy'), rule('r', ['rl'])));
    assert.equal(p.field, 'kind');
    assert.match(p.message, /did you mean "RateLimitStrategy"/);
  });

  it('a misspelt apiVersion gives one problem', () => {
    const p = problem(docs(rateLimit('rl').replace('v1alpha1', 'v1alpha2'), rule('r', ['rl'])));
    assert.equal(p.field, 'apiVersion');
  });

  it('a tab in the indentation gives one problem, at the tab', () => {
    const text = docs(rateLimit('rl').replace('  metricType', '\tmetricType'), rule('r', ['rl']));
    const p = problem(text);
    assert.deepEqual([p.line, p.column, p.resource, p.field], [6, 1, 'RateLimitStrategy/rl', 'yaml']);
    assert.match(p.message, /a tab in the indentation; YAML indents with spaces only/);
  });

  it('a duplicate key gives one problem naming the key', () => {
    const p = problem(docs(rateLimit('rl', { extra: ['threshold: 20'] }), rule('r', ['rl'])));
    assert.deepEqual([p.line, p.field], [10, 'yaml']);
    assert.match(p.message, /the key "threshold" appears twice in one mapping/);
  });

  it('a broken document whose name cannot be read does not make every reference dangle', () => {
    const broken = 'apiVersion: fault-tolerance.opensergo.io/v1alpha1\nkind: RateLimitStrategy\nmetadata:\n\tname: rl\n';
    const { problems } = fail(docs(broken, rule('r', ['rl'])));
    assert.deepEqual(problems.map((p) => p.field), ['yaml']);
  });

  it('a reference to a name nobody wrote still dangles beside a broken document', () => {
    const text = docs(rateLimit('rl').replace('v1alpha1', 'v1alpha2'), rateLimit('other'), rule('r', ['rl', 'nobody']));
    assert.deepEqual(fail(text).problems.map((p) => p.field), ['apiVersion', 'spec.strategies[1].name']);
  });

  it('a reference with a wrong kind is one problem, at its kind, not also "no RateLimitStrategy named"', () => {
    const fallback = yaml`
      apiVersion: fault-tolerance.opensergo.io/v1alpha1
      kind: HttpRequestFallbackAction
      metadata: { name: f }
      spec: { behavior: ReturnProvidedResponse, behaviorDesc: { responseStatusCode: 429 } }
    `;
    const wrongFallback = problem(docs(rateLimit('rl'), fallback, rule('r', ['rl'], { fallback: '{ name: f, kind: RateLimitStrategy }' })));
    assert.equal(wrongFallback.field, 'spec.fallbackAction.kind');
    assert.match(wrongFallback.message, /expected one of HttpRequestFallbackAction, got "RateLimitStrategy"/);
    const misspelt = problem(docs(rateLimit('rl'), rule('r', ['name: rl, kind: RateLimitStrategi'])));
    assert.equal(misspelt.field, 'spec.strategies[0].kind');
    assert.match(misspelt.message, /did you mean "RateLimitStrategy"/);
  });

  it('a misspelt strategy name gets "did you mean"', () => {
    const p = problem(docs(rateLimit('rate-limit-foo'), rule('r', ['rate-limit-fo'])));
    assert.match(p.message, /no strategy named "rate-limit-fo" without namespace \(did you mean "rate-limit-foo"\?\)/);
  });

  it('a misspelt fallback name too, among the fallbacks it can reach', () => {
    const fallback = yaml`
      apiVersion: fault-tolerance.opensergo.io/v1alpha1
      kind: HttpRequestFallbackAction
      metadata: { name: slow-down }
      spec: { behavior: ReturnProvidedResponse, behaviorDesc: { responseStatusCode: 429 } }
    `;
    const p = problem(docs(rateLimit('rl'), fallback, rule('r', ['rl'], { fallback: 'slow-dwn' })));
    assert.match(p.message, /did you mean "slow-down"/);
  });
});

describe('hints for the commonest slips', () => {
  it('threshold: "10" says to drop the quotes', () => {
    const p = problem(rateLimit('rl').replace('threshold: 10', 'threshold: "10"'));
    assert.equal(p.message, 'expected a number ≥ 0, got "10" (a number in quotes is text: write 10 without quotes)');
  });

  it('statDuration: "1 s" suggests "1s"; "10 seconds" "10s"; "1.5s" "1500ms"; "10" a unit', () => {
    const message = (value: string) => problem(rateLimit('rl').replace('statDuration: "1s"', `statDuration: "${value}"`)).message;
    assert.match(message('1 s'), /got "1 s" \(did you mean "1s"\?\)$/);
    assert.match(message('10 seconds'), /\(did you mean "10s"\?\)$/);
    assert.match(message('5S'), /\(did you mean "5s"\?\)$/);
    assert.match(message('1.5s'), /\(no fractions: did you mean "1500ms"\?\)$/);
    assert.match(message('10'), /\(no unit: write "10ms" or "10s"\)$/);
    assert.doesNotMatch(message('soon'), /did you mean/);
  });

  it('triggerRatio: "60 %" suggests "60%"', () => {
    const breaker = yaml`
      apiVersion: fault-tolerance.opensergo.io/v1alpha1
      kind: CircuitBreakerStrategy
      metadata: { name: cb }
      spec: { strategy: ErrorRequestRatio, triggerRatio: "60 %", statDuration: 1s, recoveryTimeout: 1s, minRequestAmount: 1 }
    `;
    assert.match(problem(breaker).message, /got "60 %" \(did you mean "60%"\?\)$/);
  });

  it('threshold: .inf, .nan or 1e400 is named as what it is, not as "null"', () => {
    const message = (value: string) => problem(rateLimit('rl').replace('threshold: 10', `threshold: ${value}`)).message;
    assert.equal(message('.inf'), 'expected a number ≥ 0, got .inf (infinity; write the largest number you mean)');
    assert.equal(message('1e400'), 'expected a number ≥ 0, got .inf (infinity; write the largest number you mean)');
    assert.equal(message('-.inf'), 'expected a number ≥ 0, got -.inf (infinity; write the largest number you mean)');
    assert.equal(message('.nan'), 'expected a number ≥ 0, got .nan (not a number)');
  });

  it('a YAML 1.1 merge key (<<: *defaults) is named as such, not only as an unknown field', () => {
    const text = rateLimit('rl').replace('spec:\n  metricType: RequestAmount\n  limitMode: Local\n', 'spec:\n  <<: { metricType: RequestAmount, limitMode: Local }\n');
    const merge = fail(text).problems.find((p) => p.field === 'spec["<<"]');
    assert.ok(merge, 'a problem at the merge key');
    assert.match(merge.message, /"<<" is a YAML 1\.1 merge key, which YAML 1\.2 does not have: write the fields out/);
  });

  it('valid rules still load', () => {
    assert.equal(load(RULES).faultToleranceRules.length, 1);
  });
});
