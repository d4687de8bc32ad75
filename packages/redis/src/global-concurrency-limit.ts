import { Block, type ConcurrencyLimitStrategy, type Guard, type GuardResult, type Ticket } from '@opensergo/core';
import type { HeldGuard } from './held-concurrency-limit.js';
import type { Flushable, Link } from './link.js';
import { RedisTimeoutError } from './run-script.js';
import { ACQUIRE, RENEW } from './scripts.js';

type Resolve = (result: GuardResult) => void;

/** Renewing or releasing more ids than this in one command is split (Lua's unpack limit). */
const CHUNK = 500;

/**
 * ConcurrencyLimitStrategy `Global` on Redis: permits are leases in a sorted set, scored by
 * expiry. A process that dies stops renewing, so its permits come back within the lease
 * time; a live process renews the leases of requests still running (see `renew`).
 *
 * Each permit is released exactly once: the engine calls `exit` or `cancel` once per
 * admission, and `held` forgets an id on the first call. Releases of one iteration go in
 * one ZREM; a release Redis could not take is retried when it answers again (else its
 * lease expires by itself).
 *
 * Redis unavailable (the key's shard): this instance admits its fair share, max / live
 * instances (at least 1 when max ≥ 1, so a degraded service still serves), counting every
 * request this guard has in flight, global or local. A reply that comes too late refuses its
 * batch instead: the other instances may hold every permit.
 */
export class GlobalConcurrencyLimit implements Guard, Flushable, HeldGuard {
  readonly order = 3;
  /** Requests this guard admitted that have not ended (global and local). */
  inFlight = 0;
  /** Ids of global permits in flight, for renewal and for releasing exactly once. */
  readonly held = new Set<string>();
  private pending: Resolve[] = [];
  private releasing: string[] = [];
  private readonly unreleased = new Set<string>();
  private readonly localPermit: Ticket;
  private ids = 0;
  disposed = false;

  constructor(
    private readonly strategy: ConcurrencyLimitStrategy,
    readonly key: string,
    private readonly link: Link,
    private readonly leaseMs: number,
    private readonly instanceCount: () => number,
    private readonly idPrefix: string,
  ) {
    const release = (): void => {
      this.inFlight -= 1;
    };
    this.localPermit = { tracksOutcome: true, exit: release, cancel: release };
  }

  enter(): GuardResult | Promise<GuardResult> {
    if (this.strategy.maxConcurrency < 1) return new Block('ConcurrencyLimitStrategy', 1000);
    if (!this.link.available) return this.enterLocally();
    return new Promise<GuardResult>((resolve) => {
      if (this.pending.push(resolve) === 1) this.link.schedule(this);
    });
  }

  flush(): void {
    const waiting = this.pending;
    this.pending = [];
    const releasing = this.releasing;
    this.releasing = [];
    if (releasing.length) this.release(releasing);
    if (!waiting.length) return;
    if (!this.link.available) {
      for (const resolve of waiting) resolve(this.enterLocally());
      return;
    }
    const ids = waiting.map(() => `${this.idPrefix}.${(this.ids++).toString(36)}`);
    const giveBack = (reply: unknown): void => {
      if (typeof reply === 'number' && reply > 0) this.release(ids.slice(0, reply));
    };
    this.link.run(ACQUIRE, this.key, [this.strategy.maxConcurrency, this.leaseMs, ...ids], giveBack).then(
      (reply) => {
        this.link.succeeded();
        const admitted = reply as number;
        for (let i = 0; i < waiting.length; i++) {
          if (i >= admitted) {
            waiting[i]!(new Block('ConcurrencyLimitStrategy', 1000));
            continue;
          }
          this.held.add(ids[i]!);
          this.inFlight += 1;
          waiting[i]!(new GlobalPermit(this, ids[i]!));
        }
      },
      (error: unknown) => {
        // Too late: Redis may yet admit these (the late reply gives them back), and the
        // others may hold every permit, so admitting here could exceed the limit.
        const late = error instanceof RedisTimeoutError;
        this.link.failed(error, waiting.length, late ? 'refused' : 'local');
        for (const resolve of waiting) resolve(late ? new Block('ConcurrencyLimitStrategy', 1000) : this.enterLocally());
      },
    );
  }

  /** The request holding `id` ended (exit or cancel). Only the first call counts. */
  end(id: string): void {
    if (!this.held.delete(id)) return;
    this.inFlight -= 1;
    if (this.releasing.push(id) === 1 && this.pending.length === 0) this.link.schedule(this);
  }

  /** Extends the leases of every permit still in flight (called on the store's renewal timer). */
  renew(): void {
    if (!this.link.available) return;
    if (this.unreleased.size) this.release([...this.unreleased]);
    const ids = [...this.held];
    for (let i = 0; i < ids.length; i += CHUNK) {
      this.link.run(RENEW, this.key, [this.leaseMs, ...ids.slice(i, i + CHUNK)]).catch((error: unknown) => this.link.failed(error));
    }
  }

  /** Best effort when the store closes: release every id still held. */
  closing(timeoutMs: number): Promise<unknown> | undefined {
    const ids = [...this.held, ...this.unreleased];
    this.held.clear();
    this.unreleased.clear();
    return ids.length ? this.link.call(() => this.link.client.zrem(this.key, ...ids), timeoutMs) : undefined;
  }

  private release(ids: readonly string[]): void {
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      if (!this.link.available) {
        this.remember(chunk);
        continue;
      }
      this.link.call(() => this.link.client.zrem(this.key, ...chunk)).then(
        () => {
          for (const id of chunk) this.unreleased.delete(id);
        },
        () => this.remember(chunk),
      );
    }
  }

  private remember(ids: readonly string[]): void {
    // Bounded: past this, the leases simply expire by themselves.
    for (const id of ids) if (this.unreleased.size < 10_000) this.unreleased.add(id);
  }

  private enterLocally(): GuardResult {
    const max = this.strategy.maxConcurrency;
    const share = Math.max(1, Math.floor(max / Math.max(1, this.instanceCount())));
    if (this.inFlight >= share) return new Block('ConcurrencyLimitStrategy', 1000);
    this.inFlight += 1;
    return this.localPermit;
  }

  /** The pair left the rules; permits still in flight keep being renewed until they end. */
  dispose(): void {
    this.disposed = true;
  }

  /** Nothing held, nothing left to release: the store may forget this guard once disposed. */
  get idle(): boolean {
    return this.held.size === 0 && this.unreleased.size === 0 && this.releasing.length === 0;
  }
}

class GlobalPermit implements Ticket {
  readonly tracksOutcome = true;
  constructor(
    private readonly guard: GlobalConcurrencyLimit,
    private readonly id: string,
  ) {}

  exit(): void {
    this.guard.end(this.id);
  }

  cancel(): void {
    this.guard.end(this.id);
  }
}
