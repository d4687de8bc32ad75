import type { Logger } from './logger.js';
import type { EngineEvents } from './events.js';
import { compileSteps, type CompileOptions, type CompileResult } from './rules/compile.js';
import type { Clock } from './clock.js';
import { PendingReport } from './pending-report.js';
import type { PendingRule } from './rules/pending.js';
import type { KindVersion, LocatedDocument, RuleSource, UpdateInfo, UpdateResult } from './rules/source.js';
import { runSliced, runSync, type Steps } from './rules/steps.js';
import type { PreparedRules } from './guard-registry.js';
import { rulesInvalid } from './errors.js';
import type { RuleSet, Scope } from './rules/types.js';
import type { WorkloadIdentity } from './workload/workload.js';

/** What `engine.status()` reports. */
export interface EngineStatus {
  readonly rules: {
    /** Version of the last applied update (the source's own version when it gives one). */
    readonly version: string | undefined;
    /** Wall-clock time (ISO 8601) the rules in force were applied. */
    readonly appliedAt: string;
    /** Which source's update produced the rules in force. */
    readonly source: string;
    readonly faultToleranceRules: number;
    readonly trafficLabelRules: number;
    /**
     * Rules held back because they name a strategy or fallback action nothing defines yet
     * (only from sources whose kinds arrive separately, such as the control plane); each comes
     * into force by itself once what it waits for arrives.
     */
    readonly pending: readonly PendingRule[];
  };
  readonly sources: readonly SourceStatus[];
  /** This process's attributes and workload labels, and where each label came from (docs/routing.md). */
  readonly workload: WorkloadIdentity;
}

export interface SourceStatus {
  readonly name: string;
  readonly connected: boolean;
  readonly documents: number;
  readonly version: string | undefined;
  readonly updatedAt: string | undefined;
  readonly lastError: string | undefined;
  /** Per kind, for a source that reports them (the control plane: every subscribed kind, received or not). */
  readonly kinds?: Readonly<Record<string, KindVersion>>;
}

interface SourceState {
  documents: readonly LocatedDocument[];
  connected: boolean;
  version: string | undefined;
  updatedAt: string | undefined;
  lastError: string | undefined;
  source: RuleSource | undefined;
  /** Whether the documents in force came with `referencesMayWait`. */
  mayWait: boolean;
}

interface Host {
  readonly events: EngineEvents;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Compiles rules for the hot path without putting them in force. */
  prepare(ruleSet: RuleSet): Steps<PreparedRules>;
  /** Puts prepared rules in force, at once. */
  swap(prepared: PreparedRules): void;
  /** Told after an update came into force: the rules, and every source's documents they came from. */
  applied?(ruleSet: RuleSet, documents: readonly LocatedDocument[]): void;
}

/**
 * The engine's rule sources: each keeps its last good documents; the rules in force are the
 * union of all, compiled together (so a name defined by two sources is reported, never
 * silently shadowed). An update that fails validation changes nothing.
 */
export class RuleSources {
  private readonly states = new Map<string, SourceState>();
  private applied: { version: string | undefined; at: string; source: string; ruleSet: RuleSet };
  private readonly pending: PendingReport;
  /** Bumped whenever rules are applied: a compile that started before is out of date. */
  private generation = 0;

  constructor(
    private readonly host: Host,
    private readonly scope: Scope,
    initial: { readonly source: string; readonly documents: readonly LocatedDocument[]; readonly ruleSet: RuleSet },
  ) {
    this.states.set(initial.source, this.fresh(initial.documents, true));
    this.applied = { version: undefined, at: new Date().toISOString(), source: initial.source, ruleSet: initial.ruleSet };
    this.pending = new PendingReport(host);
  }

  update(name: string, documents: readonly LocatedDocument[], info?: UpdateInfo): UpdateResult {
    const result = runSync(compileSteps(this.union(name, documents), this.scope, [], this.options(name, documents, info)));
    const prepared = result.ok && !info?.problems?.length ? runSync(this.host.prepare(result.ruleSet)) : undefined;
    return this.settle(name, documents, info, result, prepared);
  }

  /**
   * {@link update}, compiled in slices so the event loop keeps serving requests meanwhile. The
   * swap itself is synchronous: requests see the old rules or the new ones, never a mix. When
   * another update is applied while this one compiles, this one is compiled again against it.
   */
  async updateSliced(name: string, documents: readonly LocatedDocument[], info?: UpdateInfo): Promise<UpdateResult> {
    for (;;) {
      const generation = this.generation;
      const result = await runSliced(compileSteps(this.union(name, documents), this.scope, [], this.options(name, documents, info)));
      const usable = result.ok && !info?.problems?.length && generation === this.generation;
      const prepared = usable ? await runSliced(this.host.prepare(result.ruleSet)) : undefined;
      if (generation === this.generation) return this.settle(name, documents, info, result, prepared);
      prepared?.discard();
    }
  }

