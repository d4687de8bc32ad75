import { OpenSergoError, type Logger } from '@opensergo/core';
import type { RedisClient } from './run-script.js';

/** Where the store's Redis is: a URL (the store owns that connection) or your own client. */
export type RedisConnection = { readonly url: string } | { readonly client: RedisClient };

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
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly instanceTtlMs: number;
  readonly logger: Logger | undefined;
  readonly advertiseUrl: string | undefined;
}

const positive = (name: string, value: unknown, problems: string[]): void => {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    problems.push(`${name} must be a positive number of milliseconds, got ${JSON.stringify(value)}`);
  }
};

/** Checks everything at once and throws ERR_OPENSERGO_OPTIONS_INVALID listing every problem. */
export function resolveOptions(connection: RedisConnection, options: RedisStoreOptions): ResolvedOptions {
  const problems: string[] = [];
  if (typeof connection !== 'object' || connection === null) {
    problems.push('the first argument must be { url } or { client }');
  } else if ('url' in connection) {
    let url: URL | undefined;
    try {
      url = new URL(connection.url);
    } catch {
      problems.push(`url ${JSON.stringify(connection.url)} is not a URL (expected redis://[user:password@]host:port[/db])`);
    }
    if (url && !['redis:', 'rediss:'].includes(url.protocol)) {
      problems.push(`url must start with redis:// or rediss://, got ${url.protocol}//`);
    }
  } else if (!('client' in connection) || typeof (connection.client as { evalsha?: unknown })?.evalsha !== 'function') {
    problems.push('client must be an ioredis Redis or Cluster');
  }
  for (const name of ['timeoutMs', 'leaseMs', 'heartbeatMs', 'instanceTtlMs'] as const) positive(name, options[name], problems);
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
    leaseMs: options.leaseMs ?? 5000,
    heartbeatMs,
    instanceTtlMs,
    logger: options.logger,
    advertiseUrl: options.advertiseUrl ?? (process.env['OPENSERGO_ADVERTISE_URL'] || undefined),
  };
}

/** `redis://host:port/db` without credentials, for log lines. */
export function describe(connection: RedisConnection): string {
  if ('url' in connection) {
    const url = new URL(connection.url);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  }
  const client = connection.client;
  if (client.isCluster) return 'Redis Cluster';
  const { host, port, path } = (client as { options: { host?: string; port?: number; path?: string } }).options;
  return path ? `redis+unix://${path}` : `redis://${host ?? '127.0.0.1'}:${port ?? 6379}`;
}
