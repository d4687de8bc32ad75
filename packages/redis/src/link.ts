import { consoleLogger, type Logger, type StoreHost } from '@opensergo/core';
import { Deadlines } from './deadlines.js';
import { errorMessage, isScriptingForbidden, RedisTimeoutError, runScript, withTimeout, type RedisClient } from './run-script.js';
import type { Script } from './scripts.js';

/** Consecutive failed calls (timeouts, errors) that switch enforcement to local. */
const FAILURES_BEFORE_FALLBACK = 3;

/** Something with decisions waiting for the next batch (a guard). */
export interface Flushable {
  flush(): void;
}

/**
 * The store's view of Redis: whether it may be asked (`available`), calls bounded by the
 * decision timeout, per-loop-iteration batching, and the transition reporting (one
 * `store:state` event and one log line per change, never per request).
 *
 * States: `starting` (not yet connected: decide locally, say nothing yet), `available`,
 * `unavailable` (decide locally; the heartbeat probes and brings it back).
 */
export class Link {
  state: 'starting' | 'available' | 'unavailable' = 'starting';
  closed = false;
  private failures = 0;
  private lastError: string | undefined;
  private readonly hosts = new Set<StoreHost>();
  private dirty: Flushable[] = [];
  private scheduled = false;
  private readonly deadlines: Deadlines;

  constructor(
    readonly client: RedisClient,
    readonly where: string,
    private readonly timeoutMs: number,
    private readonly ownLogger: Logger | undefined,
    /** The live instance count, for the fallback line. */
    private readonly instances: () => number,
  ) {
    this.deadlines = new Deadlines(timeoutMs);
  }

  get available(): boolean {
    return this.state === 'available' && !this.closed;
  }

  attach(host: StoreHost): () => void {
    this.hosts.add(host);
    return () => this.hosts.delete(host);
  }

  /** The first attached engine's identity, for keys. */
  firstHost(): StoreHost | undefined {
    for (const host of this.hosts) return host;
    return undefined;
  }

  /** Runs `target.flush()` once, after the current loop iteration's I/O callbacks. */
  schedule(target: Flushable): void {
    this.dirty.push(target);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushAll);
  }

  private readonly flushAll = (): void => {
    this.scheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (const target of dirty) target.flush();
  };

  /**
   * One script call, bounded by the decision timeout. Rejects, never throws (a throw here
   * would escape a setImmediate callback), and callers always catch.
   */
  run(script: Script, key: string, args: readonly (string | number)[], late?: (reply: unknown) => void): Promise<unknown> {
    try {
      return this.deadlines.bound(runScript(this.client, script, key, args), late);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A plain command, bounded the same way (or by `timeoutMs`). */
  call<T>(command: () => Promise<T>, timeoutMs?: number): Promise<T> {
    try {
      return timeoutMs === undefined ? this.deadlines.bound(command()) : withTimeout(command(), timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  succeeded(): void {
    this.failures = 0;
  }

  /** A call failed. Scripting refused or connection gone: fall back now; else after a few. */
  failed(error: unknown): void {
    if (this.closed) return;
    if (isScriptingForbidden(error)) {
      this.unavailable(
        `${this.where} refuses Lua scripting (${errorMessage(error)}); the store needs EVALSHA, EVAL or SCRIPT LOAD ` +
          '(not renamed away, and allowed by ACL: +@scripting)',
      );
      return;
    }
    this.failures += 1;
    if (this.failures >= FAILURES_BEFORE_FALLBACK || this.state !== 'available') {
      const what = error instanceof RedisTimeoutError ? error.message : `Redis error: ${errorMessage(error)}`;
      this.unavailable(`${this.where}: ${what}`);
    }
  }

  /** ioredis reported a connection error (kept for the next transition's reason). */
  connectionError(error: Error): void {
    this.lastError = error.message || (error as { code?: string }).code || String(error);
    if (this.state === 'starting') this.unavailable(`cannot connect to ${this.where}: ${this.lastError}`);
  }

  /** ioredis lost the connection. */
  connectionClosed(): void {
    if (this.state === 'starting' && !this.lastError) return; // connecting, nothing lost yet
    this.unavailable(`connection to ${this.where} lost${this.lastError ? `: ${this.lastError}` : ''}`);
  }

  markAvailable(): void {
    this.failures = 0;
    this.lastError = undefined;
    if (this.state === 'available' || this.closed) return;
    const first = this.state === 'starting';
    this.state = 'available';
    this.logger().info(
      first
        ? `redis store connected to ${this.where}: Global limits are enforced across instances`
        : `redis store available again (${this.where}): Global limits are enforced across instances again`,
    );
    this.emit(true, undefined);
  }

  private unavailable(reason: string): void {
    if (this.state === 'unavailable' || this.closed) return;
    this.state = 'unavailable';
    this.failures = 0;
    this.logger().warn(
      `ERR_OPENSERGO_STORE_UNAVAILABLE: redis store unavailable: ${reason}. Requests are still served: Global limits ` +
        `fall back to this instance's fair share (threshold / ${this.instances()} instances), enforced locally, ` +
        'until Redis answers again',
    );
    this.emit(false, reason);
  }

  private emit(available: boolean, reason: string | undefined): void {
    const event = reason === undefined ? { store: 'redis', available } : { store: 'redis', available, reason };
    for (const host of this.hosts) host.events.emit('store:state', event);
  }

  private logger(): Logger {
    return this.ownLogger ?? this.firstHost()?.logger ?? consoleLogger;
  }
}
