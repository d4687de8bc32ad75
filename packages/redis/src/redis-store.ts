import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { consoleLogger } from '@opensergo/core';
import type { ConcurrencyLimitStrategy, Discovery, Guard, GuardContext, Instance, RateLimitStrategy, Store, StoreHost } from '@opensergo/core';
import { InstanceRegistry } from './instance-registry.js';
import { GlobalConcurrencyLimit } from './global-concurrency-limit.js';
import { GlobalRateLimit } from './global-rate-limit.js';
import { redisKey } from './keys.js';
import { Link } from './link.js';
import { describe, resolveOptions, type RedisConnection, type RedisStoreOptions, type ResolvedOptions } from './options.js';
import { loadScripts, type RedisClient } from './run-script.js';
import { ALL_SCRIPTS, HEARTBEAT } from './scripts.js';

/**
 * The Redis store: a `Store` plus a few things to look at, and the instance registry (a
 * `Discovery` source for `@opensergo/client`: `discovery: store`).
 */
export interface RedisStore extends Store, Discovery {
  readonly name: 'redis';
  readonly shared: true;
  /** Whether decisions go to Redis now (false while connecting or falling back to local). */
  readonly available: boolean;
  /** This process's entry in the instance registry (`host:pid:random`). */
  readonly instanceId: string;
  /** Resolves `true` once Redis answers, or `false` after `timeoutMs` (default 5000). Never rejects. */
  ready(timeoutMs?: number): Promise<boolean>;
  /**
   * Registers this process in the instance registry at `url` (`http://10.0.0.5:3000`), with its
   * app and workload labels and attributes, renewed every heartbeat (the `advertiseUrl` option
   * does the same from the start).
   */
  advertise(url: string): void;
}

const env = (name: string): string | undefined => process.env[name] || undefined;

class RedisStoreImpl implements RedisStore {
  readonly name = 'redis';
  readonly shared = true;
  readonly instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly memberPrefix = randomBytes(6).toString('base64url');
  private readonly link: Link;
  private readonly client: RedisClient;
  private readonly owned: boolean;
  private count = 1;
  private scopeKey: string | undefined;
  private beating = false;
  private readonly concurrency = new Set<GlobalConcurrencyLimit>();
  private readonly timers: NodeJS.Timeout[];
  private readonly waiters = new Set<() => void>();
  private readonly listeners: [string, (arg: unknown) => void][];
  private readonly registry: InstanceRegistry;

  constructor(
    connection: RedisConnection,
    private readonly options: ResolvedOptions,
  ) {
    this.owned = 'url' in connection;
    this.client =
      'url' in connection
        ? new Redis(connection.url, {
            // Commands must never queue up while Redis is away: fail at once, decide locally.
            enableOfflineQueue: false,
            maxRetriesPerRequest: 0,
            autoResendUnfulfilledCommands: false,
            connectTimeout: 3000,
            retryStrategy: (times: number) => Math.min(times * 100, 1000),
          })
        : connection.client;
    this.link = new Link(this.client, describe(connection), options.timeoutMs, options.logger, () => this.count);
    this.listeners = [
      ['error', (error) => this.link.connectionError(error as Error)],
      ['close', () => this.link.connectionClosed()],
      ['ready', () => void this.beat()],
    ];
    for (const [event, listener] of this.listeners) this.client.on(event, listener);
    this.registry = new InstanceRegistry({
      client: this.client,
      link: this.link,
      keyPrefix: options.keyPrefix,
      instanceId: this.instanceId,
      ttlMs: options.instanceTtlMs,
      heartbeatMs: options.heartbeatMs,
      scope: () => this.scope(),
      host: () => this.link.firstHost(),
      logger: () => options.logger ?? this.link.firstHost()?.logger ?? consoleLogger,
    });
    if (options.advertiseUrl !== undefined) this.registry.advertise(options.advertiseUrl);
    const heartbeat = setInterval(() => void this.beat(), options.heartbeatMs);
    const renewal = setInterval(() => this.renew(), Math.max(10, options.leaseMs / 3));
    this.timers = [heartbeat, renewal];
    for (const timer of this.timers) timer.unref();
    if (this.client.status === 'ready') setImmediate(() => void this.beat());
    // A client made with lazyConnect would wait for a first command that the store never
    // sends while it is not connected.
    if (this.client.status === 'wait') this.client.connect().catch(() => {});
  }

  get available(): boolean {
    return this.link.available;
  }

  attach(host: StoreHost): () => void {
    return this.link.attach(host);
  }

