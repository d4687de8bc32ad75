import { Block, type Clock, type Guard, type GuardResult, type RateLimitStrategy, type Ticket } from '@opensergo/core';
import type { Flushable, Link } from './link.js';
import { LocalShare, SEED } from './local-share.js';
import { RATE_LIMIT, type Script } from './scripts.js';
import { SEED_WINDOW, usesBuckets, WINDOW } from './window-script.js';

type Resolve = (result: GuardResult) => void;

/** Admissions Redis reserved for this instance: members `token:next` … `token:last`. */
interface Lease {
  readonly token: string;
  next: number;
  readonly last: number;
  readonly size: number;
  /** performance.now() after which they may no longer be handed out. */
  readonly until: number;
  readonly leaseMs: number;
}

/** Most reserved admissions handed back in one call; older leftovers simply age out. */
const MAX_RETURN = 1000;

/**
 * RateLimitStrategy `Global` on Redis: at most `threshold` admissions in any `statDuration`
 * across every instance, decided by one script call per batch of requests.
 *
 * - Requests for this key arriving in one event-loop iteration share one call.
 * - While the window has headroom (at most half full), a call may also reserve admissions
 *   that this instance hands out locally, without waiting, for a short lease (100 ms, or a
 *   tenth of the window). Redis scores them at the lease's end, so the bound still holds;
 *   unused ones are handed back with the next call. Near the limit there is no lease and
 *   every batch is decided in Redis.
 * - When a call says the window is full, the key is blocked locally until the time Redis
 *   named, so blocked traffic costs no Redis call. That never admits too many: only Redis
 *   admits, and other instances can only fill the window further.
 * - Redis unavailable (the key's shard): this instance enforces its fair share, threshold /
 *   live instances, with the local sliding window, handing over both ways without counting
 *   a window twice (see LocalShare).
 * - Above EXACT_LOG_MAX admissions per window (a hot key) Redis counts the window in buckets
 *   (`WINDOW`) instead of logging each admission, and leases go on up to the limit and last
 *   four recent round trips (a fiftieth of the window to 100 ms): the calls per second then
 *   follow the instances and their leases, not the rate.
 */
export class GlobalRateLimit implements Guard, Flushable {
  readonly order = 2;
  private pending: Resolve[] = [];
  private pendingAt: number[] = [];
  private blockedUntil = -Infinity;
  private readonly share: LocalShare;
  private readonly local: LocalShare['window'];
  private readonly windowUs: number;
  /** How long the next lease lasts (fixed for the exact log; see `timed` for buckets). */
  private leaseMs: number;
  private readonly shortestLeaseMs: number;
  private readonly longestLeaseMs: number;
  /** Slowest recent round trip (ms), decaying. */
  private roundTripMs = 0;
  private readonly bucketed: boolean;
  private readonly script: Script;
  private tokens = 0;
  private readonly localAdmission: Ticket;
  private lease: Lease | undefined;
  private unused: { readonly token: string; readonly from: number; readonly to: number } | undefined;
  /** A call asking for a lease is on its way (one at a time, so leases never overlap). */
  private reserving = false;
  private prefetch = false;
  /** Requests that wanted an admission since `since` (performance.now()), to size leases. */
  private demand = 0;
  private since = performance.now();
  /** Smoothed demand, requests per ms. */
  private rate = 0;

  constructor(
    private readonly strategy: RateLimitStrategy,
    private readonly key: string,
    private readonly link: Link,
    private readonly clock: Clock,
    private readonly instanceCount: () => number,
    private readonly idPrefix: string,
  ) {
    this.share = new LocalShare(strategy.statDurationMs);
    this.local = this.share.window;
    this.windowUs = Math.round(strategy.statDurationMs * 1000);
    this.bucketed = usesBuckets(strategy.threshold);
    this.script = this.bucketed ? WINDOW : RATE_LIMIT;
    this.longestLeaseMs = Math.min(100, strategy.statDurationMs / 10);
    this.shortestLeaseMs = this.bucketed ? Math.min(this.longestLeaseMs, strategy.statDurationMs / 50) : this.longestLeaseMs;
    this.leaseMs = this.shortestLeaseMs;
    const window = this.local;
    this.localAdmission = { tracksOutcome: false, exit() {}, cancel: (enteredAt) => window.undo(enteredAt) };
  }

