/** API group and version of the fault-tolerance kinds. */
export const FAULT_TOLERANCE_API_VERSION = 'fault-tolerance.opensergo.io/v1alpha1';
/** API group and version of the traffic kinds. */
export const TRAFFIC_API_VERSION = 'traffic.opensergo.io/v1alpha1';

/**
 * The fault-tolerance kinds the control plane can push, as subscription strings
 * (`<apiVersion>/<Kind>`), and the default of the `kinds` option. Upstream defines no
 * protobuf message for HttpRequestFallbackAction or AdaptiveOverloadProtectionStrategy,
 * so they are not here: keep those in a rules file.
 *
 * @example
 * ```ts
 * import { createControlPlaneSource, FAULT_TOLERANCE_KINDS } from '@opensergo/control-plane';
 *
 * // Only rate limits and the rules that use them:
 * const kinds = FAULT_TOLERANCE_KINDS.filter((k) => /RateLimitStrategy|FaultToleranceRule/.test(k));
 * const source = createControlPlaneSource({ endpoint: '127.0.0.1:10246', namespace: 'default', app: 'foo-app', kinds });
 * await source.close();
 * ```
 */
export const FAULT_TOLERANCE_KINDS = Object.freeze([
  `${FAULT_TOLERANCE_API_VERSION}/FaultToleranceRule`,
  `${FAULT_TOLERANCE_API_VERSION}/RateLimitStrategy`,
  `${FAULT_TOLERANCE_API_VERSION}/ThrottlingStrategy`,
  `${FAULT_TOLERANCE_API_VERSION}/ConcurrencyLimitStrategy`,
  `${FAULT_TOLERANCE_API_VERSION}/CircuitBreakerStrategy`,
] as const);

/**
 * The TrafficRouter kind. The control plane pushes it as an Envoy `RouteConfiguration`, decoded
 * into the TrafficRouter a rules file would hold (what the wire format cannot carry is listed
 * in docs/control-plane.md). Not subscribed by default: add it to `kinds`.
 *
 * @example
 * ```ts
 * import { SUPPORTED_KINDS, TRAFFIC_ROUTER_KIND } from '@opensergo/control-plane';
 *
 * console.log(SUPPORTED_KINDS.includes(TRAFFIC_ROUTER_KIND)); // true
 * ```
 */
export const TRAFFIC_ROUTER_KIND = `${TRAFFIC_API_VERSION}/TrafficRouter`;

/**
 * Every kind string accepted in the `kinds` option.
 *
 * @example
 * ```ts
 * import { SUPPORTED_KINDS } from '@opensergo/control-plane';
 *
 * console.log(SUPPORTED_KINDS.includes('fault-tolerance.opensergo.io/v1alpha1/RateLimitStrategy')); // true
 * ```
 */
export const SUPPORTED_KINDS: readonly string[] = Object.freeze([...FAULT_TOLERANCE_KINDS, TRAFFIC_ROUTER_KIND]);

/** Splits `fault-tolerance.opensergo.io/v1alpha1/RateLimitStrategy` into apiVersion and kind. */
export function splitKind(kind: string): { apiVersion: string; kind: string } {
  const slash = kind.lastIndexOf('/');
  return { apiVersion: kind.slice(0, slash), kind: kind.slice(slash + 1) };
}
