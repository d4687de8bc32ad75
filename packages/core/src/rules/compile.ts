import { rulesInvalid } from '../errors.js';
import { BrokenNames } from './broken-names.js';
import { identify } from './identify.js';
import { rec, str, textAt, report, type Ctx, type Meta, type Rec } from './normalise-common.js';
import * as ft from './normalise-fault-tolerance.js';
import * as traffic from './normalise-traffic.js';
import { expandLists } from './parse-yaml.js';
import type { ProblemSink } from './problems.js';
import { unresolvedReferences, type PendingRule } from './pending.js';
import { indexByName, resolveReference, type Definition } from './resolve.js';
import type { LocatedDocument } from './source.js';
import type {
  FaultToleranceRule,
  HttpRequestFallbackAction,
  OpenSergoKind,
  ResourceMeta,
  RuleProblem,
  RuleSet,
  Scope,
  Strategy,
  TrafficLabelRule,
  TrafficRouter,
  WorkloadLabelRule,
} from './types.js';
import { runSync, type Steps } from './steps.js';
import { validateDocument } from './validate.js';

type Normalised = TrafficLabelRule | WorkloadLabelRule | TrafficRouter | Strategy | HttpRequestFallbackAction | ft.FaultToleranceRuleDraft;

const NORMALISERS: Readonly<Record<OpenSergoKind, (c: Ctx, meta: Meta, spec: Rec) => Normalised>> = {
  TrafficLabelRule: traffic.normaliseTrafficLabelRule,
  WorkloadLabelRule: traffic.normaliseWorkloadLabelRule,
  TrafficRouter: traffic.normaliseTrafficRouter,
  FaultToleranceRule: ft.normaliseFaultToleranceRule,
  RateLimitStrategy: ft.normaliseRateLimitStrategy,
  ThrottlingStrategy: ft.normaliseThrottlingStrategy,
  ConcurrencyLimitStrategy: ft.normaliseConcurrencyLimitStrategy,
  CircuitBreakerStrategy: ft.normaliseCircuitBreakerStrategy,
  AdaptiveOverloadProtectionStrategy: ft.normaliseAdaptiveOverloadProtectionStrategy,
  HttpRequestFallbackAction: ft.normaliseHttpRequestFallbackAction,
};

interface Entry {
  readonly kind: OpenSergoKind;
  readonly meta: Meta;
  readonly sink: ProblemSink;
  readonly value: Normalised;
  /** From a document whose rule may wait for what it names (see {@link CompileOptions.mayWait}). */
  readonly mayWait: boolean;
}

/**
 * The outcome of compiling: a RuleSet (and the rules in scope held back, waiting for what they
 * name), or every problem found.
 */
export type CompileResult =
  | { readonly ok: true; readonly ruleSet: RuleSet; readonly pending: readonly PendingRule[] }
  | { readonly ok: false; readonly problems: readonly RuleProblem[] };

/** How to compile. */
export interface CompileOptions {
  /**
   * Documents whose FaultToleranceRule may name a strategy or fallback action nothing defines
   * yet: such a rule is held back and reported as pending instead of being a problem (the
   * control plane's kinds arrive separately). Every other dangling reference is a problem.
   */
  readonly mayWait?: ReadonlySet<LocatedDocument>;
}

/**
 * Like {@link compileRules}, but returns the problems instead of throwing. `earlier` are
 * problems found before (YAML syntax errors), reported together with these.
 *
 * @example
 * ```ts
 * const result = tryCompileRules(documents, { app: 'my-app', namespace: undefined });
 * if (!result.ok) console.error(result.problems.length);
 * ```
 */
export function tryCompileRules(
  documents: readonly LocatedDocument[],
  scope: Scope,
  earlier: readonly RuleProblem[] = [],
  options: CompileOptions = {},
): CompileResult {
  return runSync(compileSteps(documents, scope, earlier, options));
}

/**
 * {@link tryCompileRules} in steps, pausing after each document and each rule (see `runSliced`).
 *
 * @example
 * ```ts
 * const result = await runSliced(compileSteps(documents, { app: 'my-app', namespace: undefined }));
 * ```
 */
