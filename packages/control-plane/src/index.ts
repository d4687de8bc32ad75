// @opensergo/control-plane: rules pushed by the OpenSergo control plane, as a core RuleSource.
// Public surface: createControlPlaneSource, resolveBootstrap, the kind lists, and their types.

export { createControlPlaneSource } from './control-plane-source.js';
export type { ControlPlaneLogger, ControlPlaneSourceOptions } from './options.js';
export type { KeepaliveOptions } from './keepalive.js';
export type { BackoffOptions } from './backoff.js';
export { resolveBootstrap } from './bootstrap.js';
export type { Bootstrap } from './bootstrap.js';
export { FAULT_TOLERANCE_KINDS, SUPPORTED_KINDS, TRAFFIC_ROUTER_KIND } from './kinds.js';
