import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RuleSet } from '../src/rules/types.js';
import { fail, load, problem } from './fixtures/rules/helpers.js';

const FT = 'apiVersion: fault-tolerance.opensergo.io/v1alpha1';

/** A one-document file of `kind` whose spec is `spec` (YAML lines, indented by two). */
function resource(kind: string, spec: string[]): string {
  return [FT, `kind: ${kind}`, 'metadata:', '  name: s', 'spec:', ...spec.map((l) => `  ${l}`)].join('\n');
}
const throttling = (min: string, queue = '"1s"') => resource('ThrottlingStrategy', [`minIntervalOfRequests: ${min}`, `queueTimeout: ${queue}`]);
const only = <T>(rules: RuleSet, kind: string): T => {
  const found = rules.strategies.filter((s) => s.kind === kind);
  assert.equal(found.length, 1);
  return found[0] as T;
};

describe('durations', () => {
  for (const [written, ms] of [
    ['"250ms"', 250],
    ['"2s"', 2_000],
    ['"3m"', 180_000],
    ['"5min"', 300_000],
    ['"1minute"', 60_000],
    ['"2h"', 7_200_000],
    ['"1d"', 86_400_000],
    ['0ms', 0],
  ] as const) {
    it(`${written} is ${ms} ms`, () => {
      const s = only<{ minIntervalMs: number }>(load(throttling(written)), 'ThrottlingStrategy');
      assert.equal(s.minIntervalMs, ms);
    });
  }

  it('a bare integer is an error that suggests a unit', () => {
    const p = problem(throttling('20'));
    assert.equal(p.field, 'spec.minIntervalOfRequests');
    assert.equal(p.line, 6);
    assert.match(p.message, /^expected a duration such as "500ms" or "1s"/);
    assert.match(p.message, /got 20 \(a bare number has no unit; write "20ms" or "20s"\)/);
  });

  for (const bad of ['"1.5s"', '"10 s"', '"10sec"', '"-1s"', '"s"']) {
    it(`${bad} is an error listing the units`, () => {
      const p = problem(throttling(bad));
      assert.equal(p.field, 'spec.minIntervalOfRequests');
      assert.match(p.message, /unit one of ms, s, m, min, minute, h, d\), got /);
    });
  }

  it('statDurationSeconds is a whole number of seconds ≥ 1', () => {
    const rate = (lines: string[]) =>
      resource('RateLimitStrategy', ['metricType: RequestAmount', 'limitMode: Local', 'threshold: 3', ...lines]);
    assert.equal(only<{ statDurationMs: number }>(load(rate(['statDurationSeconds: 5'])), 'RateLimitStrategy').statDurationMs, 5000);
    assert.match(problem(rate(['statDurationSeconds: 0'])).message, /expected a whole number of seconds ≥ 1, got 0/);
    assert.match(problem(rate(['statDurationSeconds: "1s"'])).message, /expected a whole number of seconds ≥ 1, got "1s"/);
    const both = problem(rate(['statDuration: "1s"', 'statDurationSeconds: 1']));
    assert.equal(both.field, 'spec.statDurationSeconds');
    assert.match(both.message, /not both/);
    const neither = problem(rate([]));
    assert.equal(neither.field, 'spec.statDuration');
    assert.equal(neither.line, 5, 'points at spec:');
    assert.match(neither.message, /statDuration .* or statDurationSeconds/);
    assert.match(problem(rate(['statDuration: "0s"'])).message, /greater than 0/);
  });
});

describe('ratios', () => {
  const breaker = (ratio: string) =>
    resource('CircuitBreakerStrategy', [
      'strategy: ErrorRequestRatio',
      `triggerRatio: ${ratio}`,
      'statDuration: "30s"',
      'recoveryTimeout: "5s"',
      'minRequestAmount: 5',
    ]);
  for (const [written, value] of [
    ["'60%'", 0.6],
    ['"62.5%"', 0.625],
    ['"100%"', 1],
    ['0.6', 0.6],
    ['0', 0],
    ['1', 1],
  ] as const) {
    it(`${written} is ${value}`, () => {
      assert.equal(only<{ triggerRatio: number }>(load(breaker(written)), 'CircuitBreakerStrategy').triggerRatio, value);
    });
  }

  it('60 (no %) is an error that suggests "60%"', () => {
    const p = problem(breaker('60'));
    assert.equal(p.field, 'spec.triggerRatio');
    assert.match(p.message, /expected a ratio: a percentage such as "60%" or a number between 0 and 1, got 60 \(did you mean "60%"\?\)/);
  });

  for (const bad of ['"150%"', '"sixty"', '-0.1', '"60 %"']) {
    it(`${bad} is an error`, () => {
      assert.match(problem(breaker(bad)).message, /^expected a ratio/);
    });
  }
});

