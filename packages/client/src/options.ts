import { OpenSergoError, type Discovery, type OpenSergoOptions } from '@opensergo/core';
import { OUTLIER_DEFAULTS, type OutlierOptions } from './routing/outlier.js';
import { staticDiscovery, type InstanceOption } from './static-discovery.js';

/**
 * Options of `createDispatcher` and `createAgent`. Give the `engine` of your service's
 * middleware (`governance.engine`) so that calls follow the same rules; or rules options of
 * the client's own (an engine is then created, and closed with the client).
 */
export interface ClientOptions extends OpenSergoOptions {
  /** Instances by app, for discovery from a fixed list: `{ backend: [{ url, labels?, attributes? }] }`. */
  readonly instances?: Readonly<Record<string, readonly InstanceOption[]>>;
  /** More discovery sources (e.g. the Redis instance registry: the `RedisStore`), asked after `instances`. */
  readonly discovery?: Discovery | readonly Discovery[];
  /** Hosts that do not name their app: `{ 'orders.internal:8443': 'orders' }` (`host` or `host:port`). */
  readonly hosts?: Readonly<Record<string, string>>;
  /** How long an instance that refused a connection is left out of routing. Default 5000 ms. */
  readonly unreachableMs?: number;
  /**
   * What a call a rule refuses gets: `'respond'` (default), the rule's fallback response
   * (HttpRequestFallbackAction, else 429/503) as if the callee had sent it; `'reject'`, an
   * `ERR_OPENSERGO_BLOCKED` error (with fetch, the `cause` of its `TypeError`).
   */
  readonly onBlock?: 'respond' | 'reject';
  /**
   * Ejection of instances that fail in a row (docs/routing.md); `false` turns it off. A call a
   * rule refused never reached an instance and does not count.
   * Default: on, with Envoy's numbers (5 failures, 30 s growing to 300 s, at most 10% of an app).
   */
  readonly outlierDetection?: OutlierOptions | false;
}

export interface ResolvedClientOptions {
  readonly discovery: readonly Discovery[];
  readonly hosts: ReadonlyMap<string, string>;
  readonly unreachableMs: number;
  readonly onBlock: 'respond' | 'reject';
  readonly outlierDetection: OutlierOptions | false;
}

function invalid(message: string): OpenSergoError {
  return new OpenSergoError('ERR_OPENSERGO_OPTIONS_INVALID', `Invalid @opensergo/client options: ${message}`);
}

/** Checks the client's own options; throws `ERR_OPENSERGO_OPTIONS_INVALID` naming the first wrong one. */
export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  const discovery: Discovery[] = [];
  if (options.instances !== undefined) discovery.push(staticDiscovery(options.instances));
  const extra = options.discovery === undefined ? [] : Array.isArray(options.discovery) ? options.discovery : [options.discovery];
  for (const source of extra as Discovery[]) {
    if (typeof source?.instances !== 'function') throw invalid('`discovery` must be a discovery source ({ name, instances(app) }) or a list of them');
    discovery.push(source);
  }
  const hosts = new Map<string, string>();
  for (const [host, app] of Object.entries(options.hosts ?? {})) {
    if (typeof app !== 'string' || app === '') throw invalid(`hosts[${JSON.stringify(host)}] must be an app name`);
    hosts.set(host.toLowerCase(), app);
  }
  const unreachableMs = options.unreachableMs ?? 5000;
  if (typeof unreachableMs !== 'number' || !(unreachableMs >= 0)) throw invalid('`unreachableMs` must be a number of milliseconds ≥ 0');
  const onBlock = options.onBlock ?? 'respond';
  if (onBlock !== 'respond' && onBlock !== 'reject') throw invalid(`\`onBlock\` must be "respond" or "reject", got ${JSON.stringify(onBlock)}`);
  return { discovery, hosts, unreachableMs, onBlock, outlierDetection: outlierOptions(options.outlierDetection) };
}

function outlierOptions(given: OutlierOptions | false | undefined): OutlierOptions | false {
  if (given === undefined || given === false) return given ?? {};
  if (typeof given !== 'object' || given === null) throw invalid('`outlierDetection` must be an object of outlier options, or false');
  for (const [name, value] of Object.entries(given)) {
    if (!(name in OUTLIER_DEFAULTS)) throw invalid(`\`outlierDetection.${name}\` is not an option (${Object.keys(OUTLIER_DEFAULTS).join(', ')})`);
    if (value === undefined) continue;
    const least = name === 'consecutiveFailures' ? 1 : 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < least || (name === 'consecutiveFailures' && !Number.isInteger(value))) {
      throw invalid(`\`outlierDetection.${name}\` must be ${name === 'consecutiveFailures' ? 'a whole number ≥ 1' : 'a number ≥ 0'}`);
    }
    if (name === 'maxEjectionPercent' && value > 100) throw invalid('`outlierDetection.maxEjectionPercent` must be at most 100');
  }
  return given;
}