  globalRateLimit(strategy: RateLimitStrategy, context: GuardContext): Guard {
    const key = redisKey(this.options.keyPrefix, this.scope(), context.key, 'rate');
    return new GlobalRateLimit(strategy, key, this.link, context.clock, () => this.count, this.memberPrefix);
  }

  globalConcurrencyLimit(strategy: ConcurrencyLimitStrategy, context: GuardContext): Guard {
    const key = redisKey(this.options.keyPrefix, this.scope(), context.key, 'permits');
    const guard = new GlobalConcurrencyLimit(strategy, key, this.link, this.options.leaseMs, () => this.count, this.memberPrefix);
    this.concurrency.add(guard);
    return guard;
  }

  instanceCount(): number {
    return this.count;
  }

  advertise(url: string): void {
    this.registry.advertise(url);
  }

  instances(app: string): readonly Instance[] | undefined | Promise<readonly Instance[] | undefined> {
    return this.registry.instances(app);
  }

  ready(timeoutMs = 5000): Promise<boolean> {
    if (this.link.available) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(done);
    });
  }

  async close(): Promise<void> {
    if (this.link.closed) return;
    for (const timer of this.timers) clearInterval(timer);
    const wasAvailable = this.link.available;
    await this.registry.close(wasAvailable);
    this.link.closed = true;
    if (wasAvailable) {
      // Best effort, bounded: leave the registry now (the others' shares grow at once) and
      // hand back permits of requests still running (else their leases expire by themselves).
      const calls: Promise<unknown>[] = [this.link.call(() => this.client.zrem(this.instancesKey(), this.instanceId), 500)];
      for (const guard of this.concurrency) {
        const ids = guard.drain();
        if (ids.length) calls.push(this.link.call(() => this.client.zrem(guard.key, ...ids), 500));
      }
      await Promise.allSettled(calls);
    }
    for (const [event, listener] of this.listeners) this.client.off(event, listener);
    if (this.owned) {
      this.client.on('error', () => {}); // a reconnect attempt racing the quit must not print
      await this.link.call(() => this.client.quit(), 500).catch(() => this.client.disconnect());
    }
  }

  /** Heartbeat, and the probe that brings the store back: one script call per interval. */
  private async beat(): Promise<void> {
    if (this.link.closed || this.beating || this.client.status !== 'ready') return;
    this.beating = true;
    try {
      if (!this.link.available) await this.link.call(() => loadScripts(this.client, ALL_SCRIPTS)).catch(() => {});
      const live = await this.link.run(HEARTBEAT, this.instancesKey(), [this.instanceId, this.options.instanceTtlMs]);
      this.count = Math.max(1, Number(live));
      this.link.markAvailable();
      for (const waiter of this.waiters) waiter();
    } catch (error) {
      this.link.failed(error);
    } finally {
      this.beating = false;
    }
  }

  private renew(): void {
    for (const guard of this.concurrency) {
      guard.renew();
      if (guard.disposed && guard.idle) this.concurrency.delete(guard);
    }
  }

  private instancesKey(): string {
    return redisKey(this.options.keyPrefix, this.scope(), '', 'instances');
  }

  /** `namespace/app`, fixed at first use so keys never move while the process runs. */
  private scope(): string {
    if (this.scopeKey === undefined) {
      const host = this.link.firstHost();
      const app = this.options.app ?? host?.app ?? env('OPENSERGO_APP') ?? '_';
      const namespace = this.options.namespace ?? host?.namespace ?? env('OPENSERGO_NAMESPACE') ?? '_';
      this.scopeKey = `${namespace}/${app}`;
    }
    return this.scopeKey;
  }
}

/**
 * A shared store on Redis for `limitMode: Global` (rate and concurrency limits across every
 * instance) and `GlobalToLocal` (live instance count). Pass it as the `store` option of any
 * adapter. Decisions never wait longer than `timeoutMs`; while Redis is unreachable each
 * instance enforces its fair share locally, and global enforcement resumes by itself.
 *
 * Throws `ERR_OPENSERGO_OPTIONS_INVALID` for malformed options; an unreachable Redis is not
 * an error (a warning and a `store:state` event, and requests are still served).
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { opensergo } from '@opensergo/express';
 * import { createRedisStore } from '@opensergo/redis';
 *
 * const store = createRedisStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
 * const app = express();
 * app.use(opensergo({ rulesFile: './opensergo.yaml', app: 'orders', store }));
 * app.get('/foo', (req, res) => res.send('ok'));
 * const server = app.listen(3000);
 * process.on('SIGTERM', () => server.close(() => void store.close()));
 * ```
 */
export function createRedisStore(connection: RedisConnection, options: RedisStoreOptions = {}): RedisStore {
  return new RedisStoreImpl(connection, resolveOptions(connection, options));
}
