import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisClient } from './run-script.js';

/** A node of a cluster or a Sentinel: `host:port`, `redis://[user:password@]host:port`, or `{ host, port }`. */
export type NodeAddress = string | { readonly host: string; readonly port: number };

/**
 * The forms a connection parses to: one server, a Cluster's seed nodes, or Sentinels with
 * the name of the master they watch. Credentials apply to the data nodes.
 */
export type ParsedConnection =
  | { readonly kind: 'single'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly { host: string; port: number }[]; readonly auth: Auth; readonly tls: boolean }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly { host: string; port: number }[];
      readonly name: string;
      readonly auth: Auth;
      readonly db: number;
      readonly tls: boolean;
    };

interface Auth {
  readonly username?: string;
  readonly password?: string;
}

// Commands must never queue up while Redis is away: fail at once, decide locally.
const NO_QUEUE = { enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false, connectTimeout: 3000 } as const;
// A reconnect every 250 ms at most, so the instances of a fleet come back close together.
const RETRY = (times: number): number => Math.min(times * 50, 250);

const MULTI = /^(redis\+(?:cluster|sentinel))(s?):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)(\/[^?#]*)?$/;

function hostPort(text: string, defaultPort: number): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:/]+)(?::(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port: match[2] ? Number(match[2]) : defaultPort };
}

function auth(user: string | undefined, password: string | undefined): Auth {
  return {
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
  };
}

/**
 * Parses `redis+cluster://[user:password@]host:port[,host:port…]` and
 * `redis+sentinel://[user:password@]host:port[,host:port…]/masterName[/db]` (`s` after the
 * scheme for TLS); `redis://` and `rediss://` stay single-server URLs. Returns a problem
 * string when the URL is malformed.
 */
export function parseUrl(text: string): ParsedConnection | string {
  const multi = MULTI.exec(text);
  if (multi) {
    const [, scheme, tls, user, password, hosts, path] = multi;
    const defaultPort = scheme === 'redis+sentinel' ? 26379 : 6379;
    const nodes = hosts!.split(',').map((h) => hostPort(h, defaultPort));
    if (nodes.some((n) => n === undefined)) return `url ${JSON.stringify(text)} has a malformed host list (expected host:port,host:port)`;
    const parts = (path ?? '').split('/').filter(Boolean);
    if (scheme === 'redis+cluster') {
      if (parts.length) return `url ${JSON.stringify(text)}: a Redis Cluster has no database or path (got ${path})`;
      return { kind: 'cluster', nodes: nodes as { host: string; port: number }[], auth: auth(user, password), tls: tls === 's' };
    }
    const [name, db] = parts;
    if (!name || parts.length > 2 || (db !== undefined && !/^\d+$/.test(db))) {
      return `url ${JSON.stringify(text)} must name the master the Sentinels watch: redis+sentinel://host:26379/mymaster[/db]`;
    }
    return {
      kind: 'sentinel',
      sentinels: nodes as { host: string; port: number }[],
      name: decodeURIComponent(name),
      auth: auth(user, password),
      db: Number(db ?? 0),
      tls: tls === 's',
    };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `url ${JSON.stringify(text)} is not a URL (expected redis://[user:password@]host:port[/db])`;
  }
  if (!['redis:', 'rediss:'].includes(url.protocol)) {
    return `url must start with redis://, rediss://, redis+cluster:// or redis+sentinel://, got ${url.protocol}//`;
  }
  return { kind: 'single', url: text };
}

/** `{ cluster: [nodes] }`: the seed nodes, with credentials from the first URL that has some. */
export function parseCluster(nodes: readonly NodeAddress[]): ParsedConnection | string {
  if (!Array.isArray(nodes) || nodes.length === 0) return 'cluster must be a non-empty array of nodes (host:port, redis://host:port or { host, port })';
  const parsed: { host: string; port: number }[] = [];
  let found: Auth = {};
  let tls = false;
  for (const node of nodes) {
    if (typeof node === 'object' && node !== null && typeof node.host === 'string' && Number.isInteger(node.port)) {
      parsed.push({ host: node.host, port: node.port });
      continue;
    }
    if (typeof node !== 'string') return `cluster node ${JSON.stringify(node)} is not host:port, redis://host:port or { host, port }`;
    if (/^rediss?:\/\//.test(node)) {
      let url: URL;
      try {
        url = new URL(node);
      } catch {
        return `cluster node ${JSON.stringify(node)} is not a URL`;
      }
      parsed.push({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) });
      if (!found.password && url.password) found = auth(url.username, url.password);
      tls ||= url.protocol === 'rediss:';
      continue;
    }
    const address = hostPort(node, 6379);
    if (!address) return `cluster node ${JSON.stringify(node)} is not host:port`;
    parsed.push(address);
  }
  return { kind: 'cluster', nodes: parsed, auth: found, tls };
}

/** The client the store owns for a parsed connection, never queueing commands. */
export function createClient(connection: ParsedConnection): RedisClient {
  switch (connection.kind) {
    case 'single':
      return new Redis(connection.url, { ...NO_QUEUE, retryStrategy: RETRY });
    case 'cluster': {
      const redisOptions: RedisOptions = { ...NO_QUEUE, ...connection.auth, ...(connection.tls ? { tls: {} } : {}) };
      return new Cluster([...connection.nodes], {
        redisOptions,
        enableOfflineQueue: false,
        clusterRetryStrategy: RETRY,
        // A dead master's slots are not retried for long: the decision timeout bounds them anyway.
        retryDelayOnClusterDown: 100,
        retryDelayOnFailover: 100,
        slotsRefreshTimeout: 1000,
      });
    }
    case 'sentinel':
      return new Redis({
        ...NO_QUEUE,
        ...connection.auth,
        sentinels: [...connection.sentinels],
        name: connection.name,
        db: connection.db,
        ...(connection.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
        retryStrategy: RETRY,
        sentinelRetryStrategy: RETRY,
      });
  }
}

/** For log lines, without credentials. */
export function describeParsed(connection: ParsedConnection): string {
  switch (connection.kind) {
    case 'single': {
      const url = new URL(connection.url);
      return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
    }
    case 'cluster':
      return `redis+cluster${connection.tls ? 's' : ''}://${connection.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
    case 'sentinel':
      return `redis+sentinel${connection.tls ? 's' : ''}://${connection.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}/${connection.name}`;
  }
}

/**
 * The server a single-node client really talks to now (`host:port` of its socket): with
 * Sentinel, the master it was given, which the URL does not say.
 */
export function connectedTo(client: RedisClient): string | undefined {
  if (client.isCluster) return undefined;
  const stream = (client as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
  if (!stream?.remoteAddress) return undefined;
  const host = stream.remoteAddress.includes(':') ? `[${stream.remoteAddress}]` : stream.remoteAddress;
  return `${host}:${stream.remotePort}`;
}
