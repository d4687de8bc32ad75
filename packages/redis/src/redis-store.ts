import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ConcurrencyLimitStrategy, Discovery, Guard, GuardContext, Instance, RateLimitStrategy, Store, StoreHost } from '@opensergo/core';
import { InstanceRegistry } from './instance-registry.js';
import { GlobalConcurrencyLimit } from './global-concurrency-limit.js';
import { HeldConcurrencyLimit, type HeldGuard } from './held-concurrency-limit.js';
import { holdsBlocks } from './hold-script.js';
import { usesBuckets } from './window-script.js';
import { GlobalRateLimit } from './global-rate-limit.js';
import { redisKey } from './keys.js';
import { createClient, parseCluster } from './connect.js';
import { Connection } from './connection.js';
import { describe, resolveOptions, type RedisConnection, type RedisStoreOptions, type ResolvedOptions } from './options.js';
import { runScript, type RedisClient } from './run-script.js';
import { HEARTBEAT } from './scripts.js';
import { isMisrouted } from './shard.js';

/**
 * The Redis store: a `Store` plus a few things to look at, and the instance registry (a
 * `Discovery` source for `@opensergo/client`: `discovery: store`).
 */
export interface RedisStore extends Store, Discovery {
  readonly name: 'redis';
  readonly shared: true;
  /**
   * Whether every key's decisions go to Redis now: false while connecting, or while any shard
   * (a Cluster master) is unavailable and its keys are enforced locally.
   */
  readonly available: boolean;
  /** This process's entry in the instance registry (`host:pid:random`). */
  readonly instanceId: string;
  /** Resolves `true` once Redis (every shard) answers, or `false` after `timeoutMs` (default 5000). Never rejects. */
  ready(timeoutMs?: number): Promise<boolean>;
  /**
   * Registers this process in the instance registry at `url` (`http://10.0.0.5:3000`), with its
   * app and workload labels and attributes, renewed every heartbeat (the `advertiseUrl` option
   * does the same from the start).
   */
  advertise(url: string): void;
}

const env = (name: string): string | undefined => process.env[name] || undefined;

/** Recovery probes of a shard that is not available: at most this often. */
const PROBE_MS = 250;

class RedisStoreImpl implements RedisStore {
  readonly name = 'redis';
  readonly shared = true;
  readonly instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly memberPrefix = randomBytes(6).toString('base64url');
  private readonly connection: Connection;
  private readonly owned: boolean;
  private count = 1;
  /** performance.now() until which a lower count is not believed (the registry was lost). */
  private rebuildingUntil = 0;
  private beaten = false;
  private scopeKey: string | undefined;
  private beating = false;
  private readonly concurrency = new Set<HeldGuard & Guard>();
  private readonly timers: NodeJS.Timeout[];
  private readonly listeners: [string, (arg: unknown) => void][];
  private readonly registry: InstanceRegistry;

  constructor(private readonly options: ResolvedOptions) {
    const given = options.connection;
    this.owned = given.kind !== 'client';
    const client = given.kind === 'client' ? given.client : createClient(given);
    const probeMs = Math.min(PROBE_MS, options.heartbeatMs);
    this.connection = new Connection(client, describe(given), options.timeoutMs, options.logger, () => this.count, probeMs);
    if (given.kind === 'single') this.connection.onMisrouted = () => this.useAsCluster(given.url);
    // Permits released or granted too late while Redis was away would otherwise stay taken
    // (from every instance) until the next renewal, up to a third of a lease later.
    this.connection.onAvailable = () => this.renew();
    this.listeners = [
      ['error', (error) => this.connection.connectionError(error as Error)],
      ['close', () => this.connection.connectionClosed()],
      [
        'ready',
        () => {
          this.connection.connectionReady();
          void this.beat();
        },
      ],
    ];
    for (const [event, listener] of this.listeners) client.on(event, listener);
    const connection = this.connection;
    this.registry = new InstanceRegistry({
      get client() {
        return connection.client;
      },
      link: connection,
      keyPrefix: options.keyPrefix,
      instanceId: this.instanceId,
      ttlMs: options.instanceTtlMs,
      heartbeatMs: options.heartbeatMs,
      scope: () => this.scope(),
      host: () => connection.firstHost(),
      logger: () => connection.logger(),
    });
    if (options.advertiseUrl !== undefined) this.registry.advertise(options.advertiseUrl);
    const heartbeat = setInterval(() => void this.beat(), options.heartbeatMs);
    const renewal = setInterval(() => this.renew(), Math.max(10, options.leaseMs / 3));
    this.timers = [heartbeat, renewal];
    for (const timer of this.timers) timer.unref();
    if (client.status === 'ready') {
      setImmediate(() => {
        this.connection.connectionReady();
        void this.beat();
      });
    }
    // A client made with lazyConnect would wait for a first command that the store never
    // sends while it is not connected.
    if (client.status === 'wait') client.connect().catch(() => {});
  }

