import type { Instance } from '@opensergo/core';

const NO_LABEL = '\u0000';
// Discovery sources hand out the same arrays until the instances change, so a lane is
// computed once per (instance list, labels) and the hot path allocates nothing.
const lanes = new WeakMap<readonly Instance[], Map<string, readonly Instance[]>>();

function cached(instances: readonly Instance[], key: string, compute: () => readonly Instance[]): readonly Instance[] {
  let byKey = lanes.get(instances);
  if (byKey === undefined) lanes.set(instances, (byKey = new Map()));
  let lane = byKey.get(key);
  if (lane === undefined) byKey.set(key, (lane = compute()));
  return lane;
}

/**
 * Label routing (docs/routing.md): the instances that serve a call carrying `labels`: those labelled
 * with its first label that any instance carries, else the unlabelled ones (the fallback),
 * else every instance rather than none.
 *
 * @example
 * ```ts
 * labelLane(instances, ['gray']); // the gray instances, or the base ones when there is none
 * ```
 */
export function labelLane(instances: readonly Instance[], labels: readonly string[]): readonly Instance[] {
  return cached(instances, labels.length === 0 ? NO_LABEL : labels.join(','), () => {
    for (const label of labels) {
      const lane = instances.filter((i) => i.labels.includes(label));
      if (lane.length) return lane;
    }
    const unlabelled = instances.filter((i) => i.labels.length === 0);
    return unlabelled.length ? unlabelled : instances;
  });
}

/**
 * The instances of TrafficRouter subset `subset` (docs/routing.md): those with the workload label, or
 * the attribute `version` or `subset` equal to it. May be empty.
 *
 * @example
 * ```ts
 * subsetOf(instances, 'v2');
 * ```
 */
export function subsetOf(instances: readonly Instance[], subset: string): readonly Instance[] {
  return cached(instances, `${NO_LABEL}subset:${subset}`, () =>
    instances.filter((i) => i.labels.includes(subset) || i.attributes['version'] === subset || i.attributes['subset'] === subset),
  );
}
