import { errorMessage, isKeyAccessRefused, isScriptingForbidden, RedisTimeoutError } from './run-script.js';

/** Consecutive failed calls (timeouts, errors) that send a shard's keys to local shares. */
const FAILURES_BEFORE_FALLBACK = 3;

/** Consecutive good probe replies (each within the decision timeout) that bring a shard back. */
export const REPLIES_BEFORE_RECOVERY = 3;

/** What a shard reports its transitions to (the store's connection). */
export interface ShardOwner {
  readonly closed: boolean;
  report(shard: Shard, available: boolean, reason: string | undefined, first: boolean): void;
}

/** A reply said the key lives on another node: the client names one node of a Cluster. */
export function isMisrouted(error: unknown): boolean {
  return /^(MOVED|ASK) \d+ /.test(errorMessage(error));
}

/**
 * The health of one part of the store: the server a single client talks to, or one master
 * of a Redis Cluster (the keys of its slots). Decisions on its keys go to Redis only while it
 * is `available`; otherwise they are local shares.
 *
 * Down: at once when the connection is lost or scripting is refused, else after
 * FAILURES_BEFORE_FALLBACK failed calls in a row. Back: after REPLIES_BEFORE_RECOVERY good
 * probes in a row (one at start-up), so a shard that answers now and then does not flap.
 * Each transition is reported once.
 */
export class Shard {
  state: 'starting' | 'available' | 'unavailable' = 'starting';
  /** A probe is on its way. */
  probing = false;
  /** Never comes back by probing (a client that names one node of a Cluster). */
  misrouted = false;
  /** Beside a key of this shard that failed (`probeKey`): probes write it, on the path decisions take. */
  probeKey: string | undefined;
  /** performance.now() when it last became available. */
  availableSince = 0;
  /** Why it is unavailable (the last transition's reason). */
  reason: string | undefined;
  private failures = 0;
  private good = 0;

  constructor(
    /** `host:port` of a Cluster master; '' for the single server of a client. */
    readonly id: string,
    private readonly owner: ShardOwner,
  ) {}

  get available(): boolean {
    return this.state === 'available' && !this.owner.closed;
  }

  succeeded(): void {
    this.failures = 0;
  }

  /**
   * A call failed (on `key`, when it had one). Scripting or the store's keys refused: down now.
   * Else down after a few in a row.
   */
  failed(error: unknown, where: string, key?: string): void {
    if (key !== undefined && isKeyAccessRefused(error)) {
      this.down(`${where} refuses access to the store's keys (${errorMessage(error)}); allow them by ACL: ~${key.slice(0, key.indexOf('{'))}*`);
      return;
    }
    if (isScriptingForbidden(error)) {
      this.down(
        `${where} refuses Lua scripting (${errorMessage(error)}); the store needs EVALSHA, EVAL or SCRIPT LOAD ` +
          '(not renamed away, and allowed by ACL: +@scripting)',
      );
      return;
    }
    this.failures += 1;
    if (this.failures >= FAILURES_BEFORE_FALLBACK || this.state !== 'available') {
      const what = error instanceof RedisTimeoutError ? error.message : `Redis error: ${errorMessage(error)}`;
      this.down(`${where}: ${what}`);
    }
  }

  /** A probe answered in time (`error` undefined) or not. */
  probed(error: unknown, where: string): void {
    if (error !== undefined) {
      this.good = 0;
      if (this.state === 'starting' || isScriptingForbidden(error)) this.failed(error, where);
      return;
    }
    if (this.misrouted) return;
    this.good += 1;
    if (this.state === 'starting' || this.good >= REPLIES_BEFORE_RECOVERY) this.up();
  }

  down(reason: string): void {
    this.good = 0;
    this.failures = 0;
    if (this.state === 'unavailable' || this.owner.closed) return;
    const first = this.state === 'starting';
    this.state = 'unavailable';
    this.reason = reason;
    this.owner.report(this, false, reason, first);
  }

  up(): void {
    this.failures = 0;
    if (this.state === 'available' || this.owner.closed) return;
    const first = this.state === 'starting';
    this.state = 'available';
    this.availableSince = performance.now();
    this.owner.report(this, true, undefined, first);
  }
}
