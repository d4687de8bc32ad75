import type { Logger } from '../logger.js';
import type { OpenSergoOptions } from '../options.js';
import type { RuleSet, Scope } from '../rules/types.js';
import { workloadBase, workloadIdentity, type WorkloadBase, type WorkloadIdentity } from './workload.js';

/**
 * This process's workload identity as the rules in force make it: fixed attributes and labels
 * from the options and environment, plus what WorkloadLabelRules add. Said once whenever its
 * labels change.
 */
export class ProcessIdentity {
  private readonly base: WorkloadBase;
  private identity: WorkloadIdentity;

  constructor(
    scope: Scope,
    options: Pick<OpenSergoOptions, 'workload' | 'workloadLabels'>,
    ruleSet: RuleSet,
    private readonly logger: Logger,
  ) {
    this.base = workloadBase(scope, options.workload, options.workloadLabels);
    this.identity = this.identify(ruleSet, []);
  }

  get current(): WorkloadIdentity {
    return this.identity;
  }

  /** Rules changed: recompute when their WorkloadLabelRules did. */
  update(before: RuleSet, after: RuleSet): void {
    if (after.workloadLabelRules !== before.workloadLabelRules) this.identity = this.identify(after, this.identity.labels);
  }

  private identify(ruleSet: RuleSet, before: readonly string[]): WorkloadIdentity {
    const next = workloadIdentity(this.base, ruleSet.workloadLabelRules);
    if (next.labels.join(',') !== before.join(',') && (next.labels.length || before.length)) {
      const said = next.labels.map((label) => `${label} (${next.sources[label]!.join(', ')})`).join('; ');
      this.logger.info(`workload labels of this process: ${said || 'none'}`);
    }
    return next;
  }
}
