import type { Instance } from '@opensergo/core';

/**
 * Chooses one of the eligible instances of a call (after routing picked the lane). The seam
 * where balancing policies plug in; `eligible` is never empty.
 */
export interface Balancer {
  choose(eligible: readonly Instance[]): Instance;
}

/**
 * Removes instances that should not be called now (refused a connection, or ejected as an
 * outlier), before routing. Returns `instances` itself when it removes nothing; when it would
 * remove every instance, the caller keeps them all (the last ones are never removed).
 */
export type InstanceFilter = (app: string, instances: readonly Instance[]) => readonly Instance[];

/**
 * Round robin per lane: each list of eligible instances (the same array while discovery does
 * not change) takes its turns in order.
 *
 * @example
 * ```ts
 * const balancer = roundRobin();
 * balancer.choose(instances);
 * ```
 */
export function roundRobin(): Balancer {
  const turns = new WeakMap<readonly Instance[], { next: number }>();
  return {
    choose(eligible) {
      if (eligible.length === 1) return eligible[0]!;
      let turn = turns.get(eligible);
      if (turn === undefined) turns.set(eligible, (turn = { next: 0 }));
      const chosen = eligible[turn.next % eligible.length]!;
      turn.next = (turn.next + 1) % eligible.length;
      return chosen;
    },
  };
}

/**
 * Applies `filters` in order; a filter that would leave nothing is skipped.
 *
 * @example
 * ```ts
 * const live = applyFilters(filters, 'backend', instances);
 * ```
 */
export function applyFilters(filters: readonly InstanceFilter[], app: string, instances: readonly Instance[]): readonly Instance[] {
  let live = instances;
  for (const filter of filters) {
    const kept = filter(app, live);
    if (kept.length !== 0) live = kept;
  }
  return live;
}
