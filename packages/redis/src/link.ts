import type { Connection } from './connection.js';
import { RedisTimeoutError, type RedisClient } from './run-script.js';
import type { Script } from './scripts.js';

/** Something with decisions waiting for the next batch (a guard). */
export interface Flushable {
  flush(): void;
}

/**
 * What a guard sees of the store's connection for its key: whether the key's shard may be
 * asked now (`available`), calls bounded by the decision timeout, batching, and where to say
 * how a call went. A key's shard is looked up at each use, so it follows a Cluster failover.
 */
export class Link {
  constructor(
    private readonly connection: Connection,
    private readonly key: string,
    /** The key's Cluster slot (unused on a single server). */
    private readonly slot: number,
  ) {}

  get client(): RedisClient {
    return this.connection.client;
  }

  get available(): boolean {
    return this.connection.shardOf(this.slot)?.available ?? false;
  }

  /** How long ago (ms) the key's shard became available. */
  get availableForMs(): number {
    const shard = this.connection.shardOf(this.slot);
    return shard === undefined ? 0 : performance.now() - shard.availableSince;
  }

  schedule(target: Flushable): void {
    this.connection.schedule(target);
  }

  run(script: Script, key: string | readonly string[], args: readonly (string | number)[], late?: (reply: unknown) => void): Promise<unknown> {
    return this.connection.run(script, key, args, late);
  }

  call<T>(command: () => Promise<T>, timeoutMs?: number): Promise<T> {
    return this.connection.call(command, timeoutMs);
  }

  succeeded(): void {
    this.connection.shardOf(this.slot)?.succeeded();
  }

  /**
   * A call failed. When it was too late (a timeout), the `requests` decisions that waited for
   * it are counted and evented as taken without Redis (`decided`: admitted locally or refused).
   */
  failed(error: unknown, requests = 0, decided: 'local' | 'refused' = 'local'): void {
    this.connection.failed(this.connection.shardOf(this.slot), this.key, error);
    if (requests > 0 && error instanceof RedisTimeoutError) this.connection.late(this.key, requests, decided);
  }
}
