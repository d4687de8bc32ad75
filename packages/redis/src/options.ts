import { OpenSergoError, type Logger } from '@opensergo/core';
import { describeParsed, parseCluster, parseUrl, type NodeAddress, type ParsedConnection } from './connect.js';
import type { RedisClient } from './run-script.js';

/**
 * Where the store's Redis is. The store owns the connection it makes from a URL
 * (`redis://`, `rediss://`, `redis+cluster://h1:p1,h2:p2`, `redis+sentinel://s1:26379,s2:26379/mymaster`)
 * or from a Cluster's seed nodes (`{ cluster: ['10.0.0.1:6379', …] }`); your own client
 * (an ioredis `Redis`, Sentinel-managed or not, or `Cluster`) stays yours.
 */
export type RedisConnection =
  | { readonly url: string }
  | { readonly cluster: readonly NodeAddress[] }
  | { readonly client: RedisClient };

/** Options of `createRedisStore`. Every one has a default. */
export interface RedisStoreOptions {
  /** Prefix of every key. Default `opensergo:`. */
  readonly keyPrefix?: string;
  /** The app whose instances share limits. Default: the engine's `app`, else `OPENSERGO_APP`. */
  readonly app?: string;
  /** The namespace, likewise. Default: the engine's `namespace`, else `OPENSERGO_NAMESPACE`. */
  readonly namespace?: string;
  /** Longest a decision waits for Redis before deciding locally. Default 50 ms. */
  readonly timeoutMs?: number;
  /**
   * Longest a heartbeat (the live instance count) waits; a slower one keeps the last known
   * count. Default `heartbeatMs`.
   */
  readonly membershipTimeoutMs?: number;
  /** Lease of a Global concurrency permit; renewed every third of it while the request runs. Default 5000 ms. */
  readonly leaseMs?: number;
  /** How often this instance says it is alive. Default 1000 ms. */
  readonly heartbeatMs?: number;
  /** An instance silent this long no longer counts for GlobalToLocal. Default 3 × heartbeatMs. */
  readonly instanceTtlMs?: number;
  /** Where transition lines go. Default: the engine's logger. */
  readonly logger?: Logger;
  /**
   * Register this process in the instance registry at this URL (`http://10.0.0.5:3000`), so that
   * callers using the store as their discovery route to it. Default `OPENSERGO_ADVERTISE_URL`;
   * or call `store.advertise(url)` once the server listens.
   */
  readonly advertiseUrl?: string;
}

export interface ResolvedOptions {
  readonly keyPrefix: string;
  readonly app: string | undefined;
  readonly namespace: string | undefined;
  readonly timeoutMs: number;
  readonly membershipTimeoutMs: number;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly instanceTtlMs: number;
  readonly logger: Logger | undefined;
  readonly advertiseUrl: string | undefined;
  /** The connection to make, or the client given. */
  readonly connection: ParsedConnection | { readonly kind: 'client'; readonly client: RedisClient };
}

const positive = (name: string, value: unknown, problems: string[]): void => {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    problems.push(`${name} must be a positive number of milliseconds, got ${JSON.stringify(value)}`);
  }
};

/** Checks everything at once and throws ERR_OPENSERGO_OPTIONS_INVALID listing every problem. */
export function resolveOptions(connection: RedisConnection, options: RedisStoreOptions): ResolvedOptions {
  const problems: string[] = [];
  let parsed: ResolvedOptions['connection'] | string = 'the first argument must be { url }, { cluster } or { client }';
  if (typeof connection === 'object' && connection !== null) {
    if ('url' in connection) parsed = typeof connection.url === 'string' ? parseUrl(connection.url) : 'url must be a string';
    else if ('cluster' in connection) parsed = parseCluster(connection.cluster);
    else if ('client' in connection) {
      parsed =
        typeof (connection.client as { evalsha?: unknown } | undefined)?.evalsha === 'function'
          ? { kind: 'client', client: connection.client }
          : 'client must be an ioredis Redis or Cluster';
    }
  }
  if (typeof parsed === 'string') problems.push(parsed);
  for (const name of ['timeoutMs', 'membershipTimeoutMs', 'leaseMs', 'heartbeatMs', 'instanceTtlMs'] as const) positive(name, options[name], problems);
  if (options.keyPrefix !== undefined && (typeof options.keyPrefix !== 'string' || /[{}]/.test(options.keyPrefix))) {
    problems.push('keyPrefix must be a string without { or } (the store adds the Cluster hash tag itself)');
  }
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const instanceTtlMs = options.instanceTtlMs ?? 3 * heartbeatMs;
  if (instanceTtlMs <= heartbeatMs) problems.push(`instanceTtlMs (${instanceTtlMs}) must be longer than heartbeatMs (${heartbeatMs})`);
  if (problems.length) {
    throw new OpenSergoError('ERR_OPENSERGO_OPTIONS_INVALID', `Invalid @opensergo/redis options:\n${problems.join('\n')}`);
  }
  return {
    keyPrefix: options.keyPrefix ?? 'opensergo:',
    app: options.app,
    namespace: options.namespace,
    timeoutMs: options.timeoutMs ?? 50,
    membershipTimeoutMs: options.membershipTimeoutMs ?? heartbeatMs,
    leaseMs: options.leaseMs ?? 5000,
    heartbeatMs,
    instanceTtlMs,
    logger: options.logger,
    advertiseUrl: options.advertiseUrl ?? (process.env['OPENSERGO_ADVERTISE_URL'] || undefined),
    connection: parsed as ResolvedOptions['connection'],
  };
}

/** Where the store connects, without credentials, for log lines. */
export function describe(connection: ResolvedOptions['connection']): string {
  if (connection.kind !== 'client') return describeParsed(connection);
  const client = connection.client;
  if (client.isCluster) return 'Redis Cluster';
  const options = (client as { options: { host?: string; port?: number; path?: string; sentinels?: { host: string; port: number }[] | null; name?: string } }).options;
  if (options.sentinels?.length) return `redis+sentinel://${options.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}/${options.name ?? 'mymaster'}`;
  return options.path ? `redis+unix://${options.path}` : `redis://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`;
}
