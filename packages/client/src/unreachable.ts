import type { Clock, Instance } from '@opensergo/core';
import type { InstanceFilter } from './routing/balancer.js';

/**
 * Instances that refused a connection, left out of routing for `forMs` (the time a discovery
 * source needs to notice a dead instance), then tried again. A connection refused means the
 * request was never sent, so the call itself moves on to another instance.
 */
export class Unreachable {
  /** By URL: discovery may hand out new objects for the same instance (a list that changed). */
  private readonly until = new Map<string, number>();
  /**
   * Filtered lists, kept while the same instance list comes in and no mark changes: the
   * balancer takes turns per list, so a new list on every call would always choose its first.
   */
  private readonly kept = new WeakMap<readonly Instance[], { version: number; instances: readonly Instance[] }>();
  private version = 0;

  constructor(
    private readonly clock: Clock,
    private readonly forMs: number,
  ) {}

  mark(instance: Instance): void {
    this.until.set(instance.url, this.clock.now() + this.forMs);
    this.version += 1;
  }

  /** The filter for the call path: free while nothing is marked. */
  readonly filter: InstanceFilter = (_app, instances) => {
    if (this.until.size === 0) return instances;
    const now = this.clock.now();
    for (const [url, until] of this.until) {
      if (until > now) continue;
      this.until.delete(url);
      this.version += 1;
    }
    let cached = this.kept.get(instances);
    if (cached === undefined || cached.version !== this.version) {
      cached = { version: this.version, instances: instances.some((i) => this.until.has(i.url)) ? instances.filter((i) => !this.until.has(i.url)) : instances };
      this.kept.set(instances, cached);
    }
    return cached.instances;
  };
}
