import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { credentials as grpcCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { OpenSergoError } from '@opensergo/core';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { DEFAULT_KEEPALIVE, type KeepaliveOptions } from './keepalive.js';
import { ENDPOINT_EXPECTED, isEndpoint } from './endpoint.js';
import { FAULT_TOLERANCE_KINDS, SUPPORTED_KINDS } from './kinds.js';

/**
 * Where the client writes its few lines (connection transitions, unusable pushes, refused
 * subscriptions). Core's `Logger` fits.
 *
 * @example
 * ```ts
 * import { createControlPlaneSource, type ControlPlaneLogger } from '@opensergo/control-plane';
 *
 * const logger: ControlPlaneLogger = { info: () => {}, warn: console.warn, error: console.error };
 * const source = createControlPlaneSource({ endpoint: '127.0.0.1:10246', namespace: 'default', app: 'foo-app', logger });
 * await source.close();
 * ```
 */
export interface ControlPlaneLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * Options of {@link createControlPlaneSource}. Only `endpoint`, `namespace` and `app` are required.
 *
 * @example
 * ```ts
 * import { credentials } from '@grpc/grpc-js';
 * import { createControlPlaneSource, type ControlPlaneSourceOptions } from '@opensergo/control-plane';
 *
 * const options: ControlPlaneSourceOptions = {
 *   endpoint: 'opensergo-control-plane.opensergo-system:10246',
 *   namespace: 'prod',
 *   app: 'foo-app',
 *   kinds: ['fault-tolerance.opensergo.io/v1alpha1/FaultToleranceRule', 'fault-tolerance.opensergo.io/v1alpha1/RateLimitStrategy'],
 *   identifier: 'foo-app-pod-1',
 *   backoff: { initialMs: 1_000, maxMs: 60_000 },
 *   keepalive: { timeMs: 20_000, timeoutMs: 10_000 },
 *   credentials: credentials.createInsecure(),
 * };
 * await createControlPlaneSource(options).close();
 * ```
 */
export interface ControlPlaneSourceOptions {
  /** The control plane, `host:port` (the reference control plane listens on 10246). */
  readonly endpoint: string;
  /** This process's namespace, as the control plane's rules name it. */
  readonly namespace: string;
  /** This process's app (the `app` label of the rules it should receive). */
  readonly app: string;
  /** Kinds to subscribe, e.g. `fault-tolerance.opensergo.io/v1alpha1/RateLimitStrategy`. Default: every fault-tolerance kind. */
  readonly kinds?: readonly string[] | undefined;
  /** Sent with every subscription. Default: `${app}-${hostname}-${pid}-${random}`. */
  readonly identifier?: string | undefined;
  /** Reconnection delays. Default: 500 ms doubling up to 30 s, with jitter. */
  readonly backoff?: Partial<BackoffOptions> | undefined;
  /** gRPC keepalive pings, or `false` for none. Default: a ping every 20 s, 10 s to answer. */
  readonly keepalive?: Partial<KeepaliveOptions> | false | undefined;
  /** Default: the console, each line prefixed with `[opensergo]`. */
  readonly logger?: ControlPlaneLogger | undefined;
  /** Default: plaintext (`credentials.createInsecure()`), as the reference control plane speaks on 10246. */
  readonly credentials?: ChannelCredentials | undefined;
}

/** Options after validation and defaults. */
export interface ResolvedOptions {
  readonly endpoint: string;
  readonly namespace: string;
  readonly app: string;
  readonly kinds: readonly string[];
  readonly identifier: string;
  readonly backoff: BackoffOptions;
  readonly keepalive: KeepaliveOptions | false;
  readonly logger: ControlPlaneLogger;
  readonly credentials: ChannelCredentials;
}

const consoleLogger: ControlPlaneLogger = {
  info: (message) => console.info(`[opensergo] ${message}`),
  warn: (message) => console.warn(`[opensergo] ${message}`),
  error: (message) => console.error(`[opensergo] ${message}`),
};

const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
const isDelay = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;

/** Checks every option, reports every problem at once, and fills in the defaults. */
export function resolveOptions(options: ControlPlaneSourceOptions): ResolvedOptions {
  const problems: string[] = [];
  const { endpoint, namespace, app, kinds, identifier, backoff, keepalive, logger } = options ?? ({} as ControlPlaneSourceOptions);
  if (!isEndpoint(endpoint)) problems.push(`endpoint: expected ${ENDPOINT_EXPECTED}, got ${JSON.stringify(endpoint)}`);
  if (!isText(namespace)) problems.push(`namespace: expected a non-empty string, got ${JSON.stringify(namespace)}`);
  if (!isText(app)) problems.push(`app: expected a non-empty string, got ${JSON.stringify(app)}`);
  if (kinds !== undefined) {
    if (!Array.isArray(kinds) || kinds.length === 0) problems.push('kinds: expected a non-empty list of kind strings');
    else {
      for (const kind of kinds) {
        if (!SUPPORTED_KINDS.includes(kind)) problems.push(`kinds: ${JSON.stringify(kind)} is not one of ${SUPPORTED_KINDS.join(', ')}`);
      }
    }
  }
  if (identifier !== undefined && !isText(identifier)) problems.push('identifier: expected a non-empty string');
  const initialMs = backoff?.initialMs ?? DEFAULT_BACKOFF.initialMs;
  const maxMs = backoff?.maxMs ?? Math.max(DEFAULT_BACKOFF.maxMs, initialMs);
  if (!isDelay(initialMs)) problems.push(`backoff.initialMs: expected a number of milliseconds > 0, got ${String(initialMs)}`);
  if (!isDelay(maxMs) || maxMs < initialMs) problems.push(`backoff.maxMs: expected a number of milliseconds ≥ backoff.initialMs, got ${String(maxMs)}`);
  const timeMs = keepalive === false ? 0 : (keepalive?.timeMs ?? DEFAULT_KEEPALIVE.timeMs);
  const timeoutMs = keepalive === false ? 0 : (keepalive?.timeoutMs ?? DEFAULT_KEEPALIVE.timeoutMs);
  if (keepalive !== false && !isDelay(timeMs)) problems.push(`keepalive.timeMs: expected a number of milliseconds > 0, got ${String(timeMs)}`);
  if (keepalive !== false && !isDelay(timeoutMs)) problems.push(`keepalive.timeoutMs: expected a number of milliseconds > 0, got ${String(timeoutMs)}`);
  if (problems.length > 0) {
    throw new OpenSergoError('ERR_OPENSERGO_OPTIONS_INVALID', `Invalid control-plane options:\n${problems.join('\n')}`);
  }
  return Object.freeze({
    endpoint: endpoint,
    namespace,
    app,
    kinds: Object.freeze([...new Set(kinds ?? FAULT_TOLERANCE_KINDS)]),
    identifier: identifier ?? `${app}-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`,
    backoff: Object.freeze({ initialMs, maxMs }),
    keepalive: keepalive === false ? false : Object.freeze({ timeMs, timeoutMs }),
    logger: logger ?? consoleLogger,
    credentials: options.credentials ?? grpcCredentials.createInsecure(),
  });
}
