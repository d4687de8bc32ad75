// The speed targets from issues 2, 3 and 4, as ratios to the bare framework.

/** Minimum ratio to bare, by framework and scenario id. */
export const TARGETS = {
  // redis-*: issue 4 (≥ 0.90 of bare admitting; blocked requests skip Redis entirely).
  express: { admit: 0.97, block: 1, combo: 0.95, 'redis-admit': 0.9, 'redis-block': 1 },
  koa: { admit: 0.95, block: 1, combo: 0.93 },
  fastify: { admit: 0.92, block: 1, combo: 0.9 },
};

/**
 * "No growth with 10,000 rules for other resources": the `many` scenario must stay within
 * this fraction of the plain admitting one (the run-to-run noise of these machines).
 */
export const MANY_RULES_TOLERANCE = 0.03;

/**
 * The target a scenario is held to, or undefined when none applies.
 * @returns {{ min: number, against: 'bare' | 'admit' } | undefined}
 */
export function targetFor(framework, id) {
  if (id === 'many') return { min: 1 - MANY_RULES_TOLERANCE, against: 'admit' };
  const min = TARGETS[framework]?.[id];
  return min === undefined ? undefined : { min, against: 'bare' };
}
