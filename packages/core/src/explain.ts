import { indexFor, type CompiledRules } from './guard-registry.js';
import { TrafficLabeler } from './labels/traffic-labels.js';
import { normaliseRequestPath } from './matching/normalise-path.js';
import type { PathRouting } from './matching/path-routing.js';
import type { RequestView } from './request-view.js';
import type { StrategyKind } from './rules/types.js';

/** One check a request goes through, in check order. */
export interface ExplainedCheck {
  /** The FaultToleranceRule's name. */
  readonly rule: string;
  /** The rule's target that matched, as written. */
  readonly target: string;
  readonly strategy: string;
  readonly kind: StrategyKind;
  readonly dryRun: boolean;
  /** `HttpRequestFallbackAction/name`, or `default`. */
  readonly fallback: string;
}

/** What `engine.explain(view)` says of a request. */
export interface Explanation {
  readonly method: string;
  /** The normalised path the rules are matched against. */
  readonly path: string;
  readonly resource: string;
  readonly trafficLabels: readonly string[];
  /** The TrafficLabelRules whose every condition holds, in file order. */
  readonly trafficLabelRules: readonly string[];
  readonly checks: readonly ExplainedCheck[];
}

/** Matches `view` against `compiled` the way `engine.enter` does, and says what it found. */
export function explainRequest(compiled: CompiledRules, view: RequestView, routing: PathRouting): Explanation {
  const path = normaliseRequestPath(view.url, routing);
  const route = indexFor(compiled, routing).lookup(view.method, path);
  const trafficLabels = compiled.labeler.labels(view, path);
  const trafficLabelRules = compiled.ruleSet.trafficLabelRules
    .filter((rule) => new TrafficLabeler([rule], compiled.foldCase, false).labels(view, path).length > 0)
    .map((rule) => rule.name);
  const checks = (route?.bindings ?? []).map(
    (b): ExplainedCheck => ({
      rule: b.stats.rule,
      target: b.stats.resource,
      strategy: b.stats.strategy,
      kind: b.stats.kind,
      dryRun: b.dryRun,
      fallback: b.fallback?.source ?? 'default',
    }),
  );
  return { method: view.method, path, resource: route?.resource ?? path, trafficLabels, trafficLabelRules, checks };
}