  enter(now: number): GuardResult | Promise<GuardResult> {
    if (this.strategy.threshold < 1) return new Block('RateLimitStrategy', this.strategy.statDurationMs);
    if (this.share.local && this.link.available) this.recover(now);
    if (this.share.settling(now, this.pending.length, this.strategy.threshold, this.instanceCount)) {
      return new Block('RateLimitStrategy', Math.max(1, this.local.waitMs(now, this.strategy.threshold / Math.max(1, this.instanceCount()))));
    }
    const lease = this.lease;
    if (lease !== undefined) {
      const at = performance.now();
      if (at < lease.until) {
        this.demand += 1;
        const index = lease.next++;
        if (lease.next > lease.last) this.lease = undefined;
        // Running low: fetch the next lease now, so requests never wait for it.
        const low = 4 * (lease.last - index) < lease.size || at > lease.until - lease.leaseMs / 4;
        if (low && !this.reserving && !this.prefetch && this.link.available) {
          this.prefetch = true;
          this.link.schedule(this);
        }
        this.local.tryAdmit(now, Infinity);
        return new GlobalAdmission(this, lease.token, index);
      }
      this.giveBack();
    }
    if (now < this.blockedUntil) return new Block('RateLimitStrategy', this.blockedUntil - now);
    if (!this.link.available) return this.enterLocally(now);
    this.demand += 1;
    return new Promise<GuardResult>((resolve) => {
      this.pendingAt.push(now);
      if (this.pending.push(resolve) === 1) this.link.schedule(this);
    });
  }

  flush(): void {
    const waiting = this.pending;
    const enteredAt = this.pendingAt;
    this.pending = [];
    this.pendingAt = [];
    this.prefetch = false;
    const now = this.clock.now();
    if (!this.link.available) {
      for (let i = 0; i < waiting.length; i++) waiting[i]!(this.enterLocally(enteredAt[i]!));
      return;
    }
    const sentAt = performance.now();
    const want = this.reserving ? 0 : this.wanted(sentAt);
    if (waiting.length === 0 && want === 0) return;
    if (want > 0) this.reserving = true;
    const token = `${this.idPrefix}.${(this.tokens++).toString(36)}`;
    const unused = this.unused;
    this.unused = undefined;
    const leaseMs = this.leaseMs;
    const args = [this.strategy.threshold, this.windowUs, waiting.length, token, want, Math.round(leaseMs * 1000)];
    args.push(...(unused ? [unused.token, unused.from, unused.to] : ['', 0, 0]), this.instanceCount(), '');
    this.link.run(this.script, this.key, args).then(
      (reply) => {
        if (want > 0) this.reserving = false;
        this.link.succeeded();
        this.timed(performance.now() - sentAt);
        const [admitted, , retryMs, reserved, count, bucket] = reply as [number, number, number, number, number, number?];
        this.share.saw(now, count);
        for (let i = 0; i < waiting.length; i++) {
          if (i < admitted) {
            this.local.tryAdmit(enteredAt[i]!, Infinity);
            waiting[i]!(new GlobalAdmission(this, token, i + 1));
          } else waiting[i]!(new Block('RateLimitStrategy', retryMs));
        }
        if (retryMs > 0) this.blockedUntil = now + retryMs;
        if (reserved > 0) {
          if (this.lease) this.giveBack();
          // A bucketed window takes unused reservations back by their bucket, not by member.
          const tag = this.bucketed ? String(bucket) : token;
          this.lease = { token: tag, next: admitted + 1, last: admitted + reserved, size: reserved, until: sentAt + leaseMs, leaseMs };
        }
      },
      (error: unknown) => {
        if (want > 0) this.reserving = false;
        this.link.failed(error, waiting.length, 'local');
        for (let i = 0; i < waiting.length; i++) waiting[i]!(this.enterLocally(enteredAt[i]!));
      },
    );
  }