export function* compileSteps(
  documents: readonly LocatedDocument[],
  scope: Scope,
  earlier: readonly RuleProblem[] = [],
  options: CompileOptions = {},
): Steps<CompileResult> {
  const sinks: ProblemSink[] = [];
  const entries: Entry[] = [];
  const broken = new BrokenNames();
  for (const original of documents) for (const doc of expandLists(original)) {
    const identity = identify(doc);
    if (identity.type === 'skip') continue;
    sinks.push(identity.sink);
    if (identity.type === 'broken') {
      broken.add(identity.name);
      continue;
    }
    const { kind, sink } = identity;
    validateDocument(kind, doc.value, sink);
    const c: Ctx = { doc, sink };
    const head = rec(doc.value);
    const metadata = rec(head['metadata']);
    const spec = rec(head['spec']);
    const { line, column } = doc.locate([]);
    const meta: Meta = {
      name: str(metadata['name']) ?? '',
      namespace: str(metadata['namespace']),
      app: appOf(c, metadata, spec),
      location: { file: doc.file, line, column },
    };
    entries.push({ kind, meta, sink, value: NORMALISERS[kind](c, meta, spec), mayWait: options.mayWait?.has(original) ?? false });
    yield;
  }

  const strategyPool = yield* definitions(entries, ['RateLimitStrategy', 'ThrottlingStrategy', 'ConcurrencyLimitStrategy', 'CircuitBreakerStrategy', 'AdaptiveOverloadProtectionStrategy']);
  const fallbackPool = yield* definitions(entries, ['HttpRequestFallbackAction']);
  yield* definitions(entries, ['FaultToleranceRule', 'TrafficLabelRule', 'WorkloadLabelRule', 'TrafficRouter']);

  const resolved = new Map<Entry, Normalised | FaultToleranceRule>();
  const waiting = new Map<Entry, PendingRule>();
  for (const entry of entries) {
    if (entry.kind !== 'FaultToleranceRule') {
      resolved.set(entry, deepFreeze(entry.value));
      continue;
    }
    const draft = entry.value as ft.FaultToleranceRuleDraft;
    // A rule that may wait and names what nothing defines yet is held back, not reported: it
    // is pending if valid in itself, and otherwise refused for its own problems only.
    const waitsFor = entry.mayWait ? unresolvedReferences(draft, strategyPool, fallbackPool) : [];
    if (waitsFor.length > 0) {
      const { name, namespace, location } = draft.meta;
      const rule = { kind: 'FaultToleranceRule', name, namespace, file: location.file, targets: draft.targets, waitsFor } as const;
      if (entry.sink.problems.length === 0) waiting.set(entry, deepFreeze(rule));
      continue;
    }
    const ns = draft.meta.namespace;
    const strategies = draft.strategies.map((ref) =>
      broken.covers(ref) ? undefined : (resolveReference(ref, ns, strategyPool, 'strategy', entry.sink) as Strategy | undefined),
    );
    const fallbackAction =
      draft.fallbackAction === undefined || broken.covers(draft.fallbackAction)
        ? undefined
        : (resolveReference(draft.fallbackAction, ns, fallbackPool, 'fallback', entry.sink) as HttpRequestFallbackAction | undefined);
    // Spelt out, not spread: spreading `meta` took a third of the time to compile 10,000 rules.
    const { name, namespace, app, location } = draft.meta;
    const rule: FaultToleranceRule = {
      name,
      namespace,
      app,
      location,
      kind: 'FaultToleranceRule',
      targets: draft.targets,
      strategies: strategies.filter((s): s is Strategy => s !== undefined),
      fallbackAction,
      dryRun: draft.dryRun,
    };
    resolved.set(entry, deepFreeze(rule));
    yield;
  }

  const problems = sortProblems([...earlier, ...sinks.flatMap((s) => s.problems)]);
  if (problems.length > 0) return { ok: false, problems };

  yield;
  // A TrafficRouter's app (its selector or label, `service-provider` in upstream's sample) names
  // the callee whose calls it routes; it acts in every process that calls its hosts.
  const callerScope: Scope = { app: undefined, namespace: scope.namespace };
  const pending: PendingRule[] = [];
  const inScope = entries.filter((e) => {
    if (!applies(e.meta, e.kind === 'TrafficRouter' ? callerScope : scope)) return false;
    const waits = waiting.get(e);
    if (waits !== undefined) pending.push(waits);
    return waits === undefined;
  });
  yield;
  const of = <K extends OpenSergoKind>(...kinds: K[]) =>
    inScope.filter((e) => (kinds as OpenSergoKind[]).includes(e.kind)).map((e) => resolved.get(e)!) as Extract<Normalised | FaultToleranceRule, { kind: K }>[];
  const ruleSet: RuleSet = {
    trafficLabelRules: of('TrafficLabelRule'),
    workloadLabelRules: of('WorkloadLabelRule'),
    trafficRouters: of('TrafficRouter'),
    faultToleranceRules: of('FaultToleranceRule'),
    strategies: of('RateLimitStrategy', 'ThrottlingStrategy', 'ConcurrencyLimitStrategy', 'CircuitBreakerStrategy', 'AdaptiveOverloadProtectionStrategy'),
    fallbackActions: of('HttpRequestFallbackAction'),
  };
  return { ok: true, ruleSet: deepFreeze(ruleSet), pending };
}

