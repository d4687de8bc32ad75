import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import { consoleLogger, type EngineEventMap, type Logger, type StoreHost } from '@opensergo/core';
import { connectedTo } from './connect.js';
import { probeKey } from './keys.js';
import { Deadlines } from './deadlines.js';
import { Link, type Flushable } from './link.js';
import { errorMessage, loadScripts, runScript, withTimeout, type RedisClient } from './run-script.js';
import { HOLD } from './hold-script.js';
import { ALL_SCRIPTS, PROBE } from './scripts.js';
import { SEED_WINDOW, WINDOW } from './window-script.js';
import { isMisrouted, REPLIES_BEFORE_RECOVERY, Shard, type ShardOwner } from './shard.js';

/**
 * The store's view of Redis: calls bounded by the decision timeout, per-loop-iteration
 * batching, and the health of each shard — the server of a single client, or each master
 * of a Redis Cluster — so that a failing shard sends only its own keys to local shares.
 * Transitions are reported once each (one `store:state` event to every engine, one log
 * line), never per request. Shards that are not available are probed every `probeMs`.
 */
export class Connection implements ShardOwner {
  closed = false;
  /** Called when the client turned out to name one node of a Cluster and may be replaced. */
  onMisrouted: (() => void) | undefined;
  /**
   * Called when a shard becomes available: what waited for Redis (releases, late grants to
   * give back, leases of requests still running) goes now, before any new decision.
   */
  onAvailable: (() => void) | undefined;
  private lastError: string | undefined;
  private readonly hosts = new Set<StoreHost>();
  private dirty: Flushable[] = [];
  private scheduled = false;
  private readonly deadlines: Deadlines;
  private readonly shards = new Map<string, Shard>();
  private readonly prober: NodeJS.Timeout;
  private everAvailable = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    public client: RedisClient,
    readonly where: string,
    private readonly timeoutMs: number,
    private readonly ownLogger: Logger | undefined,
    /** The live instance count, for the fallback line. */
    private readonly instances: () => number,
    probeMs: number,
  ) {
    this.deadlines = new Deadlines(timeoutMs);
    this.prober = setInterval(() => this.probe(), probeMs);
    this.prober.unref();
  }

  /** Every shard answers (and at least one is known). */
  get available(): boolean {
    if (this.closed || this.shards.size === 0) return false;
    for (const shard of this.shards.values()) if (!shard.available) return false;
    return true;
  }

  /** A view of the connection for one key: its shard's health, its calls. */
  link(key: string): Link {
    return new Link(this, key, calculateSlot(key));
  }

  /** The shard holding `slot` now (the single server's, for a single client), or undefined while unknown. */
  shardOf(slot: number): Shard | undefined {
    if (!this.client.isCluster) return this.shard('');
    const master = (this.client as Cluster).slots[slot]?.[0];
    return master === undefined ? undefined : this.shard(master);
  }

  private shard(id: string): Shard {
    let shard = this.shards.get(id);
    if (shard === undefined) {
      shard = new Shard(id, this);
      this.shards.set(id, shard);
      if (this.client.status === 'ready') setImmediate(() => this.probeShard(shard!));
    }
    return shard;
  }

  /**
   * An engine starts using the store. One that comes after a transition hears of the shards
   * unavailable now (an app built after `await store.ready()` said false), else its metrics
   * would say available until the next transition.
   */
  attach(host: StoreHost): () => void {
    this.hosts.add(host);
    for (const shard of this.shards.values()) {
      if (shard.state === 'unavailable') host.events.emit('store:state', this.stateEvent(shard, false, shard.reason));
    }
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

  /** One script call, bounded by the decision timeout. Rejects, never throws. */
  run(script: Parameters<typeof runScript>[1], key: string | readonly string[], args: readonly (string | number)[], late?: (reply: unknown) => void): Promise<unknown> {
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

  /** A call on `key` of `shard` failed. */
  failed(shard: Shard | undefined, key: string, error: unknown): void {
    if (this.closed || shard === undefined) return;
    if (isMisrouted(error)) return this.misrouted(shard, error);
    shard.probeKey = probeKey(key);
    shard.failed(error, this.shardName(shard), key);
  }

  /** Decisions on `key` were taken without Redis because its reply came too late. */
  late(key: string, requests: number, decided: 'local' | 'refused'): void {
    const event = { store: 'redis', key, requests, decided } as const;
    for (const host of this.hosts) host.events.emit('store:late', event);
  }

  /** ioredis reported a connection error (kept for the next transition's reason). */
  connectionError(error: Error): void {
    this.lastError = error.message || (error as { code?: string }).code || String(error);
    if (this.everAvailable || this.shards.size) {
      for (const shard of this.shards.values()) if (shard.state === 'starting') shard.down(`cannot connect to ${this.where}: ${this.lastError}`);
      return;
    }
    this.shard('').down(`cannot connect to ${this.where}: ${this.lastError}`);
  }

  /** ioredis lost the connection (a Cluster: every node). */
  connectionClosed(): void {
    if (!this.everAvailable && !this.lastError) return; // connecting, nothing lost yet
    const reason = `connection to ${this.where} lost${this.lastError ? `: ${this.lastError}` : ''}`;
    for (const shard of this.shards.values()) shard.down(reason);
  }

  /** The client is ready: load the scripts and probe every shard (a Cluster: every master). */
  connectionReady(): void {
    if (this.closed) return;
    this.lastError = undefined;
    void this.call(() => loadScripts(this.client, [...ALL_SCRIPTS, WINDOW, SEED_WINDOW, HOLD])).catch(() => {});
    if (this.client.isCluster) for (const node of (this.client as Cluster).nodes('master')) this.shard(nodeId(node));
    else this.shard('');
    this.probe();
  }

  /** Resolves true once every shard answers, false after `ms`. */
  ready(ms: number): Promise<boolean> {
    if (this.available) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        resolve(false);
      }, ms);
      this.waiters.add(done);
    });
  }

  close(): void {
    this.closed = true;
    clearInterval(this.prober);
  }

  /** Probes every shard that is not available (while the client is connected). */
  private probe(): void {
    if (this.closed || this.client.status !== 'ready') return;
    if (this.client.isCluster) this.forgetFormerMasters();
    for (const shard of this.shards.values()) if (shard.state !== 'available') this.probeShard(shard);
  }

  /** A master that failed over holds no slot any more: its keys went to another shard. */
  private forgetFormerMasters(): void {
    const slots = (this.client as Cluster).slots;
    if (slots.length === 0) return;
    const owners = new Set(slots.map((nodes) => nodes?.[0]));
    for (const shard of this.shards.values()) {
      if (shard.id === '' || owners.has(shard.id)) continue;
      this.shards.delete(shard.id);
      if (shard.state !== 'unavailable') continue;
      this.logger().info(`redis store shard ${shard.id} holds no slot any more (failover): its keys are on the masters that took them`);
      for (const host of this.hosts) host.events.emit('store:state', { store: 'redis', available: true, shard: shard.id });
    }
  }

  private probeShard(shard: Shard): void {
    if (shard.probing || this.closed || this.client.status !== 'ready') return;
    const node = this.nodeOf(shard);
    if (node === undefined) return;
    shard.probing = true;
    // Through the route of a key that failed (a Cluster node may answer a keyless script
    // while refusing its slots), writing as decisions do; else any script on the node.
    const key = shard.probeKey;
    const asked = (): Promise<unknown> =>
      key !== undefined
        ? runScript(this.client, PROBE, key, [])
        : node.evalsha(PROBE.sha, 0).catch((error: unknown) => {
            if (!errorMessage(error).startsWith('NOSCRIPT')) throw error;
            return node.eval(PROBE.source, 0);
          });
    this.call(asked).then(
      () => shard.probed(undefined, this.shardName(shard)),
      (error: unknown) => shard.probed(error, this.shardName(shard)),
    ).finally(() => {
      shard.probing = false;
    });
  }

  private nodeOf(shard: Shard): Redis | undefined {
    if (!this.client.isCluster) return this.client as Redis;
    const masters = (this.client as Cluster).nodes('master');
    // '' is the whole Cluster (it could not connect at start-up): any master answers for it.
    return shard.id === '' ? masters[0] : masters.find((node) => nodeId(node) === shard.id);
  }

  private misrouted(shard: Shard, error: unknown): void {
    if (this.onMisrouted) {
      const replace = this.onMisrouted;
      this.onMisrouted = undefined;
      this.logger().info(`redis store: ${this.where} is one node of a Redis Cluster (${errorMessage(error)}); using it as a cluster`);
      replace();
      return;
    }
    shard.misrouted = true;
    shard.down(
      `${this.where} is one node of a Redis Cluster (${errorMessage(error)}): pass an ioredis Cluster, { cluster: [nodes] } ` +
        'or a redis+cluster:// URL',
    );
  }

  /** The client was replaced (a single node turned out to be a Cluster): start over. */
  replaced(client: RedisClient): void {
    this.client = client;
    this.shards.clear();
  }

  report(shard: Shard, available: boolean, reason: string | undefined, first: boolean): void {
    const part = shard.id === '' ? '' : ` shard ${shard.id}`;
    const keys = shard.id === '' ? 'Global limits' : `Global limits on the keys of shard ${shard.id}`;
    if (available) {
      const master = connectedTo(this.client);
      // Sentinel hands out a master; a single URL names the server itself (maybe a replica).
      const role = this.where.startsWith('redis+sentinel') ? 'master' : 'server';
      if (!this.everAvailable) {
        const at = master ? ` (${role} ${master})` : this.client.isCluster ? ` (masters ${this.masters()})` : '';
        this.logger().info(`redis store connected to ${this.where}${at}: Global limits are enforced across instances`);
      } else if (!first) {
        const at = master ? `, ${role} ${master}` : '';
        this.logger().info(
          `redis store${part} available again (${this.where}${at}; ${REPLIES_BEFORE_RECOVERY} good replies in a row): ` +
            `${keys} are enforced across instances again`,
        );
      }
      this.everAvailable = true;
    } else {
      this.logger().warn(
        // Redis's own messages may end with a full stop; the sentence goes on after it.
        `ERR_OPENSERGO_STORE_UNAVAILABLE: redis store${part} unavailable: ${reason?.replace(/\.$/, '')}. Requests are still served: ${keys} ` +
          `fall back to this instance's fair share (threshold / ${this.instances()} instances), enforced locally, until Redis answers again`,
      );
    }
    const event = this.stateEvent(shard, available, reason);
    for (const host of this.hosts) host.events.emit('store:state', event);
    if (available) this.onAvailable?.();
    if (this.available) for (const waiter of this.waiters) waiter();
  }

  private stateEvent(shard: Shard, available: boolean, reason: string | undefined): EngineEventMap['store:state'][0] {
    return { store: 'redis', available, ...(reason === undefined ? {} : { reason }), ...(shard.id === '' ? {} : { shard: shard.id }) };
  }

  private shardName(shard: Shard): string {
    return shard.id === '' ? this.where : `${this.where} shard ${shard.id}`;
  }

  private masters(): string {
    return (this.client as Cluster).nodes('master').map(nodeId).sort().join(', ');
  }

  logger(): Logger {
    return this.ownLogger ?? this.firstHost()?.logger ?? consoleLogger;
  }
}

const nodeId = (node: Redis): string => `${node.options.host}:${node.options.port}`;
