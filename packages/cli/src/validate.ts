import { formatProblems, tryCompileRules, type Scope } from '@opensergo/core';
import { readFiles } from './read-files.js';
import type { Output } from './output.js';

/**
 * `opensergo validate <files…>`: checks the files as one rule set, the way a service loading
 * them reports problems (every problem, each with file:line:col). Exit 0 when valid, 1 when not,
 * 2 when a file cannot be read.
 */
export function validate(files: readonly string[], scope: Scope, out: Output): number {
  const { documents, problems, unreadable } = readFiles(files);
  for (const line of unreadable) out.err(line);
  if (unreadable.length > 0) return 2;
  const result = tryCompileRules(documents, scope, problems);
  if (!result.ok) {
    const count = result.problems.length === 1 ? '1 problem' : `${result.problems.length} problems`;
    out.err(`Invalid OpenSergo rules (${count}):\n${formatProblems(result.problems)}`);
    return 1;
  }
  const { faultToleranceRules, trafficLabelRules, workloadLabelRules, trafficRouters, strategies, fallbackActions } = result.ruleSet;
  const scoped = scope.app === undefined && scope.namespace === undefined ? 'every app and namespace' : describeScope(scope);
  out.log(
    `ok: ${faultToleranceRules.length} FaultToleranceRule(s), ${trafficLabelRules.length} TrafficLabelRule(s), ` +
      `${workloadLabelRules.length} WorkloadLabelRule(s), ${trafficRouters.length} TrafficRouter(s), ` +
      `${strategies.length} strategies, ${fallbackActions.length} fallback action(s) apply to ${scoped}`,
  );
  return 0;
}

export function describeScope(scope: Scope): string {
  return [scope.app && `app ${scope.app}`, scope.namespace && `namespace ${scope.namespace}`].filter(Boolean).join(', ');
}