/**
 * Validates, normalises and resolves documents (docs/rules.md), then keeps what applies to
 * `scope` (docs/rules.md). Every document is checked whatever its scope; every problem is
 * collected and thrown as one ERR_OPENSERGO_RULES_INVALID error.
 *
 * @example
 * ```ts
 * const { documents } = parseRulesText(yamlText, 'opensergo.yaml');
 * const rules = compileRules(documents, { app: 'my-app', namespace: 'prod' });
 * rules.faultToleranceRules[0]?.strategies[0]?.kind; // 'RateLimitStrategy'
 * ```
 */
export function compileRules(documents: readonly LocatedDocument[], scope: Scope): RuleSet {
  const result = tryCompileRules(documents, scope);
  if (!result.ok) throw rulesInvalid(result.problems);
  return result.ruleSet;
}

/** Definitions of `kinds` by name, each defined twice reported (see `indexByName`). */
function* definitions(entries: readonly Entry[], kinds: readonly OpenSergoKind[]): Steps<Map<string, Definition<Normalised>[]>> {
  const list: Definition<Normalised>[] = [];
  for (const e of entries) {
    if (!kinds.includes(e.kind)) continue;
    const { name, namespace, location } = e.meta;
    list.push({ kind: e.kind, name, namespace, location, value: e.sink.problems.length === 0 ? e.value : undefined, sink: e.sink });
  }
  yield;
  const byName = indexByName(list);
  yield;
  return byName;
}

/** `spec.selector.app` or `metadata.labels.app` (docs/rules.md); both given must agree. */
function appOf(c: Ctx, metadata: Rec, spec: Rec): string | undefined {
  const fromSelector = textAt(c, ['spec', 'selector', 'app'], rec(spec['selector'])['app']);
  const label = rec(metadata['labels'])['app'];
  const fromLabel = textAt(c, ['metadata', 'labels', 'app'], label) ?? (typeof label === 'boolean' ? String(label) : undefined);
  if (fromSelector !== undefined && fromLabel !== undefined && fromSelector !== fromLabel) {
    report(c, ['spec', 'selector', 'app'], `"${fromSelector}" disagrees with metadata.labels.app "${fromLabel}"; name one app`);
  }
  return fromSelector ?? fromLabel;
}

function applies(meta: ResourceMeta | Meta, scope: Scope): boolean {
  if (scope.app !== undefined && meta.app !== undefined && meta.app !== scope.app) return false;
  if (scope.namespace !== undefined && meta.namespace !== undefined && meta.namespace !== scope.namespace) return false;
  return true;
}

function sortProblems(problems: readonly RuleProblem[]): RuleProblem[] {
  const files = [...new Set(problems.map((p) => p.file))];
  return [...problems].sort(
    (a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line || a.column - b.column,
  );
}

/**
 * Freezes `value` and everything it holds. What is already frozen was frozen here, whole (a
 * strategy shared by many rules is walked once), so it is not walked again.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) for (const item of value) deepFreeze(item);
  else for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}
