/** API group and version of the fault-tolerance kinds. */
export const FAULT_TOLERANCE_API_VERSION = 'fault-tolerance.opensergo.io/v1alpha1';
/** API group and version of the traffic kinds. */
export const TRAFFIC_API_VERSION = 'traffic.opensergo.io/v1alpha1';

/**
 * The fault-tolerance kinds the control plane can push, as subscription strings
 * (`<apiVersion>/<Kind>`). Upstream defines no protobuf message for
 * HttpRequestFallbackAction or AdaptiveOverloadProtectionStrategy, so they are not here.
 */
export const FAULT_TOLERANCE_KINDS = Object.freeze([
  `${FAULT_TOLERANCE_API_VERSION}/FaultToleranceRule`,
  `${FAULT_TOLERANCE_API_VERSION}/RateLimitStrategy`,
  `${FAULT_TOLERANCE_API_VERSION}/ThrottlingStrategy`,
  `${FAULT_TOLERANCE_API_VERSION}/ConcurrencyLimitStrategy`,
  `${FAULT_TOLERANCE_API_VERSION}/CircuitBreakerStrategy`,
] as const);

/** Pushed as an Envoy `RouteConfiguration`, which this package does not decode (pushes are NACKed). */
export const TRAFFIC_ROUTER_KIND = `${TRAFFIC_API_VERSION}/TrafficRouter`;

/** Every kind string accepted in the `kinds` option. */
export const SUPPORTED_KINDS: readonly string[] = Object.freeze([...FAULT_TOLERANCE_KINDS, TRAFFIC_ROUTER_KIND]);

/** Splits `fault-tolerance.opensergo.io/v1alpha1/RateLimitStrategy` into apiVersion and kind. */
export function splitKind(kind: string): { apiVersion: string; kind: string } {
  const slash = kind.lastIndexOf('/');
  return { apiVersion: kind.slice(0, slash), kind: kind.slice(slash + 1) };
}