describe('RateLimitStrategy', () => {
  const rate = (lines: string[]) => resource('RateLimitStrategy', lines);
  const base = ['metricType: RequestAmount', 'limitMode: GlobalToLocal', 'statDuration: "1s"'];

  it('accepts 0 (blocks everything) and fractional thresholds', () => {
    assert.equal(only<{ threshold: number }>(load(rate([...base, 'threshold: 0'])), 'RateLimitStrategy').threshold, 0);
    assert.equal(only<{ threshold: number }>(load(rate([...base, 'threshold: 2.5'])), 'RateLimitStrategy').threshold, 2.5);
    assert.match(problem(rate([...base, 'threshold: -1'])).message, /expected a number ≥ 0, got -1/);
  });

  it('requires limitMode and accepts only RequestAmount', () => {
    const { problems } = fail(rate(['metricType: QPS', 'threshold: 1', 'statDuration: "1s"']));
    assert.deepEqual(problems.map((p) => [p.field, p.line]), [
      ['spec.limitMode', 5],
      ['spec.metricType', 6],
    ]);
    assert.match(problems[0]!.message, /missing; expected one of Local, Global, GlobalToLocal/);
    assert.match(problems[1]!.message, /expected one of RequestAmount, got "QPS"/);
  });

  it('catches a misspelt optional field, with a suggestion', () => {
    const p = problem(rate([...base, 'threshold: 1', 'statDurationSecond: 1']));
    assert.equal(p.field, 'spec.statDurationSecond');
    assert.equal(p.line, 10);
    assert.equal(p.message, 'unknown field "statDurationSecond" (did you mean "statDurationSeconds"?)');
  });

  it('suggests the right case for an enum value', () => {
    assert.match(problem(rate(['metricType: RequestAmount', 'limitMode: global', 'threshold: 1', 'statDuration: "1s"'])).message, /did you mean "Global"/);
  });
});

describe('ConcurrencyLimitStrategy', () => {
  it('takes an integer ≥ 0 and Local or Global', () => {
    const ok = load(resource('ConcurrencyLimitStrategy', ['maxConcurrency: 0', "limitMode: 'Global'"]));
    assert.deepEqual(only<{ maxConcurrency: number; limitMode: string }>(ok, 'ConcurrencyLimitStrategy').maxConcurrency, 0);
    const { problems } = fail(resource('ConcurrencyLimitStrategy', ['maxConcurrency: 1.5', 'limitMode: GlobalToLocal']));
    assert.deepEqual(problems.map((p) => p.message), [
      'expected an integer ≥ 0, got 1.5',
      'expected one of Local, Global, got "GlobalToLocal"',
    ]);
  });
});

