import { configMapData } from './config-map.js';
import { GROUPS } from './kinds.js';
import { rec, str } from './normalise-common.js';
import { expandLists } from './parse-yaml.js';
import type { LocatedDocument } from './source.js';
import type { RuleSet, Scope } from './types.js';

/** The kinds that make a process do something: the others (strategies, fallbacks) only serve them. */
const RULE_KINDS: readonly string[] = ['FaultToleranceRule', 'TrafficLabelRule', 'TrafficRouter', 'WorkloadLabelRule'];

interface Head {
  readonly kind: string;
  readonly name: string;
  readonly opensergo: boolean;
  readonly app: string | undefined;
  readonly namespace: string | undefined;
  readonly value: unknown;
}

/**
 * Why nothing is governed, when no rule applies to this process; `undefined` when one does. A
 * service that starts governing nothing must say so (an `app` that no rule names, an empty
 * file, a ConfigMap manifest given where the mounted file was meant): it names the process's
 * app and namespace, and what the rules are scoped to.
 *
 * @example
 * ```ts
 * nothingGoverned(ruleSet, documents, { app: 'my-app', namespace: undefined });
 * // 'no rule applies to app "my-app": the 2 rules are for app "other-app" (2); every request passes ungoverned'
 * ```
 */
export function nothingGoverned(ruleSet: RuleSet, documents: readonly LocatedDocument[], scope: Scope): string | undefined {
  const { faultToleranceRules, trafficLabelRules, trafficRouters, workloadLabelRules } = ruleSet;
  if (faultToleranceRules.length + trafficLabelRules.length + trafficRouters.length + workloadLabelRules.length > 0) return undefined;
  const heads = documents.flatMap((d) => expandLists(d)).map(head);
  const ours = heads.filter((h) => h.opensergo);
  const rules = ours.filter((h) => RULE_KINDS.includes(h.kind));
  const who = describe(scope);
  const ungoverned = 'every request passes ungoverned';
  if (rules.length > 0) {
    const otherApp = (rule: Head): boolean => scope.app !== undefined && rule.app !== undefined && rule.app !== scope.app;
    const otherNamespace = (rule: Head): boolean => scope.namespace !== undefined && rule.namespace !== undefined && rule.namespace !== scope.namespace;
    // A rule for this process that is not in force waits for what it names: that has its own report.
    if (rules.some((rule) => !otherApp(rule) && !otherNamespace(rule))) return undefined;
    const reasons = new Map<string, number>();
    for (const rule of rules) {
      const reason = otherApp(rule) ? `app "${rule.app}"` : `namespace "${rule.namespace}"`;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    const list = [...reasons].map(([reason, n]) => `${reason} (${n})`).join(', ');
    const count = rules.length === 1 ? 'the 1 rule is' : `the ${rules.length} rules are`;
    return `no rule applies to ${who}: ${count} for ${list}; ${ungoverned}. Set the option \`app\`/\`namespace\` (or OPENSERGO_APP/OPENSERGO_NAMESPACE) to what the rules name, or the rules' spec.selector.app / metadata.namespace to this process`;
  }
  if (ours.length > 0) {
    return `no rule applies to ${who}: the rules define ${names(ours)} but no FaultToleranceRule, TrafficLabelRule, TrafficRouter or WorkloadLabelRule; ${ungoverned}`;
  }
  const configMaps = heads.filter((h) => configMapData(h.value) !== undefined);
  if (configMaps.length > 0) {
    const keys = configMaps.flatMap((h) => Object.keys(configMapData(h.value)!));
    return `the rules are a Kubernetes ConfigMap (${names(configMaps)}) whose data (${keys.join(', ') || 'empty'}) holds no OpenSergo rules; ${ungoverned}. Mount the ConfigMap as a volume and point rulesFile at the file it holds, or put OpenSergo resources in its data`;
  }
  if (heads.length > 0) return `the rules hold no OpenSergo resource (only ${names(heads)}); ${ungoverned}`;
  return `the rules are empty (no document, or only comments); ${ungoverned}`;
}

function head(doc: LocatedDocument): Head {
  const value = rec(doc.value);
  const metadata = rec(value['metadata']);
  const apiVersion = str(value['apiVersion']) ?? '';
  const app = str(rec(rec(value['spec'])['selector'])['app']) ?? str(rec(metadata['labels'])['app']);
  return {
    kind: str(value['kind']) ?? '?',
    name: str(metadata['name']) ?? '?',
    opensergo: GROUPS[apiVersion.slice(0, apiVersion.lastIndexOf('/'))] !== undefined,
    app,
    namespace: str(metadata['namespace']),
    value: doc.value,
  };
}

function describe(scope: Scope): string {
  const app = scope.app === undefined ? 'this process (no app set)' : `app "${scope.app}"`;
  return scope.namespace === undefined ? app : `${app} in namespace "${scope.namespace}"`;
}

function names(heads: readonly Head[]): string {
  const shown = heads.slice(0, 5).map((h) => `${h.kind}/${h.name}`);
  return heads.length > 5 ? `${shown.join(', ')} and ${heads.length - 5} more` : shown.join(', ');
}
