import type { Clock, Timer } from './clock.js';
import type { EngineEvents } from './events.js';
import type { Logger } from './logger.js';
import type { PendingRule } from './rules/pending.js';
import type { RuleSet } from './rules/types.js';

/**
 * How long a rule may wait before it is worth a warning. The control plane pushes each kind
 * separately, so a rule routinely waits a few milliseconds for its strategies (on every
 * start-up, in the warm-cache order); only a rule still waiting after this is reported.
 */
export const PENDING_WARNING_MS = 5_000;

const identity = (p: PendingRule): string => [p.file, p.namespace ?? '', p.name].join('\u0000');
const describe = (p: PendingRule): string =>
  `${p.file}: FaultToleranceRule "${p.name}"${p.namespace === undefined ? '' : ` in namespace "${p.namespace}"`} (on ${p.targets.join(', ')})`;

/**
 * Keeps the list of rules waiting for what they name, emits `rules:pending` when it changes,
 * and logs one warning for a rule still waiting after {@link PENDING_WARNING_MS} (and, for
 * such a rule, one line when it comes into force).
 */
export class PendingReport {
  private list: readonly PendingRule[] = [];
  /** Each waiting rule: since when (clock ms), and whether it was warned about. */
  private readonly waiting = new Map<string, { readonly since: number; warned: boolean }>();
  private timer: Timer | undefined;

  constructor(private readonly host: { readonly logger: Logger; readonly events: EngineEvents; readonly clock: Clock }) {}

  /** The rules waiting now. */
  get pending(): readonly PendingRule[] {
    return this.list;
  }

  /** Takes the list of a newly applied rule set, on behalf of `source`. */
  update(source: string, next: readonly PendingRule[], ruleSet: RuleSet): void {
    const current = new Set(next.map(identity));
    const changed = next.length !== this.list.length || next.some((p, i) => identity(p) !== identity(this.list[i]!) || p.waitsFor.join() !== this.list[i]!.waitsFor.join());
    for (const p of this.list) {
      const key = identity(p);
      if (current.has(key)) continue;
      const inForce = ruleSet.faultToleranceRules.some((r) => r.name === p.name && r.namespace === p.namespace && r.location.file === p.file);
      if (this.waiting.get(key)?.warned && inForce) this.host.logger.info(`${describe(p)} no longer waits: it is in force`);
      this.waiting.delete(key);
    }
    const now = this.host.clock.now();
    for (const key of current) if (!this.waiting.has(key)) this.waiting.set(key, { since: now, warned: false });
    this.list = next;
    if (changed) this.host.events.emit('rules:pending', { source, pending: next });
    this.arm();
  }

  close(): void {
    if (this.timer !== undefined) this.host.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** Sets the timer for the next rule due a warning, if any. */
  private arm(): void {
    this.close();
    let due = Infinity;
    for (const w of this.waiting.values()) if (!w.warned) due = Math.min(due, w.since + PENDING_WARNING_MS);
    if (due === Infinity) return;
    this.timer = this.host.clock.setTimer(() => this.warn(), due - this.host.clock.now());
  }

  private warn(): void {
    this.timer = undefined;
    const now = this.host.clock.now();
    for (const p of this.list) {
      const w = this.waiting.get(identity(p));
      if (w === undefined || w.warned || now - w.since < PENDING_WARNING_MS) continue;
      w.warned = true;
      this.host.logger.warn(`${describe(p)} waits for ${p.waitsFor.join(' and ')}, which no source defines; it is not enforced until then, the other rules are`);
    }
    this.arm();
  }
}