describe('CircuitBreakerStrategy', () => {
  const cb = (lines: string[]) =>
    resource('CircuitBreakerStrategy', ["triggerRatio: '60%'", "statDuration: '30s'", 'minRequestAmount: 5', ...lines]);

  it('loads the spec example (SlowRequestRatio with maxAllowedRt)', () => {
    const s = only<Record<string, unknown>>(
      load(cb(['strategy: SlowRequestRatio', "recoveryTimeout: '5s'", 'slowConditions:', "  maxAllowedRt: '500ms'"])),
      'CircuitBreakerStrategy',
    );
    assert.deepEqual(
      [s['triggerRatio'], s['statDurationMs'], s['recoveryTimeoutMs'], s['minRequestAmount'], s['maxAllowedRtMs'], s['errorStatusCodes']],
      [0.6, 30_000, 5_000, 5, 500, undefined],
    );
  });

  it('requires slowConditions.maxAllowedRt for SlowRequestRatio', () => {
    const p = problem(cb(['strategy: SlowRequestRatio', "recoveryTimeout: '5s'"]));
    assert.equal(p.field, 'spec.slowConditions.maxAllowedRt');
    assert.match(p.message, /SlowRequestRatio needs slowConditions.maxAllowedRt/);
  });

  it('accepts recoverTimeout as an alias, but not both', () => {
    const s = only<{ recoveryTimeoutMs: number }>(load(cb(['strategy: ErrorRequestRatio', 'recoverTimeout: 2s'])), 'CircuitBreakerStrategy');
    assert.equal(s.recoveryTimeoutMs, 2000);
    assert.match(problem(cb(['strategy: ErrorRequestRatio', 'recoverTimeout: 2s', 'recoveryTimeout: 2s'])).message, /not both/);
    assert.equal(problem(cb(['strategy: ErrorRequestRatio'])).field, 'spec.recoveryTimeout');
  });

  it('reads errorConditions.statusCodes into errorStatusCodes', () => {
    const s = only<{ errorStatusCodes: readonly number[] | undefined }>(
      load(cb(['strategy: ErrorRequestRatio', 'recoveryTimeout: 2s', 'errorConditions:', '  errorType: upstream', '  statusCodes: [503, 429, 503]'])),
      'CircuitBreakerStrategy',
    );
    assert.deepEqual(s.errorStatusCodes, [429, 503]);
    const p = problem(cb(['strategy: ErrorRequestRatio', 'recoveryTimeout: 2s', 'errorConditions:', '  statusCodes: [600]']));
    assert.equal(p.field, 'spec.errorConditions.statusCodes[0]');
    assert.equal(p.message, 'expected an HTTP status code from 100 to 599, got 600');
  });

  it('rejects conditions that do not belong to the strategy', () => {
    const p = problem(cb(['strategy: ErrorRequestRatio', 'recoveryTimeout: 2s', 'slowConditions: { maxAllowedRt: 1s }']));
    assert.equal(p.field, 'spec.slowConditions');
    assert.match(p.message, /only used with strategy SlowRequestRatio/);
  });
});

describe('AdaptiveOverloadProtectionStrategy', () => {
  const aop = (metric: string, threshold: string, strategy = 'BBR') =>
    resource('AdaptiveOverloadProtectionStrategy', [`metricType: ${metric}`, `triggerThreshold: ${threshold}`, `adaptiveStrategy: ${strategy}`]);
  const threshold = (text: string) => only<{ triggerThreshold: number }>(load(text), 'AdaptiveOverloadProtectionStrategy').triggerThreshold;

  it('reads triggerThreshold according to metricType', () => {
    assert.equal(threshold(aop("'CpuPercentage'", "'70%'")), 0.7);
    assert.equal(threshold(aop('CpuPercentage', '0.5', 'NONE')), 0.5);
    assert.equal(threshold(aop('SystemLoad', '4.5')), 4.5);
    assert.equal(threshold(aop('EventLoopDelay', '"100ms"')), 100);
  });

  it('rejects a threshold of the wrong sort for the metric', () => {
    assert.match(problem(aop('CpuPercentage', '70')).message, /did you mean "70%"/);
    assert.match(problem(aop('SystemLoad', '"70%"')).message, /expected a load average for SystemLoad/);
    assert.match(problem(aop('SystemLoad', '-1')).message, /expected a load average/);
    assert.match(problem(aop('EventLoopDelay', '100')).message, /bare number has no unit/);
    assert.match(problem(aop('CpuPercentage', '"70%"', 'bbr')).message, /did you mean "BBR"/);
  });
});

