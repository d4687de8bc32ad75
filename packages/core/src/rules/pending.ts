import type { FaultToleranceRuleDraft, Reference } from './normalise-fault-tolerance.js';
import { isUnresolved, type Definition } from './resolve.js';

/**
 * A FaultToleranceRule, valid in itself, that names a strategy or fallback action no source
 * defines yet. It is not enforced; it comes into force by itself once what it names arrives.
 * Only documents from sources whose kinds arrive separately (the control plane) can wait: in
 * a rules file a dangling reference is an error (docs/rules.md).
 */
export interface PendingRule {
  readonly kind: 'FaultToleranceRule';
  readonly name: string;
  readonly namespace: string | undefined;
  /** Where the rule came from: a file, or a pseudo-file such as `control-plane:10.0.0.1:10246`. */
  readonly file: string;
  /** Its `targetResourceName`s: what tells rules apart when, as from the control plane, their names are made up. */
  readonly targets: readonly string[];
  /** What it waits for, e.g. `strategy "rate-limit-foo"`, `RateLimitStrategy "rl"`, `fallback action "fb"`. */
  readonly waitsFor: readonly string[];
}

/**
 * What a rule names that nothing defines yet, each described as in {@link PendingRule.waitsFor};
 * empty when every reference reaches a definition (it may still be ambiguous: that is an error).
 */
export function unresolvedReferences<T>(
  draft: FaultToleranceRuleDraft,
  strategies: ReadonlyMap<string, readonly Definition<T>[]>,
  fallbacks: ReadonlyMap<string, readonly Definition<T>[]>,
): string[] {
  const namespace = draft.meta.namespace;
  const missing: string[] = [];
  for (const ref of draft.strategies) if (isUnresolved(ref, namespace, strategies, 'strategy')) missing.push(describe(ref, 'strategy'));
  const fallback = draft.fallbackAction;
  if (fallback !== undefined && isUnresolved(fallback, namespace, fallbacks, 'fallback')) missing.push(describe(fallback, 'fallback action'));
  return missing;
}

function describe(ref: Reference, what: string): string {
  return `${ref.kind ?? what} "${ref.name}"`;
}
