import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { Store } from './store/store.js';
import type { Engine } from './engine.js';
import type { RuleSource } from './rules/source.js';
import type { OpenTelemetryOptions } from './metrics/opentelemetry.js';
import type { TrustProxyOption } from './client/client-address.js';

/** Where the OpenSergo control plane is, and who this process is to it. */
export interface ControlPlaneOptions {
  /** `host:port` of the control plane (the reference one listens on 10246). */
  readonly endpoint: string;
  /** Default: the `namespace` option, else `OPENSERGO_NAMESPACE`, else `default`. */
  readonly namespace?: string;
  /** Default: the `app` option, else `OPENSERGO_APP`. Required one way or another. */
  readonly app?: string;
  /**
   * gRPC keepalive pings: every `timeMs`, the connection reopened when one goes unanswered for
   * `timeoutMs`; `false` for none. Default `{ timeMs: 20000, timeoutMs: 10000 }` (see
   * docs/control-plane.md for grpc-go control planes, which accept one ping per 5 minutes).
   */
  readonly keepalive?: { readonly timeMs?: number; readonly timeoutMs?: number } | false;
}

/**
 * Options of `createEngine` and of every adapter's `opensergo(options)` (one type for all).
 */
export interface OpenSergoOptions {
  /** Path of a YAML rules file. Default: `OPENSERGO_RULES_FILE`, else `./opensergo.yaml` if it exists. */
  readonly rulesFile?: string;
  /** Rules given inline: YAML text, or already-parsed documents. Used instead of a file. */
  readonly rules?: string | readonly unknown[];
  /** This process's app (docs/rules.md). Default: `OPENSERGO_APP`. Without one, every rule applies. */
  readonly app?: string;
  /** This process's namespace. Default: `OPENSERGO_NAMESPACE`. */
  readonly namespace?: string;
  /** Where `Global` limits keep state. Default: in-process memory. */
  readonly store?: Store;
  /** An engine made with `createEngine`, to share one between apps; other options are then ignored. */
  readonly engine?: Engine;
  /**
   * Match resource paths case-sensitively. Default `false` (as Express routes). The adapters
   * follow their router's own setting instead, and warn once when this disagrees.
   */
  readonly caseSensitive?: boolean;
  /**
   * Keep labels a request arrives with (`baggage` / `x-opensergo-traffic`). Set `false` at the
   * edge, where an outside client must not choose its own lane. Default `true`.
   */
  readonly trustIncomingLabels?: boolean;
  /** Where log lines go; `false` for none. Default: the console, prefixed `[opensergo]`. */
  readonly logger?: Logger | false;
  /** Time source (tests pass a `FakeClock`). */
  readonly clock?: Clock;
  /**
   * Reload the rules file when it changes (edits, atomic renames, ConfigMap symlink swaps).
   * Default `true` when the rules come from a file.
   */
  readonly watch?: boolean;
  /**
   * Subscribe to the OpenSergo control plane (needs `@opensergo/control-plane` installed).
   * Default: from `OPENSERGO_BOOTSTRAP_CONFIG` / `OPENSERGO_BOOTSTRAP` when set. `false` to
   * ignore those variables.
   */
  readonly controlPlane?: ControlPlaneOptions | false;
  /**
   * Keep each governed request's context for `currentContext()` (from `@opensergo/core`) anywhere
   * below the handler. On by itself once an `@opensergo/client` dispatcher or agent exists.
   * Default `false`: on Node 20 and 22 keeping it costs every promise of the process ~0.1 µs.
   */
  readonly requestContext?: boolean;
  /** More rule sources, fed into the same engine (their union applies). */
  readonly sources?: readonly RuleSource[];
  /**
   * Put every rule in dry run: decided as usual, but what would be blocked is admitted,
   * counted (`wouldBlock`) and reported (`request:would-block`) instead. Default `false`; one
   * rule at a time with the annotation `opensergo.io/dry-run: "true"`.
   */
  readonly dryRun?: boolean;
  /**
   * Send the IETF `RateLimit-Policy` and `RateLimit` header fields
   * (draft-ietf-httpapi-ratelimit-headers-10) on admitted and blocked responses of
   * rate-limited resources. Default `false`.
   */
  readonly rateLimitHeaders?: boolean;
  /**
   * Per-client limits by `clientIp` (docs/per-client.md): which proxies' `X-Forwarded-For` (or
   * the header `forwardedHeader` names) to believe, with Express's `trust proxy` semantics: `true`, a hop count (`1`: the
   * socket's peer is your one load balancer), addresses/CIDRs (`'loopback, 10.0.0.0/8'` or a
   * list), or `(address, hop) => boolean`. Default: none (the socket's address), except that the
   * framework's own setting is used when this option is not given: Express's `trust proxy`,
   * Koa's `app.proxy` (with `maxIpsCount`, `proxyIpHeader`), Fastify's `trustProxy`.
   */
  readonly trustProxy?: TrustProxyOption;
  /**
   * Per-client limits by `clientIp` behind trusted proxies: the one header whose hops the walk
   * reads. Default `x-forwarded-for` (what Express's `req.ip`, Koa's `ctx.ip` and Fastify's
   * `request.ip` read); `forwarded` reads RFC 7239 `for=`; another name reads a comma-separated
   * list. The other headers are ignored, so a client cannot write its own hops into one your
   * proxy passes on unchanged.
   */
  readonly forwardedHeader?: string;
  /**
   * Per-client limits by `clientIp`: IPv6 clients are counted per network of this prefix length,
   * since one client commonly holds a whole /64 or /56. Default 56; 128 counts each address.
   */
  readonly ipv6Subnet?: number;
  /**
   * Which routes report failures, in-flight requests and response times in `engine.metrics()`:
   * `tracked` (default) those whose strategies follow every request to its end anyway
   * (circuit breaker, concurrency limit, BBR); `all` every governed route, at the cost of
   * following each request to its end (a `close` listener and a clock read per request).
   */
  readonly outcomeMetrics?: 'tracked' | 'all';
  /**
   * Publish metrics to OpenTelemetry. Default: to the global MeterProvider when
   * `@opentelemetry/api` is installed and an SDK has registered one before the engine is made;
   * `{ meterProvider }` for a given one; `false` for none.
   */
  readonly openTelemetry?: boolean | OpenTelemetryOptions;
  /**
   * This process's attributes (docs/routing.md), like a pod's Kubernetes labels, e.g. `{ version: 'v2' }`:
   * what WorkloadLabelRule selectors and TrafficRouter `sourceLabels` compare with. Added to
   * `OPENSERGO_WORKLOAD` (`k=v,k=v`); `app` and `namespace` are added from their options.
   */
  readonly workload?: Readonly<Record<string, string>>;
  /**
   * This process's workload labels (e.g. `['gray']`): calls labelled `gray` are routed to
   * instances labelled `gray`. Added to `OPENSERGO_WORKLOAD_LABELS` (comma-separated), the
   * attribute `traffic.opensergo.io/label`, and the labels of matching WorkloadLabelRules.
   */
  readonly workloadLabels?: readonly string[];
}

/** Reads an environment variable, treating empty as unset. */
export function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}