  private get client(): RedisClient {
    return this.connection.client;
  }

  get available(): boolean {
    return this.connection.available;
  }

  attach(host: StoreHost): () => void {
    return this.connection.attach(host);
  }

  globalRateLimit(strategy: RateLimitStrategy, context: GuardContext): Guard {
    const key = redisKey(this.options.keyPrefix, this.scope(), context.key, usesBuckets(strategy.threshold) ? 'window' : 'rate');
    return new GlobalRateLimit(strategy, key, this.connection.link(key), context.clock, () => this.count, this.memberPrefix);
  }

  globalConcurrencyLimit(strategy: ConcurrencyLimitStrategy, context: GuardContext): Guard {
    const key = (kind: 'permits' | 'holders' | 'held'): string => redisKey(this.options.keyPrefix, this.scope(), context.key, kind);
    const guard = holdsBlocks(strategy.maxConcurrency)
      ? new HeldConcurrencyLimit(strategy, [key('holders'), key('held')], this.connection.link(key('held')), this.options.leaseMs, () => this.count, this.memberPrefix)
      : new GlobalConcurrencyLimit(strategy, key('permits'), this.connection.link(key('permits')), this.options.leaseMs, () => this.count, this.memberPrefix);
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
    return this.connection.ready(timeoutMs);
  }

  async close(): Promise<void> {
    if (this.connection.closed) return;
    for (const timer of this.timers) clearInterval(timer);
    const connected = this.client.status === 'ready';
    await this.registry.close(connected);
    this.connection.close();
    if (connected) {
      // Best effort, bounded: leave the registry now (the others' shares grow at once) and
      // hand back permits of requests still running (else their leases expire by themselves).
      const calls: Promise<unknown>[] = [this.connection.call(() => this.client.zrem(this.instancesKey(), this.instanceId), 500)];
      for (const guard of this.concurrency) {
        const call = guard.closing(500);
        if (call) calls.push(call);
      }
      await Promise.allSettled(calls);
    }
    for (const [event, listener] of this.listeners) this.client.off(event, listener);
    if (this.owned) await quit(this.connection, this.client);
  }

  /**
   * Heartbeat: says this instance is alive and reads the live count, bounded by its own
   * (longer) timeout. A slow or failed beat keeps the last known count and says nothing
   * about whether decisions may go to Redis: that is each shard's health. After Redis lost
   * the set, the count only grows for one `instanceTtlMs`, while every instance beats again.
   */
  private async beat(): Promise<void> {
    if (this.connection.closed || this.beating || this.client.status !== 'ready') return;
    this.beating = true;
    try {
      const args = [this.instanceId, this.options.instanceTtlMs];
      const reply = await this.connection.call(() => runScript(this.client, HEARTBEAT, this.instancesKey(), args), this.options.membershipTimeoutMs);
      const [live, added] = (reply as [number, number]).map(Number) as [number, number];
      // This instance was missing: Redis lost the set (restarted, flushed, failed over) and
      // the others have not beaten since. Until they all have, a lower count is not news.
      if (added === 1 && this.beaten) this.rebuildingUntil = performance.now() + this.options.instanceTtlMs;
      this.beaten = true;
      this.count = performance.now() < this.rebuildingUntil ? Math.max(this.count, live) : Math.max(1, live);
    } catch (error) {
      // Keep the last known count. A MOVED reply still says what the connection really is.
      if (isMisrouted(error)) this.connection.failed(this.connection.shardOf(0), this.instancesKey(), error);
    } finally {
      this.beating = false;
    }
  }

  /** The URL named one node of a Cluster (a MOVED reply): connect to it as a Cluster instead. */
  private useAsCluster(url: string): void {
    const old = this.client;
    for (const [event, listener] of this.listeners) old.off(event, listener);
    const parsed = new URL(url);
    const seed = `${parsed.protocol}//${parsed.username ? `${parsed.username}:${parsed.password}@` : parsed.password ? `:${parsed.password}@` : ''}${parsed.host}`;
    const cluster = createClient(parseCluster([seed]) as Exclude<ReturnType<typeof parseCluster>, string>);
    this.connection.replaced(cluster);
    for (const [event, listener] of this.listeners) cluster.on(event, listener);
    void quit(this.connection, old);
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
      const host = this.connection.firstHost();
      const app = this.options.app ?? host?.app ?? env('OPENSERGO_APP') ?? '_';
      const namespace = this.options.namespace ?? host?.namespace ?? env('OPENSERGO_NAMESPACE') ?? '_';
      this.scopeKey = `${namespace}/${app}`;
    }
    return this.scopeKey;
  }
}

async function quit(connection: Connection, client: RedisClient): Promise<void> {
  client.on('error', () => {}); // a reconnect attempt racing the quit must not print
  await connection.call(() => client.quit(), 500).catch(() => client.disconnect());
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
  return new RedisStoreImpl(resolveOptions(connection, options));
}
