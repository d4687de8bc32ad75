import type { FaultToleranceKind, OpenSergoKind, TrafficKind } from './types.js';

/** The OpenSergo API groups this loader reads, their versions and kinds (docs/rules.md). */
export const GROUPS: Readonly<Record<string, { readonly versions: readonly string[]; readonly kinds: readonly OpenSergoKind[] }>> = {
  'traffic.opensergo.io': {
    versions: ['v1alpha1'],
    kinds: ['TrafficLabelRule', 'WorkloadLabelRule', 'TrafficRouter'] satisfies TrafficKind[],
  },
  'fault-tolerance.opensergo.io': {
    versions: ['v1alpha1'],
    kinds: [
      'FaultToleranceRule',
      'RateLimitStrategy',
      'ThrottlingStrategy',
      'ConcurrencyLimitStrategy',
      'CircuitBreakerStrategy',
      'AdaptiveOverloadProtectionStrategy',
      'HttpRequestFallbackAction',
    ] satisfies FaultToleranceKind[],
  },
};

/** Every kind, with the `apiVersion` it belongs to. */
export const KIND_API_VERSION: ReadonlyMap<string, string> = new Map(
  Object.entries(GROUPS).flatMap(([group, { versions, kinds }]) => kinds.map((kind) => [kind, `${group}/${versions[0]}`])),
);

/**
 * Levenshtein distance, for "did you mean" hints (inputs are short).
 *
 * @example
 * ```ts
 * editDistance('limitMod', 'limitMode'); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The closest candidate (case-insensitive equal, or within a few edits), for a hint.
 *
 * @example
 * ```ts
 * closest('global', ['Local', 'Global']); // 'Global'
 * ```
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate.toLowerCase() === word.toLowerCase()) return candidate;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined;
}
