import { OpenSergoError, type Instance, type Logger, type StoreHost } from '@opensergo/core';
import { instanceKey, redisKey } from './keys.js';
import type { Connection } from './connection.js';
import type { RedisClient } from './run-script.js';

/** What the registry needs of its store: the connection, the naming, the identity, the timing. */
export interface RegistryHost {
  readonly client: RedisClient;
  readonly link: Connection;
  readonly keyPrefix: string;
  readonly instanceId: string;
  /** An instance silent this long is gone (the store's `instanceTtlMs`). */
  readonly ttlMs: number;
  /** How often to say this instance is alive and how fresh a read must be (`heartbeatMs`). */
  readonly heartbeatMs: number;
  /** `namespace/app` of this process, as the store registers its heartbeats. */
  scope(): string;
  /** The engine attached to the store, whose workload identity is advertised. */
  host(): StoreHost | undefined;
  logger(): Logger;
}

interface Known {
  instances: readonly Instance[];
  readAt: number;
  reading: Promise<readonly Instance[] | undefined> | undefined;
}

const sameInstance = (a: Instance, b: Instance): boolean =>
  a.url === b.url && a.labels.join() === b.labels.join() && JSON.stringify(a.attributes) === JSON.stringify(b.attributes);

/**
 * The Redis instance registry (docs/routing.md): a process with an advertised URL writes its URL,
 * workload labels and attributes every heartbeat, beside the heartbeats the store already
 * keeps for `GlobalToLocal`, with the same time to live; a caller reads the live instances of
 * an app from memory, refreshed in the background every heartbeat. A killed instance drops
 * out within `instanceTtlMs` plus one refresh.
 */
export class InstanceRegistry {
  private url: string | undefined;
  private readonly known = new Map<string, Known>();
  private readonly timer: NodeJS.Timeout;
  private warned = false;

  constructor(private readonly host: RegistryHost) {
    this.timer = setInterval(() => void this.register(), host.heartbeatMs);
    this.timer.unref();
  }

  /** Registers this process at `url` (its origin: `http://10.0.0.5:3000`), from now on. */
  advertise(url: string): void {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || !['http:', 'https:'].includes(parsed.protocol) || (parsed.pathname !== '/' && parsed.pathname !== '')) {
      throw new OpenSergoError('ERR_OPENSERGO_OPTIONS_INVALID', `advertised URL ${JSON.stringify(url)} is not an origin; expected http://host:port`);
    }
    this.url = parsed.origin;
    void this.register();
  }

  /** The live instances of `app` in this namespace; a promise only for the first read of an app. */
  instances(app: string): readonly Instance[] | undefined | Promise<readonly Instance[] | undefined> {
    const known = this.known.get(app);
    if (known === undefined) return this.read(app);
    if (Date.now() - known.readAt >= this.host.heartbeatMs) void this.read(app);
    return known.instances;
  }

  /** Says this instance is alive now (also called on every heartbeat). */
  async register(): Promise<void> {
    const host = this.host.host();
    if (this.url === undefined || host === undefined || this.host.link.closed || this.host.client.status !== 'ready') return;
    const { labels, attributes } = host.workload();
    const value = JSON.stringify({ url: this.url, labels, attributes });
    const scope = this.host.scope();
    try {
      await this.host.link.call(() => this.host.client.set(instanceKey(this.host.keyPrefix, scope, this.host.instanceId), value, 'PX', this.host.ttlMs));
    } catch (error) {
      this.warnOnce(`could not register this instance in Redis: ${String(error)}`);
    }
  }

  /** Stops registering; with `leave`, also leaves the registry at once (callers stop choosing this instance). */
  async close(leave: boolean): Promise<void> {
    clearInterval(this.timer);
    if (this.url === undefined || !leave) return;
    const key = instanceKey(this.host.keyPrefix, this.host.scope(), this.host.instanceId);
    await this.host.link.call(() => this.host.client.del(key), 500).catch(() => {});
  }

  private read(app: string): Promise<readonly Instance[] | undefined> {
    const known = this.known.get(app);
    if (known?.reading) return known.reading;
    const reading = this.fetch(app).then(
      (instances) => {
        const entry = this.known.get(app);
        if (instances === undefined && entry === undefined) return undefined;
        const next = instances ?? [];
        // Keep the same array while nothing changed: routing caches its lanes per array.
        const same = entry !== undefined && entry.instances.length === next.length && next.every((i, n) => sameInstance(i, entry.instances[n]!));
        this.known.set(app, { instances: same ? entry.instances : Object.freeze(next), readAt: Date.now(), reading: undefined });
        return this.known.get(app)!.instances;
      },
      (error: unknown) => {
        this.warnOnce(`could not read the instances of "${app}" from Redis (${String(error)}); using the last ones read`);
        if (known) known.reading = undefined;
        return known?.instances;
      },
    );
    if (known) known.reading = reading;
    return reading;
  }

  /** The live instances of `app`, or `undefined` when Redis has never heard of it. */
  private async fetch(app: string): Promise<Instance[] | undefined> {
    const namespace = this.host.scope().split('/')[0]!;
    const scope = `${namespace}/${app}`;
    const { client, link, keyPrefix } = this.host;
    const ids = await link.call(() => client.zrange(redisKey(keyPrefix, scope, '', 'instances'), 0, -1));
    if (ids.length === 0) return this.known.has(app) ? [] : undefined;
    const values = await link.call(() => client.mget(...ids.map((id) => instanceKey(keyPrefix, scope, id))));
    const instances: Instance[] = [];
    for (const value of values) {
      if (value === null) continue;
      try {
        const parsed = JSON.parse(value) as Instance;
        instances.push(Object.freeze({ url: parsed.url, labels: Object.freeze([...parsed.labels]), attributes: Object.freeze({ ...parsed.attributes }) }));
      } catch {
        continue;
      }
    }
    return instances.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
  }

  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    this.host.logger().warn(message);
  }
}
