import { Block, type ConcurrencyLimitStrategy, type Guard, type GuardResult, type Ticket } from '@opensergo/core';
import { HOLD } from './hold-script.js';
import type { Flushable, Link } from './link.js';
import { ConcurrencyShare } from './concurrency-share.js';
import { RedisTimeoutError, runScript } from './run-script.js';

type Resolve = (result: GuardResult) => void;

/** After Redis said every permit is held, new requests are refused locally this long. */
const FULL_BACKOFF_MS = 10;

/** What the store does with a Global concurrency guard: renew it, and hand back on close. */
export interface HeldGuard {
  readonly disposed: boolean;
  /** Nothing held, nothing left to give back: the store may forget it once disposed. */
  readonly idle: boolean;
  /** Extends this instance's hold on its permits (on the store's renewal timer). */
  renew(): void;
  /** Best effort when the store closes: give back every permit still held. */
  closing(timeoutMs: number): Promise<unknown> | undefined;
}

/**
 * ConcurrencyLimitStrategy `Global` on Redis for large limits (above EXACT_PERMITS_MAX):
 * each instance holds a block of permits in Redis (`HOLD`) and hands them out locally, with
 * no Redis call per request. The sum of the blocks never exceeds the limit, and an instance
 * never has more requests running than its block, so permits are never over the limit.
 *
 * - The block follows demand: in use + waiting + a spare of max / (8 × live instances); it
 *   grows when the spare runs low and shrinks (gives back) when more than two spares sit
 *   unused, so calls come when the concurrency moves by about a spare, not per request. At
 *   most a quarter of the limit is ever held idle across the fleet.
 * - One call at a time per key; requests arriving meanwhile wait for it. A call that finds
 *   no room refuses its waiting requests, and new ones locally for FULL_BACKOFF_MS.
 * - A block is leased like a permit: renewed every leaseMs / 3 while held, dropped by Redis
 *   when its instance stops renewing (a dead process's permits come back within a lease).
 * - Redis unavailable: the fair share, max / live instances, counting every request of this
 *   guard in flight (global or local), as the per-permit guard does.
 */
export class HeldConcurrencyLimit implements Guard, Flushable, HeldGuard {
  readonly order = 3;
  /** Global permits in use (requests admitted from the block, still running). */
  private used = 0;
  /** The block Redis holds for this instance, as far as this instance knows. */
  private held = 0;
  private pending: Resolve[] = [];
  private scheduled = false;
  private asking = false;
  /** Say the hold again even if its size stays (renewal, or a late reply left it unknown). */
  private restate = false;
  private fullUntil = -Infinity;
  /** Counts every request in flight, and decides while Redis is away. */
  private readonly local: ConcurrencyShare;
  disposed = false;

  constructor(
    private readonly strategy: ConcurrencyLimitStrategy,
    private readonly keys: readonly [holders: string, held: string],
    private readonly link: Link,
    private readonly leaseMs: number,
    private readonly instanceCount: () => number,
    private readonly holder: string,
  ) {
    this.local = new ConcurrencyShare(strategy, instanceCount);
  }

  enter(): GuardResult | Promise<GuardResult> {
    if (this.strategy.maxConcurrency < 1) return new Block('ConcurrencyLimitStrategy', 1000);
    if (!this.link.available) return this.local.enter();
    if (this.used < this.held && this.pending.length === 0) {
      if (this.held - this.used <= this.spare() / 2) this.ask();
      return this.admit();
    }
    if (performance.now() < this.fullUntil) return new Block('ConcurrencyLimitStrategy', 1000);
    return new Promise<GuardResult>((resolve) => {
      this.pending.push(resolve);
      this.ask();
    });
  }

  flush(): void {
    this.scheduled = false;
    if (this.asking) return; // its reply asks again if needed
    if (!this.link.available) {
      const waiting = this.pending;
      this.pending = [];
      for (const resolve of waiting) resolve(this.local.enter());
      return;
    }
    // Requests queued behind a call that has since answered: serve them from the block first.
    while (this.pending.length > 0 && this.used < this.held) this.pending.shift()!(this.admit());
    const spare = this.spare();
    const target = this.used + this.pending.length + spare;
    let wanted = this.held;
    if (this.pending.length > 0 || this.held - this.used <= spare / 2) wanted = Math.max(this.held, target);
    if (this.held > this.used + 2 * spare) wanted = target;
    if (wanted === this.held && !this.restate) return;
    this.restate = false;
    // Giving back takes effect here and now: nothing may be handed out of it meanwhile.
    if (wanted < this.held) this.held = wanted;
    this.asking = true;
    const args = [this.strategy.maxConcurrency, this.leaseMs, this.holder, wanted, this.used];
    const late = (): void => {
      this.restate = true;
      this.ask();
    };
    this.link.run(HOLD, this.keys, args, late).then(
      (reply) => {
        this.asking = false;
        this.link.succeeded();
        this.held = reply as number;
        while (this.pending.length > 0 && this.used < this.held) this.pending.shift()!(this.admit());
        if (this.pending.length > 0 && this.held < wanted) {
          this.fullUntil = performance.now() + FULL_BACKOFF_MS;
          const refused = this.pending;
          this.pending = [];
          for (const resolve of refused) resolve(new Block('ConcurrencyLimitStrategy', 1000));
        }
        if (this.pending.length > 0 || this.restate || this.held > this.used + 2 * this.spare()) this.ask();
      },
      (error: unknown) => {
        this.asking = false;
        this.restate = true;
        // Too late: Redis may yet grow the block (the next call says its size again), so the
        // waiting requests are refused rather than admitted on top of it.
        const late = error instanceof RedisTimeoutError;
        const waiting = this.pending;
        this.pending = [];
        this.link.failed(error, waiting.length, late ? 'refused' : 'local');
        for (const resolve of waiting) resolve(late ? new Block('ConcurrencyLimitStrategy', 1000) : this.local.enter());
      },
    );
  }

  /** A request admitted from the block ended (exit or cancel, once). */
  end(): void {
    this.used -= 1;
    this.local.inFlight -= 1;
    if (this.held > this.used + 2 * this.spare()) this.ask();
  }

  renew(): void {
    if (!this.link.available || (this.held === 0 && this.used === 0)) return;
    this.restate = true;
    this.ask();
  }

  closing(timeoutMs: number): Promise<unknown> | undefined {
    if (this.held === 0 && this.used === 0) return undefined;
    this.held = 0;
    const args = [this.strategy.maxConcurrency, this.leaseMs, this.holder, 0, 0];
    return this.link.call(() => runScript(this.link.client, HOLD, this.keys, args), timeoutMs);
  }

  /** The pair left the rules: give back the spare; permits in use are renewed until they end. */
  dispose(): void {
    this.disposed = true;
    this.ask();
  }

  get idle(): boolean {
    return this.held === 0 && this.used === 0 && !this.asking && this.pending.length === 0;
  }

  /** What an instance may hold beyond what it uses: none once disposed. */
  private spare(): number {
    if (this.disposed) return 0;
    return Math.floor(this.strategy.maxConcurrency / (8 * Math.max(1, this.instanceCount())));
  }

  private ask(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.link.schedule(this);
  }

  private admit(): Ticket {
    this.used += 1;
    this.local.inFlight += 1;
    return new HeldPermit(this);
  }
}

class HeldPermit implements Ticket {
  readonly tracksOutcome = true;
  private ended = false;
  constructor(private readonly guard: HeldConcurrencyLimit) {}

  exit(): void {
    this.cancel();
  }

  cancel(): void {
    if (this.ended) return;
    this.ended = true;
    this.guard.end();
  }
}