  /** Every source's documents, with `documents` in place of `name`'s. */
  private union(name: string, documents: readonly LocatedDocument[]): LocatedDocument[] {
    let all: LocatedDocument[] = [];
    for (const [other, s] of this.states) all = all.concat(other === name ? documents : s.documents);
    return this.states.has(name) ? all : all.concat(documents);
  }

  /** Which documents of the union may hold rules that wait for what they name. */
  private options(name: string, documents: readonly LocatedDocument[], info: UpdateInfo | undefined): CompileOptions {
    const mayWait = new Set<LocatedDocument>();
    for (const [other, s] of this.states) if (other !== name && s.mayWait) for (const d of s.documents) mayWait.add(d);
    if (info?.referencesMayWait) for (const d of documents) mayWait.add(d);
    return mayWait.size > 0 ? { mayWait } : {};
  }

  /** Applies a compiled update, or reports why it was rejected (then nothing changes). */
  private settle(
    name: string,
    documents: readonly LocatedDocument[],
    info: UpdateInfo | undefined,
    result: CompileResult,
    prepared: PreparedRules | undefined,
  ): UpdateResult {
    const state = this.states.get(name) ?? this.fresh([], false);
    this.states.set(name, state);
    const problems = [...(info?.problems ?? []), ...(result.ok ? [] : result.problems)];
    if (problems.length || !result.ok || !prepared) {
      prepared?.discard();
      const err = rulesInvalid(problems);
      state.lastError = err.message;
      this.host.logger.error(`rules from ${name} rejected; the previous rules stay in force.\n${err.message}`);
      this.host.events.emit('rules:rejected', { source: name, error: err });
      return { ok: false, error: err };
    }
    const { ruleSet, pending } = result;
    this.host.swap(prepared);
    this.generation++;
    state.documents = documents;
    state.version = info?.version;
    state.updatedAt = new Date().toISOString();
    state.lastError = undefined;
    state.mayWait = info?.referencesMayWait ?? false;
    this.applied = { version: info?.version, at: state.updatedAt, source: name, ruleSet };
    this.pending.update(name, pending, ruleSet);
    const count = ruleSet.faultToleranceRules.length + ruleSet.trafficLabelRules.length;
    this.host.events.emit('rules:loaded', { source: name, version: info?.version, rules: count });
    this.host.applied?.(ruleSet, [...this.states.values()].flatMap((s) => s.documents));
    return { ok: true };
  }

  add(source: RuleSource): void {
    if (this.states.get(source.name)?.source) throw new Error(`a rule source named ${source.name} is already added`);
    const state = this.states.get(source.name) ?? this.fresh([], false);
    state.source = source;
    this.states.set(source.name, state);
    const { events, logger } = this.host;
    source.start({
      update: (documents, info) => this.update(source.name, documents, info),
      updateSliced: (documents, info) => this.updateSliced(source.name, documents, info),
      connected: (detail) => {
        state.connected = true;
        events.emit('source:connected', { source: source.name, detail });
      },
      disconnected: (reason) => {
        state.connected = false;
        logger.warn(`${source.name} disconnected (${reason}); its last good rules stay in force`);
        events.emit('source:disconnected', { source: source.name, reason });
      },
      error: (error) => {
        state.lastError = error.message;
        logger.error(`${source.name}: ${error.message}`);
        events.emit('source:error', { source: source.name, error });
      },
    });
  }

  status(): {
    rules: EngineStatus['rules'];
    sources: SourceStatus[];
  } {
    const { ruleSet } = this.applied;
    return {
      rules: {
        version: this.applied.version,
        appliedAt: this.applied.at,
        source: this.applied.source,
        faultToleranceRules: ruleSet.faultToleranceRules.length,
        trafficLabelRules: ruleSet.trafficLabelRules.length,
        pending: this.pending.pending,
      },
      sources: [...this.states].map(([name, s]) => ({
        name,
        connected: s.connected,
        documents: s.documents.length,
        version: s.version,
        updatedAt: s.updatedAt,
        lastError: s.lastError,
        ...(s.source?.kinds ? { kinds: s.source.kinds() } : {}),
      })),
    };
  }

  async close(): Promise<void> {
    this.pending.close();
    await Promise.all([...this.states.values()].map((s) => s.source?.close()));
  }

  private fresh(documents: readonly LocatedDocument[], connected: boolean): SourceState {
    return { documents, connected, version: undefined, updatedAt: undefined, lastError: undefined, source: undefined, mayWait: false };
  }
}
