// Small builders for rules YAML in engine-level tests.
const FT = 'fault-tolerance.opensergo.io/v1alpha1';

export const doc = (kind: string, name: string, spec: string): string =>
  `apiVersion: ${FT}\nkind: ${kind}\nmetadata: { name: ${name} }\nspec: ${spec}`;

export const rule = (name: string, targets: readonly string[], strategies: readonly string[]): string =>
  doc(
    'FaultToleranceRule',
    name,
    `{ targets: [${targets.map((t) => `{ targetResourceName: '${t}' }`).join(', ')}], strategies: [${strategies
      .map((s) => `{ name: ${s} }`)
      .join(', ')}] }`,
  );

export const concurrency = (name: string, max: number): string =>
  doc('ConcurrencyLimitStrategy', name, `{ maxConcurrency: ${max}, limitMode: Local }`);

export const throttling = (name: string, interval: string, queue: string): string =>
  doc('ThrottlingStrategy', name, `{ minIntervalOfRequests: ${interval}, queueTimeout: ${queue} }`);

export const errorBreaker = (name: string, extra = ''): string =>
  doc(
    'CircuitBreakerStrategy',
    name,
    `{ strategy: ErrorRequestRatio, triggerRatio: '50%', statDuration: 10s, recoveryTimeout: 1s, minRequestAmount: 4${extra} }`,
  );

export const slowBreaker = (name: string, maxAllowedRt = '50ms'): string =>
  doc(
    'CircuitBreakerStrategy',
    name,
    `{ strategy: SlowRequestRatio, triggerRatio: '50%', statDuration: 10s, recoveryTimeout: 1s, minRequestAmount: 4, slowConditions: { maxAllowedRt: ${maxAllowedRt} } }`,
  );

export const adaptive = (name: string, metric: string, threshold: string, mode = 'NONE'): string =>
  doc('AdaptiveOverloadProtectionStrategy', name, `{ metricType: ${metric}, triggerThreshold: '${threshold}', adaptiveStrategy: ${mode} }`);

export const rateLimit = (name: string, threshold: number): string =>
  doc('RateLimitStrategy', name, `{ metricType: RequestAmount, limitMode: Local, threshold: ${threshold}, statDuration: 10s }`);

export const rules = (...docs: string[]): string => docs.join('\n---\n');
