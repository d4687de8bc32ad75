// @opensergo/control-plane: rules pushed by the OpenSergo control plane, as a core RuleSource.

export { createControlPlaneSource } from './control-plane-source.js';
export type { ControlPlaneLogger, ControlPlaneSourceOptions } from './options.js';
export { resolveBootstrap } from './bootstrap.js';
export type { Bootstrap } from './bootstrap.js';
export { FAULT_TOLERANCE_KINDS, SUPPORTED_KINDS, TRAFFIC_ROUTER_KIND } from './kinds.js';
export { decodePush } from './decode.js';
export type { AnyMessage, DecodeResult, SubscriptionKey } from './decode.js';
export type { BackoffOptions } from './backoff.js';
