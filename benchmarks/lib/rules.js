// OpenSergo rule sets used by the benchmark scenarios, as YAML text (the form users write).

const API = 'fault-tolerance.opensergo.io/v1alpha1';

/** The route every scenario serves and guards. */
export const ROUTE = '/bench';

/** A RateLimitStrategy (Local unless told): `threshold` requests per second. */
export function rateLimit(name, threshold, limitMode = 'Local') {
  return `apiVersion: ${API}
kind: RateLimitStrategy
metadata:
  name: ${name}
spec:
  metricType: RequestAmount
  limitMode: ${limitMode}
  threshold: ${threshold}
  statDuration: 1s
`;
}

/** A FaultToleranceRule applying `strategies` (names) to one target. */
export function rule(name, target, strategies) {
  return `apiVersion: ${API}
kind: FaultToleranceRule
metadata:
  name: ${name}
spec:
  targets:
    - targetResourceName: '${target}'
  strategies:
${strategies.map((s) => `    - name: ${s}`).join('\n')}
`;
}

/** A concurrency limit that never refuses (10^9 permits): its cost is taking and giving back one. */
export const concurrencyLimit = (name) => `apiVersion: ${API}
kind: ConcurrencyLimitStrategy
metadata:
  name: ${name}
spec:
  maxConcurrency: 1000000000
  limitMode: Local
`;

const CONCURRENCY = concurrencyLimit('bench-concurrency');

/**
 * An ErrorRequestRatio breaker. The defaults never trip it under the benchmark (10^6 requests
 * needed in a second); the engine benchmark trips one with a small `minRequestAmount`.
 */
export function breaker({ name = 'bench-breaker', minRequestAmount = 1_000_000, recoveryTimeout = '1s' } = {}) {
  return `apiVersion: ${API}
kind: CircuitBreakerStrategy
metadata:
  name: ${name}
spec:
  strategy: ErrorRequestRatio
  triggerRatio: 50%
  statDuration: 1s
  recoveryTimeout: ${recoveryTimeout}
  minRequestAmount: ${minRequestAmount}
`;
}

/** Joins YAML documents into one multi-document text. */
export const join = (docs) => docs.join('---\n');

/** A rate limit on `/bench` that admits everything (10^9 per second). */
export const admitRules = () => join([rateLimit('bench-admit', 1_000_000_000), rule('bench', ROUTE, ['bench-admit'])]);

/** A rate limit on `/bench` that admits one request per second and blocks the rest. */
export const blockRules = () => join([rateLimit('bench-block', 1), rule('bench', ROUTE, ['bench-block'])]);

/** Rate limit + concurrency limit + circuit breaker on `/bench`, all admitting (issue 3's combo). */
export const comboRules = () =>
  join([
    rateLimit('bench-admit', 1_000_000_000),
    CONCURRENCY,
    breaker(),
    rule('bench', ROUTE, ['bench-admit', 'bench-concurrency', 'bench-breaker']),
  ]);

/**
 * The admitting rule plus `count` FaultToleranceRules on `/other/0` … `/other/{count-1}`,
 * all sharing one admitting strategy: the cost on `/bench` must not grow with them.
 */
export function manyRules(count) {
  const others = [];
  for (let i = 0; i < count; i++) others.push(rule(`other-${i}`, `/other/${i}`, ['bench-admit']));
  return join([admitRules(), ...others]);
}

/** A Global rate limit on `/bench` (enforced in the Redis store) that admits everything. */
export const redisAdmitRules = () => join([rateLimit('bench-global', 1_000_000_000, 'Global'), rule('bench', ROUTE, ['bench-global'])]);

/** A Global rate limit on `/bench` that admits one request per second across instances. */
export const redisBlockRules = () => join([rateLimit('bench-global-block', 1, 'Global'), rule('bench', ROUTE, ['bench-global-block'])]);

/** Rule sets by name, as scenarios refer to them. */
export const RULES = {
  admit: admitRules,
  block: blockRules,
  combo: comboRules,
  many: () => manyRules(10_000),
  'redis-admit': redisAdmitRules,
  'redis-block': redisBlockRules,
};