describe('HttpRequestFallbackAction', () => {
  const fallback = (status: string, headers: string[] = []) =>
    resource('HttpRequestFallbackAction', [
      'behavior: ReturnProvidedResponse',
      'behaviorDesc:',
      `  responseStatusCode: ${status}`,
      ...(headers.length > 0 ? ['  responseAdditionalHeaders:', ...headers.map((h) => `    - ${h}`)] : []),
    ]);
  const action = (text: string) => load(text).fallbackActions[0]!;

  it('defaults the body to empty and keeps header names as written', () => {
    const a = action(fallback('503', ['{ key: Retry-After, value: 10 }']));
    assert.equal(a.statusCode, 503);
    assert.equal(a.body, '');
    assert.deepEqual(a.headers, [['Retry-After', '10']]);
  });

  it('rejects a header injection attempt (CR/LF in a value)', () => {
    const p = problem(fallback('429', ['{ key: X-Sentinel-Limit, value: "a\\r\\nSet-Cookie: x=1" }']));
    assert.equal(p.field, 'spec.behaviorDesc.responseAdditionalHeaders[0].value');
    assert.equal(p.line, 10);
    assert.match(p.message, /^expected a header value of printable Latin-1 characters .* with the control character U\+000D at character 2/);
  });

  it('refuses at load a header value Node would throw on ("—" is U+2014), with its line and why', () => {
    const p = problem(fallback('429', ['{ key: X-Reason, value: "Too many requests — slow down" }']));
    assert.deepEqual([p.line, p.field], [10, 'spec.behaviorDesc.responseAdditionalHeaders[0].value']);
    assert.equal(
      p.message,
      'expected a header value of printable Latin-1 characters (what HTTP headers can carry), got "Too many requests — slow down" with "—" (U+2014), which is not Latin-1 at character 19; use ASCII, or percent-encode it',
    );
    assert.deepEqual(action(fallback('429', ['{ key: X-Reason, value: "trop de requêtes\tà la fois" }'])).headers, [['X-Reason', 'trop de requêtes\tà la fois']]);
  });

  it('rejects header names that are not HTTP tokens, and framing headers', () => {
    const { problems } = fail(fallback('429', ['{ key: "X Bad", value: a }', '{ key: "X-Ok:", value: a }', '{ key: Content-Length, value: 3 }']));
    assert.deepEqual(problems.map((p) => p.field), [
      'spec.behaviorDesc.responseAdditionalHeaders[0].key',
      'spec.behaviorDesc.responseAdditionalHeaders[1].key',
      'spec.behaviorDesc.responseAdditionalHeaders[2].key',
    ]);
    assert.match(problems[0]!.message, /expected an HTTP header name/);
    assert.match(problems[2]!.message, /set by the server/);
  });

  it('requires a status from 200 to 599: a 1xx is not a final response', () => {
    const expected = 'expected an HTTP status code from 200 to 599 (a 1xx status is not a final response)';
    assert.equal(problem(fallback('600')).message, `${expected}, got 600`);
    for (const status of ['100', '101', '103', '199']) assert.equal(problem(fallback(status)).message, `${expected}, got ${status}`);
    assert.equal(problem(fallback('"429"')).message, `${expected}, got "429" (a number in quotes is text: write 429 without quotes)`);
    assert.equal(action(fallback('200')).statusCode, 200);
  });

  it('refuses a body with 204, 205 and 304, whose responses have none', () => {
    const withBody = (status: string) => fallback(status).replace('behaviorDesc:', 'behaviorDesc:\n    responseContentBody: gone');
    for (const status of ['204', '205', '304']) {
      const p = problem(withBody(status));
      assert.equal(p.field, 'spec.behaviorDesc.responseContentBody');
      assert.equal(p.message, `a ${status} response has no body; remove it or choose another status`);
    }
    assert.equal(action(fallback('204')).statusCode, 204);
  });
});

describe('FaultToleranceRule targets', () => {
  const ruleWith = (target: string) =>
    [FT, 'kind: RateLimitStrategy', 'metadata: { name: r }', 'spec: { metricType: RequestAmount, limitMode: Local, threshold: 1, statDuration: 1s }', '---',
      FT, 'kind: FaultToleranceRule', 'metadata: { name: f }', 'spec:', '  targets:', `    - targetResourceName: ${target}`, '  strategies: [{ name: r }]'].join('\n');

  it('accepts resource patterns', () => {
    assert.deepEqual(load(ruleWith("'GET:/users/{id}'")).faultToleranceRules[0]!.targets, ['GET:/users/{id}']);
  });

  it('rejects what parseResourcePattern rejects, and names longer than 1024 characters', () => {
    const p = problem(ruleWith("'/a{id}'"));
    assert.equal(p.field, 'spec.targets[0].targetResourceName');
    assert.equal(p.line, 11);
    assert.match(p.message, /expected a parameter to be a whole segment/);
    assert.match(problem(ruleWith("'http://user@backend/a'")).message, /without user info/);
    assert.match(problem(ruleWith(`/${'a'.repeat(1024)}`)).message, /1 to 1024 characters/);
    assert.match(problem(ruleWith("''")).message, /1 to 1024 characters/);
  });
});