  /** A later check refused a request this guard admitted: take the admission back. */
  undo(token: string, index: number, enteredAt: number): void {
    this.local.undo(enteredAt);
    // A bucket cannot tell one admission from another: it stays counted (only stricter).
    if (!this.link.available || this.bucketed) return;
    this.link.call(() => this.link.client.zrem(this.key, `${token}:${index}`)).catch(() => {});
  }

  /**
   * How many admissions to ask Redis to reserve: twice what this instance's recent demand
   * would use in one lease (unused ones go back), at most a quarter of the threshold shared
   * among the live instances.
   */
  private wanted(at: number): number {
    const elapsed = at - this.since;
    if (elapsed >= this.leaseMs / 4) {
      const rate = this.demand / elapsed;
      this.rate = this.rate === 0 ? rate : (this.rate + rate) / 2;
      this.demand = 0;
      this.since = at;
    }
    const rate = this.rate || this.demand / Math.max(1, elapsed);
    const perLease = Math.ceil(2 * rate * this.leaseMs);
    const cap = Math.floor(this.strategy.threshold / (4 * Math.max(1, this.instanceCount())));
    return Math.max(0, Math.min(perLease, cap, 10_000));
  }

  /**
   * A bucketed window's lease lasts four round trips (at least a fiftieth of the window, at
   * most the exact log's lease): long enough to outlive its own reply on a busy process,
   * short because each reserved admission stays counted from its lease's end, so a longer
   * lease leaves more of the window unused at the limit.
   */
  private timed(roundTripMs: number): void {
    if (!this.bucketed) return;
    this.roundTripMs = roundTripMs > this.roundTripMs ? roundTripMs : (7 * this.roundTripMs + roundTripMs) / 8;
    this.leaseMs = Math.min(this.longestLeaseMs, Math.max(this.shortestLeaseMs, 4 * this.roundTripMs));
  }

  /** The lease ran out of time: hand its unused admissions back with the next call. */
  private giveBack(): void {
    const lease = this.lease!;
    this.lease = undefined;
    if (lease.next <= lease.last) {
      const to = this.bucketed ? lease.last : Math.min(lease.last, lease.next + MAX_RETURN - 1);
      this.unused = { token: lease.token, from: lease.next, to };
    }
  }

  private enterLocally(now: number): GuardResult {
    const instances = Math.max(1, this.instanceCount());
    if (this.share.admit(now, this.strategy.threshold, instances)) return this.localAdmission;
    const share = this.strategy.threshold / instances;
    return new Block('RateLimitStrategy', share < 1 ? this.local.windowMs : this.local.waitMs(now, share));
  }

  /** The key's shard answers again: write this instance's local admissions into the log. */
  private recover(now: number): void {
    const ages = this.share.recover(now, this.link.availableForMs);
    if (ages.length === 0) return;
    const token = `${this.idPrefix}.${(this.tokens++).toString(36)}`;
    this.link.run(this.bucketed ? SEED_WINDOW : SEED, this.key, [this.windowUs, token, ...ages]).then(
      () => this.link.succeeded(),
      (error: unknown) => this.link.failed(error),
    );
  }

  dispose(): void {}
}

class GlobalAdmission implements Ticket {
  readonly tracksOutcome = false;
  constructor(
    private readonly guard: GlobalRateLimit,
    private readonly token: string,
    private readonly index: number,
  ) {}

  exit(): void {}

  cancel(enteredAt: number): void {
    this.guard.undo(this.token, this.index, enteredAt);
  }
}
