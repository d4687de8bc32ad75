import { OpenSergoError } from '../errors.js';
import { isLabelToken } from '../labels/label-token.js';
import { env } from '../options.js';
import type { Scope, WorkloadLabelRule } from '../rules/types.js';

/** The Kubernetes label of the launch post, passed in as an attribute (Downward API). */
export const WORKLOAD_LABEL_ATTRIBUTE = 'traffic.opensergo.io/label';

/** Who this process is (docs/routing.md): what callers route on. Seen in `engine.status().workload`. */
export interface WorkloadIdentity {
  /**
   * Its attributes, like a pod's Kubernetes labels: `app` (and `namespace`) when known, then the
   * `OPENSERGO_WORKLOAD` variable (`k=v,k=v`), then the option `workload` (which wins).
   */
  readonly attributes: Readonly<Record<string, string>>;
  /** Its workload labels, without duplicates: an instance labelled `gray` serves `gray` calls. */
  readonly labels: readonly string[];
  /** Where each label came from: `option workloadLabels`, `OPENSERGO_WORKLOAD_LABELS`, `attribute …`, `WorkloadLabelRule/<name>`. */
  readonly sources: Readonly<Record<string, readonly string[]>>;
}

/** What the options and environment fix at start-up; rules add labels to it. */
export interface WorkloadBase {
  readonly attributes: Readonly<Record<string, string>>;
  /** Labels with where each came from, in order. */
  readonly labels: readonly (readonly [label: string, source: string])[];
}

function invalid(message: string): OpenSergoError {
  return new OpenSergoError('ERR_OPENSERGO_OPTIONS_INVALID', `Invalid workload identity: ${message}`);
}

function parsePairs(text: string, where: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? '' : part.slice(0, eq).trim();
    if (key === '') throw invalid(`${where}: expected key=value pairs separated by commas (e.g. version=v2,zone=a), got ${JSON.stringify(part)}`);
    pairs[key] = part.slice(eq + 1).trim();
  }
  return pairs;
}

function checkLabel(label: unknown, where: string): string {
  if (typeof label !== 'string' || !isLabelToken(label)) {
    throw invalid(`${where}: ${JSON.stringify(label)} is not a label (1–64 visible ASCII characters, none of , ; = " \\ or space)`);
  }
  return label;
}

/**
 * This process's attributes and its labels from options and environment (docs/routing.md). Throws
 * `ERR_OPENSERGO_OPTIONS_INVALID` naming the option or variable that is malformed.
 *
 * @example
 * ```ts
 * const base = workloadBase({ app: 'orders', namespace: undefined }, { version: 'v2' }, ['gray']);
 * base.attributes; // { app: 'orders', version: 'v2' }
 * ```
 */
export function workloadBase(scope: Scope, workload: unknown, workloadLabels: unknown): WorkloadBase {
  const attributes: Record<string, string> = {};
  const fromEnv = env('OPENSERGO_WORKLOAD');
  if (fromEnv !== undefined) Object.assign(attributes, parsePairs(fromEnv, 'OPENSERGO_WORKLOAD'));
  if (workload !== undefined) {
    if (typeof workload !== 'object' || workload === null || Array.isArray(workload)) {
      throw invalid('the option `workload` must be a mapping of attribute names to strings, e.g. { version: "v2" }');
    }
    for (const [key, value] of Object.entries(workload)) {
      if (typeof value !== 'string') throw invalid(`workload.${key} must be a string, got ${typeof value}`);
      attributes[key] = value;
    }
  }
  for (const key of ['app', 'namespace'] as const) {
    const value = scope[key];
    if (value === undefined) continue;
    if (attributes[key] !== undefined && attributes[key] !== value) {
      throw invalid(`the workload attribute ${key} "${attributes[key]}" disagrees with the ${key} "${value}"; name one`);
    }
    attributes[key] = value;
  }
  const labels: [string, string][] = [];
  if (workloadLabels !== undefined) {
    if (!Array.isArray(workloadLabels)) throw invalid('the option `workloadLabels` must be an array of labels, e.g. ["gray"]');
    for (const label of workloadLabels) labels.push([checkLabel(label, 'option workloadLabels'), 'option workloadLabels']);
  }
  for (const label of (env('OPENSERGO_WORKLOAD_LABELS') ?? '').split(',')) {
    if (label.trim() !== '') labels.push([checkLabel(label.trim(), 'OPENSERGO_WORKLOAD_LABELS'), 'OPENSERGO_WORKLOAD_LABELS']);
  }
  const fromAttribute = attributes[WORKLOAD_LABEL_ATTRIBUTE];
  if (fromAttribute !== undefined && fromAttribute !== '') {
    labels.push([checkLabel(fromAttribute, `attribute ${WORKLOAD_LABEL_ATTRIBUTE}`), `attribute ${WORKLOAD_LABEL_ATTRIBUTE}`]);
  }
  return { attributes: Object.freeze(attributes), labels };
}

/**
 * The identity under a rule set: the base labels plus those of every WorkloadLabelRule whose
 * selector entries all equal this process's attributes.
 *
 * @example
 * ```ts
 * const identity = workloadIdentity(base, ruleSet.workloadLabelRules);
 * identity.labels; // ['gray']
 * ```
 */
export function workloadIdentity(base: WorkloadBase, rules: readonly WorkloadLabelRule[]): WorkloadIdentity {
  const sources: Record<string, string[]> = {};
  const add = (label: string, source: string): void => {
    (sources[label] ??= []).push(source);
  };
  for (const [label, source] of base.labels) add(label, source);
  for (const rule of rules) {
    if (!Object.entries(rule.selector).every(([key, value]) => base.attributes[key] === value)) continue;
    for (const label of rule.workloadLabels) add(label, `WorkloadLabelRule/${rule.name}`);
  }
  return Object.freeze({ attributes: base.attributes, labels: Object.freeze(Object.keys(sources)), sources: Object.freeze(sources) });
}
